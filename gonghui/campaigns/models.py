"""建会入会 campaigns: a campaign owned by a union node, its dated source lists and their classified rows, the
firms it follows (screening, township task, founding) and the decisions cadres took on review pairs.

Scope: a campaign (and its lists) is seen by whoever's scope contains its owner node or lies inside it, and
changed only from the owner's subtree; every row, firm, screening step and founding is scoped by the firm's
territory (属地, the township federation), so a township sees and works only its own part."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from gonghui.accounts.permissions import Action, action_paths
from gonghui.orgs.scope import STEPLEN, ScopedQuerySet, scope_q


class OwnedQuerySet(ScopedQuerySet[Any]):
    """Downward scope by the owner node (`scope_fields`), plus, for `view`, upward: a township cadre sees the
    district's campaign (its own part of it is then filtered by territory)."""

    def visible_to(self, user: Any, action: str = Action.VIEW, *, via: tuple[str, ...] | None = None) -> Self:
        q = scope_q(user, self.model, action=action, via=via)
        if q is None:
            return self
        if action != Action.VIEW:
            return self.none() if q == Q(pk__in=[]) else self.filter(q)
        paths = action_paths(user, action) or []
        ancestors = sorted({p[:i] for p in paths for i in range(STEPLEN, len(p), STEPLEN)})
        owner: str = self.model.owner_path  # type: ignore[attr-defined]
        return self.filter(q | Q(**{f"{owner}__path__in": ancestors}))


class Source(models.TextChoices):
    SOCIAL_SECURITY = "social_security", "社保参保名单"
    CENSUS = "census", "经济普查名录"
    MARKET = "market", "市场监管登记名录"
    LABOUR_SURVEY = "labour_survey", "企业劳动用工调查"


class Match(models.TextChoices):
    COVERED = "covered", "已建会"
    UNCOVERED = "uncovered", "未建会"
    NEW = "new", "新企业"
    REVIEW = "review", "待核对"
    REJECTED = "rejected", "无法处理"


