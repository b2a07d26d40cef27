"""Every read of demands, given the user, starting from `Demand.objects.visible_to(user)`: the queues, one demand
with its timeline, the units a demand may go to, and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action, action_paths, action_units
from gonghui.orgs.models import Union
from gonghui.orgs.scope import whole_tree

from .models import (
    Category,
    CircuitVisit,
    Demand,
    DemandEvent,
    DemandPhoto,
    ServiceItem,
    ServiceOrder,
    ServiceOrderEvent,
    ServiceTeam,
    VisitPhoto,
)

S = Demand.Status
TABS = (("all", "全部"), ("mine", "本单位承办"), ("units", "下属站点承办"), ("dispatch", "待派单"),
        ("overdue", "已超时"), ("callback", "待回访"))


def _units_q(user: Any, *, prefix: str = "unit") -> Q | None:
    """The demands held by a unit `user` acts for (None: every unit — a superuser)."""
    units = action_units(user, Action.HANDLE)
    paths = action_paths(user, Action.HANDLE)
    if units is None or paths is None:
        return None
    parts = [Q(**{f"{prefix}__in": units})] if units else []
    parts += [Q(**{f"{prefix}__node__path__startswith": p}) for p in paths]
    return reduce(operator.or_, parts) if parts else Q(pk__in=[])


@dataclass(frozen=True)
class DemandFilters:
    status: str = ""
    category: str = ""
    overdue: bool | None = None
    unit: int | None = None
    q: str = ""
    tab: str = "all"


def demand_list(*, user: Any, filters: DemandFilters | None = None, now: dt.datetime | None = None) -> QuerySet[Demand]:
    """The demands in `user`'s sight, filtered; a queue tab narrows to the user's own work. Scope-checked; the
    unit filter only narrows (a unit out of sight brings nothing)."""
    f = filters or DemandFilters()
    now = now or timezone.now()
    qs = Demand.objects.visible_to(user).select_related("unit", "union")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.overdue is True:
        qs = qs.filter(status__in=Demand.OPEN, due_at__lt=now)
    elif f.overdue is False:
        qs = qs.exclude(status__in=Demand.OPEN, due_at__lt=now)
    if f.unit:
        qs = qs.filter(unit_id=f.unit)
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(number__iexact=q) | Q(title__icontains=q) | Q(contact_name=q))
    if f.tab == "mine":
        from .services import own_unit

        unit = own_unit(user)
        qs = qs.filter(unit=unit) if unit is not None else qs.none()
    elif f.tab == "units":
        mine = _units_q(user)
        qs = qs.filter(mine) if mine is not None else qs.filter(unit__isnull=False)
    elif f.tab == "dispatch":
        paths = action_paths(user, Action.HANDLE)
        qs = qs.filter(status=S.PENDING)
        if paths is not None:
            qs = qs.filter(reduce(operator.or_, (Q(decider__path__startswith=p) for p in paths), Q(pk__in=[])))
    elif f.tab == "overdue":
        qs = qs.filter(status__in=Demand.OPEN, due_at__lt=now)
    elif f.tab == "callback":
        # sampled when closed; a reopened one waits for its next close (closed_at is cleared on reopening)
        qs = qs.filter(callback_sampled=True, callback_at__isnull=True, closed_at__isnull=False)
    if f.tab in ("mine", "units", "overdue"):
        return qs.order_by("due_at", "pk")
    return qs.order_by("-received_at", "-pk")


def demand_get(*, user: Any, pk: int) -> Demand:
    """One demand in sight (Http404 otherwise), with its place and unit."""
    return Demand.objects.select_related("unit", "union", "enterprise", "decider").get_visible(user, pk=pk)


def timeline(*, demand: Demand) -> list[DemandEvent]:
    return list(demand.events.select_related("unit", "actor").order_by("at", "pk"))


def photos(*, user: Any, demand: Demand) -> list[DemandPhoto]:
    return list(DemandPhoto.objects.visible_to(user).filter(demand=demand).order_by("pk"))


def handling_units() -> QuerySet[Unit]:
    """Every active unit a demand may be sent to (service points and partner departments): routing crosses
    places by design, so the list is not scoped (a unit's name is not personal data)."""
    return Unit.objects.filter(active=True).select_related("node").order_by("kind", "name")


def can_act_for(user: Any, unit: Unit | None) -> bool:
    from .services import acts_for

    return unit is not None and acts_for(user, unit)


# ---------------------------------------------------------------- dashboard


DASHBOARD_TTL = 600  # seconds a user scope's figures are kept when no demand changes (overdue shares may lag so long)


def _scope_key(user: Any) -> str:
    """Users who see the same demands share cached figures: the key is their scope, not their id."""
    paths = action_paths(user, Action.VIEW)
    units = action_units(user, Action.VIEW)
    raw = "all" if paths is None else f"{sorted(paths)}|{sorted(units or [])}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def dashboard_cached(*, user: Any) -> dict[str, Any]:
    """`dashboard` for the last year, kept DASHBOARD_TTL seconds per user scope and the demands' last change
    (gonghui/demands/revision.py: every write of a demand drops it). Scope-checked like `dashboard`."""
    from django.core.cache import cache

    from . import revision

    key = f"demands:dashboard:{revision.current()}:{_scope_key(user)}"
    figures = cache.get(key)
    if figures is None:
        figures = dashboard(user=user)
        cache.set(key, figures, DASHBOARD_TTL)
    return figures  # type: ignore[no-any-return]


def dashboard(*, user: Any, since: dt.datetime | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The figures of the demands in sight received since `since` (a year back by default): solved, by category, by
    township, median working hours to close, overdue share of the open ones, satisfaction. None per row: a
    district-wide user gets grouped queries; a scoped one (a township: a few thousand demands a year) one pass over
    the covering index demand_dashboard_idx, counted here — the scope's OR made each grouped query leave the index
    for the table (bench/bench_demands.py, DESIGN-NOTES)."""
    now = now or timezone.now()
    since = since or now - dt.timedelta(days=365)
    qs = Demand.objects.visible_to(user).filter(received_at__gte=since)
    by_status: dict[str, int] = {}
    per_category: dict[str, int] = {}
    ratings: dict[str, int] = {}
    by_union: dict[int, int] = {}
    middle: list[int | None] = []
    if whole_tree(user):
        # one scan for status, category and rating together (index-only); the rest through their own indexes
        for status, category, rating, n in qs.values_list("status", "category", "rating").annotate(
                n=Count("pk")).values_list("status", "category", "rating", "n"):
            by_status[status] = by_status.get(status, 0) + n
            per_category[category] = per_category.get(category, 0) + n
            if rating:
                ratings[rating] = ratings.get(rating, 0) + n
        overdue = qs.filter(status__in=Demand.OPEN, due_at__lt=now).count()
        by_union = dict(qs.values_list("union_id").annotate(n=Count("pk")).values_list("union_id", "n"))
        closed = qs.filter(working_seconds__isnull=False)
        n_closed = closed.count()
        middle = list(closed.order_by("working_seconds").values_list("working_seconds", flat=True)[
            n_closed // 2:n_closed // 2 + 1]) if n_closed else []
    else:
        overdue, open_ = 0, set(Demand.OPEN)
        spent: list[int] = []
        for status, category, rating, union_id, due_at, seconds in qs.values_list(
                "status", "category", "rating", "union_id", "due_at", "working_seconds").order_by():
            by_status[status] = by_status.get(status, 0) + 1
            per_category[category] = per_category.get(category, 0) + 1
            by_union[union_id] = by_union.get(union_id, 0) + 1
            if rating:
                ratings[rating] = ratings.get(rating, 0) + 1
            if status in open_ and due_at < now:
                overdue += 1
            if seconds is not None:
                spent.append(seconds)
        spent.sort()
        middle = [*spent[len(spent) // 2:len(spent) // 2 + 1]]
    total = sum(by_status.values())
    solved = by_status.get(S.CLOSED, 0) + by_status.get(S.DONE, 0)
    open_n = sum(by_status.get(s, 0) for s in Demand.OPEN)
    labels = dict(Category.choices)
    by_category = [{"key": k, "label": labels.get(k, k), "n": n}
                   for k, n in sorted(per_category.items(), key=lambda kv: (-kv[1], kv[0]))]
    prefix_len = 2 * Union.steplen
    names = {u.path: u.name for u in Union.objects.filter(depth=2)}
    per_path: dict[str, int] = {}
    for pk, path in Union.objects.filter(pk__in=list(by_union)).values_list("pk", "path"):
        key = path[:prefix_len]
        per_path[key] = per_path.get(key, 0) + by_union[pk]
    by_township = sorted(({"name": names.get(p, "区直"), "n": n} for p, n in per_path.items()),
                         key=lambda r: (-int(str(r["n"])), str(r["name"])))
    median_hours = round(middle[0] / 3600, 1) if middle and middle[0] is not None else None
    rated = sum(ratings.values())
    satisfied = ratings.get(Demand.Rating.SATISFIED, 0) + ratings.get(Demand.Rating.BASIC, 0)
    return {
        "total": total, "solved": solved, "open": open_n, "overdue": overdue,
        "overdue_share": round(100 * overdue / open_n, 1) if open_n else 0.0,
        "by_category": by_category, "by_township": by_township, "median_hours": median_hours,
        "ratings": [{"key": k, "label": Demand.Rating(k).label, "n": ratings.get(k, 0)} for k in Demand.Rating.values],
        "satisfaction": round(100 * satisfied / rated, 1) if rated else None,
    }


# ---------------------------------------------------------------- service menu, orders, teams, circuit visits


def service_catalogue(*, user: Any) -> QuerySet[ServiceItem]:
    """The menu as `user` may order from it: the services of the partner departments and of the service points
    whose node lies on the line above, or inside, one of the user's subtrees (the district's for everyone, a
    township's for that township). A unit off the tree sees the services it provides. Active ones only."""
    qs = ServiceItem.objects.filter(active=True, unit__active=True).select_related("unit", "unit__node")
    paths = action_paths(user, Action.VIEW)
    if paths is None:
        return qs.order_by("unit__node__path", "name", "pk")
    units = action_units(user, Action.VIEW) or []
    parts = [Q(unit__in=units)] if units else []
    if paths:
        above = {p[:i] for p in paths for i in range(Union.steplen, len(p) + 1, Union.steplen)}
        parts += [Q(unit__node__isnull=True), Q(unit__node__path__in=sorted(above))]
        parts += [Q(unit__node__path__startswith=p) for p in paths]
    if not parts:
        return qs.none()
    return qs.filter(reduce(operator.or_, parts)).order_by("unit__node__path", "name", "pk")


ORDER_TABS = (("all", "全部"), ("mine", "本单位提供"), ("open", "待办理"), ("done", "已完成"))


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    tab: str = "all"
    q: str = ""


def order_list(*, user: Any, filters: OrderFilters | None = None) -> QuerySet[ServiceOrder]:
    """The orders in `user`'s sight (by the ordering place, the providing unit, or that unit's node), filtered;
    `mine` narrows to the orders of the units the user acts for. Scope-checked."""
    f = filters or OrderFilters()
    qs = ServiceOrder.objects.visible_to(user).select_related("service", "unit", "union", "team")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.tab == "mine":
        mine = _units_q(user)
        qs = qs.filter(mine) if mine is not None else qs
    elif f.tab == "open":
        qs = qs.filter(status__in=(ServiceOrder.Status.SUBMITTED, ServiceOrder.Status.ACCEPTED,
                                   ServiceOrder.Status.SCHEDULED))
    elif f.tab == "done":
        qs = qs.filter(status=ServiceOrder.Status.DONE)
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(number__iexact=q) | Q(service__name__icontains=q) | Q(union__name__icontains=q))
    return qs.order_by("-created_at", "-pk")


def order_events(*, order: ServiceOrder) -> list[ServiceOrderEvent]:
    return list(order.events.select_related("actor").order_by("at", "pk"))


def team_list(*, user: Any) -> QuerySet[ServiceTeam]:
    """The teams in `user`'s sight (by the team's node), active first."""
    return ServiceTeam.objects.visible_to(user).select_related("node").prefetch_related("services").order_by(
        "-active", "node__path", "name")


def teams_for_visits(*, user: Any) -> QuerySet[ServiceTeam]:
    """The active teams `user` may record visits for (the team's node in their handling scope)."""
    return ServiceTeam.objects.visible_to(user, Action.HANDLE).filter(active=True).select_related("node").order_by(
        "node__path", "name")


@dataclass(frozen=True)
class VisitFilters:
    year: int | None = None
    team: int | None = None
    status: str = ""
    q: str = ""


def visit_list(*, user: Any, filters: VisitFilters | None = None) -> QuerySet[CircuitVisit]:
    """The visits in `user`'s sight (by the place, or by the team's node), filtered; the team filter only narrows.
    Scope-checked."""
    f = filters or VisitFilters()
    qs = CircuitVisit.objects.visible_to(user).select_related("team", "union", "enterprise")
    if f.year:
        qs = qs.filter(visit_date__gte=dt.date(f.year, 1, 1), visit_date__lte=dt.date(f.year, 12, 31))
    if f.team:
        qs = qs.filter(team_id=f.team)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(union__name__icontains=q) | Q(place__icontains=q) | Q(enterprise__name__icontains=q))
    return qs.order_by("-visit_date", "-pk")


