from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from . import selectors
from .models import Enterprise, Union

router = Router(tags=["组织体系"])


class Pagination(LimitOffsetPagination):
    """limit (default 100, max 1000) / offset → {"items": [...], "count": N}."""

    class Input(Schema):
        limit: int = 100
        offset: int = 0

    def paginate_queryset(self, queryset: Any, pagination: Any, **params: Any) -> Any:
        limit = max(1, min(int(pagination.limit), 1000))
        offset = max(0, int(pagination.offset))
        return {"items": queryset[offset : offset + limit], "count": self._items_count(queryset)}


class UnionOut(Schema):
    id: int
    code: str | None
    name: str
    kind: str
    kind_name: str
    parent_id: int | None
    federation_type: str
    region: str | None
    chair: str
    status: str
    founded_on: date | None

    @staticmethod
    def resolve_kind_name(obj: Union) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_region(obj: Union) -> str | None:
        return obj.region.name if obj.region_id else None


class UnionFilters(Schema):
    kind: str = ""
    parent: int | None = None
    q: str = ""
    status: str = ""


def _with_parent_ids(unions: list[Union]) -> list[Union]:
    """Resolve every parent id in one query (the MP path holds the parent's path)."""
    parent_paths = {u.path[: -Union.steplen] for u in unions if u.depth > 1}
    ids = dict(Union.objects.filter(path__in=parent_paths).values_list("path", "pk"))
    for u in unions:
        u._parent_id = ids.get(u.path[: -Union.steplen]) if u.depth > 1 else None
    return unions


class _ParentResolvingPagination(Pagination):
    def paginate_queryset(self, queryset: Any, pagination: Any, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, **params)
        page["items"] = _with_parent_ids(list(page["items"]))
        return page


@router.get("/unions", response=list[UnionOut], summary="工会列表")
@paginate(_ParentResolvingPagination)
def union_list(request: HttpRequest, filters: Query[UnionFilters]) -> Any:
    return selectors.union_list(
        user=request.user, kind=filters.kind, parent=filters.parent, q=filters.q.strip(), status=filters.status
    )


@router.get("/unions/{union_id}", response=UnionOut, summary="工会详情")
def union_detail(request: HttpRequest, union_id: int) -> Union:
    return Union.objects.select_related("region").get_visible(request.user, pk=union_id)


class EnterpriseOut(Schema):
    id: int
    uscc: str
    org_code: str
    name: str
    township_union_id: int
    township: str
    address: str
    industry: str
    headcount: int | None
    headcount_source: str
    status: str
    covered: bool
    covering_union_id: int | None

    @staticmethod
    def resolve_township_union_id(obj: Enterprise) -> int:
        return obj.territory_id

    @staticmethod
    def resolve_township(obj: Enterprise) -> str:
        return obj.region.name if obj.region_id else obj.territory.name

    @staticmethod
    def resolve_covered(obj: Enterprise) -> bool:
        return obj.covering_union_id is not None


class EnterpriseQuery(Schema):
    q: str = ""
    township: int | None = None
    covered: bool | None = None
    min_headcount: int | None = None
    status: str = ""
    sort: str = "name"


@router.get("/enterprises", response=list[EnterpriseOut], summary="企业列表")
@paginate(Pagination)
def enterprise_list(request: HttpRequest, filters: Query[EnterpriseQuery]) -> Any:
    return selectors.enterprise_list(
        user=request.user, filters=selectors.EnterpriseFilters(**{**filters.dict(), "q": filters.q.strip()})
    )


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut, summary="企业详情")
def enterprise_detail(request: HttpRequest, enterprise_id: int) -> Enterprise:
    return Enterprise.objects.select_related("region", "territory").get_visible(request.user, pk=enterprise_id)
