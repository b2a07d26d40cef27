"""下载中心 writes: create an export job, run it (the task worker), record a download, sweep expired files.

Files live under VAR_DIR/exports/<random>/ — the folder 0700, the file 0600, the spreadsheet writer's temporary
files in the same folder — and are deleted when the job expires (`export_sweep`, run by the `sweep_exports`
command and the `exports_sweep` task). Parameters are stored encrypted: a member search may be an ID number."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gonghui.core import crypto
from gonghui.core.audit import audit_access

from .kinds import builder
from .models import ExportJob

PROGRESS_EVERY_SECONDS = 0.5
STALE_AFTER = dt.timedelta(hours=2)  # a running job older than this lost its worker


def export_ttl() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "GONGHUI_EXPORT_TTL_HOURS", 24)))


def exports_dir() -> Path:
    return Path(settings.VAR_DIR) / "exports"


def export_job_create(
    *, actor: Any, kind: str, title: str, description: str, params: dict[str, Any], filename: str,
    rows_total: int, sensitive: bool = False, reason: str = "",
) -> ExportJob:
    """Queue an export for `actor` (the task runs after the transaction commits). The caller has checked scope
    and permission and audited the export request itself; this only records and schedules it."""
    builder(kind)  # an unknown kind is a programming error: fail here, not in the worker
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind, title=title[:100], description=description[:500], filename=filename[:120],
            params_cipher=crypto.encrypt(json.dumps(params, ensure_ascii=False, default=str)),
            sensitive=sensitive, reason=reason[:200], created_by=actor, rows_total=rows_total,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import export_run

    export_run.enqueue(job_id)


def export_params(job: ExportJob) -> dict[str, Any]:
    return dict(json.loads(crypto.decrypt(job.params_cipher)))


def _private_folder() -> Path:
    root = exports_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = root / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    return folder


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Build the file of a queued job (idempotent: a job already started or finished is left alone). The
    progress counter is written at most twice a second, each write its own short transaction."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    folder = _private_folder()
    path = folder / "export.xlsx"
    last = [0.0]

    def progress(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            ExportJob.objects.filter(pk=job_id).update(rows_done=done)

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            rows = builder(job.kind)(job=job, params=export_params(job), target=fh, progress=progress,
                                     tmpdir=str(folder))
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(),
            error=f"生成失败（{type(exc).__name__}），请重试或联系管理员")
        raise
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE, rows_done=rows, rows_total=rows, size=path.stat().st_size,
        file_path=str(path), finished_at=finished, expires_at=finished + export_ttl())
    job.refresh_from_db()
    return job


def export_download(*, user: Any, job: ExportJob) -> Path:
    """The file of one of `user`'s finished, unexpired jobs, counted and audited; LookupError otherwise."""
    path = Path(job.file_path) if job.file_path else None
    if (job.created_by_id != user.pk or job.status != ExportJob.Status.DONE or path is None or not path.is_file()
            or (job.expires_at is not None and job.expires_at <= timezone.now())):
        raise LookupError("文件不存在或已过期")
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(downloads=job.downloads + 1)
        audit_access(actor=user, obj=job, what=(
            f"下载导出文件《{job.title}》{job.rows_done}条（{'含完整身份证号码' if job.sensitive else '已打码'}），"
            f"条件：{job.description or '全部'}"))
    return path


def export_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete the files of expired jobs and mark them 已过期; mark jobs whose worker died as failed; drop stray
    folders no job points to (a worker killed mid-build). Idempotent. Returns the number of jobs expired."""
    now = now or timezone.now()
    n = 0
    # a job whose worker died mid-build would show 生成中 for ever
    ExportJob.objects.filter(status=ExportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=ExportJob.Status.FAILED, finished_at=now, error="生成中断，请重新导出")
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now):
        if job.file_path:
            shutil.rmtree(Path(job.file_path).parent, ignore_errors=True)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file_path="")
        n += 1
    root = exports_dir()
    if root.is_dir():
        live = {Path(p).parent.name for p in ExportJob.objects.exclude(file_path="").values_list("file_path", flat=True)}
        stale_before = time.time() - export_ttl().total_seconds()
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in live and folder.stat().st_mtime < stale_before:
                shutil.rmtree(folder, ignore_errors=True)
    return n
