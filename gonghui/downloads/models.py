"""下载中心: one row per export a user asked for. Generic: the kind names a builder an app registered
(`gonghui.downloads.kinds`), so this app knows nothing of members or unions."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.http import Http404


class OwnedQuerySet(models.QuerySet["ExportJob"]):
    """An export belongs to the user who asked for it, not to a place in the tree: `visible_to(user)` is the
    user's own jobs (whatever their role), so the same 404 rule as everywhere else holds."""

    def visible_to(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(created_by_id=user.pk)

    def get_visible(self, user: Any, **lookup: Any) -> ExportJob:
        try:
            return self.visible_to(user).get(**lookup)
        except (ExportJob.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
            raise Http404("导出任务不存在") from exc


class ExportJob(models.Model):
    """An export built in the background (or at once, when small) and kept for download until it expires.

    `params_cipher` holds the builder's parameters encrypted (a search may be a full ID number or mobile);
    `description` is the zh-hans, already-masked description of the filters a user reads."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "可下载"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"

    kind = models.CharField("类型", max_length=40)
    title = models.CharField("名称", max_length=100)
    description = models.CharField("条件", max_length=500, blank=True)
    params_cipher = models.TextField("参数（密文）")
    sensitive = models.BooleanField("含完整身份证号码", default=False)
    reason = models.CharField("导出原因", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    rows_total = models.PositiveIntegerField("预计行数", default=0)
    rows_done = models.PositiveIntegerField("已写行数", default=0)
    size = models.PositiveBigIntegerField("文件大小", default=0)
    file_path = models.CharField("文件", max_length=500, blank=True)
    filename = models.CharField("下载文件名", max_length=120)
    error = models.CharField("错误", max_length=300, blank=True)
    downloads = models.PositiveIntegerField("下载次数", default=0)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True, db_index=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="exportjob_user_recent_idx")]

    def __str__(self) -> str:
        from gonghui.core.templatetags.gh import cn_datetime

        return f"{self.title}（{cn_datetime(self.created_at)}）"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
