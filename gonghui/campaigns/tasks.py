"""Background work of the campaigns app (django-tasks; a worker runs `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def classify_list(list_id: int) -> None:
    """Parse an uploaded campaign list and match it against the registry (progress on the list)."""
    from gonghui.campaigns.services import list_classify

    list_classify(list_id)


@task()
def apply_list(list_id: int) -> None:
    """Apply a classified campaign list in batches (progress on the list; resumable)."""
    from gonghui.campaigns.services.lists import list_apply_run

    list_apply_run(list_id)
