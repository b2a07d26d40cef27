"""Every read of the organisation tree starts from `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from gonghui.accounts.permissions import Action, action_paths
from gonghui.core.paging import Sort

from .models import Coverage, Enterprise, Union
from .scope import path_in_scope, union_subtree_q


@dataclass(frozen=True)
class EnterpriseFilters:
    q: str = ""
    township: int | None = None  # a township federation's Union id (属地)
    covered: bool | None = None
    min_headcount: int | None = None
    status: str = ""
    sort: str = "name"


# the 企业名录's sortable columns (its headers, its export): `?sort=headcount`, `?sort=-headcount`, …
ENTERPRISE_SORT = Sort({"name": ("name",), "uscc": ("uscc",), "headcount": ("headcount",),
                        "township": ("territory__path",), "status": ("status",), "updated": ("updated_at",)},
                       default="name")
# the 工会名录's: in tree order by default
UNION_SORT = Sort({"tree": ("path",), "name": ("name",), "kind": ("kind", "path"), "code": ("code",),
                   "status": ("status", "path")}, default="tree")


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
    return qs.order_by(*ENTERPRISE_SORT.order_by(f.sort))


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
    paths = action_paths(user)
    if paths is None:
        return Union.objects.filter(depth=1)
    return Union.objects.filter(path__in=paths)


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


def dashboard_counts(*, user: Any, townships: list[dict[str, Any]] | None = None) -> ScopeCounts:
    """The 工作台 figures for the user's scope: 建会率 = covered active enterprises / active enterprises.

    The enterprise figures are the sums of `township_coverage` (pass its rows when you have them, as the 工作台
    does: the enterprises in scope are then read once)."""
    unions = Union.objects.visible_to(user).aggregate(
        n=Count("pk"), g=Count("pk", filter=Q(kind__in=[Union.Kind.SINGLE, Union.Kind.JOINT]))
    )
    if townships is None:
        townships = township_coverage(user=user)
    return ScopeCounts(
        unions=unions["n"], grassroots=unions["g"], enterprises=sum(t["enterprises"] for t in townships),
        covered=sum(t["covered"] for t in townships), uncovered_25=sum(t["uncovered_25"] for t in townships),
    )


DISTRICT_FIGURES_SECONDS = 300  # a district-wide figure shown beside a township's: the same for every cadre


def district_of(*, user: Any) -> str | None:
    """The path of the district root above the user's part of the tree, when the user sees only a part of it
    (a township, a federation, a union); None for a whole-tree user (their figures are the district's) or one
    off the tree. No query (the paths are cached on the user)."""
    paths = action_paths(user)
    if not paths or any(len(p) == Union.steplen for p in paths):
        return None  # superuser / off the tree / holds a root: its own figures are the district's
    roots = {p[:Union.steplen] for p in paths}
    return roots.pop() if len(roots) == 1 else None  # assignments in two districts: nothing to compare with


def district_coverage(*, district: str) -> dict[str, Any]:
    """建会率 of the whole district at path `district` (active enterprises whose territory lies under it): a
    figure, not a list, so a township cadre may compare theirs with it without seeing the district's objects.
    Cached 5 minutes: one cache read on the 工作台."""
    from django.core.cache import cache

    key = f"gh:district-coverage:{district}"
    figures: dict[str, Any] | None = cache.get(key)
    if figures is None:
        agg = (Enterprise.objects.filter(status=Enterprise.Status.ACTIVE, territory__path__startswith=district)
               .aggregate(n=Count("*"), c=Count("covering_union")))
        figures = {"enterprises": agg["n"], "covered": agg["c"], "rate": (agg["c"] / agg["n"]) if agg["n"] else 0.0}
        cache.set(key, figures, DISTRICT_FIGURES_SECONDS)
    return figures


def township_coverage(*, user: Any) -> list[dict[str, Any]]:
    """建会率 per township federation within scope, for the 工作台 chart (also 未建会 firms of ≥ 25 people).

    Two queries whatever the scope: the active enterprises in scope grouped by territory alone (read from
    enterprise_counts_idx, no join), then the townships' names and tree order."""
    rows = list(
        Enterprise.objects.visible_to(user)
        .filter(status=Enterprise.Status.ACTIVE)
        .values("territory_id")
        .annotate(  # only columns of enterprise_counts_idx (not COUNT(id)): PostgreSQL reads the index alone
            n=Count("*"),
            c=Count("covering_union"),  # counts the non-null ones: the covered firms
            u25=Count("territory", filter=Q(covering_union__isnull=True, headcount__gte=25)),
        )
        .order_by()
    )
    names = {u.pk: u for u in Union.objects.filter(pk__in=[r["territory_id"] for r in rows]).only("pk", "name", "path")}
    return [
        {"id": r["territory_id"], "name": names[r["territory_id"]].name, "enterprises": r["n"], "covered": r["c"],
         "uncovered_25": r["u25"], "rate": (r["c"] / r["n"]) if r["n"] else 0.0}
        for r in sorted(rows, key=lambda r: names[r["territory_id"]].path)
    ]


def enterprises_on(*, territories: list[int], day: dt.date) -> QuerySet[Enterprise]:
    """The active enterprises of these townships that were known on `day`: in the registry from the start, or
    entered from a list dated on or before it (`listed_on`). The caller passes townships it has scope-checked."""
    return Enterprise.objects.filter(territory__in=territories, status=Enterprise.Status.ACTIVE).filter(
        Q(listed_on__isnull=True) | Q(listed_on__lte=day))


def township_coverage_on(*, territories: list[int], day: dt.date) -> dict[int, dict[str, Any]]:
    """建会率 per township as it stood on `day`, the 工作台's definition read from the coverage history: the
    enterprises of `enterprises_on` with a coverage open that day / those enterprises. One query. Townships
    with no enterprise are absent. The caller passes townships it has scope-checked."""
    open_then = Coverage.objects.filter(enterprise=OuterRef("pk"), started_on__lte=day).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    rows = (enterprises_on(territories=territories, day=day).values("territory_id")
            .annotate(n=Count("pk"), c=Count("pk", filter=Exists(open_then)), h=Sum("headcount")).order_by())
    return {r["territory_id"]: {"enterprises": r["n"], "covered": r["c"], "headcount": r["h"] or 0,
                                "rate": (r["c"] / r["n"]) if r["n"] else None} for r in rows}


# ---------------------------------------------------------------- console reads (tree, details, filters)

GRASSROOTS_KINDS = (Union.Kind.SINGLE, Union.Kind.JOINT)


def union_search(*, user: Any, q: str, limit: int = 50) -> list[Union]:
    """Unions in scope whose name contains `q` or whose USCC starts with it (at most `limit`). Scope-checked."""
    q = q.strip()
    if not q:
        return []
    return list(union_list(user=user, q=q).order_by("depth", "path")[:limit])


def grassroots_counts(*, parents: list[Union]) -> dict[int, int]:
    """For each of `parents`: how many grassroots unions (单独建会/联合工会) lie anywhere below it.

    One grouped query over the materialised paths, whatever the number of parents (no N+1)."""
    from django.db.models.functions import Substr

    if not parents:
        return {}
    depth = parents[0].depth
    same_depth = [p for p in parents if p.depth == depth]
    counts: dict[int, int] = {}
    prefixes = {p.path: p.pk for p in same_depth}
    rows = (
        Union.objects.filter(union_subtree_q(list(prefixes)), kind__in=GRASSROOTS_KINDS, depth__gt=depth)
        .annotate(prefix=Substr("path", 1, depth * Union.steplen))
        .values("prefix")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        pk = prefixes.get(row["prefix"])
        if pk is not None:
            counts[pk] = row["n"]
    for p in parents:
        if p.depth != depth:  # rare: roots of mixed depth (a user with several assignments)
            counts.update(grassroots_counts(parents=[p]))
    return counts


def union_tree_nodes(*, user: Any, nodes: list[Union]) -> list[dict[str, Any]]:
    """Tree rows for `nodes` (already fetched through scope): the union, its grassroots count (federations,
    townships) or covered-firm count (grassroots unions). Two queries whatever the number of nodes."""
    grassroots_ids = [n.pk for n in nodes if n.is_grassroots]
    covered: dict[int, int] = {}
    if grassroots_ids:
        covered = dict(
            Enterprise.objects.filter(covering_union__in=grassroots_ids)
            .values("covering_union")
            .annotate(n=Count("pk"))
            .values_list("covering_union", "n")
        )
    below = grassroots_counts(parents=[n for n in nodes if not n.is_grassroots])
    return [
        {"union": n, "covered": covered.get(n.pk, 0), "grassroots": below.get(n.pk, 0), "has_children": n.numchild > 0}
        for n in nodes
    ]


CHILDREN_PAGE = 100  # a township of a city has 600–800 direct children: the tree and the detail show 100 at a time


@dataclass(frozen=True)
class ChildSlice:
    """One slice of a union's direct children (tree order) as tree rows, and where the next slice starts."""

    parent: Union
    nodes: list[dict[str, Any]]
    offset: int
    total: int  # all direct children of `parent`

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.nodes)

    @property
    def remaining(self) -> int:
        return max(self.total - self.next_offset, 0)


def union_child_slice(
    *, user: Any, union_id: int | None = None, parent: Union | None = None, offset: int = 0,
    limit: int = CHILDREN_PAGE,
) -> ChildSlice:
    """At most `limit` direct children of a visible union from `offset` on, as tree rows (three queries, two when
    `parent` was already fetched through scope). `union_id` is fetched through scope: 404 outside it. The total
    is the node's own child count (treebeard's numchild), so paging costs no count query."""
    if parent is None:
        if union_id is None:
            raise ValueError("union_child_slice needs union_id or parent")
        parent = Union.objects.get_visible(user, pk=union_id)
    offset = max(0, min(offset, parent.numchild))
    children = list(
        Union.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("path")[offset : offset + limit]
    ) if parent.numchild else []
    return ChildSlice(parent=parent, nodes=union_tree_nodes(user=user, nodes=children), offset=offset,
                      total=max(parent.numchild, offset + len(children)))


def union_breadcrumbs(*, user: Any, union: Union) -> list[Union]:
    """Ancestors of `union` that lie inside the user's scope, top first (never an ancestor outside scope)."""
    paths = [union.path[: i * Union.steplen] for i in range(1, union.depth)]
    ancestors = Union.objects.filter(path__in=paths).order_by("depth")
    return [a for a in ancestors if path_in_scope(user, a.path)]


def union_committees(*, user: Any, union: Union) -> list[Any]:
    """The union's committees (newest term first per kind) with their members prefetched. Scope-checked."""
    from .models import Committee

    order = {Committee.Kind.COMMITTEE: 0, Committee.Kind.AUDIT: 1, Committee.Kind.WOMEN: 2}
    rows = Committee.objects.visible_to(user).filter(union=union).prefetch_related("members").order_by("-term_start")
    return sorted(rows, key=lambda c: order.get(c.kind, 9))


def union_coverages(*, user: Any, union: Union) -> QuerySet[Any]:
    """Open coverages of `union` (the enterprises it covers now, with the start date). Scope-checked."""
    from .models import Coverage

    return (
        Coverage.objects.visible_to(user)
        .filter(union=union, ended_on__isnull=True)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )


@dataclass(frozen=True)
class CoverageSlice:
    """One slice of a union's open coverages (by firm name) and where the next slice starts."""

    rows: list[Any]
    offset: int
    total: int

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.rows)

    @property
    def remaining(self) -> int:
        return max(self.total - self.next_offset, 0)


