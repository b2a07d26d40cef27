"""Demands API (/api/v1/demands…) and the working-day calendar (/api/v1/calendar/{year}).

Thin: parse, call a service or selector, render. 404 out of scope, 403 without the handle action, 409 for a step
the status (or the unit holding the demand) does not allow, 422 for bad input — each with a zh-hans detail."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import AfterValidator

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action
from gonghui.core import workdays
from gonghui.core.paging import DbId, Paging
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import scoped

from . import selectors, services
from .models import Category, Demand

router = Router(tags=["职工诉求"])
# Datetimes answer in local time with their offset (2025-10-09T10:00:00+08:00), as a cadre reads them.
LocalDT = Annotated[dt.datetime, AfterValidator(lambda v: timezone.localtime(v))]


class DemandIn(Schema):
    category: Literal[tuple(Category.values)] = Field(..., description="类别：" + "、".join(  # type: ignore[valid-type]
        f"{v} {label}" for v, label in Category.choices))
    title: str = Field(..., min_length=1, max_length=100)
    description: str = Field(..., min_length=1, max_length=4000)
    contact_name: str = Field(..., min_length=1, max_length=30)
    contact_phone: str = Field(..., min_length=1, max_length=20)
    urgency: Literal["urgent", "normal", "simple"] = "normal"
    channel: Literal["phone", "visit", "web", "pioneer"] = "phone"
    received_at: dt.datetime | None = Field(None, description="受理时间（ISO 8601 带时区；缺省为现在；可为任意过去时刻）")
    enterprise_id: DbId | None = None
    union_id: DbId | None = None
    employer_may_know: bool = False


class EventOut(Schema):
    kind: str
    kind_label: str
    at: LocalDT
    actor: str
    unit_id: int | None
    unit_name: str | None
    from_status: str
    to_status: str
    reason: str


class DemandOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: str
    title: str
    description: str
    contact_name: str
    contact_phone: str
    urgency: str
    channel: str
    employer_may_know: bool
    union_id: int
    union_name: str
    enterprise_id: int | None
    unit_id: int | None
    unit_name: str | None
    suggested_unit_id: int | None = None
    received_at: LocalDT
    sign_due_at: LocalDT
    due_at: LocalDT
    overdue: bool
    signed_at: LocalDT | None
    closed_at: LocalDT | None
    result: str
    rating: str
    returns: int
    reopens: int
    callback_sampled: bool
    callback_at: LocalDT | None

    @staticmethod
    def resolve_status_label(obj: Demand) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_union_name(obj: Demand) -> str:
        return obj.union.name

    @staticmethod
    def resolve_unit_name(obj: Demand) -> str | None:
        return obj.unit.name if obj.unit is not None else None

    @staticmethod
    def resolve_overdue(obj: Demand) -> bool:
        return obj.status in Demand.OPEN and obj.due_at < timezone.now()


class DemandDetailOut(DemandOut):
    timeline: list[EventOut]


def _detail(demand: Demand) -> Demand:
    """The demand as the detail answers it: reloaded (after a step), with its timeline and, while pending, the
    unit the platform suggests."""
    demand = Demand.objects.select_related("unit", "union").get(pk=demand.pk)
    suggested = (services.suggest_unit(category=demand.category, union=demand.union)
                 if demand.status == Demand.Status.PENDING else None)
    demand.suggested_unit_id = suggested.pk if suggested is not None else None  # type: ignore[attr-defined]
    demand.timeline = [  # type: ignore[attr-defined]
        {"kind": e.kind, "kind_label": e.get_kind_display(), "at": e.at, "actor": e.actor_name,
         "unit_id": e.unit_id, "unit_name": e.unit.name if e.unit is not None else None,
         "from_status": e.from_status, "to_status": e.to_status, "reason": e.reason}
        for e in selectors.timeline(demand=demand)
    ]
    return demand


def _run(step: Any, **kwargs: Any) -> Demand:
    """Run a service step and answer the demand; WrongState (409) and ValidationError (422) go to the API's handlers."""
    return _detail(step(**kwargs))


