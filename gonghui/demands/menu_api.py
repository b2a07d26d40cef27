"""Service menu, orders, teams and circuit visits API (/api/v1/services, /service-orders, /service-teams, /visits).

Same conventions as the demands API: thin; 404 out of scope, 403 without the handle action, 409 for a step the
status (or the unit / team concerned) does not allow, 422 for bad input — each with a zh-hans detail. Body fields
of the steps are optional in the schemas and checked by the services, so that scope answers first."""

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import AfterValidator

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action
from gonghui.core.paging import DbId, Paging
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import scoped

from . import selectors, services
from .models import CircuitVisit, ServiceItem, ServiceOrder, ServiceTeam

router = Router(tags=["服务菜单与巡回服务"])
LocalDT = Annotated[dt.datetime, AfterValidator(lambda v: timezone.localtime(v))]
H = Action.HANDLE


def _visible(model: Any, request: HttpRequest, pk: int | None, what: str, action: str = Action.VIEW) -> Any:
    if pk is None:
        return None
    obj = model.objects.visible_to(request.user, action).filter(pk=pk).first()
    if obj is None:
        raise HttpError(422, f"{what}不存在或不在您的范围内：{pk}")
    return obj


# ---------------------------------------------------------------- the catalogue


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    unit_id: int
    unit_name: str
    active: bool

    @staticmethod
    def resolve_unit_name(obj: ServiceItem) -> str:
        return obj.unit.name


class ServiceIn(Schema):
    unit_id: DbId | None = Field(None, description="提供服务的单位 id（必填；须为本人所在单位）")
    name: str = Field("", max_length=60, description="服务名称（必填）")
    description: str = Field("", max_length=500)


@router.get("/services", response=list[ServiceOut], summary="服务菜单（本人所辖工会可预约的服务）")
@paginate(Paging)
def service_list(request: HttpRequest) -> Any:
    return selectors.service_catalogue(user=request.user)


@router.post("/services", response={201: ServiceOut}, summary="发布服务（提供单位）")
def service_create(request: HttpRequest, payload: ServiceIn) -> Any:
    unit = Unit.objects.filter(pk=payload.unit_id).select_related("node").first() if payload.unit_id else None
    if payload.unit_id and unit is None:
        raise HttpError(422, f"单位不存在：{payload.unit_id}")
    return 201, services.service_item_create(actor=request.user, unit=unit, name=payload.name,
                                             description=payload.description)


# ---------------------------------------------------------------- orders


class OrderEventOut(Schema):
    kind: str
    kind_label: str
    at: LocalDT
    actor: str
    from_status: str
    to_status: str
    reason: str


class OrderOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    service_id: int
    service_name: str
    unit_id: int
    unit_name: str
    union_id: int
    union_name: str
    enterprise_id: int | None
    wanted_on: dt.date | None
    note: str
    contact_name: str
    scheduled_on: dt.date | None
    team_id: int | None
    result: str
    created_at: LocalDT
    completed_at: LocalDT | None

    @staticmethod
    def resolve_status_label(obj: ServiceOrder) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_service_name(obj: ServiceOrder) -> str:
        return obj.service.name

    @staticmethod
    def resolve_unit_name(obj: ServiceOrder) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_union_name(obj: ServiceOrder) -> str:
        return obj.union.name


class OrderDetailOut(OrderOut):
    history: list[OrderEventOut]


def _order(order: ServiceOrder) -> ServiceOrder:
    order = ServiceOrder.objects.select_related("service", "unit", "union").get(pk=order.pk)
    order.history = [  # type: ignore[attr-defined]
        {"kind": e.kind, "kind_label": e.get_kind_display(), "at": e.at, "actor": e.actor_name,
         "from_status": e.from_status, "to_status": e.to_status, "reason": e.reason}
        for e in selectors.order_events(order=order)]
    return order


class OrderIn(Schema):
    service_id: DbId = Field(..., description="服务菜单中的服务 id")
    union_id: DbId | None = Field(None, description="下单工会 id（与 enterprise_id 至少填一项）")
    enterprise_id: DbId | None = None
    contact_name: str = Field(..., min_length=1, max_length=30)
    contact_phone: str = Field(..., min_length=1, max_length=20)
    wanted_on: dt.date | None = Field(None, description="期望日期")
    note: str = Field("", max_length=1000)


class OrderQuery(Schema):
    status: Literal[tuple(ServiceOrder.Status.values)] | None = None  # type: ignore[valid-type]
    mine: bool = Field(False, description="true：只看本人所在单位提供的订单")


@router.get("/service-orders", response=list[OrderOut], summary="服务订单列表（按范围）")
@paginate(Paging)
def order_list(request: HttpRequest, filters: Query[OrderQuery]) -> Any:
    return selectors.order_list(user=request.user, filters=selectors.OrderFilters(
        status=filters.status or "", tab="mine" if filters.mine else "all"))