class Campaign(models.Model):
    """A 建会入会 campaign run at a node (the district, or a township for its territory)."""

    owner = models.ForeignKey("orgs.Union", verbose_name="发起单位", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("行动名称", max_length=100)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    threshold = models.PositiveIntegerField("单独建会人数标准", default=25)
    trades = models.JSONField("目标行业", default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = OwnedQuerySet.as_manager()
    scope_fields = ("owner",)
    owner_path = "owner"

    class Meta:
        verbose_name = "建会入会行动"
        verbose_name_plural = "建会入会行动"
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.name


class SourceList(models.Model):
    """One dated batch uploaded into a campaign: stored privately, parsed and matched by the worker
    (queued → running → classified), then applied by a cadre (applied)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "比对中"
        CLASSIFIED = "classified", "已分类"
        APPLYING = "applying", "应用中"
        APPLIED = "applied", "已应用"
        FAILED = "failed", "失败"

    campaign = models.ForeignKey(Campaign, verbose_name="行动", on_delete=models.CASCADE, related_name="lists")
    source = models.CharField("名单来源", max_length=20, choices=Source.choices)
    as_of = models.DateField("名单日期")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField("进度", default=0.0)
    rows = models.PositiveIntegerField("行数", default=0)
    counts = models.JSONField("分类计数", default=dict, blank=True)
    movement = models.JSONField("动态（新增、迁入、消失）", default=dict, blank=True)
    applied_upto = models.BigIntegerField("已应用至行（内部序号）", default=0)
    detail = models.TextField("说明", blank=True)
    folder = models.CharField("存放目录", max_length=500, blank=True)
    original_name = models.CharField("原文件名", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="应用人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    applied_at = models.DateTimeField("应用时间", null=True, blank=True)

    objects = OwnedQuerySet.as_manager()
    scope_fields = ("campaign__owner",)
    owner_path = "campaign__owner"

    class Meta:
        verbose_name = "名单"
        verbose_name_plural = "名单"
        ordering = ["-as_of", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display()}（{self.as_of:%Y年%-m月%-d日}）"


class ListRow(models.Model):
    """One data row of an uploaded list, classified against the registry, with the engine's evidence."""

    source_list = models.ForeignKey(SourceList, verbose_name="名单", on_delete=models.CASCADE, related_name="items")
    campaign = models.ForeignKey(Campaign, verbose_name="行动", on_delete=models.CASCADE, related_name="+")
    row = models.PositiveIntegerField("行号")  # the 1-based data row of the uploaded file
    name = models.CharField("单位名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=30, blank=True)
    address = models.CharField("单位地址", max_length=200, blank=True)
    headcount = models.PositiveIntegerField("人数", null=True, blank=True)
    status_text = models.CharField("经营状态", max_length=20, blank=True)
    match = models.CharField("分类", max_length=10, choices=Match.choices, db_index=True)
    enterprise = models.ForeignKey("orgs.Enterprise", verbose_name="企业", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    candidate = models.ForeignKey("orgs.Enterprise", verbose_name="候选企业", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    covering_union = models.ForeignKey("orgs.Union", verbose_name="覆盖工会", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    township = models.ForeignKey("orgs.Union", verbose_name="属地总工会", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    score = models.FloatField("得分", null=True, blank=True)
    rule = models.CharField("规则", max_length=12, blank=True)
    evidence = models.JSONField("比对依据", default=dict, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核对人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("township",)

    class Meta:
        verbose_name = "名单行"
        verbose_name_plural = "名单行"
        ordering = ["source_list", "row"]
        constraints = [models.UniqueConstraint(fields=["source_list", "row"], name="one_row_per_list_row")]
        indexes = [models.Index(fields=["source_list", "match", "row"], name="campaigns_row_match_idx")]

    def __str__(self) -> str:
        return f"第{self.row}行 {self.name}"


class PairDecision(models.Model):
    """A cadre's decision on a review pair (a list's spelling of a firm ↔ a registry enterprise), reused for the
    same pair in later lists."""

    key = models.CharField("名单写法", max_length=240)  # normalised name + code of the list row
    enterprise = models.ForeignKey("orgs.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="+")
    same = models.BooleanField("是同一企业")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核对人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("核对时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("enterprise__territory",)

    class Meta:
        verbose_name = "核对结论"
        verbose_name_plural = "核对结论"
        constraints = [models.UniqueConstraint(fields=["key", "enterprise"], name="one_decision_per_pair")]

    def __str__(self) -> str:
        return f"{self.key} ↔ {self.enterprise_id}：{'是' if self.same else '否'}"


class Stage(models.TextChoices):
    LISTED = "listed", "待筛查"
    REMOVED = "removed", "已剔除"
    SINGLE = "single", "须单独建会"
    JOINT = "joint", "纳入联合工会"
    ROUND2 = "round2", "待第二轮"
    ROUND3 = "round3", "待第三轮"


class TaskStatus(models.TextChoices):
    NONE = "", "未下发"
    TODO = "todo", "未联系"
    CONTACTED = "contacted", "已联系"
    PREPARING = "preparing", "筹备中"
    FOUNDED = "founded", "已建会"
    JOINED = "joined", "已入联合会"
    FAILED = "failed", "无法建会"


class CampaignFirm(models.Model):
    """A firm the campaign follows (uncovered or new on a list): its screening stage and its township task."""

    class Movement(models.TextChoices):
        NONE = "", ""
        NEW = "new", "新增"
        MOVED_IN = "moved_in", "迁入"
        GONE = "gone", "消失"

    campaign = models.ForeignKey(Campaign, verbose_name="行动", on_delete=models.CASCADE, related_name="firms")
    enterprise = models.ForeignKey("orgs.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="+")
    township = models.ForeignKey("orgs.Union", verbose_name="属地总工会", on_delete=models.PROTECT, related_name="+")
    match = models.CharField("分类", max_length=10, choices=Match.choices)
    stage = models.CharField("筛查阶段", max_length=10, choices=Stage.choices, default=Stage.LISTED, db_index=True)
    joint_union = models.ForeignKey("orgs.Union", verbose_name="建议联合工会", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    task_status = models.CharField("任务状态", max_length=10, choices=TaskStatus.choices, default="", blank=True,
                                   db_index=True)
    task_note = models.CharField("任务备注", max_length=200, blank=True)
    due_on = models.DateField("完成期限", null=True, blank=True)
    task_done_on = models.DateField("任务完成日期", null=True, blank=True)
    movement = models.CharField("名单动态", max_length=10, choices=Movement.choices, blank=True, default="")
    first_list = models.ForeignKey(SourceList, verbose_name="首次出现", null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_list = models.ForeignKey(SourceList, verbose_name="最近出现", null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    added_on = models.DateField("纳入日期")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("township",)

    class Meta:
        verbose_name = "行动企业"
        verbose_name_plural = "行动企业"
        ordering = ["campaign", "township", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "enterprise"], name="one_firm_per_campaign")]
        indexes = [models.Index(fields=["campaign", "township", "stage"], name="campaigns_firm_stage_idx")]

    def __str__(self) -> str:
        return str(self.enterprise)

    @property
    def task_kind(self) -> str:
        return {Stage.SINGLE: "单独建会", Stage.JOINT: "加入联合工会"}.get(self.stage, "")  # type: ignore[call-overload]


class ScreeningStep(models.Model):
    """One transition of a firm's screening (三重过滤): round, decision, reason, who and when; undone by a
    later step (the undo is itself recorded)."""

    class Decision(models.TextChoices):
        # round 1
        COVERED_ELSEWHERE = "covered_elsewhere", "已由其他工会覆盖"
        ZOMBIE = "zombie", "僵尸法人（吊销/注销/无参保）"
        SHELL = "shell", "挂靠公司"
        KEEP = "keep", "保留"
        # round 2
        SINGLE = "single", "须单独建会"
        BELOW = "below", "不足标准人数"
        # round 3
        JOINT = "joint", "纳入联合工会"
        UNREACHABLE = "unreachable", "无法联系"
        UNDO = "undo", "撤销上一步"

    firm = models.ForeignKey(CampaignFirm, verbose_name="企业", on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField("轮次")
    decision = models.CharField("结论", max_length=20, choices=Decision.choices)
    reason = models.CharField("理由", max_length=200)
    stage_before = models.CharField("之前阶段", max_length=10, choices=Stage.choices)
    stage_after = models.CharField("之后阶段", max_length=10, choices=Stage.choices)
    union = models.ForeignKey("orgs.Union", verbose_name="关联工会", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    # round 3's phone verification
    called_by = models.CharField("核实人", max_length=30, blank=True)
    called_at = models.DateTimeField("电话时间", null=True, blank=True)
    call_outcome = models.CharField("电话结果", max_length=60, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True,
                              on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    undone = models.BooleanField("已撤销", default=False)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("firm__township",)

    class Meta:
        verbose_name = "筛查记录"
        verbose_name_plural = "筛查记录"
        ordering = ["firm", "pk"]

    def __str__(self) -> str:
        return f"第{self.round}轮 {self.get_decision_display()}"


class Founding(models.Model):
    """建会 as a workflow from a 单独建会 task: 筹备 → 会员大会 → 上级批复 → 成立."""

    class Step(models.TextChoices):
        PREPARING = "preparing", "筹备"
        CONGRESS = "congress", "会员大会"
        APPROVAL = "approval", "上级批复"
        FOUNDED = "founded", "成立"

    firm = models.OneToOneField(CampaignFirm, verbose_name="企业", on_delete=models.CASCADE, related_name="founding")
    step = models.CharField("环节", max_length=10, choices=Step.choices, default=Step.PREPARING)
    union_name = models.CharField("工会名称", max_length=100)
    prep_group = models.CharField("筹备组成员", max_length=200, blank=True)
    congress_on = models.DateField("会员大会日期", null=True, blank=True)
    committees = models.JSONField("选举结果", default=dict, blank=True)  # kind -> [[name, position], ...]
    approval_no = models.CharField("批复文号", max_length=60, blank=True)
    approved_on = models.DateField("批复日期", null=True, blank=True)
    union_code = models.CharField("工会统一社会信用代码", max_length=18, blank=True)
    union = models.ForeignKey("orgs.Union", verbose_name="成立的工会", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    founded_on = models.DateField("成立日期", null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("firm__township",)

    class Meta:
        verbose_name = "建会流程"
        verbose_name_plural = "建会流程"

    def __str__(self) -> str:
        return f"{self.union_name}（{self.get_step_display()}）"


class WelcomeKit(models.Model):
    """入会礼包“五个一” for a new member of a union the campaign founded: a checklist of what they received."""

    ITEMS = (("badge", "一枚会徽"), ("card", "一张会员卡"), ("law", "一本工会法"), ("gift", "一份礼品"),
             ("lesson", "一堂工会课"))

    # a foreign key, not a one-to-one: a reverse one-to-one on Membership would be read by the audit log on every
    # membership write (the join's pinned query count)
    membership = models.ForeignKey("members.Membership", verbose_name="会籍", on_delete=models.CASCADE,
                                   related_name="+")
    badge = models.BooleanField("一枚会徽", default=False)
    card = models.BooleanField("一张会员卡", default=False)
    law = models.BooleanField("一本工会法", default=False)
    gift = models.BooleanField("一份礼品", default=False)
    lesson = models.BooleanField("一堂工会课", default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("membership__union",)

    class Meta:
        verbose_name = "入会礼包"
        verbose_name_plural = "入会礼包"
        constraints = [models.UniqueConstraint(fields=["membership"], name="one_welcome_kit_per_membership")]

    def __str__(self) -> str:
        return f"入会礼包 {self.membership_id}"
