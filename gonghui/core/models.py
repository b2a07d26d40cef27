from __future__ import annotations

from django.db import models

from gonghui.core.scope import ScopedQuerySet


class Region(models.Model):
    """行政区划: province → city → county → township, shared reference data (everyone may read it)."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县(区)"
        TOWNSHIP = "township", "乡镇(街道)"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        parts = []
        node: Region | None = self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return "".join(reversed(parts))


class ImportJob(models.Model):
    """One uploaded file on its way in, for every import kind (工会名录, 企业名录, 会员名册, …): stored privately,
    checked (the preview), then written when a cadre confirms. `union` is the union the import is made under
    (the roster's union; for the registry imports, the top node of the uploader's scope), so the job is seen
    exactly by those who see that union. The file, its progress and its error workbook live in one private
    folder that the sweep deletes after `GONGHUI_IMPORT_TTL_HOURS`. See `gonghui.core.importing`."""

    class Status(models.TextChoices):
        CHECKING = "checking", "检查中"
        CHECKED = "checked", "待确认"
        REJECTED = "rejected", "有错误行"
        IMPORTING = "importing", "导入中"
        DONE = "done", "已导入"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"

    class Mode(models.TextChoices):
        STRICT = "strict", "有错误行则全部不导入"
        SKIP_INVALID = "skip_invalid", "先导入正确的行"

    kind = models.CharField("类型", max_length=20)
    union = models.ForeignKey("orgs.Union", verbose_name="所属工会", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        "accounts.User", verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        "accounts.User", verbose_name="确认人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mode = models.CharField("方式", max_length=12, choices=Mode.choices, default=Mode.STRICT)
    folder = models.CharField("存放目录", max_length=500)
    file_name = models.CharField("存储文件名", max_length=40)
    original_name = models.CharField("原文件名", max_length=200)
    sheet = models.CharField("工作表", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.CHECKING)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "created_at"], name="core_importjob_kind_idx")]

    def __str__(self) -> str:
        return self.original_name