@router.post("/service-orders", response={201: OrderDetailOut}, summary="服务下单",
             description="为办理范围内的工会或企业预约服务菜单中的一项服务；提供单位须覆盖该工会。")
def order_create(request: HttpRequest, payload: OrderIn) -> Any:
    service = selectors.service_catalogue(user=request.user).filter(pk=payload.service_id).first()
    if service is None:
        raise HttpError(422, f"服务不存在或不可预约：{payload.service_id}")
    order = services.service_order_file(actor=request.user, order=services.OrderIn(
        service=service, union=_visible(Union, request, payload.union_id, "工会"),
        enterprise=_visible(Enterprise, request, payload.enterprise_id, "企业"), contact_name=payload.contact_name,
        contact_phone=payload.contact_phone, wanted_on=payload.wanted_on, note=payload.note))
    return 201, _order(order)


@router.get("/service-orders/{order_id}", response=OrderDetailOut, summary="服务订单详情（含办理记录）")
@scoped(ServiceOrder, pk="order_id")
def order_detail(request: HttpRequest, serviceorder: ServiceOrder) -> Any:
    return _order(serviceorder)


class ScheduleIn(Schema):
    on: dt.date | None = Field(None, description="服务日期（必填）")
    team_id: DbId | None = Field(None, description="派出的巡回服务队（可选：同时为其排期一次巡回服务）")


class ResultIn(Schema):
    result: str = Field("", max_length=1000, description="服务结果（必填）")


class ReasonIn(Schema):
    reason: str = Field("", max_length=1000, description="原因（必填）")


@router.post("/service-orders/{order_id}/accept", response=OrderDetailOut, summary="受理")
@scoped(ServiceOrder, action=H, pk="order_id")
def order_accept(request: HttpRequest, serviceorder: ServiceOrder) -> Any:
    return _order(services.service_order_accept(actor=request.user, order=serviceorder))


@router.post("/service-orders/{order_id}/schedule", response=OrderDetailOut, summary="排期")
@scoped(ServiceOrder, action=H, pk="order_id")
def order_schedule(request: HttpRequest, serviceorder: ServiceOrder, payload: ScheduleIn) -> Any:
    team = _visible(ServiceTeam, request, payload.team_id, "巡回服务队")
    return _order(services.service_order_schedule(actor=request.user, order=serviceorder, on=payload.on, team=team))


@router.post("/service-orders/{order_id}/complete", response=OrderDetailOut, summary="完成")
@scoped(ServiceOrder, action=H, pk="order_id")
def order_complete(request: HttpRequest, serviceorder: ServiceOrder, payload: ResultIn) -> Any:
    return _order(services.service_order_complete(actor=request.user, order=serviceorder, result=payload.result))


@router.post("/service-orders/{order_id}/decline", response=OrderDetailOut, summary="不予受理")
@scoped(ServiceOrder, action=H, pk="order_id")
def order_decline(request: HttpRequest, serviceorder: ServiceOrder, payload: ReasonIn) -> Any:
    return _order(services.service_order_decline(actor=request.user, order=serviceorder, reason=payload.reason))


# ---------------------------------------------------------------- teams


class TeamOut(Schema):
    id: int
    name: str
    node_id: int
    node_name: str
    level: str
    leader: str
    members: list[str]
    service_ids: list[int]
    active: bool

    @staticmethod
    def resolve_node_name(obj: ServiceTeam) -> str:
        return obj.node.name

    @staticmethod
    def resolve_service_ids(obj: ServiceTeam) -> list[int]:
        return [s.pk for s in obj.services.all()]


class TeamIn(Schema):
    name: str = Field("", max_length=60, description="服务队名称（必填）")
    node_id: DbId | None = Field(None, description="所属工会（区或镇街，须在办理范围内）")
    leader: str = Field("", max_length=30)
    members: list[str] = Field(default_factory=list, max_length=50)
    service_ids: list[DbId] = Field(default_factory=list, max_length=50)


@router.get("/service-teams", response=list[TeamOut], summary="巡回服务队（按范围）")
@paginate(Paging)
def team_list(request: HttpRequest) -> Any:
    return selectors.team_list(user=request.user)


@router.post("/service-teams", response={201: TeamOut}, summary="组建巡回服务队")
def team_create(request: HttpRequest, payload: TeamIn) -> Any:
    items = list(ServiceItem.objects.filter(pk__in=payload.service_ids, active=True))
    return 201, services.team_create(actor=request.user, name=payload.name,
                                     node=_visible(Union, request, payload.node_id, "工会", H), leader=payload.leader,
                                     members=payload.members, services=items)


# ---------------------------------------------------------------- visits