def visit_photos(*, user: Any, visit: CircuitVisit) -> list[VisitPhoto]:
    return list(VisitPhoto.objects.visible_to(user).filter(visit=visit).order_by("pk"))


def _township_names() -> dict[str, str]:
    return {u.path: u.name for u in Union.objects.filter(depth__lte=2).only("path", "name")}


def visit_counts(*, user: Any, year: int) -> dict[str, Any]:
    """The visits held in `year` in `user`'s sight: the total and the attendance, per team and per township (the
    township of the place). Three grouped queries, none per row."""
    qs = visit_list(user=user, filters=VisitFilters(year=year, status=CircuitVisit.Status.HELD))
    by_team = list(qs.order_by().values("team_id", "team__name", "team__node__name").annotate(
        n=Count("pk"), people=Sum("attendance")).order_by("-n", "team__name"))
    prefix = 2 * Union.steplen
    names = _township_names()
    per: dict[str, list[int]] = {}
    for path, n, people in qs.order_by().values_list("union__path").annotate(
            n=Count("pk"), people=Sum("attendance")).values_list("union__path", "n", "people"):
        key = path[:prefix]
        row = per.setdefault(key, [0, 0])
        row[0] += n
        row[1] += people or 0
    by_township = sorted(({"name": names.get(k, "区直"), "n": v[0], "people": v[1]} for k, v in per.items()),
                         key=lambda r: (-int(str(r["n"])), str(r["name"])))
    planned = visit_list(user=user, filters=VisitFilters(year=year, status=CircuitVisit.Status.PLANNED)).count()
    return {
        "year": year, "total": sum(int(str(r["n"])) for r in by_township),
        "people": sum(int(str(r["people"])) for r in by_township), "planned": planned,
        "by_team": [{"id": r["team_id"], "name": r["team__name"], "node": r["team__node__name"], "n": r["n"],
                     "people": r["people"] or 0} for r in by_team],
        "by_township": by_township,
    }