def _visible(model: Any, request: HttpRequest, pk: int | None, what: str) -> Any:
    if pk is None:
        return None
    obj = model.objects.visible_to(request.user).filter(pk=pk).first()
    if obj is None:
        raise HttpError(422, f"{what}不存在或不在您的范围内：{pk}")
    return obj


@router.post("/demands", response={201: DemandDetailOut}, summary="登记诉求",
             description="干部登记来电、来访，或先锋领队代报；received_at 可为过去任一时刻（补录）。所在工会或企业须在办理范围内。")
def demand_create(request: HttpRequest, payload: DemandIn) -> Any:
    intake = services.Intake(
        category=payload.category, title=payload.title, description=payload.description,
        contact_name=payload.contact_name, contact_phone=payload.contact_phone, urgency=payload.urgency,
        channel=payload.channel, received_at=payload.received_at,
        enterprise=_visible(Enterprise, request, payload.enterprise_id, "企业"),
        union=_visible(Union, request, payload.union_id, "工会"), employer_may_know=payload.employer_may_know)
    return 201, _run(services.demand_file, actor=request.user, intake=intake)


class DemandQuery(Schema):
    status: Literal[tuple(Demand.Status.values)] | None = None  # type: ignore[valid-type]
    category: Literal[tuple(Category.values)] | None = None  # type: ignore[valid-type]
    overdue: bool | None = Field(None, description="true：未办结且已过办结时限")
    unit: DbId | None = Field(None, description="承办单位 id")
    q: str = Field("", max_length=60, description="编号、标题或联系人")


@router.get("/demands", response=list[DemandOut], summary="诉求列表（按范围）")
@paginate(Paging)
def demand_list(request: HttpRequest, filters: Query[DemandQuery]) -> Any:
    return selectors.demand_list(user=request.user, filters=selectors.DemandFilters(
        status=filters.status or "", category=filters.category or "", overdue=filters.overdue, unit=filters.unit,
        q=filters.q))


@router.get("/demands/{demand_id}", response=DemandDetailOut, summary="诉求详情（含办理时间线）")
@scoped(Demand, pk="demand_id")
def demand_detail(request: HttpRequest, demand: Demand) -> Any:
    return _detail(demand)


# Every body field is optional in the schema and checked by the service, so that scope answers first: a reader's
# POST is a 403 and an invisible demand a 404 whatever the body; a missing field is then a 422 with its name.
class UnitIn(Schema):
    unit_id: DbId | None = Field(None, description="承办单位 id（必填）")


class TransferIn(Schema):
    unit_id: DbId | None = Field(None, description="转交给哪个单位（必填）")
    reason: str = Field("", max_length=1000, description="转交原因（必填）")


class ReasonIn(Schema):
    reason: str = Field("", max_length=1000, description="原因（必填）")


class CloseIn(Schema):
    result: str = Field("", max_length=4000, description="办理结果（必填）")


class RateIn(Schema):
    rating: Literal["satisfied", "basic", "unsatisfied"] | None = Field(None, description="必填")
    comment: str = Field("", max_length=500)


class CallbackIn(Schema):
    reached: bool | None = Field(None, description="是否接通（必填）")
    rating: Literal["satisfied", "basic", "unsatisfied", ""] = ""
    note: str = Field("", max_length=500)


class ClaimIn(Schema):
    unit_id: DbId | None = Field(None, description="代表哪个办理单位认领（缺省：本人所在单位）")


