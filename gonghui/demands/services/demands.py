"""Every write to a demand: intake, routing (派单 / 签收 / 认领 / 转交 / 退单), pause and resume, close, the worker's
rating, callback sampling and calls, and the clock's warnings and escalations.

Each function is one transaction, checks scope first (`require(actor, handle, demand)`: a reader gets a 403),
then the step: a step the status — or the unit holding the demand — does not allow raises `WrongState` (a 409
with a zh-hans detail); bad input raises ValidationError (422). Each change writes a DemandEvent (the timeline)
and an audit entry (django-auditlog, actor set).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action, action_paths, action_units
from gonghui.core import workdays
from gonghui.core.errors import WrongState
from gonghui.members.models import Person
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import path_in_scope, require

from .. import revision
from ..models import Category, Demand, DemandEvent, DemandPhoto

S = Demand.Status
CALLBACK_SHARE = 0.10  # at least this share of closed demands is called back
WARN_BEFORE = dt.timedelta(hours=4)  # working time before due_at when the unit is warned


# ---------------------------------------------------------------- who acts for which unit


def acts_for(actor: Any, unit: Unit) -> bool:
    """Whether `actor` works for `unit`: a role held on the unit itself (a partner department), or one held on a
    node whose subtree holds the service point's node (its cadres). Superusers act for every unit."""
    if getattr(actor, "is_superuser", False):
        return True
    if unit.pk in (action_units(actor, Action.HANDLE) or []):
        return True
    return unit.node_id is not None and path_in_scope(actor, unit.node.path, Action.HANDLE)  # type: ignore[union-attr]


def own_unit(actor: Any) -> Unit | None:
    """The unit `actor` claims or signs with when none is named: the unit of a role held on a unit, else the
    service point attached to the (highest) node of their assignments that grant handling."""
    units = action_units(actor, Action.HANDLE) or []
    if units:
        return Unit.objects.filter(pk__in=units, active=True).order_by("pk").first()
    paths = action_paths(actor, Action.HANDLE)
    if paths is None:  # superuser: the district's service point
        return Unit.objects.filter(active=True, level=Unit.Level.DISTRICT).order_by("pk").first()
    points = Unit.objects.filter(active=True, node__path__in=paths).select_related("node")
    return min(points, key=lambda u: (len(u.node.path), u.pk), default=None)  # type: ignore[union-attr]


def suggest_unit(*, category: str, union: Union) -> Unit | None:
    """The unit the platform proposes: the nearest service point up the place's line whose 职责清单 holds the
    category (territory first), else a partner department that takes it."""
    line = [union.path[:i] for i in range(len(union.path), 0, -Union.steplen)]
    candidates = [u for u in Unit.objects.filter(active=True).select_related("node") if category in (u.categories or [])]
    points = [u for u in candidates if u.node is not None and u.node.path in line]
    if points:
        return max(points, key=lambda u: len(u.node.path))  # type: ignore[union-attr]
    departments = [u for u in candidates if u.node is None]
    return departments[0] if departments else None


def _decider_of(union: Union) -> Union:
    """Who routes a demand at first: the township (depth 2) above the place, or the place itself at the top."""
    if union.depth <= 2:
        return union
    return Union.objects.get(path=union.path[: 2 * Union.steplen])


# ---------------------------------------------------------------- intake


@dataclass(frozen=True)
class Intake:
    category: str
    title: str
    description: str
    contact_name: str
    contact_phone: str
    urgency: str = Demand.Urgency.NORMAL
    channel: str = Demand.Channel.WEB
    received_at: dt.datetime | None = None
    enterprise: Enterprise | None = None
    union: Union | None = None
    employer_may_know: bool = False


def _clean(intake: Intake, now: dt.datetime) -> None:
    if intake.category not in Category.values:
        raise ValidationError(f"未知的诉求类别：{intake.category}")
    if intake.urgency not in Demand.Urgency.values:
        raise ValidationError(f"紧急程度应为 urgent、normal 或 simple：{intake.urgency}")
    if intake.channel not in Demand.Channel.values:
        raise ValidationError(f"来源渠道应为 phone、visit、web 或 pioneer：{intake.channel}")
    for label, value, limit in (("标题", intake.title, 100), ("诉求内容", intake.description, 4000),
                                ("联系人", intake.contact_name, 30), ("联系电话", intake.contact_phone, 20)):
        if not value.strip():
            raise ValidationError(f"请填写{label}")
        if len(value) > limit:
            raise ValidationError(f"{label}最多 {limit} 个字")
    if intake.received_at is not None:
        if timezone.is_naive(intake.received_at):
            raise ValidationError("受理时间须带时区（ISO 8601，如 2026-03-02T10:00:00+08:00）")
        if intake.received_at > now + dt.timedelta(minutes=5):
            raise ValidationError("受理时间不能晚于现在")


