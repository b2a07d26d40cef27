"""The one console list component (core.paging.paginate + core/_pager.html + {% sort_th %}): sortable headers
with whitelisted columns, page size 20/50/100, first/last and jump-to-page, the filters kept in every link,
the order stable across pages, and the query counts of the list pages unchanged."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from gonghui.core.paging import PAGE_SIZES, Sort, paginate
from gonghui.orgs.models import Enterprise

SORT = Sort({"name": ("name",), "headcount": ("headcount",)}, default="name")


def test_sort_is_whitelisted_reversible_and_ends_on_the_primary_key() -> None:
    assert SORT.order_by("headcount") == ["headcount", "pk"]
    assert SORT.order_by("-headcount") == ["-headcount", "-pk"]
    assert SORT.order_by("password") == ["name", "pk"] and SORT.order_by("-id") == ["name", "pk"]
    assert SORT.order_by(None) == ["name", "pk"]


def test_paginate_reads_size_and_page_and_keeps_the_filters(db: Any) -> None:
    request = RequestFactory().get("/x/", {"status": "active", "sort": "-headcount", "size": "20", "page": "2"})
    listing = paginate(request, Enterprise.objects.filter(status="active"), sort=SORT)
    assert listing.size == 20 and listing.page.number == 2 and len(listing.page) == 20
    assert listing.query == "status=active&sort=-headcount&size=20"
    assert listing.filters_query == "status=active"
    assert ("sort", "-headcount") in listing.jump_hidden and ("size", "20") in listing.jump_hidden
    assert ("size", "20") not in listing.size_hidden and ("status", "active") in listing.size_hidden
    heads = [e.headcount for e in listing.page]
    assert heads == sorted(heads, reverse=True)
    # the header of the current column reverses it; another column starts ascending; both go back to page 1
    assert listing.header("headcount") == {"href": "?status=active&sort=headcount&size=20", "state": "descending",
                                           "arrow": "▼"}
    assert listing.header("name")["href"] == "?status=active&size=20" and listing.header("name")["state"] == "none"
    # a size not offered is the default; a page past the end is the last
    odd = paginate(RequestFactory().get("/x/", {"size": "5000", "page": "99999"}), Enterprise.objects.all(), sort=SORT)
    assert odd.size == 50 and odd.page.number == odd.page.paginator.num_pages and 50 in PAGE_SIZES


def test_equal_values_never_repeat_a_row_across_pages(client_as: Any, db: Any) -> None:
    # headcounts repeat in the demo data: the pk tiebreaker keeps each row on exactly one page
    c = client_as("huangyan")
    seen: list[int] = []
    for n in (1, 2, 3):
        r = c.get(reverse("orgs:enterprise_list"), {"sort": "headcount", "size": "100", "page": n})
        seen += [e.pk for e in r.context["page"]]
    assert len(seen) == 300 and len(set(seen)) == 300


def test_union_list_headers_sort_and_the_pager_offers_size_and_jump(client_as: Any, db: Any) -> None:
    c = client_as("dongcheng")
    r = c.get(reverse("orgs:union_list"), {"kind": "single", "sort": "-name", "size": "20"})
    names = [u.name for u in r.context["page"]]
    assert len(names) == 20 and names == sorted(names, reverse=True)
    html = r.content.decode()
    head = re.search(r'<th[^>]*aria-sort="descending"[^>]*>\s*<a[^>]*href="([^"]+)"[^>]*data-testid="sort-name"', html)
    assert head is not None and head.group(1).replace("&amp;", "&") == "?kind=single&sort=name&size=20"
    assert 'data-testid="pager-jump"' in html and 'name="size"' in html and "末页" in html
    assert re.search(r'<option value="20" selected>20 条</option>', html)
    # the jump form carries the filters, sort and size; the pager links too
    jump = html.split('data-testid="pager-jump"')[1].split("</form>")[0]
    assert 'name="kind" value="single"' in jump and 'name="sort" value="-name"' in jump
    assert "?kind=single&amp;sort=-name&amp;size=20&amp;page=2" in html
    # a column not on the whitelist is the default order (the tree), not an error
    r = c.get(reverse("orgs:union_list"), {"sort": "chair_phone"})
    assert r.status_code == 200 and [u.path for u in r.context["page"]] == sorted(u.path for u in r.context["page"])


def test_member_list_sorts_by_name_and_keeps_its_query_count(client_as: Any, db: Any,
                                                            django_assert_num_queries: Any) -> None:
    c = client_as("huangyan")
    c.get(reverse("members:list"))  # warm the session
    n = 9 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" else 8
    with django_assert_num_queries(n):
        r = c.get(reverse("members:list"), {"occupation": "其他", "sort": "name", "size": "100"})
    names = [p.name for p in r.context["page"]]
    assert len(names) == 100 and names == sorted(names)
    # the search form keeps the sort and size through its POST → redirect
    r = c.post(reverse("members:list"), {"occupation": "其他", "sort": "name", "size": "100"})
    assert r.status_code == 302 and "sort=name" in r["Location"] and "size=100" in r["Location"]


def test_one_pager_template() -> None:
    templates = settings.BASE_DIR / "gonghui" / "templates"
    pagers = sorted(str(p.relative_to(templates)) for p in templates.rglob("*pager*.html"))
    assert pagers == ["core/_pager.html"]
    uses = {str(p.relative_to(templates)) for p in templates.rglob("*.html") if "_pager.html" in p.read_text()}
    assert {"members/list.html", "orgs/_union_table.html", "orgs/_enterprise_table.html", "members/rates.html",
            "core/audit_log.html", "core/login_log.html"} <= uses
