"""Paging: the API's (limit/offset, id bounds) for every ninja router, and the console lists' one pager
(`paginate` → `Listing`, rendered by templates/core/_pager.html, headers by `{% sort_th %}`).

API:

ninja's LimitOffsetPagination (limit: default 100, max 1000 via NINJA_PAGINATION_* settings) with one more
bound: an offset past 64-bit integers reached the database and came back as a 500 (SQLite "datatype
mismatch", PostgreSQL "out of range"); now it is a 422 like any other bad parameter. `DbId` bounds an id
given as a filter (`?township=`, `?parent=`) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

MAX_DB_INT = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]


class Paging(LimitOffsetPagination):
    """limit (default 100, 1–1000) / offset (≥ 0) → {"items": [...], "count": N}; anything else is a 422."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_DB_INT)


# ---------------------------------------------------------------- console lists (pages): the one pager


PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Sort:
    """A list's sortable columns: key → the ORDER BY fields, ascending (`-key` in the URL reverses them all).

    Only these keys are accepted (anything else is the default), and the primary key is always the last field,
    so equal values keep one order and no row shows on two pages or on none."""

    columns: dict[str, tuple[str, ...]]
    default: str  # e.g. "name" or "-added"

    def parse(self, value: str | None) -> str:
        """The sort as the URL spells it (`name`, `-name`); an unknown column is the default."""
        key = (value or "").removeprefix("-")
        return value if value and key in self.columns else self.default  # type: ignore[return-value]

    def order_by(self, value: str | None) -> list[str]:
        value = self.parse(value)
        descending = value.startswith("-")
        fields = list(self.columns[value.removeprefix("-")])
        if not any(f.removeprefix("-") in ("pk", "id") for f in fields):
            fields.append("pk")

        def flip(f: str) -> str:
            return f.removeprefix("-") if f.startswith("-") else f"-{f}"

        return [flip(f) for f in fields] if descending else fields


@dataclass
class Listing:
    """One page of a console list with what its headers and pager need. `base` is the filters' query string
    (never a full ID or mobile: the members list gives a saved-search key instead); sort and size ride along
    in every link, the page number only in the pager's."""

    page: Page[Any]
    base: QueryDict
    sort: str = ""
    size: int = DEFAULT_PAGE_SIZE
    sortable: Sort | None = None
    numbers: list[int | str] = field(default_factory=list)

    def _query(self, *, sort: bool = True, size: bool = True) -> QueryDict:
        q = self.base.copy()
        for key in ("page", "sort", "size"):
            q.pop(key, None)
        if sort and self.sortable is not None and self.sort != self.sortable.default:
            q["sort"] = self.sort
        if size and self.size != DEFAULT_PAGE_SIZE:
            q["size"] = str(self.size)
        return q

    @property
    def query(self) -> str:
        """Filters + sort + size: `?{{ listing.query }}&page=N`, and the export links."""
        return self._query().urlencode()

    @property
    def filters_query(self) -> str:
        """Filters only (no sort, no size)."""
        return self._query(sort=False, size=False).urlencode()

    @property
    def size_hidden(self) -> list[tuple[str, str]]:
        """The hidden fields of the page-size form: everything but the size and the page."""
        return [(k, v) for k, vs in self._query(size=False).lists() for v in vs]

    @property
    def filter_hidden(self) -> list[tuple[str, str]]:
        """The filters as hidden fields (a form acting on ticked rows keeps the list's filters)."""
        return [(k, v) for k, vs in self._query(sort=False, size=False).lists() for v in vs]

    @property
    def jump_hidden(self) -> list[tuple[str, str]]:
        """The hidden fields of the jump-to-page form."""
        return [(k, v) for k, vs in self._query().lists() for v in vs]

    @property
    def sizes(self) -> tuple[int, ...]:
        return PAGE_SIZES

    def header(self, key: str) -> dict[str, str]:
        """A column header's link (ascending first, then reversing) and its aria-sort state."""
        assert self.sortable is not None and key in self.sortable.columns, key
        current = self.sort.removeprefix("-") == key
        descending = self.sort.startswith("-")
        target = f"-{key}" if current and not descending else key
        q = self._query(sort=False, size=False)
        if target != self.sortable.default:
            q["sort"] = target
        if self.size != DEFAULT_PAGE_SIZE:
            q["size"] = str(self.size)
        state = ("descending" if descending else "ascending") if current else "none"
        return {"href": f"?{q.urlencode()}", "state": state,
                "arrow": ("▼" if descending else "▲") if current else ""}


def paginate(request: HttpRequest, qs: Any, *, sort: Sort | None = None, base: QueryDict | str | None = None,
             size: int | None = None) -> Listing:
    """The one way a console list is paged: `?page=` (out of range → the last page, garbage → the first),
    `?size=` one of PAGE_SIZES, `?sort=` one of `sort`'s columns (applied here, with the primary key as the
    tiebreaker). `base` is the filters' query string (default: the request's GET). Two queries: the count
    and the page."""
    if base is None:
        base_q = request.GET.copy()
    elif isinstance(base, str):
        base_q = QueryDict(base, mutable=True)
    else:
        base_q = base.copy()
    try:
        wanted = int(request.GET.get("size", ""))
    except ValueError:
        wanted = 0
    per_page = wanted if wanted in PAGE_SIZES else (size or DEFAULT_PAGE_SIZE)
    current = ""
    if sort is not None:
        current = sort.parse(request.GET.get("sort"))
        qs = qs.order_by(*sort.order_by(current))
    page = Paginator(qs, per_page).get_page(request.GET.get("page"))
    numbers = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return Listing(page=page, base=base_q, sort=current, size=per_page, sortable=sort, numbers=numbers)
