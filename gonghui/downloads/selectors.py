"""下载中心 reads: a user sees their own exports and nobody else's (an export may hold full ID numbers)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import ExportJob


def export_jobs(*, user: Any) -> QuerySet[ExportJob]:
    """The user's own export jobs, newest first. Never another user's, whatever their role."""
    if not getattr(user, "is_authenticated", False):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(created_by_id=user.pk).order_by("-created_at", "-pk")


def export_job_get(*, user: Any, pk: int) -> ExportJob:
    """One of the user's own jobs; anyone else's (or none) is a 404."""
    try:
        return export_jobs(user=user).get(pk=pk)
    except (ExportJob.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("导出任务不存在") from exc
