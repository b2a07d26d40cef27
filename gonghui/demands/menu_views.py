"""Console pages of the service menu and the circuit visits: the catalogue, the orders queue and one order with its
status history and steps, the teams with the year's counts per team and township, the visits list (Excel export
through the download centre), the visit form (union picker; enterprise by name or credit code) and one visit.
Thin: parse, call a selector or service, render. Out of scope = 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from gonghui.accounts.permissions import Action
from gonghui.core.errors import WrongState
from gonghui.core.forms import parse_day
from gonghui.core.paging import Sort, paginate
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import allowed, permission, scoped

from . import exports, selectors, services
from .forms import HandledPlaceForm
from .models import CircuitVisit, ServiceItem, ServiceOrder, ServiceTeam, VisitPhoto
from .photos import photo_response, visit_photo_root

OS = ServiceOrder.Status
ORDER_SORT = Sort({"created": ("created_at",), "status": ("status", "-created_at"), "service": ("service__name",)},
                  default="-created")
VISIT_SORT = Sort({"date": ("visit_date",), "team": ("team__name", "-visit_date"),
                   "attendance": ("attendance", "-visit_date")}, default="-date")


def _may_place(user: Any) -> bool:
    """Ordering and visits happen at a place: only those who handle some part of the tree (a partner department
    works the orders of its unit from the queue)."""
    return Union.objects.visible_to(user, Action.HANDLE).exists()


def _no_place() -> PermissionDenied:
    return PermissionDenied("下单和登记巡回服务须在组织范围内办理；协同单位请在服务订单中办理本单位的订单")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _date(value: str | None) -> dt.date | None:
    """A date box's value (`core.forms.parse_day`): None when blank; a zh-hans ValidationError when no date."""
    return parse_day(value)


def _enterprise(user: Any, text: str) -> Enterprise | None:
    """An enterprise named by its full name or its 统一社会信用代码, among those the user handles."""
    text = (text or "").strip()
    if not text:
        return None
    firm = Enterprise.objects.visible_to(user, Action.HANDLE).filter(uscc=text.upper()).first() or (
        Enterprise.objects.visible_to(user, Action.HANDLE).filter(name=text).order_by("pk").first())
    if firm is None:
        raise ValidationError(f"找不到您办理范围内的企业：{text[:60]}（请填写完整名称或统一社会信用代码）")
    return firm


# ---------------------------------------------------------------- catalogue and orders


@login_required
@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    """服务菜单: what the user's places may order, by providing unit."""
    items = list(selectors.service_catalogue(user=request.user))
    return render(request, "demands/services.html", {
        "items": items, "may_order": allowed(request.user, Action.HANDLE) and _may_place(request.user)})


