"""Every write of the service menu (需求菜单) and the circuit visits (巡回服务): catalogue entries, orders (下单 →
受理 → 排期 → 完成, or 不予受理), the teams, and their visits (排期, then 记录 with attendance, photos, feedback).

Each function is one transaction with the audit actor set; it checks scope first (`require(actor, handle, …)`: a
reader gets a 403), then the step: a step the status — or the unit / team concerned — does not allow raises
`WrongState` (409, zh-hans); bad input raises ValidationError (422). An order's every change is a
ServiceOrderEvent (its status history).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action
from gonghui.core.errors import WrongState
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import path_in_scope, require

from ..models import CircuitVisit, ServiceItem, ServiceOrder, ServiceOrderEvent, ServiceTeam, VisitPhoto
from .demands import acts_for, check_photos

OS = ServiceOrder.Status
VS = CircuitVisit.Status
MAX_ATTENDANCE = 100_000


def _text(value: str, label: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}")
    if len(value) > limit:
        raise ValidationError(f"{label}最多 {limit} 个字")
    return value


def reaches(unit: Unit, union: Union) -> bool:
    """Whether `unit` serves the place `union`: a partner department and the district's point serve everywhere, a
    service point the subtree of its node (a township's point its township)."""
    return unit.node is None or union.path.startswith(unit.node.path)


# ---------------------------------------------------------------- the catalogue


def service_item_create(*, actor: Any, unit: Unit | None, name: str, description: str = "") -> ServiceItem:
    """A unit adds a service to the menu; the actor must act for the unit. Idempotent by (unit, name): the same
    name again answers the existing entry (re-activated)."""
    require(actor, Action.HANDLE)
    if unit is None or not unit.active:
        raise ValidationError("请选择提供服务的单位")
    if not acts_for(actor, unit):
        raise WrongState(f"您不能代表{unit.name}发布服务")
    name = _text(name, "服务名称", 60, required=True)
    description = _text(description, "服务内容", 500)
    with transaction.atomic(), set_actor(actor):
        item, created = ServiceItem.objects.get_or_create(unit=unit, name=name,
                                                          defaults={"description": description})
        if not created and (not item.active or (description and item.description != description)):
            item.active, item.description = True, description or item.description
            item.save(update_fields=["active", "description"])
    return item


# ---------------------------------------------------------------- orders


@dataclass(frozen=True)
class OrderIn:
    service: ServiceItem | None
    union: Union | None
    contact_name: str
    contact_phone: str
    enterprise: Enterprise | None = None
    wanted_on: dt.date | None = None
    note: str = ""


def _order_event(order: ServiceOrder, kind: str, *, actor: Any, from_status: str = "", to_status: str = "",
                 reason: str = "", at: dt.datetime | None = None) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    ServiceOrderEvent.objects.create(order=order, kind=kind, at=at or timezone.now(), actor=user,
                                     actor_name=str(user) if user is not None else "系统", from_status=from_status,
                                     to_status=to_status, reason=reason[:1000])


def _locked_order(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update(of=("self",)).select_related(
        "unit", "unit__node", "union", "service", "team").get(pk=order.pk)


def _wrong_order(order: ServiceOrder, step: str) -> WrongState:
    return WrongState(f"服务订单{order.number}当前状态为“{order.get_status_display()}”，不能{step}")


def _provider(actor: Any, order: ServiceOrder, step: str) -> None:
    if not acts_for(actor, order.unit):
        raise WrongState(f"服务订单{order.number}由{order.unit.name}提供，您不能{step}")


def service_order_file(*, actor: Any, order: OrderIn) -> ServiceOrder:
    """下单: a cadre of the ordering union (or of its township, or above) orders a service of the menu for the
    union or one of its enterprises. The place must be in the actor's handling scope and within the providing
    unit's reach. Atomic, audited; the order starts 待受理 (submitted)."""
    require(actor, Action.HANDLE)
    service, union = order.service, order.union
    if service is None or not service.active:
        raise ValidationError("请选择服务菜单中可预约的服务")
    if union is None and order.enterprise is not None:
        union = order.enterprise.covering_union or order.enterprise.territory
    if union is None:
        raise ValidationError("请指定下单的工会或企业")
    if not path_in_scope(actor, union.path, Action.HANDLE):
        raise ValidationError("下单的工会或企业不在您的办理范围内")
    unit = Unit.objects.select_related("node").get(pk=service.unit_id)
    if not unit.active:
        raise ValidationError(f"{unit.name}已停用，暂不能预约")
    if not reaches(unit, union):
        raise ValidationError(f"{unit.name}的服务不覆盖{union.name}，请选择本辖区或区级的服务")
    contact_name = _text(order.contact_name, "联系人", 30, required=True)
    contact_phone = _text(order.contact_phone, "联系电话", 20, required=True)
    note = _text(order.note, "需求说明", 1000)
    now = timezone.now()
    if order.wanted_on is not None and order.wanted_on < timezone.localdate(now):
        raise ValidationError("期望日期不能早于今天")
    with transaction.atomic(), set_actor(actor):
        row = ServiceOrder.objects.create(
            number="T" + secrets.token_hex(8), service=service, unit=unit, union=union, enterprise=order.enterprise,
            wanted_on=order.wanted_on, note=note, contact_name=contact_name, contact_phone=contact_phone,
            filed_by=actor if getattr(actor, "is_authenticated", False) else None, created_at=now)
        row.number = f"FW{timezone.localtime(now).year}{row.pk:06d}"
        row.save(update_fields=["number"])
        _order_event(row, ServiceOrderEvent.Kind.FILED, actor=actor, to_status=OS.SUBMITTED, reason=service.name,
                     at=now)
    return row


def service_order_accept(*, actor: Any, order: ServiceOrder) -> ServiceOrder:
    """受理 by the providing unit: submitted → accepted. A repeat once accepted answers the order as it is."""
    require(actor, Action.HANDLE, order)
    with transaction.atomic(), set_actor(actor):
        order = _locked_order(order)
        _provider(actor, order, "受理")
        if order.status == OS.ACCEPTED:
            return order
        if order.status != OS.SUBMITTED:
            raise _wrong_order(order, "受理")
        order.status = OS.ACCEPTED
        order.save(update_fields=["status"])
        _order_event(order, ServiceOrderEvent.Kind.ACCEPTED, actor=actor, from_status=OS.SUBMITTED,
                     to_status=OS.ACCEPTED)
    return order


def service_order_decline(*, actor: Any, order: ServiceOrder, reason: str) -> ServiceOrder:
    """不予受理 with a reason, by the providing unit, before the service is scheduled."""
    require(actor, Action.HANDLE, order)
    reason = _text(reason, "不予受理的原因", 1000, required=True)
    with transaction.atomic(), set_actor(actor):
        order = _locked_order(order)
        _provider(actor, order, "不予受理")
        if order.status not in (OS.SUBMITTED, OS.ACCEPTED):
            raise _wrong_order(order, "不予受理")
        before = order.status
        order.status, order.result = OS.DECLINED, reason
        order.save(update_fields=["status", "result"])
        _order_event(order, ServiceOrderEvent.Kind.DECLINED, actor=actor, from_status=before, to_status=OS.DECLINED,
                     reason=reason)
    return order


def service_order_schedule(*, actor: Any, order: ServiceOrder, on: dt.date | None,
                           team: ServiceTeam | None = None) -> ServiceOrder:
    """排期 by the providing unit: accepted (or already scheduled: a new date) → scheduled on `on`. With a team,
    the team's visit to the place is planned for that day (one visit per order, moved with a new date)."""
    require(actor, Action.HANDLE, order)
    if on is None:
        raise ValidationError("请填写服务日期")
    with transaction.atomic(), set_actor(actor):
        order = _locked_order(order)
        _provider(actor, order, "排期")
        if order.status not in (OS.ACCEPTED, OS.SCHEDULED):
            raise _wrong_order(order, "排期")
        if team is not None:
            _team_serves(team, order.union)
        before = order.status
        order.status, order.scheduled_on, order.team = OS.SCHEDULED, on, team
        order.save(update_fields=["status", "scheduled_on", "team"])
        if team is not None:
            visit = order.visits.filter(status=VS.PLANNED).first()
            if visit is None:
                visit = CircuitVisit.objects.create(team=team, union=order.union, enterprise=order.enterprise,
                                                    visit_date=on, order=order, created_by=_user(actor))
            else:
                visit.team, visit.visit_date = team, on
                visit.save(update_fields=["team", "visit_date"])
            visit.services.add(order.service)
        note = f"{on:%Y-%m-%d}" + (f"，{team.name}上门" if team is not None else "")
        _order_event(order, ServiceOrderEvent.Kind.SCHEDULED, actor=actor, from_status=before,
                     to_status=OS.SCHEDULED, reason=note)
    return order


def service_order_complete(*, actor: Any, order: ServiceOrder, result: str) -> ServiceOrder:
    """完成 by the providing unit with the result: accepted or scheduled → done."""
    require(actor, Action.HANDLE, order)
    result = _text(result, "服务结果", 1000, required=True)
    with transaction.atomic(), set_actor(actor):
        order = _locked_order(order)
        _provider(actor, order, "完成")
        _complete(order, actor=actor, result=result)
    return order


def _complete(order: ServiceOrder, *, actor: Any, result: str) -> None:
    if order.status not in (OS.ACCEPTED, OS.SCHEDULED):
        raise _wrong_order(order, "完成")
    before = order.status
    order.status, order.result, order.completed_at = OS.DONE, result, timezone.now()
    order.save(update_fields=["status", "result", "completed_at"])
    _order_event(order, ServiceOrderEvent.Kind.DONE, actor=actor, from_status=before, to_status=OS.DONE,
                 reason=result)


# ---------------------------------------------------------------- teams


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def team_create(*, actor: Any, name: str, node: Union | None, leader: str = "", members: list[str] | None = None,
                services: list[ServiceItem] | None = None) -> ServiceTeam:
    """A 巡回服务队 of a township or the district (`node`, in the actor's handling scope), its members (names) and
    the services it brings. Atomic, audited."""
    require(actor, Action.HANDLE)
    if node is None:
        raise ValidationError("请选择服务队所属的工会")
    if not path_in_scope(actor, node.path, Action.HANDLE):
        raise ValidationError("服务队所属的工会不在您的办理范围内")
    name = _text(name, "服务队名称", 60, required=True)
    names = [_text(m, "队员姓名", 30) for m in (members or [])]
    level = {1: ServiceTeam.Level.DISTRICT, 2: ServiceTeam.Level.TOWNSHIP}.get(node.depth, ServiceTeam.Level.COMMUNITY)
    if node.depth == 2 and node.kind != Union.Kind.TOWNSHIP:
        level = ServiceTeam.Level.COMMUNITY
    if ServiceTeam.objects.filter(name=name).exists():
        raise ValidationError(f"已有名为“{name}”的服务队")
    with transaction.atomic(), set_actor(actor):
        team = ServiceTeam.objects.create(name=name, node=node, level=level, leader=_text(leader, "队长", 30),
                                          members=[n for n in names if n])
        if services:
            team.services.set(services)
    return team


def _team_serves(team: ServiceTeam, union: Union) -> None:
    if not team.active:
        raise ValidationError(f"{team.name}已停用")
    if not union.path.startswith(team.node.path):
        raise ValidationError(f"{team.name}只服务{team.node.name}辖区，{union.name}不在其中")


def _team_actor(actor: Any, team: ServiceTeam) -> None:
    if not path_in_scope(actor, team.node.path, Action.HANDLE):
        raise WrongState(f"{team.name}属于{team.node.name}，您不能为其登记巡回服务")


# ---------------------------------------------------------------- visits


@dataclass(frozen=True)
class VisitIn:
    team: ServiceTeam | None
    union: Union | None
    visit_date: dt.date | None
    enterprise: Enterprise | None = None
    place: str = ""
    services: list[ServiceItem] = field(default_factory=list)
    attendance: int | None = None
    feedback: str = ""


def _visit_place(visit: VisitIn) -> Union:
    union = visit.union
    if union is None and visit.enterprise is not None:
        union = visit.enterprise.covering_union or visit.enterprise.territory
    if union is None:
        raise ValidationError("请选择服务的工会或企业")
    return union


def visit_schedule(*, actor: Any, visit: VisitIn) -> CircuitVisit:
    """排期: a team's visit planned for a day at a place in its territory; the actor handles the team's node."""
    require(actor, Action.HANDLE)
    team = visit.team
    if team is None:
        raise ValidationError("请选择巡回服务队")
    if visit.visit_date is None:
        raise ValidationError("请填写服务日期")
    union = _visit_place(visit)
    _team_actor(actor, team)
    _team_serves(team, union)
    with transaction.atomic(), set_actor(actor):
        row = CircuitVisit.objects.create(team=team, union=union, enterprise=visit.enterprise,
                                          place=_text(visit.place, "服务地点", 100), visit_date=visit.visit_date,
                                          created_by=_user(actor))
        if visit.services:
            row.services.set(visit.services)
    return row


def _check_record(visit: VisitIn, now: dt.datetime) -> None:
    if visit.visit_date is None:
        raise ValidationError("请填写服务日期")
    if visit.visit_date > timezone.localdate(now):
        raise ValidationError("尚未到服务日期，请先排期，开展后再记录")
    if visit.attendance is None:
        raise ValidationError("请填写参与人数")
    if not 0 < visit.attendance <= MAX_ATTENDANCE:
        raise ValidationError(f"参与人数应在 1 到 {MAX_ATTENDANCE} 之间：{visit.attendance}")
    if not visit.services:
        raise ValidationError("请选择本次提供的服务")


def visit_record(*, actor: Any, visit: VisitIn, photos: list[bytes] | None = None,
                 planned: CircuitVisit | None = None) -> CircuitVisit:
    """记录 a visit held: the services delivered, the attendance, up to 3 photos (checked by content and size) and
    the feedback — a new visit, or the `planned` one. A visit planned for an order completes the order. The actor
    handles the team's node; the place lies in the team's territory. Atomic, audited; photos are written after
    the checks, inside the transaction."""
    if planned is not None:
        require(actor, Action.HANDLE, planned)
    else:
        require(actor, Action.HANDLE)
    now = timezone.now()
    team = visit.team if visit.team is not None else (planned.team if planned is not None else None)
    if team is None:
        raise ValidationError("请选择巡回服务队")
    union = planned.union if planned is not None and visit.union is None else _visit_place(visit)
    _check_record(visit, now)
    _team_actor(actor, team)
    _team_serves(team, union)
    checked = check_photos(photos or [])
    feedback = _text(visit.feedback, "服务反馈", 1000)
    with transaction.atomic(), set_actor(actor):
        if planned is not None:
            row = CircuitVisit.objects.select_for_update(of=("self",)).get(pk=planned.pk)
            if row.status != VS.PLANNED:
                raise WrongState(f"这次巡回服务已于{row.visit_date:%Y-%m-%d}记录，不能重复记录")
            if len(checked) + row.photos.count() > 3:
                raise ValidationError("每次巡回服务最多 3 张照片")
        else:
            row = CircuitVisit(created_by=_user(actor))
        row.team, row.union, row.visit_date, row.status = team, union, visit.visit_date, VS.HELD  # type: ignore[assignment]
        row.enterprise = visit.enterprise if visit.enterprise is not None else row.enterprise
        row.place = _text(visit.place, "服务地点", 100) or row.place
        row.attendance, row.feedback, row.recorded_at = visit.attendance, feedback, now
        row.save()
        row.services.set(visit.services)
        _store_photos(row, checked)
        if row.order_id is not None:
            order = _locked_order(row.order)  # type: ignore[arg-type]
            if order.status in (OS.ACCEPTED, OS.SCHEDULED):
                _complete(order, actor=actor, result=f"{team.name}已于{row.visit_date:%Y-%m-%d}上门服务，"
                                                     f"参与 {row.attendance} 人")
    return row


def _store_photos(visit: CircuitVisit, checked: list[tuple[bytes, str, str]]) -> None:
    from gonghui.core.importing import write_private

    from ..photos import visit_photo_root

    for data, ctype, ext in checked:
        name = f"{visit.pk}-{secrets.token_hex(8)}.{ext}"
        write_private(visit_photo_root() / name, data)
        VisitPhoto.objects.create(visit=visit, path=name, content_type=ctype, size=len(data))
