from __future__ import annotations

from django.db import models
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from .scope import ScopedQuerySet


class UnionQuerySet(MP_NodeQuerySet, ScopedQuerySet["Union"]):  # type: ignore[misc]
    pass


class UnionManager(MP_NodeManager.from_queryset(UnionQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> UnionQuerySet:
        return UnionQuerySet(self.model, using=self._db).order_by("path")


class Union(MP_Node):
    """A node of the union tree: the district federation, a township federation, a 工会联合会 or a
    grassroots union (单独建会 or 联合工会)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "区总工会"
        TOWNSHIP = "township", "镇(街道)总工会"
        FEDERATION = "federation", "工会联合会"
        SINGLE = "single", "单独建会"
        JOINT = "joint", "联合工会"

    class FederationType(models.TextChoices):
        AREA = "片区", "片区"
        INDUSTRY = "行业", "行业"
        REGIONAL = "区域", "区域"
        BUILDING = "楼宇", "楼宇"
        BUSINESS = "商圈", "商圈"

    class Status(models.TextChoices):
        NORMAL = "normal", "正常"
        SHELL = "shell", "疑似空壳"
        REVOKED = "revoked", "已撤销"

    steplen = 4
    node_order_by: list[str] = []

    name = models.CharField("工会名称", max_length=100, db_index=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, db_index=True)
    federation_type = models.CharField("联合会类别", max_length=4, choices=FederationType.choices, blank=True)
    code = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    region = models.ForeignKey(
        "core.Region", verbose_name="所在区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chair = models.CharField("工会主席", max_length=30, blank=True)
    contact = models.CharField("联系人", max_length=30, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.NORMAL, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UnionManager()
    scope_fields = ("self",)

    class Meta:
        verbose_name = "工会"
        verbose_name_plural = "工会"

    def __str__(self) -> str:
        return self.name

    @property
    def parent_id(self) -> int | None:
        if self.depth <= 1:
            return None
        cached = getattr(self, "_parent_id", None)
        if cached is None:
            cached = Union.objects.filter(path=self.path[: -self.steplen]).values_list("pk", flat=True).first()
            self._parent_id = cached
        return cached

    @property
    def is_grassroots(self) -> bool:
        return self.kind in (self.Kind.SINGLE, self.Kind.JOINT)


class Committee(models.Model):
    """委员会 / 经费审查委员会 / 女职工委员会 of a union, elected for a term."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", "委员会"
        AUDIT = "audit", "经费审查委员会"
        WOMEN = "women", "女职工委员会"

    union = models.ForeignKey(Union, verbose_name="工会", on_delete=models.CASCADE, related_name="committees")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    term_start = models.DateField("任期开始")
    term_end = models.DateField("任期结束", null=True, blank=True)
    elected_at = models.CharField("选举会议", max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "委员会"
        verbose_name_plural = "委员会"
        ordering = ["union", "kind", "-term_start"]

    def __str__(self) -> str:
        return f"{self.union} {self.get_kind_display()}"


class CommitteeMember(models.Model):
    committee = models.ForeignKey(Committee, verbose_name="委员会", on_delete=models.CASCADE, related_name="members")
    name = models.CharField("姓名", max_length=30)
    position = models.CharField("职务", max_length=30, default="委员")

    class Meta:
        verbose_name = "委员"
        verbose_name_plural = "委员"

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）"


class Enterprise(models.Model):
    """A legal entity (法人单位). It belongs to the tree twice: by territory (属地, the township federation
    of its township) and through the union that covers it, if any."""

    class Status(models.TextChoices):
        ACTIVE = "active", "存续"
        REVOKED = "revoked", "吊销"
        CANCELLED = "cancelled", "注销"

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    org_code = models.CharField("组织机构代码", max_length=9, db_index=True)
    name = models.CharField("单位名称", max_length=120, db_index=True)
    region = models.ForeignKey(
        "core.Region", verbose_name="所在镇街", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    territory = models.ForeignKey(
        Union, verbose_name="属地总工会", on_delete=models.PROTECT, related_name="territorial_enterprises"
    )
    address = models.CharField("单位地址", max_length=200, blank=True)
    industry = models.CharField("所属行业", max_length=50, blank=True)
    headcount = models.PositiveIntegerField("参保人数", null=True, blank=True, db_index=True)
    headcount_source = models.CharField("人数来源", max_length=20, blank=True)
    headcount_date = models.DateField("人数日期", null=True, blank=True)
    status = models.CharField("经营状态", max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    established_on = models.DateField("成立日期", null=True, blank=True)
    # The list that first brought a firm into the registry (a campaign's 社保 / 经济普查 / 市场监管 list), and its date.
    listed_source = models.CharField("来源名单", max_length=20, blank=True)
    listed_on = models.DateField("来源名单日期", null=True, blank=True)
    # Denormalised from the open Coverage row, kept by orgs.services only, so "covered or not" is one column.
    covering_union = models.ForeignKey(
        Union, verbose_name="覆盖工会", null=True, blank=True, on_delete=models.SET_NULL, related_name="covered_enterprises"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("territory", "covering_union")

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        indexes = [
            models.Index(fields=["territory", "covering_union"]),
            # Covers the 工作台 and per-township counts (建会率, ≥25人未建会, 职工数) without reading the table.
            models.Index(fields=["territory", "status", "covering_union", "headcount"], name="enterprise_counts_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_covered(self) -> bool:
        return self.covering_union_id is not None


class Coverage(models.Model):
    """Which union covers which enterprise, and since when. History is kept: ending a coverage sets `ended_on`."""

    union = models.ForeignKey(Union, verbose_name="工会", on_delete=models.CASCADE, related_name="coverages")
    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="coverages")
    started_on = models.DateField("覆盖开始")
    ended_on = models.DateField("覆盖结束", null=True, blank=True)
    note = models.CharField("备注", max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "工会覆盖"
        verbose_name_plural = "工会覆盖"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=models.Q(ended_on__isnull=True), name="one_open_coverage_per_enterprise"
            )
        ]

    def __str__(self) -> str:
        return f"{self.union} → {self.enterprise}"


class ImportJob(models.Model):
    """One uploaded file on its way in, for every import kind (工会名录, 企业名录, 会员名册, …): stored privately,
    checked (the preview), then written when a cadre confirms. `union` is the union the import is made under
    (the roster's union; for the registry imports, the top node of the uploader's scope), so the job is seen
    exactly by those who see that union. The file, its progress and its error workbook live in one private
    folder that the sweep deletes after `GONGHUI_IMPORT_TTL_HOURS`. See `gonghui.orgs.import_jobs`."""

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
    union = models.ForeignKey(Union, verbose_name="所属工会", on_delete=models.CASCADE, related_name="+")
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
        indexes = [models.Index(fields=["kind", "created_at"], name="orgs_importjob_kind_idx")]

    def __str__(self) -> str:
        return self.original_name