def union_coverage_slice(*, user: Any, union: Union, offset: int = 0, limit: int = CHILDREN_PAGE) -> CoverageSlice:
    """At most `limit` open coverages of `union` (fetched through scope) from `offset` on, and how many there are
    in all. A joint union can cover hundreds of firms. One query when everything fits in the first slice, else
    two."""
    qs = union_coverages(user=user, union=union)
    offset = max(0, offset)
    rows = list(qs[offset : offset + limit + 1])
    if offset == 0 and len(rows) <= limit:
        return CoverageSlice(rows=rows, offset=0, total=len(rows))
    return CoverageSlice(rows=rows[:limit], offset=offset, total=qs.count())


def enterprise_coverages(*, user: Any, enterprise: Enterprise) -> QuerySet[Any]:
    """The coverage history of an enterprise the user sees, newest first. The enterprise was fetched through
    scope; past covering unions outside the user's scope are still named (it is the firm's own history)."""
    from .models import Coverage

    return Coverage.objects.filter(enterprise=enterprise).select_related("union").order_by("-started_on", "-pk")


def township_options(*, user: Any, action: str = Action.VIEW) -> list[Union]:
    """The township federations (镇街总工会) on which the user holds `action`, in tree order."""
    return list(Union.objects.visible_to(user, action).filter(kind=Union.Kind.TOWNSHIP).select_related("region")
                .order_by("path"))


