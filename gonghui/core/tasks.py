"""Background work of the import framework (django-tasks; a worker runs `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def import_check(job_id: int) -> None:
    """The preview of an uploaded file (any kind): counts, the rows to add and change, errors. Writes nothing."""
    from gonghui.core.importing import run_check

    run_check(job_id)


@task()
def import_run(job_id: int) -> None:
    """The import itself, after a cadre confirmed; acts and is audited as that cadre."""
    from gonghui.core.importing import run_import

    run_import(job_id)


@task()
def imports_sweep() -> int:
    """Delete uploads and error workbooks past GONGHUI_IMPORT_TTL_HOURS (also `manage.py sweep_imports`)."""
    from gonghui.core.importing import sweep

    return sweep()
