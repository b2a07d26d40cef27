"""The job of the one import path: an upload stored privately, checked (the preview), written when a cadre
confirms — for every registered kind (`gonghui.core.importing.ImportKind`). A job belongs to the union it is
made under (`orgs.models.ImportJob.union`), so it is seen and acted on through the scope of that union.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.core.excel import SpreadsheetError
from gonghui.core.importing import (
    ERROR_REPORT,
    INLINE_BYTES,
    ImportRequest,
    Progress,
    get_kind,
    store_root,
    store_upload,
    ttl,
    write_error_report,
    write_private,
)

from .models import ImportJob


def sweep(*, now: Any = None) -> int:
    """Delete the stored files of jobs older than the TTL (and any folder no job owns), marking the jobs
    已过期. Returns the number of folders removed. Idempotent; safe to run from cron or the worker."""
    now = now or timezone.now()
    cutoff = now - ttl()
    removed = 0
    root = store_root()
    old = ImportJob.objects.filter(created_at__lt=cutoff).exclude(status=ImportJob.Status.EXPIRED)
    for job in old.only("pk", "folder"):
        folder = Path(job.folder)
        if folder.is_dir() and folder.parent == root:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.EXPIRED, updated_at=now)
    owned = set(ImportJob.objects.exclude(status=ImportJob.Status.EXPIRED).values_list("folder", flat=True))
    limit = time.time() - ttl().total_seconds()
    for folder in root.iterdir():
        if folder.is_dir() and str(folder) not in owned and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def job_path(job: ImportJob) -> Path:
    return Path(job.folder) / job.file_name


def job_create(*, actor: Any, kind: str, union: Any, chunks: Iterable[bytes], size: int, original_name: str,
               sheet: str = "") -> ImportJob:
    """Store an upload privately and open its job (status 检查中). The caller has checked the size BEFORE
    reading the body; this checks it again (a chunked body has no Content-Length). The stored name is ours
    (`upload`), never the user's: a file called `..` or `a/b` is just a name in `original_name`."""
    if get_kind(kind) is None:
        raise ValidationError("未知的导入类型")
    folder = store_upload(chunks, size=size)
    return ImportJob.objects.create(kind=kind, union=union, created_by_id=getattr(actor, "pk", None),
                                    folder=str(folder), file_name="upload", original_name=original_name[:200],
                                    sheet=sheet[:100])


def job_discard_file(job: ImportJob) -> None:
    """Delete a job's stored files now (a file refused as unreadable keeps nothing)."""
    folder = Path(job.folder)
    if folder.is_dir() and folder.parent == store_root():
        shutil.rmtree(folder, ignore_errors=True)


def progress_path(job: ImportJob) -> Path:
    return Path(job.folder) / "progress.json"


def read_progress(job: ImportJob) -> dict[str, Any]:
    try:
        return dict(json.loads(progress_path(job).read_text()))
    except (OSError, ValueError):
        return {}


def _progress_writer(job: ImportJob) -> Progress:
    path = progress_path(job)
    last = [0.0]

    def write(done: int, total: int | None, phase: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.3 and (total is None or done < total):
            return
        last[0] = now
        tmp = path.with_suffix(".tmp")
        write_private(tmp, json.dumps({"done": done, "total": total, "phase": phase}, ensure_ascii=False).encode())
        tmp.replace(path)

    return write


def _request(job: ImportJob, actor: Any) -> ImportRequest:
    return ImportRequest(path=job_path(job), actor=actor, union=job.union, sheet=job.sheet or None,
                         skip_invalid=job.mode == ImportJob.Mode.SKIP_INVALID, filename=job.original_name,
                         progress=_progress_writer(job))


def _user(pk: int | None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=pk).first() if pk else None


def _execute(job: ImportJob, *, write: bool) -> None:
    kind = get_kind(job.kind)
    assert kind is not None
    # the check reads as the uploader; the write acts (and is audited) as the cadre who confirmed
    actor = _user(job.confirmed_by_id if write else job.created_by_id)
    if not job_path(job).is_file():
        job.status, job.error = ImportJob.Status.FAILED, "上传的文件已过期并被删除，请重新上传"
        job.save(update_fields=["status", "error", "updated_at"])
        return
    try:
        outcome = (kind.write if write else kind.check)(_request(job, actor))
        write_error_report(outcome, kind.columns(None), folder=Path(job.folder))
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
    job.result = outcome.as_dict()
    if write:
        job.status = ImportJob.Status.DONE if outcome.written else ImportJob.Status.REJECTED
    else:
        job.status = ImportJob.Status.REJECTED if outcome.rejected else ImportJob.Status.CHECKED
    job.save(update_fields=["status", "result", "updated_at"])


def run_check(job_id: int) -> None:
    job = ImportJob.objects.select_related("union").get(pk=job_id)
    if job.status == ImportJob.Status.CHECKING:
        _execute(job, write=False)


def run_import(job_id: int) -> None:
    job = ImportJob.objects.select_related("union").get(pk=job_id)
    if job.status == ImportJob.Status.IMPORTING:
        _execute(job, write=True)


def job_start_check(job: ImportJob) -> None:
    """Check inline when the file is small, else hand it to the worker (the page polls the progress)."""
    from gonghui.orgs import tasks

    if job_path(job).stat().st_size <= INLINE_BYTES:
        run_check(job.pk)
    else:
        tasks.import_check.enqueue(job.pk)
    job.refresh_from_db()


def job_confirm(*, actor: Any, job: ImportJob, skip_invalid: bool = False) -> bool:
    """The cadre's go-ahead. Strict (the default): only a job checked without a rejected row goes on.
    `skip_invalid`: a job with rejected rows goes on too, writing its valid rows. Exactly one confirm wins
    (a conditional UPDATE); the write runs as — and is audited under — `actor`. False when refused."""
    allowed = [ImportJob.Status.CHECKED]
    result = job.result or {}
    valid = int(result.get("created", 0)) + int(result.get("updated", 0)) + int(result.get("unchanged", 0))
    if skip_invalid and valid:
        allowed.append(ImportJob.Status.REJECTED)
    mode = ImportJob.Mode.SKIP_INVALID if skip_invalid else ImportJob.Mode.STRICT
    updated = ImportJob.objects.filter(pk=job.pk, status__in=allowed).update(
        status=ImportJob.Status.IMPORTING, confirmed_by=getattr(actor, "pk", None), mode=mode,
        updated_at=timezone.now())
    if not updated:
        return False
    from gonghui.orgs import tasks

    job.refresh_from_db()
    if job_path(job).is_file() and job_path(job).stat().st_size <= INLINE_BYTES:
        run_import(job.pk)
    else:
        tasks.import_run.enqueue(job.pk)
    job.refresh_from_db()
    return True


def deliverable_file(job: ImportJob, name: str) -> Path | None:
    """The file `name` a write left in the job's folder (never a path outside it), if it is still there."""
    path = Path(job.folder) / Path(name).name
    return path if path.is_file() else None


def error_report_file(job: ImportJob) -> Path | None:
    path = Path(job.folder) / ERROR_REPORT
    return path if (job.result or {}).get("error_report") and path.is_file() else None