def region_options(*, user: Any) -> list[Any]:
    """The townships' regions (所在区划) of the township federations the user sees, in tree order."""
    return [t.region for t in township_options(user=user) if t.region is not None]


def move_targets(*, user: Any, union: Union) -> list[Union]:
    """Unions on which `user` holds `move` that may become `union`'s new parent: a kind that may hold it, not
    inside its own subtree, not its current parent."""
    from .services import UNION_KINDS_UNDER

    kinds = [k for k, under in UNION_KINDS_UNDER.items() if union.kind in under]
    current = union.path[: -Union.steplen]
    return list(
        Union.objects.visible_to(user, Action.MOVE)
        .filter(kind__in=kinds)
        .exclude(path__startswith=union.path)
        .exclude(path=current)
        .order_by("path")
    )


def with_parents(unions: list[Union]) -> list[Union]:
    """Attach `parent_name` (and the cached parent id) to each union with one query."""
    parent_paths = {u.path[: -Union.steplen] for u in unions if u.depth > 1}
    parents = {p.path: p for p in Union.objects.filter(path__in=parent_paths).only("pk", "path", "name")}
    for u in unions:
        p = parents.get(u.path[: -Union.steplen]) if u.depth > 1 else None
        u._parent_id = p.pk if p else None
        u.parent_name = p.name if p else ""
    return unions
