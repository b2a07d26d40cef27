"""Demands console: the queues (all / mine / my units' / to dispatch / overdue / to call back), one demand with its
timeline and the buttons its status allows, logging a call, the Excel export through the download centre, the
scoped photo view and the dashboard. Thin: parse, call a selector or service, render. Out of scope = 404."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action
from gonghui.core import workdays
from gonghui.core.errors import WrongState
from gonghui.orgs.models import Union
from gonghui.orgs.scope import allowed, permission, scoped

from . import exports, selectors, services
from .forms import PlaceForm
from .models import Category, Demand, DemandPhoto
from .photos import photo_response, photo_root

S = Demand.Status


def _calendar_warning() -> list[int]:
    """The years the clocks of open demands reach that have no 放假安排 (the banner says so until entered)."""
    today = timezone.localdate()
    return workdays.missing_years([today.year, (today + dt.timedelta(days=40)).year])


def _filters(request: HttpRequest) -> selectors.DemandFilters:
    get = request.GET
    unit = get.get("unit", "")
    overdue = {"1": True, "0": False}.get(get.get("overdue", ""))
    return selectors.DemandFilters(
        status=get.get("status", "") if get.get("status", "") in S.values else "",
        category=get.get("category", "") if get.get("category", "") in Category.values else "",
        overdue=overdue, unit=int(unit) if unit.isdigit() and len(unit) < 12 else None, q=get.get("q", "")[:60],
        tab=get.get("tab", "all") if get.get("tab", "all") in dict(selectors.TABS) else "all")


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """The queues, overdue rows in red, each row to its demand."""
    f = _filters(request)
    qs = selectors.demand_list(user=request.user, filters=f)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    now = timezone.now()
    for d in page:
        d.overdue = d.status in Demand.OPEN and d.due_at < now  # type: ignore[attr-defined]
    template = "demands/_rows.html" if request.htmx else "demands/queue.html"  # type: ignore[attr-defined]
    return render(request, template, {
        "page": page, "query": query, "f": f, "tabs": selectors.TABS, "statuses": S.choices,
        "categories": Category.choices, "missing_years": _calendar_warning(),
        "can_handle": allowed(request.user, Action.HANDLE),
        "tab_query": urlencode({k: v for k, v in request.GET.items() if k not in ("page", "tab") and v}),
    })


@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """The queue as filtered, to Excel, as a download-centre job (audited)."""
    job = exports.demand_export_start(user=request.user, filters=_filters(request))
    messages.success(request, f"已提交导出（{job.rows_total} 条），完成后可在“下载中心”下载")
    return redirect("downloads:list")


STEPS = {
    "assign": ("派单", (S.PENDING,)),
    "claim": ("认领", (S.PENDING,)),
    "sign": ("签收", (S.ASSIGNED,)),
    "transfer": ("转交", (S.ASSIGNED, S.IN_PROGRESS)),
    "return": ("退单", (S.ASSIGNED, S.IN_PROGRESS)),
    "pause": ("暂停（待补充材料）", (S.IN_PROGRESS,)),
    "resume": ("恢复办理", (S.PAUSED,)),
    "close": ("办结", (S.IN_PROGRESS,)),
    "rate": ("代录职工评价", (S.CLOSED,)),
    "callback": ("回访", (S.CLOSED, S.DONE)),
}


def _buttons(user: Any, demand: Demand) -> list[tuple[str, str]]:
    """The steps shown: those the status allows and the user's unit could take (the service checks again)."""
    if not allowed(user, Action.HANDLE, demand):
        return []
    holder = selectors.can_act_for(user, demand.unit)
    out = []
    for step, (label, statuses) in STEPS.items():
        if demand.status not in statuses:
            continue
        if step in ("sign", "transfer", "return", "pause", "resume", "close", "rate") and not holder:
            continue
        out.append((step, label))
    return out


@login_required
@require_http_methods(["GET", "POST"])
@scoped(Demand, pk="pk", related=("unit", "union", "enterprise", "decider"), post_action=Action.HANDLE)
def detail(request: HttpRequest, demand: Demand) -> HttpResponse:
    """One demand: facts, clocks, photos, the timeline and the buttons; a POST takes one step (`step`)."""
    if request.method == "POST":
        return _step(request, demand)
    suggested = services.suggest_unit(category=demand.category, union=demand.union) if (
        demand.status == S.PENDING) else None
    return render(request, "demands/detail.html", {
        "d": demand, "events": selectors.timeline(demand=demand),
        "photos": selectors.photos(user=request.user, demand=demand), "buttons": _buttons(request.user, demand),
        "units": selectors.handling_units(), "suggested": suggested,
        "overdue": demand.status in Demand.OPEN and demand.due_at < timezone.now(),
        "escalated_to": services.escalation_level(demand) if demand.escalated_at else "",
        "ratings": Demand.Rating.choices, "missing_years": _calendar_warning(),
    })


