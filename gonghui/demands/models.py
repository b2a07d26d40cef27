"""Worker demands (职工诉求) and their timeline.

A demand belongs to the tree twice and to a unit once (`scope_fields`): by place (`union`, the worker's union or the
node of the enterprise named), by the unit holding it (`unit`, a service point or a partner department off the
tree) and by that unit's node (`unit__node`: a township sees what is routed to its service points). Every change
of status is a `DemandEvent`; the SLA clocks (`sign_due_at`, `due_at`) come from gonghui.core.workdays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gonghui.orgs.scope import ScopedQuerySet


class Category(models.TextChoices):
    LABOUR_DISPUTE = "labour_dispute", "劳动纠纷维权"
    MEDICAL_AID = "medical_aid", "医疗互助"
    COUNSELLING = "counselling", "心理咨询"
    TRAINING = "training", "送教入企"
    CREDIT = "credit", "优惠信贷"
    LEGAL = "legal", "法律咨询"
    HARDSHIP = "hardship", "困难帮扶"
    OTHER = "other", "其他"


class Demand(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待派单/待认领"
        ASSIGNED = "assigned", "已派单，待签收"
        IN_PROGRESS = "in_progress", "办理中"
        PAUSED = "paused", "待补充材料"
        CLOSED = "closed", "已办结，待评价"
        DONE = "done", "已评价，归档"

    class Urgency(models.TextChoices):
        URGENT = "urgent", "紧急（1个工作日）"
        NORMAL = "normal", "一般（5个工作日）"
        SIMPLE = "simple", "简易（10个工作日）"

    class Channel(models.TextChoices):
        PHONE = "phone", "电话"
        VISIT = "visit", "来访"
        WEB = "web", "职工手机端"
        PIONEER = "pioneer", "先锋领队代报"

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        BASIC = "basic", "基本满意"
        UNSATISFIED = "unsatisfied", "不满意"

    number = models.CharField("编号", max_length=20, unique=True)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("诉求内容", max_length=4000)
    contact_name = models.CharField("联系人", max_length=30)
    contact_phone = models.CharField("联系电话", max_length=20)
    urgency = models.CharField("紧急程度", max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    channel = models.CharField("来源渠道", max_length=8, choices=Channel.choices)
    employer_may_know = models.BooleanField("可告知用人单位", default=False)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)

    union = models.ForeignKey("orgs.Union", verbose_name="所在组织", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("orgs.Enterprise", verbose_name="所在企业", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("members.Person", verbose_name="提交职工", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("accounts.Unit", verbose_name="承办单位", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    # Who decides the routing: the township of the place at first; a second 退单 sends it one level up.
    decider = models.ForeignKey("orgs.Union", verbose_name="派单层级", on_delete=models.PROTECT, related_name="+")

    received_at = models.DateTimeField("受理时间")
    sign_due_at = models.DateTimeField("签收时限")
    due_at = models.DateTimeField("办结时限")
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    paused_at = models.DateTimeField("暂停时间", null=True, blank=True)
    paused_seconds = models.PositiveIntegerField("累计暂停工作时长（秒）", default=0)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    working_seconds = models.PositiveIntegerField("办理用时（工作秒）", null=True, blank=True)
    result = models.TextField("办理结果", blank=True)
    returns = models.PositiveSmallIntegerField("退单次数", default=0)
    reopens = models.PositiveSmallIntegerField("重办次数", default=0)
    escalated_at = models.DateTimeField("超时上报时间", null=True, blank=True)
    warned_at = models.DateTimeField("临期提醒时间", null=True, blank=True)

    rating = models.CharField("职工评价", max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField("评价意见", max_length=500, blank=True)
    callback_sampled = models.BooleanField("抽中回访", default=False)
    callback_at = models.DateTimeField("回访时间", null=True, blank=True)
    callback_reached = models.BooleanField("回访接通", null=True, blank=True)
    callback_rating = models.CharField("回访评价", max_length=12, choices=Rating.choices, blank=True)
    callback_note = models.CharField("回访记录", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union", "unit", "unit__node")

    class Meta:
        verbose_name = "职工诉求"
        verbose_name_plural = "职工诉求"
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="demand_status_due_idx"),
            models.Index(fields=["unit", "status", "due_at"], name="demand_unit_status_idx"),
            models.Index(fields=["union", "received_at"], name="demand_union_received_idx"),
            models.Index(fields=["received_at"], name="demand_received_idx"),
            # covers every dashboard aggregate (a year by status, category, rating, working time, place, unit):
            # index-only scans instead of reading 50k wide rows (bench/bench_demands.py: 1.3 s → see DESIGN-NOTES)
            models.Index(fields=["received_at", "status", "category", "rating", "working_seconds", "union", "unit",
                                 "due_at"], name="demand_dashboard_idx"),
            models.Index(fields=["received_at"], name="demand_callback_idx",
                         condition=models.Q(callback_sampled=True, callback_at__isnull=True, closed_at__isnull=False)),
            models.Index(fields=["working_seconds", "received_at"], name="demand_working_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    OPEN = (Status.PENDING, Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED)


class DemandEvent(models.Model):
    """One entry of a demand's timeline: who (actor, and the unit they acted for), when, what, why."""

    class Kind(models.TextChoices):
        FILED = "filed", "受理"
        ASSIGNED = "assigned", "派单"
        SIGNED = "signed", "签收"
        CLAIMED = "claimed", "认领"
        TRANSFERRED = "transferred", "转交"
        RETURNED = "returned", "退单"
        PAUSED = "paused", "暂停（待补充材料）"
        RESUMED = "resumed", "恢复办理"
        CLOSED = "closed", "办结"
        RATED = "rated", "职工评价"
        REOPENED = "reopened", "不满意重办"
        CALLBACK = "callback", "回访"
        SAMPLED = "sampled", "抽中回访"
        WARNED = "warned", "临期提醒"
        ESCALATED = "escalated", "超时上报"

    demand = models.ForeignKey(Demand, verbose_name="诉求", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=12, choices=Kind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField("操作人", max_length=50, blank=True)  # the worker, or 系统
    unit = models.ForeignKey("accounts.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    reason = models.CharField("说明", max_length=1000, blank=True)

    class Meta:
        verbose_name = "诉求办理记录"
        verbose_name_plural = "诉求办理记录"
        ordering = ["at", "pk"]


class DemandPhoto(models.Model):
    """A photo filed with a demand, kept in the private store (never under MEDIA_URL)."""

    demand = models.ForeignKey(Demand, verbose_name="诉求", on_delete=models.CASCADE, related_name="photos")
    path = models.CharField("存储路径", max_length=300)
    content_type = models.CharField("类型", max_length=20)
    size = models.PositiveIntegerField("大小")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("demand__union", "demand__unit", "demand__unit__node")

    class Meta:
        verbose_name = "诉求照片"
        verbose_name_plural = "诉求照片"


# ---------------------------------------------------------------- service menu, orders and circuit visits


class ServiceItem(models.Model):
    """一项服务 of the menu (需求菜单): what a unit (a service point or a partner department) provides on order.

    Not scoped by `scope_fields`: the menu is reference data; who may order what is the providing unit's reach
    (selectors.service_catalogue, services.service_order_file)."""

    name = models.CharField("服务名称", max_length=60)
    description = models.CharField("服务内容", max_length=500, blank=True)
    unit = models.ForeignKey("accounts.Unit", verbose_name="提供单位", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField("可预约", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "服务项目"
        verbose_name_plural = "服务项目"
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="service_item_unit_name_uniq")]

    def __str__(self) -> str:
        return self.name


class ServiceOrder(models.Model):
    """一份服务订单: an enterprise or its union orders a service of the menu; the providing unit accepts, schedules
    and completes it. Scoped like a demand: by place (`union`), by the providing unit and by that unit's node."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待受理"
        ACCEPTED = "accepted", "已受理"
        SCHEDULED = "scheduled", "已排期"
        DONE = "done", "已完成"
        DECLINED = "declined", "不予受理"

    number = models.CharField("订单编号", max_length=20, unique=True)
    service = models.ForeignKey(ServiceItem, verbose_name="服务项目", on_delete=models.PROTECT, related_name="orders")
    unit = models.ForeignKey("accounts.Unit", verbose_name="提供单位", on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey("orgs.Union", verbose_name="下单工会", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("orgs.Enterprise", verbose_name="下单企业", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    wanted_on = models.DateField("期望日期", null=True, blank=True)
    note = models.CharField("需求说明", max_length=1000, blank=True)
    contact_name = models.CharField("联系人", max_length=30)
    contact_phone = models.CharField("联系电话", max_length=20)
    scheduled_on = models.DateField("排定日期", null=True, blank=True)
    team = models.ForeignKey("ServiceTeam", verbose_name="巡回服务队", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    result = models.CharField("服务结果", max_length=1000, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="下单人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("下单时间")
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union", "unit", "unit__node")

    class Meta:
        verbose_name = "服务订单"
        verbose_name_plural = "服务订单"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="service_order_status_idx"),
                   models.Index(fields=["unit", "status"], name="service_order_unit_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.service.name}"


class ServiceOrderEvent(models.Model):
    """One entry of an order's status history."""

    class Kind(models.TextChoices):
        FILED = "filed", "下单"
        ACCEPTED = "accepted", "受理"
        SCHEDULED = "scheduled", "排期"
        DONE = "done", "完成"
        DECLINED = "declined", "不予受理"

    order = models.ForeignKey(ServiceOrder, verbose_name="订单", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=12, choices=Kind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField("操作人", max_length=50, blank=True)
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12, blank=True)
    reason = models.CharField("说明", max_length=1000, blank=True)

    class Meta:
        verbose_name = "服务订单记录"
        verbose_name_plural = "服务订单记录"
        ordering = ["at", "pk"]


class ServiceTeam(models.Model):
    """一支巡回服务队 of a township or the district: its members and the services it brings on its visits."""

    class Level(models.TextChoices):
        DISTRICT = "district", "区级"
        TOWNSHIP = "township", "镇街级"
        COMMUNITY = "community", "社区/行业级"

    name = models.CharField("服务队名称", max_length=60, unique=True)
    node = models.ForeignKey("orgs.Union", verbose_name="所属工会", on_delete=models.PROTECT, related_name="+")
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    leader = models.CharField("队长", max_length=30, blank=True)
    members = models.JSONField("队员", default=list, blank=True)
    services = models.ManyToManyField(ServiceItem, verbose_name="服务项目", blank=True, related_name="teams")
    active = models.BooleanField("在役", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("node",)

    class Meta:
        verbose_name = "巡回服务队"
        verbose_name_plural = "巡回服务队"
        ordering = ["node__path", "name"]

    def __str__(self) -> str:
        return self.name


class CircuitVisit(models.Model):
    """一次巡回服务: a team's visit to an enterprise or a place, planned then recorded (held) with the services
    delivered, the attendance, up to 3 photos and the feedback. Scoped by the place and by the team's node."""

    class Status(models.TextChoices):
        PLANNED = "planned", "已排期"
        HELD = "held", "已开展"

    team = models.ForeignKey(ServiceTeam, verbose_name="巡回服务队", on_delete=models.PROTECT, related_name="visits")
    union = models.ForeignKey("orgs.Union", verbose_name="服务工会", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("orgs.Enterprise", verbose_name="服务企业", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    place = models.CharField("服务地点", max_length=100, blank=True)
    visit_date = models.DateField("服务日期")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.PLANNED)
    services = models.ManyToManyField(ServiceItem, verbose_name="服务内容", blank=True, related_name="visits")
    attendance = models.PositiveIntegerField("参与人数", null=True, blank=True)
    feedback = models.CharField("服务反馈", max_length=1000, blank=True)
    order = models.ForeignKey(ServiceOrder, verbose_name="服务订单", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="visits")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("union", "team__node")

    class Meta:
        verbose_name = "巡回服务"
        verbose_name_plural = "巡回服务"
        ordering = ["-visit_date", "-pk"]
        indexes = [models.Index(fields=["visit_date", "status"], name="visit_date_status_idx"),
                   models.Index(fields=["team", "visit_date"], name="visit_team_date_idx")]

    def __str__(self) -> str:
        return f"{self.team.name} {self.visit_date:%Y-%m-%d}"


class VisitPhoto(models.Model):
    """A photo of a visit, in the private store (gonghui/demands/photos.py), served by the scoped view only."""

    visit = models.ForeignKey(CircuitVisit, verbose_name="巡回服务", on_delete=models.CASCADE, related_name="photos")
    path = models.CharField("存储路径", max_length=300)
    content_type = models.CharField("类型", max_length=20)
    size = models.PositiveIntegerField("大小")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("visit__union", "visit__team__node")

    class Meta:
        verbose_name = "巡回服务照片"
        verbose_name_plural = "巡回服务照片"