def _place(intake: Intake) -> Union:
    if intake.union is not None:
        return intake.union
    if intake.enterprise is not None:
        node = intake.enterprise.covering_union or intake.enterprise.territory
        if node is not None:
            return node
    raise ValidationError("请指定诉求所在的工会或企业")


def _new_number() -> str:
    return "T" + secrets.token_hex(8)  # replaced by SQ<year><pk> once the row has its id


def _create(intake: Intake, *, place: Union, person: Person | None, filed_by: Any, actor_name: str,
            cal: workdays.Calendar | None = None, now: dt.datetime | None = None) -> Demand:
    now = now or timezone.now()
    received = intake.received_at or now
    clocks = workdays.sla_clocks(received, intake.urgency, cal=cal)
    demand = Demand.objects.create(
        number=_new_number(), category=intake.category, title=intake.title.strip(),
        description=intake.description.strip(), contact_name=intake.contact_name.strip(),
        contact_phone=intake.contact_phone.strip(), urgency=intake.urgency, channel=intake.channel,
        employer_may_know=intake.employer_may_know, union=place, enterprise=intake.enterprise, person=person,
        filed_by=filed_by, decider=_decider_of(place), received_at=received, sign_due_at=clocks.sign_due_at,
        due_at=clocks.due_at,
    )
    demand.number = f"SQ{timezone.localtime(received).year}{demand.pk:07d}"
    demand.save(update_fields=["number"])
    _event(demand, DemandEvent.Kind.FILED, actor=filed_by, actor_name=actor_name, to_status=S.PENDING,
           reason=Demand.Channel(intake.channel).label, at=received)
    return demand


def demand_file(*, actor: Any, intake: Intake, photos: list[bytes] | None = None) -> Demand:
    """A cadre logs a call or visit (possibly one received earlier: `received_at`), or a 先锋领队 files for
    colleagues. The place must be in the actor's handling scope. Atomic, audited."""
    now = timezone.now()
    _clean(intake, now)
    place = _place(intake)
    require(actor, Action.HANDLE)
    if not path_in_scope(actor, place.path, Action.HANDLE):
        raise ValidationError("诉求所在的工会或企业不在您的办理范围内")
    checked = check_photos(photos or [])
    with transaction.atomic(), set_actor(actor):
        demand = _create(intake, place=place, person=None, filed_by=actor, actor_name="", now=now)
        _store_photos(demand, checked)
    return demand


def demand_file_by_worker(*, person: Person, intake: Intake, photos: list[bytes] | None = None) -> Demand:
    """A worker files on the phone (signed in by SMS code: `person`). The place is their current union. Atomic."""
    now = timezone.now()
    intake = Intake(**{**intake.__dict__, "channel": Demand.Channel.WEB, "received_at": None, "union": None,
                       "enterprise": None})
    _clean(intake, now)
    if person.current_union_id is None:
        raise ValidationError("您目前没有所在工会，请先入会或联系工会")
    checked = check_photos(photos or [])
    with transaction.atomic():
        demand = _create(intake, place=person.current_union, person=person, filed_by=None,  # type: ignore[arg-type]
                         actor_name=person.name, now=now)
        _store_photos(demand, checked)
    return demand


# ---------------------------------------------------------------- photos

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes — JPEG, PNG or WebP — whatever its name says."""
    for magic, ctype, ext in _SIGNATURES:
        if data.startswith(magic):
            return ctype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def check_photos(photos: list[bytes]) -> list[tuple[bytes, str, str]]:
    """At most 3 photos of at most 5 MB each, each really a JPEG, PNG or WebP (by content, not by name)."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(f"最多上传 {MAX_PHOTOS} 张照片")
    checked = []
    for i, data in enumerate(photos, start=1):
        if len(data) > MAX_PHOTO_BYTES:
            raise ValidationError(f"第 {i} 张照片超过 5 MB，请压缩后再传")
        kind = sniff_image(data)
        if kind is None or len(data) < 32:
            raise ValidationError(f"第 {i} 张不是照片（只接受 JPG、PNG、WebP 图片）")
        checked.append((data, kind[0], kind[1]))
    return checked