def _step(request: HttpRequest, demand: Demand) -> HttpResponse:
    p = request.POST
    step = p.get("step", "")
    unit = Unit.objects.filter(pk=p["unit"], active=True).first() if p.get("unit", "").isdigit() else None
    actor = request.user
    calls = {
        "assign": lambda: services.demand_assign(actor=actor, demand=demand, unit=unit),
        "claim": lambda: services.demand_claim(actor=actor, demand=demand),
        "sign": lambda: services.demand_sign(actor=actor, demand=demand),
        "transfer": lambda: services.demand_transfer(actor=actor, demand=demand, unit=unit,
                                                     reason=p.get("reason", "")),
        "return": lambda: services.demand_return(actor=actor, demand=demand, reason=p.get("reason", "")),
        "pause": lambda: services.demand_pause(actor=actor, demand=demand, reason=p.get("reason", "")),
        "resume": lambda: services.demand_resume(actor=actor, demand=demand),
        "close": lambda: services.demand_close(actor=actor, demand=demand, result=p.get("result", "")),
        "rate": lambda: services.demand_rate(actor=actor, demand=demand, rating=p.get("rating", ""),
                                             comment=p.get("comment", "")),
        "callback": lambda: services.demand_callback(
            actor=actor, demand=demand, reached={"1": True, "0": False}.get(p.get("reached", "")),
            rating=p.get("rating", ""), note=p.get("note", "")),
    }
    if step not in calls:
        return HttpResponse("未知的操作", status=400)
    try:
        calls[step]()
    except WrongState as exc:
        messages.error(request, exc.message)
        return redirect("demands:detail", pk=demand.pk)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("demands:detail", pk=demand.pk)
    messages.success(request, f"已{STEPS[step][0]}")
    return redirect("demands:detail", pk=demand.pk)


@login_required
@require_safe
@scoped(DemandPhoto, pk="pk")
def photo(request: HttpRequest, demandphoto: DemandPhoto) -> FileResponse:
    """A demand's photo, to those who see the demand (the file lives in the private store)."""
    return photo_response(photo_root(), demandphoto.path, demandphoto.content_type)


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.HANDLE)
def new(request: HttpRequest) -> HttpResponse:
    """A cadre logs a call or a visit (possibly an earlier one), or a 先锋领队's report, at a union in their scope."""
    # A demand is logged at a place: only those who handle some part of the tree may (a partner department works
    # what is routed to its unit, from the queue); the page tells them so and a POST is a 403.
    may_file = Union.objects.visible_to(request.user, Action.HANDLE).exists()
    if request.method == "POST" and not may_file:
        raise PermissionDenied("登记诉求须在组织范围内办理；协同单位请在诉求工单中办理派给本单位的诉求")
    place = PlaceForm(request.POST or None, user=request.user)
    ctx: dict[str, Any] = {"may_file": may_file, "categories": Category.choices, "urgencies": Demand.Urgency.choices, "place": place,
                           "channels": [c for c in Demand.Channel.choices if c[0] != "web"], "data": request.POST}
    if request.method == "POST":
        p = request.POST
        union = (Union.objects.visible_to(request.user, Action.HANDLE).filter(pk=place.cleaned_data["union"]).first()
                 if place.is_valid() else None)
        received = None
        if p.get("received_at"):
            try:
                received = timezone.make_aware(dt.datetime.fromisoformat(p["received_at"]))
            except ValueError:
                ctx["error"] = "受理时间格式有误"
        try:
            if "error" not in ctx:
                files = request.FILES.getlist("photos")
                demand = services.demand_file(actor=request.user, intake=services.Intake(
                    category=p.get("category", ""), title=p.get("title", ""), description=p.get("description", ""),
                    contact_name=p.get("contact_name", ""), contact_phone=p.get("contact_phone", ""),
                    urgency=p.get("urgency", "normal"), channel=p.get("channel", "phone"), received_at=received,
                    union=union, employer_may_know=p.get("employer_may_know") == "1"),
                    photos=[_read(f) for f in files])
                messages.success(request, f"已登记诉求 {demand.number}")
                return redirect("demands:detail", pk=demand.pk)
        except ValidationError as exc:
            ctx["error"] = exc.messages[0]
        return render(request, "demands/new.html", ctx, status=400)
    return render(request, "demands/new.html", ctx)


def _read(upload: Any) -> bytes:
    if upload.size > services.MAX_PHOTO_BYTES:
        raise ValidationError(f"照片“{upload.name}”超过 5 MB，请压缩后再传")
    data: bytes = upload.read()
    return data


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """诉求看板 in ECharts over the user's scope: solved, by category, by township, median working hours to close,
    overdue share, satisfaction (kept 10 minutes per scope until a demand changes); this year's circuit visits."""
    figures = selectors.dashboard_cached(user=request.user)
    visits = selectors.visit_counts(user=request.user, year=timezone.localdate().year)
    chart = {"categories": [[r["label"], r["n"]] for r in figures["by_category"]],
             "townships": [[r["name"], r["n"]] for r in figures["by_township"]],
             "ratings": [[r["label"], r["n"]] for r in figures["ratings"]],
             "visits": [[r["name"], r["n"]] for r in visits["by_township"]]}
    return render(request, "demands/dashboard.html", {"f": figures, "chart_json": json.dumps(chart, ensure_ascii=False),
                                                      "queue_url": reverse("demands:queue"), "visits": visits,
                                                      "teams_url": reverse("demands:teams")})
