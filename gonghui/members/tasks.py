"""Background work of the members app (django-tasks; a worker runs `manage.py db_worker`).

A roster import is two tasks: `import_check` (pass 1, the preview) and, after the cadre confirms,
`import_run` (pass 2). Small files run the same functions inline, in the request.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django_tasks import task

from gonghui.core.excel import SpreadsheetError

from .imports import ImportResult, roster_import
from .models import ImportJob


def progress_path(job: ImportJob) -> Path:
    return Path(job.file_path).parent / "progress.json"


def read_progress(job: ImportJob) -> dict[str, Any]:
    try:
        return dict(json.loads(progress_path(job).read_text()))
    except (OSError, ValueError):
        return {}


def _progress_writer(job: ImportJob) -> Any:
    path = progress_path(job)
    last = [0.0]

    def write(done: int, total: int | None, phase: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.3 and (total is None or done < total):
            return
        last[0] = now
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"done": done, "total": total, "phase": phase}, ensure_ascii=False))
        tmp.replace(path)

    return write


def _run(job: ImportJob, *, dry_run: bool) -> None:
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=job.created_by_id).first() if job.created_by_id else None
    try:
        result: ImportResult = roster_import(path=Path(job.file_path), union=job.union, actor=actor, dry_run=dry_run,
                                             sheet=job.sheet or None, progress=_progress_writer(job))
    except (SpreadsheetError, ValidationError) as exc:
        job.status = ImportJob.Status.FAILED
        job.error = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        job.save(update_fields=["status", "error", "updated_at"])
        return
    except Exception as exc:  # a bug must still end the progress bar, with a message the cadre can pass on
        job.status = ImportJob.Status.FAILED
        job.error = f"导入失败（{type(exc).__name__}），请联系管理员"
        job.save(update_fields=["status", "error", "updated_at"])
        raise
    job.result = result.as_dict()
    if result.rejected:
        job.status = ImportJob.Status.REJECTED
    else:
        job.status = ImportJob.Status.CHECKED if dry_run else ImportJob.Status.DONE
    job.save(update_fields=["status", "result", "updated_at"])


def run_check(job_id: int) -> None:
    job = ImportJob.objects.select_related("union").get(pk=job_id)
    if job.status == ImportJob.Status.CHECKING:
        _run(job, dry_run=True)


def run_import(job_id: int) -> None:
    job = ImportJob.objects.select_related("union").get(pk=job_id)
    if job.status == ImportJob.Status.IMPORTING:
        _run(job, dry_run=False)


@task()
def import_check(job_id: int) -> None:
    """Pass 1 of an uploaded roster: counts and errors for the preview; writes nothing."""
    run_check(job_id)


@task()
def import_run(job_id: int) -> None:
    """Pass 2 after the cadre confirmed: the import itself, all-or-nothing."""
    run_import(job_id)


@task()
def complete_due_transfers() -> int:
    """Complete the transfers whose 7 days passed (also run by `manage.py complete_due_transfers`)."""
    from .services import transfer_complete_due

    return transfer_complete_due()