def _store_photos(demand: Demand, checked: list[tuple[bytes, str, str]]) -> None:
    from gonghui.core.importing import write_private

    from ..photos import photo_root

    for data, ctype, ext in checked:
        name = f"{demand.pk}-{secrets.token_hex(8)}.{ext}"
        write_private(photo_root() / name, data)
        DemandPhoto.objects.create(demand=demand, path=name, content_type=ctype, size=len(data))


# ---------------------------------------------------------------- the timeline


def _event(demand: Demand, kind: str, *, actor: Any = None, unit: Unit | None = None, actor_name: str = "",
           from_status: str = "", to_status: str = "", reason: str = "", at: dt.datetime | None = None) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    revision.bump()  # every change of a demand writes an event: the dashboard's cached figures are dropped
    DemandEvent.objects.create(
        demand=demand, kind=kind, at=at or timezone.now(), actor=user,
        actor_name=actor_name or (str(user) if user is not None else "系统"), unit=unit,
        from_status=from_status, to_status=to_status, reason=reason[:1000],
    )


def _locked(demand: Demand) -> Demand:
    return Demand.objects.select_for_update(of=("self",)).select_related("unit", "unit__node", "union", "decider").get(
        pk=demand.pk)


def _wrong(demand: Demand, step: str) -> WrongState:
    return WrongState(f"诉求{demand.number}当前状态为“{demand.get_status_display()}”，不能{step}")


def _reason(reason: str, step: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"{step}须填写原因")
    if len(reason) > 1000:
        raise ValidationError("原因最多 1000 个字")
    return reason


def _holder(actor: Any, demand: Demand, step: str) -> Unit:
    """The unit holding `demand`, which `actor` must act for."""
    if demand.unit is None or not acts_for(actor, demand.unit):
        holder = demand.unit.name if demand.unit is not None else "尚无承办单位"
        raise WrongState(f"诉求{demand.number}由{holder}承办，您不能{step}")
    return demand.unit


def _dispatcher(actor: Any, demand: Demand, step: str) -> None:
    if not path_in_scope(actor, demand.decider.path, Action.HANDLE):
        raise WrongState(f"诉求{demand.number}由{demand.decider.name}派单，您不能{step}")


def _unit_to(unit: Unit | None, demand: Demand) -> Unit:
    if unit is None:
        raise ValidationError("请选择承办单位")
    if not unit.active:
        raise ValidationError("承办单位已停用")
    if unit.pk == demand.unit_id:
        raise ValidationError(f"诉求已在{unit.name}")
    return unit


# ---------------------------------------------------------------- routing


def demand_assign(*, actor: Any, demand: Demand, unit: Unit | None) -> Demand:
    """派单: the dispatcher (the demand's deciding level or above) sends a pending demand to a unit, which must
    签收. Atomic; 409 unless pending."""
    require(actor, Action.HANDLE, demand)
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status != S.PENDING:
            raise _wrong(demand, "派单")
        _dispatcher(actor, demand, "派单")
        target = _unit_to(unit, demand)
        demand.status, demand.unit = S.ASSIGNED, target
        demand.save(update_fields=["status", "unit"])
        _event(demand, DemandEvent.Kind.ASSIGNED, actor=actor, unit=target, from_status=S.PENDING,
               to_status=S.ASSIGNED, reason=f"派至{target.name}")
    return demand


def demand_sign(*, actor: Any, demand: Demand) -> Demand:
    """签收 by the unit it was sent to: in_progress. Repeating it once signed is a no-op (200)."""
    require(actor, Action.HANDLE, demand)
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status == S.IN_PROGRESS and demand.unit is not None and acts_for(actor, demand.unit):
            return demand
        if demand.status != S.ASSIGNED:
            raise _wrong(demand, "签收")
        unit = _holder(actor, demand, "签收")
        demand.status, demand.signed_at = S.IN_PROGRESS, timezone.now()
        demand.save(update_fields=["status", "signed_at"])
        _event(demand, DemandEvent.Kind.SIGNED, actor=actor, unit=unit, from_status=S.ASSIGNED,
               to_status=S.IN_PROGRESS)
    return demand


