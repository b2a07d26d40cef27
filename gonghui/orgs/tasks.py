"""Background work of the orgs app: the jobs of the one import path for every kind (django-tasks; a worker runs `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def import_check(job_id: int) -> None:
    """The preview of an uploaded file (any kind): counts, the rows to add and change, errors. Writes nothing."""
    from gonghui.orgs.import_jobs import run_check

    run_check(job_id)


@task()
def import_run(job_id: int) -> None:
    """The import itself, after a cadre confirmed; acts and is audited as that cadre."""
    from gonghui.orgs.import_jobs import run_import

    run_import(job_id)


@task()
def imports_sweep() -> int:
    """Delete uploads and error workbooks past GONGHUI_IMPORT_TTL_HOURS (also `manage.py sweep_imports`)."""
    from gonghui.orgs.import_jobs import sweep

    return sweep()
