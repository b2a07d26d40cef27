"""Background work of the download centre (django-tasks; `manage.py db_worker` runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def export_run(job_id: int) -> None:
    """Build one export file (see services.export_job_run)."""
    from .services import export_job_run

    export_job_run(job_id=job_id)


@task()
def exports_sweep() -> int:
    """Delete expired export files (also `manage.py sweep_exports`; schedule it hourly with cron)."""
    from .services import export_sweep

    return export_sweep()
