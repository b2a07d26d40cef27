"""Background work of the campaigns app (django-tasks; a worker runs `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def classify_list(list_id: int) -> None:
    """Parse an uploaded campaign list and match it against the registry (progress on the list)."""
    from gonghui.campaigns.services import list_classify

    list_classify(list_id)