def demand_claim(*, actor: Any, demand: Demand, unit: Unit | None = None) -> Demand:
    """认领: the first unit to claim a pending demand holds it, signed (in_progress). Race-free: one conditional
    UPDATE … WHERE status = 'pending' decides, so of any number of concurrent claims exactly one wins. A repeat
    by the winning unit answers the demand as it is; any other unit gets WrongState (409)."""
    require(actor, Action.HANDLE, demand)
    unit = unit or own_unit(actor)
    if unit is None or not acts_for(actor, unit):
        raise ValidationError("您没有可代表认领的办理单位")
    now = timezone.now()
    with transaction.atomic(), set_actor(actor):
        won = Demand.objects.filter(pk=demand.pk, status=S.PENDING).update(
            status=S.IN_PROGRESS, unit=unit, signed_at=now)
        demand = Demand.objects.select_related("unit", "union", "decider").get(pk=demand.pk)
        if won:
            _event(demand, DemandEvent.Kind.CLAIMED, actor=actor, unit=unit, from_status=S.PENDING,
                   to_status=S.IN_PROGRESS, at=now)
            return demand
    if demand.unit_id == unit.pk and demand.status in (S.IN_PROGRESS, S.ASSIGNED):
        return demand_sign(actor=actor, demand=demand) if demand.status == S.ASSIGNED else demand
    holder = demand.unit.name if demand.unit is not None else ""
    raise WrongState(f"诉求{demand.number}已由{holder}认领" if holder and demand.status in Demand.OPEN
                     else str(_wrong(demand, "认领")))


def demand_transfer(*, actor: Any, demand: Demand, unit: Unit | None, reason: str) -> Demand:
    """转交: the holding unit hands the demand to another unit with a reason; that unit must 签收 (assigned)."""
    require(actor, Action.HANDLE, demand)
    reason = _reason(reason, "转交")
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status not in (S.ASSIGNED, S.IN_PROGRESS):
            raise _wrong(demand, "转交")
        holder = _holder(actor, demand, "转交")
        target = _unit_to(unit, demand)
        before = demand.status
        demand.status, demand.unit, demand.signed_at = S.ASSIGNED, target, None
        demand.save(update_fields=["status", "unit", "signed_at"])
        _event(demand, DemandEvent.Kind.TRANSFERRED, actor=actor, unit=holder, from_status=before,
               to_status=S.ASSIGNED, reason=f"转交{target.name}：{reason}")
    return demand


def demand_return(*, actor: Any, demand: Demand, reason: str) -> Demand:
    """退单: the holding unit gives the demand back to the dispatcher (pending, no unit). The second 退单 of the
    same demand sends the decision one level up (the decider's parent)."""
    require(actor, Action.HANDLE, demand)
    reason = _reason(reason, "退单")
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status not in (S.ASSIGNED, S.IN_PROGRESS):
            raise _wrong(demand, "退单")
        holder = _holder(actor, demand, "退单")
        before = demand.status
        demand.returns += 1
        note = reason
        if demand.returns >= 2 and demand.decider.depth > 1:
            demand.decider = demand.decider.get_parent()
            note = f"{reason}（第 {demand.returns} 次退单，交{demand.decider.name}决定）"
        demand.status, demand.unit, demand.signed_at = S.PENDING, None, None
        demand.save(update_fields=["status", "unit", "signed_at", "returns", "decider"])
        _event(demand, DemandEvent.Kind.RETURNED, actor=actor, unit=holder, from_status=before,
               to_status=S.PENDING, reason=note)
    return demand


# ---------------------------------------------------------------- working it


def demand_pause(*, actor: Any, demand: Demand, reason: str) -> Demand:
    """暂停（待补充材料）: the clocks stop until resumed."""
    require(actor, Action.HANDLE, demand)
    reason = _reason(reason, "暂停")
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status != S.IN_PROGRESS:
            raise _wrong(demand, "暂停")
        unit = _holder(actor, demand, "暂停")
        demand.status, demand.paused_at = S.PAUSED, timezone.now()
        demand.save(update_fields=["status", "paused_at"])
        _event(demand, DemandEvent.Kind.PAUSED, actor=actor, unit=unit, from_status=S.IN_PROGRESS,
               to_status=S.PAUSED, reason=reason)
    return demand


