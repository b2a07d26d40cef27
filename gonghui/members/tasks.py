"""Background work of the members app (django-tasks; a worker runs `manage.py db_worker`).

Roster imports run on the one import path: `gonghui.core.tasks.import_check` / `import_run`."""

from __future__ import annotations

from django_tasks import task


@task()
def complete_due_transfers() -> int:
    """Complete the transfers whose 7 days passed (also run by `manage.py complete_due_transfers`)."""
    from .services import transfer_complete_due

    return transfer_complete_due()