class VisitOut(Schema):
    id: int
    team_id: int
    team_name: str
    union_id: int
    union_name: str
    enterprise_id: int | None
    place: str
    visit_date: dt.date
    status: str
    service_ids: list[int]
    attendance: int | None
    feedback: str
    order_id: int | None
    photos: int
    recorded_at: LocalDT | None

    @staticmethod
    def resolve_team_name(obj: CircuitVisit) -> str:
        return obj.team.name

    @staticmethod
    def resolve_union_name(obj: CircuitVisit) -> str:
        return obj.union.name

    @staticmethod
    def resolve_service_ids(obj: CircuitVisit) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_photos(obj: CircuitVisit) -> int:
        return len(obj.photos.all())


class VisitQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    team: DbId | None = Field(None, description="巡回服务队 id")
    status: Literal["planned", "held"] | None = None


class RecordIn(Schema):
    visit_date: dt.date | None = Field(None, description="服务日期（必填）")
    service_ids: list[DbId] = Field(default_factory=list, max_length=50, description="本次提供的服务（必填）")
    attendance: int | None = Field(None, description="参与人数（记录时必填）")
    feedback: str = Field("", max_length=1000)
    photos: list[str] = Field(default_factory=list, max_length=4,
                              description="照片，Base64（最多 3 张 JPG/PNG/WebP，每张不超过 5 MB）")


class VisitIn(RecordIn):
    team_id: DbId | None = Field(None, description="巡回服务队 id（必填）")
    union_id: DbId | None = Field(None, description="服务工会 id（与 enterprise_id 至少填一项）")
    enterprise_id: DbId | None = None
    place: str = Field("", max_length=100)
    planned: bool = Field(False, description="true：仅排期（尚未开展）")


def _photos(data: list[str]) -> list[bytes]:
    out = []
    for i, text in enumerate(data, start=1):
        if len(text) > (services.MAX_PHOTO_BYTES * 4) // 3 + 8:
            raise HttpError(422, f"第 {i} 张照片超过 5 MB，请压缩后再传")
        try:
            out.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise HttpError(422, f"第 {i} 张照片不是有效的 Base64") from exc
    return out


def _visit_in(request: HttpRequest, payload: RecordIn, *, team: ServiceTeam | None = None, union: Union | None = None,
              enterprise: Enterprise | None = None, place: str = "") -> services.VisitIn:
    items = list(ServiceItem.objects.filter(pk__in=payload.service_ids, active=True))
    return services.VisitIn(team=team, union=union, enterprise=enterprise, place=place, visit_date=payload.visit_date,
                            services=items, attendance=payload.attendance, feedback=payload.feedback)


def _visit(visit: CircuitVisit) -> CircuitVisit:
    return CircuitVisit.objects.select_related("team", "union").prefetch_related("services", "photos").get(pk=visit.pk)


@router.get("/visits/stats", summary="巡回服务统计（按服务队、按镇街）")
def visit_stats(request: HttpRequest, year: int | None = None) -> Any:
    if year is not None and not 2000 <= year <= 2100:
        raise HttpError(422, f"年份应在 2000 到 2100 之间：{year}")
    return selectors.visit_counts(user=request.user, year=year or timezone.localdate().year)


@router.get("/visits", response=list[VisitOut], summary="巡回服务列表（按范围）")
@paginate(Paging)
def visit_list(request: HttpRequest, filters: Query[VisitQuery]) -> Any:
    return selectors.visit_list(user=request.user, filters=selectors.VisitFilters(
        year=filters.year, team=filters.team, status=filters.status or "")).prefetch_related("services", "photos")


@router.post("/visits", response={201: VisitOut}, summary="登记巡回服务（记录或排期）")
def visit_create(request: HttpRequest, payload: VisitIn) -> Any:
    team = _visible(ServiceTeam, request, payload.team_id, "巡回服务队")
    visit_in = _visit_in(request, payload, team=team, union=_visible(Union, request, payload.union_id, "工会"),
                         enterprise=_visible(Enterprise, request, payload.enterprise_id, "企业"), place=payload.place)
    if payload.planned:
        return 201, _visit(services.visit_schedule(actor=request.user, visit=visit_in))
    return 201, _visit(services.visit_record(actor=request.user, visit=visit_in, photos=_photos(payload.photos)))


@router.get("/visits/{visit_id}", response=VisitOut, summary="巡回服务详情")
@scoped(CircuitVisit, pk="visit_id")
def visit_detail(request: HttpRequest, circuitvisit: CircuitVisit) -> Any:
    return _visit(circuitvisit)


@router.post("/visits/{visit_id}/record", response=VisitOut, summary="记录已排期的巡回服务")
@scoped(CircuitVisit, action=H, pk="visit_id")
def visit_record(request: HttpRequest, circuitvisit: CircuitVisit, payload: RecordIn) -> Any:
    return _visit(services.visit_record(actor=request.user, planned=circuitvisit, visit=_visit_in(request, payload),
                                        photos=_photos(payload.photos)))