def _unit(unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = Unit.objects.filter(pk=unit_id, active=True).select_related("node").first()
    if unit is None:
        raise HttpError(422, f"承办单位不存在或已停用：{unit_id}")
    return unit


H = Action.HANDLE


@router.post("/demands/{demand_id}/assign", response=DemandDetailOut, summary="派单")
@scoped(Demand, action=H, pk="demand_id", related=("union", "decider"))
def demand_assign(request: HttpRequest, demand: Demand, payload: UnitIn) -> Any:
    return _run(services.demand_assign, actor=request.user, demand=demand, unit=_unit(payload.unit_id))


@router.post("/demands/{demand_id}/sign", response=DemandDetailOut, summary="签收")
@scoped(Demand, action=H, pk="demand_id")
def demand_sign(request: HttpRequest, demand: Demand) -> Any:
    return _run(services.demand_sign, actor=request.user, demand=demand)


@router.post("/demands/{demand_id}/claim", response=DemandDetailOut, summary="认领（先到先得，其他单位 409）")
@scoped(Demand, action=H, pk="demand_id")
def demand_claim(request: HttpRequest, demand: Demand, payload: ClaimIn | None = None) -> Any:
    unit = _unit(payload.unit_id if payload is not None else None)
    return _run(services.demand_claim, actor=request.user, demand=demand, unit=unit)


@router.post("/demands/{demand_id}/transfer", response=DemandDetailOut, summary="转交")
@scoped(Demand, action=H, pk="demand_id")
def demand_transfer(request: HttpRequest, demand: Demand, payload: TransferIn) -> Any:
    return _run(services.demand_transfer, actor=request.user, demand=demand, unit=_unit(payload.unit_id),
                reason=payload.reason)


@router.post("/demands/{demand_id}/return", response=DemandDetailOut, summary="退单")
@scoped(Demand, action=H, pk="demand_id")
def demand_return(request: HttpRequest, demand: Demand, payload: ReasonIn) -> Any:
    return _run(services.demand_return, actor=request.user, demand=demand, reason=payload.reason)


@router.post("/demands/{demand_id}/pause", response=DemandDetailOut, summary="暂停（待补充材料）")
@scoped(Demand, action=H, pk="demand_id")
def demand_pause(request: HttpRequest, demand: Demand, payload: ReasonIn) -> Any:
    return _run(services.demand_pause, actor=request.user, demand=demand, reason=payload.reason)


@router.post("/demands/{demand_id}/resume", response=DemandDetailOut, summary="恢复办理")
@scoped(Demand, action=H, pk="demand_id")
def demand_resume(request: HttpRequest, demand: Demand) -> Any:
    return _run(services.demand_resume, actor=request.user, demand=demand)


@router.post("/demands/{demand_id}/close", response=DemandDetailOut, summary="办结")
@scoped(Demand, action=H, pk="demand_id")
def demand_close(request: HttpRequest, demand: Demand, payload: CloseIn) -> Any:
    return _run(services.demand_close, actor=request.user, demand=demand, result=payload.result)


@router.post("/demands/{demand_id}/rate", response=DemandDetailOut, summary="职工评价（承办单位代录）")
@scoped(Demand, action=H, pk="demand_id")
def demand_rate(request: HttpRequest, demand: Demand, payload: RateIn) -> Any:
    return _run(services.demand_rate, actor=request.user, demand=demand, rating=payload.rating or "",
                comment=payload.comment)


@router.post("/demands/{demand_id}/callback", response=DemandDetailOut, summary="回访")
@scoped(Demand, action=H, pk="demand_id")
def demand_callback(request: HttpRequest, demand: Demand, payload: CallbackIn) -> Any:
    return _run(services.demand_callback, actor=request.user, demand=demand, reached=payload.reached,
                rating=payload.rating, note=payload.note)


class CalendarOut(Schema):
    year: int
    source: Literal["chinesecalendar", "entered", "weekends-only"]
    holidays: list[dt.date]
    workdays: list[dt.date]


@router.get("/calendar/{year}", response=CalendarOut, auth=None, summary="工作日历（公开）",
            description="该年按平台实际采用的放假安排：chinesecalendar 内置、管理员录入，或未录入时仅按周末（weekends-only）。"
            "holidays 为法定节假日放假日期，workdays 为调休上班的周末。")
def calendar_year(request: HttpRequest, year: int = Path(..., ge=1949, le=2100)) -> Any:
    cal = workdays.load()
    holidays, worked = cal.year_days(year)
    return {"year": year, "source": cal.source(year), "holidays": holidays, "workdays": worked}