def demand_resume(*, actor: Any, demand: Demand, now: dt.datetime | None = None) -> Demand:
    """恢复办理: both clocks move forward by the working time spent paused."""
    require(actor, Action.HANDLE, demand)
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status != S.PAUSED or demand.paused_at is None:
            raise _wrong(demand, "恢复办理")
        unit = _holder(actor, demand, "恢复办理")
        cal = workdays.load()
        spent = cal.working_time_between(demand.paused_at, now)
        demand.sign_due_at = cal.add_working_time(demand.sign_due_at, spent)
        demand.due_at = cal.add_working_time(demand.due_at, spent)
        demand.paused_seconds += int(spent.total_seconds())
        demand.status, demand.paused_at = S.IN_PROGRESS, None
        demand.save(update_fields=["status", "paused_at", "sign_due_at", "due_at", "paused_seconds"])
        hours = spent.total_seconds() / 3600
        _event(demand, DemandEvent.Kind.RESUMED, actor=actor, unit=unit, from_status=S.PAUSED,
               to_status=S.IN_PROGRESS, reason=f"暂停 {hours:.1f} 个工作小时，时限顺延")
    return demand


def demand_close(*, actor: Any, demand: Demand, result: str, now: dt.datetime | None = None) -> Demand:
    """办结 with the result; the worker is then asked to rate it. At least 10 % of closed demands are sampled
    for a callback (`callback_sampled`)."""
    require(actor, Action.HANDLE, demand)
    result = (result or "").strip()
    if not result:
        raise ValidationError("办结须填写办理结果")
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status != S.IN_PROGRESS:
            raise _wrong(demand, "办结")
        unit = _holder(actor, demand, "办结")
        cal = workdays.load()
        demand.status, demand.closed_at, demand.result = S.CLOSED, now, result[:4000]
        demand.working_seconds = max(0, int(cal.working_time_between(demand.received_at, now).total_seconds())
                                     - demand.paused_seconds)
        fields = ["status", "closed_at", "result", "working_seconds"]
        if not demand.callback_sampled and _sample(demand):
            demand.callback_sampled = True
            fields.append("callback_sampled")
        demand.save(update_fields=fields)
        _event(demand, DemandEvent.Kind.CLOSED, actor=actor, unit=unit, from_status=S.IN_PROGRESS,
               to_status=S.CLOSED, reason=result[:1000], at=now)
    return demand


def _sample(demand: Demand) -> bool:
    """Sample for a callback: every demand reopened once, an unsatisfied one, and a random 10 %; then top up so the
    sampled share of closed demands never falls below 10 % (counted over the last 1,000 closed)."""
    if demand.reopens or random.random() < CALLBACK_SHARE:  # noqa: S311 — sampling, not security
        return True
    recent = list(Demand.objects.filter(closed_at__isnull=False).order_by("-closed_at")
                  .values_list("callback_sampled", flat=True)[:1000])
    return bool(recent) and sum(recent) < CALLBACK_SHARE * (len(recent) + 1)


def demand_rate(*, demand: Demand, rating: str, comment: str = "", actor: Any = None,
                person: Person | None = None) -> Demand:
    """The worker's rating of a closed demand — by the worker on the phone (`person`, who filed it) or entered by a
    cadre of the handling unit from the worker's answer (`actor`). 满意 / 基本满意 → done; 不满意 → back to
    in_progress (counted in `reopens`)."""
    if rating not in Demand.Rating.values:
        raise ValidationError("评价应为 satisfied、basic 或 unsatisfied")
    comment = (comment or "").strip()[:500]
    if actor is not None:
        require(actor, Action.HANDLE, demand)
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status != S.CLOSED:
            raise _wrong(demand, "评价")
        if person is not None:
            if demand.person_id != person.pk:
                raise WrongState("只能评价本人提交的诉求")
            unit, name = demand.unit, person.name
        else:
            unit, name = _holder(actor, demand, "代录评价"), ""
        demand.rating, demand.rating_comment = rating, comment
        label = Demand.Rating(rating).label
        if rating == Demand.Rating.UNSATISFIED:
            demand.status, demand.reopens, demand.closed_at = S.IN_PROGRESS, demand.reopens + 1, None
            demand.save(update_fields=["status", "reopens", "closed_at", "rating", "rating_comment"])
            _event(demand, DemandEvent.Kind.REOPENED, actor=actor, actor_name=name, unit=unit,
                   from_status=S.CLOSED, to_status=S.IN_PROGRESS, reason=f"{label}：{comment}".rstrip("："))
        else:
            demand.status = S.DONE
            demand.save(update_fields=["status", "rating", "rating_comment"])
            _event(demand, DemandEvent.Kind.RATED, actor=actor, actor_name=name, unit=unit, from_status=S.CLOSED,
                   to_status=S.DONE, reason=f"{label}：{comment}".rstrip("："))
    return demand


