from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from gonghui.orgs.scope import ScopedQuerySet


class Occupation(models.TextChoices):
    TRUCK_DRIVER = "货车司机", "货车司机"
    COURIER = "快递员", "快递员"
    CARER = "护工护理员", "护工护理员"
    HOUSEKEEPER = "家政服务员", "家政服务员"
    MALL_INFO = "商场信息员", "商场信息员"
    RIDER = "网约送餐员", "网约送餐员"
    ESTATE_AGENT = "房产中介员", "房产中介员"
    SECURITY = "保安员", "保安员"
    OTHER_NEW_FORM = "其他新就业形态", "其他新就业形态"
    OTHER = "其他", "其他"


EIGHT_GROUPS = tuple(Occupation.values[:8])


class Political(models.TextChoices):
    PARTY = "中共党员", "中共党员"
    PROBATIONARY = "预备党员", "预备党员"
    LEAGUE = "共青团员", "共青团员"
    MASSES = "群众", "群众"


class Education(models.TextChoices):
    PRIMARY = "小学", "小学及以下"
    JUNIOR = "初中", "初中"
    SENIOR = "高中", "高中/中专/技校"
    COLLEGE = "大专", "大专"
    BACHELOR = "本科", "本科"
    POSTGRAD = "研究生", "研究生"


