from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from gonghui.core.paging import DbId, Paging

from . import selectors
from .models import Enterprise, Union
from .scope import scoped

router = Router(tags=["组织体系"])


# Paging is ninja's LimitOffsetPagination (core.paging.Paging adds an offset bound): limit defaults to 100 and
# is at most 1000 (NINJA_PAGINATION_PER_PAGE / NINJA_PAGINATION_MAX_LIMIT); limit > 1000 or offset < 0 is a 422.
# Every list answers {"items": [...], "count": N}.


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
        return obj.region.name if obj.region is not None else None


class UnionFilters(Schema):
    kind: Union.Kind | None = Field(None, description="类型")
    parent: DbId | None = Field(None, description="只列出该工会的直接下级")
    q: str = Field("", description="名称包含，或统一社会信用代码前缀")
    status: Union.Status | None = Field(None, description="状态")


def _with_parent_ids(unions: list[Union]) -> list[Union]:
    """Resolve every parent id in one query (the MP path holds the parent's path)."""
    parent_paths = {u.path[: -Union.steplen] for u in unions if u.depth > 1}
    ids = dict(Union.objects.filter(path__in=parent_paths).values_list("path", "pk"))
    for u in unions:
        u._parent_id = ids.get(u.path[: -Union.steplen]) if u.depth > 1 else None
    return unions


class _ParentResolvingPagination(Paging):
    """The library's paging, then every parent id of the page in one query."""

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = _with_parent_ids(list(page["items"]))
        return page


@router.get("/unions", response=list[UnionOut], summary="工会列表")
@paginate(_ParentResolvingPagination)
def union_list(request: HttpRequest, filters: Query[UnionFilters]) -> Any:
    return selectors.union_list(
        user=request.user,
        kind=filters.kind or "",
        parent=filters.parent,
        q=filters.q.strip(),
        status=filters.status or "",
    )


@router.get("/unions/{union_id}", response=UnionOut, summary="工会详情")
@scoped(Union, pk="union_id", related=("region",))
def union_detail(request: HttpRequest, union: Union) -> Union:
    return union


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
        return obj.region.name if obj.region is not None else obj.territory.name

    @staticmethod
    def resolve_covered(obj: Enterprise) -> bool:
        return obj.covering_union_id is not None


class EnterpriseQuery(Schema):
    q: str = Field("", description="名称包含，或统一社会信用代码前缀")
    township: DbId | None = Field(None, description="属地镇(街道)总工会的 id")
    covered: bool | None = Field(None, description="true 已建会（有覆盖工会），false 未建会")
    min_headcount: int | None = Field(None, ge=0, le=2**31 - 1, description="参保人数不少于")
    status: Enterprise.Status | None = Field(None, description="经营状态")
    sort: Literal["name", "-headcount", "headcount", "uscc", "-updated"] = Field("name", description="排序")


ENTERPRISE_OUT_FIELDS = (
    "id", "uscc", "org_code", "name", "territory_id", "address", "industry", "headcount", "headcount_source",
    "status", "covering_union_id", "region__name", "territory__name",
)


@router.get("/enterprises", response=list[EnterpriseOut], summary="企业列表")
@paginate(Paging)
def enterprise_list(request: HttpRequest, filters: Query[EnterpriseQuery]) -> Any:
    params = {**filters.dict(), "q": filters.q.strip(), "status": filters.status or ""}
    qs = selectors.enterprise_list(user=request.user, filters=selectors.EnterpriseFilters(**params))
    # Load only what EnterpriseOut shows: no covering union row, no timestamps to convert (a 1000-row page
    # spent half its time in datetime converters).
    return qs.select_related(None).select_related("region", "territory").only(*ENTERPRISE_OUT_FIELDS)


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut, summary="企业详情")
@scoped(Enterprise, pk="enterprise_id", related=("region", "territory"))
def enterprise_detail(request: HttpRequest, enterprise: Enterprise) -> Enterprise:
    return enterprise