def demand_callback(*, actor: Any, demand: Demand, reached: bool | None, rating: str = "", note: str = "") -> Demand:
    """回访: a cadre records the call to the worker (reached or not, the worker's rating, a note) on a closed or
    done demand. The status does not change."""
    require(actor, Action.HANDLE, demand)
    if reached is None:
        raise ValidationError("请填写是否接通")
    if rating and rating not in Demand.Rating.values:
        raise ValidationError("回访评价应为 satisfied、basic 或 unsatisfied")
    if reached and not rating:
        raise ValidationError("接通时请记录职工的评价")
    with transaction.atomic(), set_actor(actor):
        demand = _locked(demand)
        if demand.status not in (S.CLOSED, S.DONE):
            raise _wrong(demand, "回访")
        demand.callback_at, demand.callback_reached = timezone.now(), reached
        demand.callback_rating, demand.callback_note = rating if reached else "", (note or "").strip()[:500]
        demand.save(update_fields=["callback_at", "callback_reached", "callback_rating", "callback_note"])
        what = f"接通，{Demand.Rating(rating).label}" if reached else "未接通"
        _event(demand, DemandEvent.Kind.CALLBACK, actor=actor, unit=demand.unit, from_status=demand.status,
               to_status=demand.status, reason=f"{what}：{demand.callback_note}".rstrip("："))
    return demand


# ---------------------------------------------------------------- the clock (periodic)


def demands_watch_clock(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn the holding unit of demands due within 4 working hours, and escalate overdue ones to the level above
    (an event naming the parent level; the queues show them red). Idempotent: each demand is warned and
    escalated once (until reopened). Runs as the system (no actor)."""
    now = now or timezone.now()
    cal = workdays.load()
    soon = cal.add_working_time(now, WARN_BEFORE)
    warned = escalated = 0
    open_ = list(Demand.OPEN)
    with transaction.atomic():
        for demand in Demand.objects.filter(status__in=open_, warned_at__isnull=True, due_at__gt=now,
                                            due_at__lte=soon).exclude(status=S.PAUSED).select_related("unit"):
            demand.warned_at = now
            demand.save(update_fields=["warned_at"])
            _event(demand, DemandEvent.Kind.WARNED, unit=demand.unit, from_status=demand.status,
                   to_status=demand.status, reason=f"将于{timezone.localtime(demand.due_at):%m月%d日 %H:%M}到期")
            warned += 1
        for demand in Demand.objects.filter(status__in=open_, escalated_at__isnull=True, due_at__lte=now).exclude(
                status=S.PAUSED).select_related("unit", "unit__node", "decider"):
            demand.escalated_at = now
            demand.save(update_fields=["escalated_at"])
            _event(demand, DemandEvent.Kind.ESCALATED, unit=demand.unit, from_status=demand.status,
                   to_status=demand.status, reason=f"已超过办结时限，上报{escalation_level(demand)}督办")
            escalated += 1
    return {"warned": warned, "escalated": escalated}


def escalation_level(demand: Demand) -> str:
    """The level an overdue demand is reported to: the parent of the holding service point's node; a partner
    department's or an unrouted demand goes to the parent of its deciding level (the district at the top)."""
    node = demand.unit.node if demand.unit is not None and demand.unit.node is not None else demand.decider
    parent = node.get_parent() if node.depth > 1 else node
    return parent.name