class Person(models.Model):
    """A worker held by real name. The ID number is stored encrypted (`id_cipher`) with a blind index
    (`id_index`) for look-up and uniqueness; only the masked form is ever shown without permission."""

    name = models.CharField("姓名", max_length=30, db_index=True)
    id_cipher = models.TextField("身份证号码（密文）")
    id_index = models.CharField("身份证号码索引", max_length=64, unique=True)
    id_masked = models.CharField("身份证号码", max_length=18)
    birth_date = models.DateField("出生日期")
    sex = models.CharField("性别", max_length=1, choices=[("男", "男"), ("女", "女")])
    phone = models.CharField("手机", max_length=11, blank=True, db_index=True)
    employer = models.ForeignKey(
        "orgs.Enterprise", verbose_name="工作单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    employer_name = models.CharField("工作单位名称", max_length=120, blank=True)
    occupation = models.CharField("职业群体", max_length=10, choices=Occupation.choices, default=Occupation.OTHER)
    political = models.CharField("政治面貌", max_length=6, choices=Political.choices, default=Political.MASSES)
    education = models.CharField("学历", max_length=6, choices=Education.choices, blank=True)
    member_no = models.CharField("会员卡号", max_length=20, unique=True, null=True, blank=True)
    # Denormalised from the open membership, kept by members.services only: scope is one indexed column.
    current_union = models.ForeignKey(
        "orgs.Union", verbose_name="所在工会", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    # Cadres see their members and, after a person left, was expelled, rejected or moved away, the people who
    # once belonged to their unions (the history is theirs too). Lists of members use via=("current_union",).
    scope_fields = ("current_union", "memberships__union")

    class Meta:
        verbose_name = "会员"
        verbose_name_plural = "会员"
        indexes = [
            models.Index(fields=["current_union", "name"]),
            models.Index(fields=["employer", "current_union"], name="person_employer_union_idx"),
        ]
        permissions = [
            ("reveal_id", "查看完整身份证号码（须填写原因，记入审计日志）"),
            ("export_unmasked", "导出不打码的身份证号码（记入审计日志）"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_masked}）"


class Membership(models.Model):
    """A person's membership of one union, from joining to leaving. One open membership per person."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        ACTIVE = "active", "在会"
        RETAINED = "retained", "保留会籍"
        TRANSFERRED = "transferred", "已转出"
        LEFT = "left", "已退会"
        EXPELLED = "expelled", "已除名"
        REJECTED = "rejected", "未通过"

    OPEN = (Status.PENDING, Status.ACTIVE, Status.RETAINED)

    class Source(models.TextChoices):
        SCAN = "scan", "扫码入会"
        IMPORT = "import", "名册导入"
        MANUAL = "manual", "手工登记"
        TRANSFER = "transfer", "转会"

    person = models.ForeignKey(Person, verbose_name="会员", on_delete=models.CASCADE, related_name="memberships")
    union = models.ForeignKey("orgs.Union", verbose_name="工会", on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    joined_on = models.DateField("入会日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.MANUAL)
    recruiter = models.ForeignKey(
        "members.Recruiter", verbose_name="推荐人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "会籍"
        verbose_name_plural = "会籍"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["pending", "active", "retained"]),
                name="one_open_membership_per_person",
            )
        ]
        indexes = [models.Index(fields=["union", "status"])]

    def __str__(self) -> str:
        return f"{self.person.name} @ {self.union}"


class MembershipEvent(models.Model):
    """The history of a person's memberships: 入会 / 转入 / 转出 / 保留会籍 / 退会 / 除名 …, each with date,
    reason and actor. Written by members.services only, never edited."""

    class Kind(models.TextChoices):
        JOIN = "join", "入会"
        APPLY = "apply", "申请入会"
        APPROVE = "approve", "审核通过"
        REJECT = "reject", "审核未通过"
        TRANSFER_IN = "transfer_in", "转入"
        TRANSFER_OUT = "transfer_out", "转出"
        RETAIN = "retain", "保留会籍"
        RESTORE = "restore", "恢复会籍"
        LEAVE = "leave", "退会"
        EXPEL = "expel", "除名"

    person = models.ForeignKey(Person, verbose_name="会员", on_delete=models.CASCADE, related_name="events")
    membership = models.ForeignKey(Membership, verbose_name="会籍", on_delete=models.CASCADE, related_name="events")
    union = models.ForeignKey("orgs.Union", verbose_name="工会", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("变动", max_length=12, choices=Kind.choices)
    on = models.DateField("日期")
    reason = models.CharField("原因", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "会籍变动"
        verbose_name_plural = "会籍变动"
        ordering = ["created_at", "pk"]


class TransferRequest(models.Model):
    """转会: the destination union asks; the origin approves (or rejects) within 7 days, else it completes."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已同意"
        AUTO = "auto", "逾期自动完成"
        REJECTED = "rejected", "已拒绝"
        CANCELLED = "cancelled", "已撤回"

    person = models.ForeignKey(Person, verbose_name="会员", on_delete=models.CASCADE, related_name="transfers")
    from_membership = models.ForeignKey(
        Membership, verbose_name="原会籍", on_delete=models.CASCADE, related_name="transfers_out"
    )
    from_union = models.ForeignKey("orgs.Union", verbose_name="转出工会", on_delete=models.PROTECT, related_name="+")
    to_union = models.ForeignKey("orgs.Union", verbose_name="转入工会", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField("原因", max_length=200, blank=True)
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    due_at = models.DateTimeField("逾期自动完成时间")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recruiter = models.ForeignKey(
        "members.Recruiter", verbose_name="推荐人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("from_union", "to_union")

    class Meta:
        verbose_name = "转会申请"
        verbose_name_plural = "转会申请"
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="pending"), name="one_pending_transfer_per_person"
            )
        ]


class JoinSettings(models.Model):
    """How a union takes members by QR code."""

    union = models.OneToOneField("orgs.Union", verbose_name="工会", on_delete=models.CASCADE, related_name="join_settings")
    requires_approval = models.BooleanField("入会需主席审核", default=False)
    open = models.BooleanField("开放扫码入会", default=True)
    # 活动模式: until this moment the per-network limit on distinct ID numbers is the event's (thousands behind
    # one carrier-NAT address), not the everyday one. Opened by the chair for a bounded period; null = off.
    event_until = models.DateTimeField("活动模式截止时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "入会设置"
        verbose_name_plural = "入会设置"

    def event_open(self, now: Any = None) -> bool:
        from django.utils import timezone

        return self.event_until is not None and self.event_until > (now or timezone.now())


class Recruiter(models.Model):
    """A person who brings in members with their own QR (?ref=CODE); the funnel counts per recruiter."""

    union = models.ForeignKey("orgs.Union", verbose_name="工会", on_delete=models.CASCADE, related_name="recruiters")
    code = models.CharField("推荐码", max_length=16, unique=True)
    name = models.CharField("姓名", max_length=30)
    phone = models.CharField("手机", max_length=11, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "推荐人"
        verbose_name_plural = "推荐人"

    def __str__(self) -> str:
        return self.name


class FunnelEvent(models.Model):
    """One step of the join funnel: scanned → submitted → member (per union, per recruiter)."""

    class Stage(models.TextChoices):
        SCAN = "scan", "扫码"
        SUBMIT = "submit", "提交"
        MEMBER = "member", "入会"

    union = models.ForeignKey("orgs.Union", on_delete=models.CASCADE, related_name="+")
    recruiter = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stage = models.CharField(max_length=6, choices=Stage.choices)
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        indexes = [models.Index(fields=["union", "stage"]), models.Index(fields=["recruiter", "stage"])]


class RateCounter(models.Model):
    """One rate-limit counter (members.ratelimits): hits since the window opened, and when it closes. Written by
    one atomic upsert per request, so parallel requests can never lose a hit (the database cache's incr is a
    read-then-write). Used when the shared cache is not Redis."""

    bucket = models.CharField(max_length=64, primary_key=True)
    expires = models.BigIntegerField()  # epoch seconds; a hit after this restarts the window
    hits = models.IntegerField(default=0)

    class Meta:
        verbose_name = "限流计数"
        verbose_name_plural = "限流计数"
        indexes = [models.Index(fields=["expires"], name="ratecounter_expires_idx")]


class IdentityClaim(models.Model):
    """身份核实申请: a worker scanning a union's QR code whose ID number is already registered, but who cannot
    receive the code at the registered mobile (the number is stopped, changed), asks the union's chair to verify
    them in person instead. Filed from the verify step with the mobile they use now; the same answer whether or
    not the name they gave is the one on file (`person` is set only when it is), so the request is no oracle.
    A cadre who may approve in the union (and in the person's current union) approves it after checking the ID
    card: the registered mobile becomes the new one and the worker completes the join with a code sent there."""

    class Status(models.TextChoices):
        PENDING = "pending", "待核实"
        APPROVED = "approved", "已核实"
        REJECTED = "rejected", "未通过"

    union = models.ForeignKey("orgs.Union", verbose_name="申请加入的工会", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, verbose_name="登记的会员", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="identity_claims")
    id_index = models.CharField("身份证号码索引", max_length=64, db_index=True)
    name = models.CharField("填写的姓名", max_length=30)
    phone = models.CharField("现用手机", max_length=11)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("核实时间", null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", verbose_name="核实人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField("意见", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union",)

    class Meta:
        verbose_name = "身份核实申请"
        verbose_name_plural = "身份核实申请"
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=["union", "id_index"], condition=models.Q(status="pending"),
                                    name="one_pending_identity_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.name}的身份核实申请（{self.union.name}）"
