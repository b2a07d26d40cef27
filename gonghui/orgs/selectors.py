"""Every read of the organisation tree starts from `visible_to(user)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Enterprise, Union


@dataclass(frozen=True)
class EnterpriseFilters:
    q: str = ""
    township: int | None = None  # a township federation's Union id (属地)
    covered: bool | None = None
    min_headcount: int | None = None
    status: str = ""
    sort: str = "name"


ENTERPRISE_SORTS = {
    "name": ("name", "pk"),
    "-headcount": ("-headcount", "pk"),
    "headcount": ("headcount", "pk"),
    "uscc": ("uscc",),
    "-updated": ("-updated_at", "pk"),
}


def enterprise_list(*, user: Any, filters: EnterpriseFilters | None = None) -> QuerySet[Enterprise]:
    """Enterprises `user` may see, filtered and sorted. Scope-checked."""
    f = filters or EnterpriseFilters()
    qs = Enterprise.objects.visible_to(user).select_related("territory", "covering_union", "region")
    if f.q:
        qs = qs.filter(Q(name__contains=f.q) | Q(uscc__startswith=f.q.upper()))
    if f.township:
        qs = qs.filter(territory_id=f.township)
    if f.covered is True:
        qs = qs.filter(covering_union__isnull=False)
    elif f.covered is False:
        qs = qs.filter(covering_union__isnull=True)
    if f.min_headcount is not None:
        qs = qs.filter(headcount__gte=f.min_headcount)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by(*ENTERPRISE_SORTS.get(f.sort, ENTERPRISE_SORTS["name"]))


def union_list(
    *, user: Any, kind: str = "", parent: int | None = None, q: str = "", status: str = ""
) -> QuerySet[Union]:
    """Unions `user` may see. `parent` keeps the direct children of that union. Scope-checked."""
    qs = Union.objects.visible_to(user).select_related("region")
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        parent_node = Union.objects.visible_to(user).filter(pk=parent).first()
        if parent_node is None:
            return qs.none()
        qs = qs.filter(path__startswith=parent_node.path, depth=parent_node.depth + 1)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q.upper()))
    if status:
        qs = qs.filter(status=status)
    return qs


def union_roots(*, user: Any) -> QuerySet[Union]:
    """The top nodes of the part of the tree `user` sees (their assignments' nodes)."""
    from gonghui.core.scope import scope_paths

    paths = scope_paths(user)
    if paths is None:
        return Union.objects.filter(depth=1)
    return Union.objects.filter(path__in=paths)


def union_children(*, user: Any, union: Union) -> QuerySet[Union]:
    """Direct children with their own child counts (for the expandable tree). Scope-checked by the caller's
    fetch of `union`; children of a visible union are visible."""
    return (
        Union.objects.filter(path__startswith=union.path, depth=union.depth + 1)
        .annotate(n_covered=Count("covered_enterprises"))
        .order_by("path")
    )


@dataclass(frozen=True)
class ScopeCounts:
    unions: int
    grassroots: int
    enterprises: int
    covered: int
    uncovered_25: int

    @property
    def coverage_rate(self) -> float:
        return self.covered / self.enterprises if self.enterprises else 0.0


def dashboard_counts(*, user: Any) -> ScopeCounts:
    """The 工作台 figures for the user's scope: 建会率 = covered active enterprises / active enterprises."""
    unions = Union.objects.visible_to(user).aggregate(
        n=Count("pk"), g=Count("pk", filter=Q(kind__in=[Union.Kind.SINGLE, Union.Kind.JOINT]))
    )
    ents = Enterprise.objects.visible_to(user).filter(status=Enterprise.Status.ACTIVE).aggregate(
        n=Count("pk"),
        c=Count("pk", filter=Q(covering_union__isnull=False)),
        u25=Count("pk", filter=Q(covering_union__isnull=True, headcount__gte=25)),
    )
    return ScopeCounts(
        unions=unions["n"], grassroots=unions["g"], enterprises=ents["n"], covered=ents["c"], uncovered_25=ents["u25"]
    )


def township_coverage(*, user: Any) -> list[dict[str, Any]]:
    """建会率 per township federation within scope, for the 工作台 chart."""
    rows = (
        Enterprise.objects.visible_to(user)
        .filter(status=Enterprise.Status.ACTIVE)
        .values("territory_id", "territory__name")
        .annotate(n=Count("pk"), c=Count("pk", filter=Q(covering_union__isnull=False)))
        .order_by("territory__path")
    )
    return [
        {"id": r["territory_id"], "name": r["territory__name"], "enterprises": r["n"], "covered": r["c"],
         "rate": (r["c"] / r["n"]) if r["n"] else 0.0}
        for r in rows
    ]