@login_required
@require_safe
def orders(request: HttpRequest) -> HttpResponse:
    """服务订单 queue: all / my unit's / open / done, status filter, sortable, cards on a phone."""
    tab = request.GET.get("tab", "all")
    status = request.GET.get("status", "")
    f = selectors.OrderFilters(status=status if status in OS.values else "",
                               tab=tab if tab in dict(selectors.ORDER_TABS) else "all", q=request.GET.get("q", "")[:60])
    listing = paginate(request, selectors.order_list(user=request.user, filters=f), sort=ORDER_SORT)
    return render(request, "demands/orders.html", {
        "listing": listing, "page": listing.page, "f": f, "tabs": selectors.ORDER_TABS, "statuses": OS.choices,
        "may_order": allowed(request.user, Action.HANDLE) and _may_place(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.HANDLE)
def order_new(request: HttpRequest) -> HttpResponse:
    """下单: a service of the menu for a union (picker) or one of its enterprises, in the user's handling scope."""
    may = _may_place(request.user)
    if request.method == "POST" and not may:
        raise _no_place()
    place = HandledPlaceForm(request.POST or None, user=request.user)
    catalogue = list(selectors.service_catalogue(user=request.user))
    chosen = request.POST.get("service") or request.GET.get("service", "")
    ctx: dict[str, Any] = {"may_file": may, "place": place, "catalogue": catalogue, "data": request.POST,
                           "chosen": chosen}
    if request.method == "POST":
        p = request.POST
        service = next((s for s in catalogue if str(s.pk) == p.get("service", "")), None)
        union = (Union.objects.visible_to(request.user, Action.HANDLE).filter(pk=place.cleaned_data["union"]).first()
                 if place.is_valid() else None)
        try:
            order = services.service_order_file(actor=request.user, order=services.OrderIn(
                service=service, union=union, enterprise=_enterprise(request.user, p.get("enterprise", "")),
                contact_name=p.get("contact_name", ""), contact_phone=p.get("contact_phone", ""),
                wanted_on=_date(p.get("wanted_on")), note=p.get("note", "")))
        except ValidationError as exc:
            ctx["error"] = exc.messages[0]
            return render(request, "demands/order_new.html", ctx, status=400)
        messages.success(request, f"已提交服务订单 {order.number}")
        return redirect("demands:order", pk=order.pk)
    return render(request, "demands/order_new.html", ctx)


ORDER_STEPS = {
    "accept": ("受理", (OS.SUBMITTED,)),
    "schedule": ("排期", (OS.ACCEPTED, OS.SCHEDULED)),
    "complete": ("完成", (OS.ACCEPTED, OS.SCHEDULED)),
    "decline": ("不予受理", (OS.SUBMITTED, OS.ACCEPTED)),
}


@login_required
@require_http_methods(["GET", "POST"])
@scoped(ServiceOrder, pk="pk", related=("service", "unit", "unit__node", "union", "enterprise", "team"),
        post_action=Action.HANDLE)
def order_detail(request: HttpRequest, serviceorder: ServiceOrder) -> HttpResponse:
    """One order: facts, status history, and the providing unit's steps; a POST takes one step (`step`)."""
    order = serviceorder
    if request.method == "POST":
        return _order_step(request, order)
    provider = allowed(request.user, Action.HANDLE, order) and selectors.can_act_for(request.user, order.unit)
    buttons = [(k, label) for k, (label, states) in ORDER_STEPS.items() if provider and order.status in states]
    teams = [t for t in selectors.teams_for_visits(user=request.user) if order.union.path.startswith(t.node.path)]
    return render(request, "demands/order_detail.html", {
        "o": order, "events": selectors.order_events(order=order), "buttons": buttons, "teams": teams,
        "visits": list(order.visits.select_related("team").order_by("visit_date", "pk"))})


def _order_step(request: HttpRequest, order: ServiceOrder) -> HttpResponse:
    p, actor = request.POST, request.user
    step = p.get("step", "")
    team_id = _int(p.get("team"))
    team = (ServiceTeam.objects.visible_to(actor).filter(pk=team_id).select_related("node").first()
            if team_id is not None else None)
    calls = {
        "accept": lambda: services.service_order_accept(actor=actor, order=order),
        "schedule": lambda: services.service_order_schedule(actor=actor, order=order, on=_date(p.get("on")),
                                                            team=team),
        "complete": lambda: services.service_order_complete(actor=actor, order=order, result=p.get("result", "")),
        "decline": lambda: services.service_order_decline(actor=actor, order=order, reason=p.get("reason", "")),
    }
    if step not in calls:
        return HttpResponse("未知的操作", status=400)
    try:
        calls[step]()
    except WrongState as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"已{ORDER_STEPS[step][0]}")
    return redirect("demands:order", pk=order.pk)


# ---------------------------------------------------------------- teams and visits


def _year(request: HttpRequest) -> int:
    year = _int(request.GET.get("year"))
    return year if year is not None and 2000 <= year <= 2100 else timezone.localdate().year


@login_required
@require_safe
def teams(request: HttpRequest) -> HttpResponse:
    """巡回服务队 and the year's visits per team and per township (黄岩: 361 a year)."""
    year = _year(request)
    counts = selectors.visit_counts(user=request.user, year=year)
    per_team = {r["id"]: r for r in counts["by_team"]}
    rows = [{"team": t, "n": per_team.get(t.pk, {}).get("n", 0), "people": per_team.get(t.pk, {}).get("people", 0)}
            for t in selectors.team_list(user=request.user)]
    this = timezone.localdate().year
    return render(request, "demands/teams.html", {"rows": rows, "counts": counts, "year": year,
                                                   "years": list(range(this, this - 4, -1)),
                                                   "may_create": allowed(request.user, Action.HANDLE)
                                                   and _may_place(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.HANDLE)
def team_new(request: HttpRequest) -> HttpResponse:
    """组建巡回服务队: a team of a union in the user's handling scope (picker), its leader and members (names, one a
    line or separated by 、), and the services of the menu it brings."""
    may = _may_place(request.user)
    if request.method == "POST" and not may:
        raise _no_place()
    place = HandledPlaceForm(request.POST or None, user=request.user)
    ctx: dict[str, Any] = {"may_file": may, "place": place, "data": request.POST,
                           "items": list(selectors.service_catalogue(user=request.user)),
                           "chosen_services": set(request.POST.getlist("services"))}
    if request.method == "POST":
        p = request.POST
        node = (Union.objects.visible_to(request.user, Action.HANDLE).filter(pk=place.cleaned_data["union"]).first()
                if place.is_valid() else None)
        chosen = {int(v) for v in p.getlist("services") if v.isdigit() and len(v) < 12}
        members = [m.strip() for m in p.get("members", "").replace("、", "\n").replace("，", "\n").splitlines()
                   if m.strip()]
        try:
            services.team_create(actor=request.user, name=p.get("name", ""), node=node, leader=p.get("leader", ""),
                                 members=members, services=[s for s in ctx["items"] if s.pk in chosen])
        except ValidationError as exc:
            ctx["error"] = exc.messages[0]
            return render(request, "demands/team_new.html", ctx, status=400)
        messages.success(request, "已组建巡回服务队")
        return redirect("demands:teams")
    return render(request, "demands/team_new.html", ctx)


def _visit_filters(request: HttpRequest) -> selectors.VisitFilters:
    g = request.GET
    year = _int(g.get("year"))
    return selectors.VisitFilters(year=year if year and 2000 <= year <= 2100 else None, team=_int(g.get("team")),
                                  status=g.get("status", "") if g.get("status", "") in CircuitVisit.Status.values
                                  else "", q=g.get("q", "")[:60])


@login_required
@require_safe
def visits(request: HttpRequest) -> HttpResponse:
    """巡回服务 list: year, team, status, search; sortable; export to Excel through the download centre."""
    f = _visit_filters(request)
    listing = paginate(request, selectors.visit_list(user=request.user, filters=f), sort=VISIT_SORT)
    this = timezone.localdate().year
    return render(request, "demands/visits.html", {
        "listing": listing, "page": listing.page, "f": f, "teams": selectors.team_list(user=request.user),
        "statuses": CircuitVisit.Status.choices, "years": list(range(this, this - 4, -1)),
        "may_record": allowed(request.user, Action.HANDLE) and _may_place(request.user)})


@login_required
@require_POST
def visit_export(request: HttpRequest) -> HttpResponse:
    """The visits as filtered, to Excel, as a download-centre job (audited)."""
    job = exports.visit_export_start(user=request.user, filters=_visit_filters(request))
    messages.success(request, f"已提交导出（{job.rows_total} 条），完成后可在“下载中心”下载")
    return redirect("downloads:list")


def _read_photos(request: HttpRequest) -> list[bytes]:
    out = []
    for upload in request.FILES.getlist("photos")[:4]:
        if (upload.size or 0) > services.MAX_PHOTO_BYTES:
            raise ValidationError(f"照片“{upload.name}”超过 5 MB，请压缩后再传")
        out.append(upload.read())
    return out


def _visit_in(request: HttpRequest, *, team: ServiceTeam | None, union: Union | None) -> services.VisitIn:
    p = request.POST
    chosen = {int(v) for v in p.getlist("services") if v.isdigit() and len(v) < 12}
    attendance = p.get("attendance", "").strip()
    if attendance and not attendance.isdigit():
        raise ValidationError("参与人数应为整数")
    return services.VisitIn(
        team=team, union=union, visit_date=_date(p.get("visit_date")),
        enterprise=_enterprise(request.user, p.get("enterprise", "")), place=p.get("place", ""),
        services=list(ServiceItem.objects.filter(pk__in=chosen, active=True)),
        attendance=int(attendance) if attendance else None, feedback=p.get("feedback", ""))


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.HANDLE)
def visit_new(request: HttpRequest) -> HttpResponse:
    """登记巡回服务: record a visit held (services, attendance, up to 3 photos, feedback) or plan one (`plan=1`)."""
    may = _may_place(request.user)
    if request.method == "POST" and not may:
        raise _no_place()
    place = HandledPlaceForm(request.POST or None, user=request.user)
    team_choices = list(selectors.teams_for_visits(user=request.user))
    ctx: dict[str, Any] = {"may_file": may, "place": place, "teams": team_choices, "data": request.POST,
                           "items": list(ServiceItem.objects.filter(active=True).select_related("unit")
                                         .order_by("name", "pk")),
                           "chosen_services": set(request.POST.getlist("services")),
                           "today": timezone.localdate().isoformat()}
    if request.method == "POST":
        team = next((t for t in team_choices if str(t.pk) == request.POST.get("team", "")), None)
        union = (Union.objects.visible_to(request.user, Action.HANDLE).filter(pk=place.cleaned_data["union"]).first()
                 if place.is_valid() else None)
        try:
            visit_in = _visit_in(request, team=team, union=union)
            if request.POST.get("plan") == "1":
                visit = services.visit_schedule(actor=request.user, visit=visit_in)
                messages.success(request, "已排期巡回服务")
            else:
                visit = services.visit_record(actor=request.user, visit=visit_in, photos=_read_photos(request))
                messages.success(request, "已记录巡回服务")
        except (ValidationError, WrongState) as exc:
            ctx["error"] = exc.message if isinstance(exc, WrongState) else exc.messages[0]
            return render(request, "demands/visit_new.html", ctx, status=400)
        return redirect("demands:visit", pk=visit.pk)
    return render(request, "demands/visit_new.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
@scoped(CircuitVisit, pk="pk", related=("team", "team__node", "union", "enterprise", "order"),
        post_action=Action.HANDLE)
def visit_detail(request: HttpRequest, circuitvisit: CircuitVisit) -> HttpResponse:
    """One visit; a planned one shows the form that records it (a POST)."""
    visit = circuitvisit
    error = ""
    if request.method == "POST":
        try:
            services.visit_record(actor=request.user, planned=visit, photos=_read_photos(request),
                                  visit=_visit_in(request, team=None, union=None))
        except (ValidationError, WrongState) as exc:
            error = exc.message if isinstance(exc, WrongState) else exc.messages[0]
        else:
            messages.success(request, "已记录巡回服务")
            return redirect("demands:visit", pk=visit.pk)
    may_record = (visit.status == CircuitVisit.Status.PLANNED and allowed(request.user, Action.HANDLE, visit)
                  and any(t.pk == visit.team_id for t in selectors.teams_for_visits(user=request.user)))
    return render(request, "demands/visit_detail.html", {
        "v": visit, "services": list(visit.services.all()), "photos": selectors.visit_photos(user=request.user,
                                                                                              visit=visit),
        "may_record": may_record, "error": error, "items": list(visit.team.services.filter(active=True)) or list(
            ServiceItem.objects.filter(active=True).order_by("name")),
        "chosen_services": {str(s.pk) for s in visit.services.all()}, "data": request.POST,
        "visit_iso": visit.visit_date.isoformat()}, status=400 if error else 200)


@login_required
@require_safe
@scoped(VisitPhoto, pk="pk")
def visit_photo(request: HttpRequest, visitphoto: VisitPhoto) -> FileResponse:
    """A visit's photo, to those who see the visit (the file lives in the private store)."""
    return photo_response(visit_photo_root(), visitphoto.path, visitphoto.content_type)
