"""下载中心 reads: a user sees their own exports and nobody else's (an export may hold full ID numbers)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ExportJob


def export_jobs(*, user: Any) -> QuerySet[ExportJob]:
    """The user's own export jobs, newest first. Never another user's, whatever their role."""
    return ExportJob.objects.visible_to(user).order_by("-created_at", "-pk")


def export_job_get(*, user: Any, pk: int) -> ExportJob:
    """One of the user's own jobs; anyone else's (or none) is a 404."""
    return ExportJob.objects.get_visible(user, pk=pk)
