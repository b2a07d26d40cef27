"""The cadre console pages: given the demo district, when a cadre opens a page, then they see their scope only."""

from __future__ import annotations

import io
from urllib.parse import unquote

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.services import union_move

pytestmark = pytest.mark.django_db


def _yuanqiao_grassroots() -> Union:
    root = Union.objects.get(name="院桥镇总工会")
    return Union.objects.filter(path__startswith=root.path, kind="single").order_by("path").first()


def _dongcheng_root() -> Union:
    return Union.objects.get(name="东城街道总工会")


def _read_xlsx(content: bytes) -> list[tuple]:
    ws = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


# ---------------------------------------------------------------- tree


def test_tree_shows_only_the_users_part(client_as):
    # given dongcheng, when the tree opens
    r = client_as("dongcheng").get(reverse("orgs:tree"))
    # then the root is 东城街道总工会 with its children, and nothing of the district or a sibling township
    assert r.status_code == 200
    html = r.content.decode()
    assert "东城街道总工会" in html
    assert "台州市黄岩区总工会" not in html
    assert "院桥镇总工会" not in html
    assert "基层工会" in html and "覆盖企业" in html


def test_tree_children_partial_and_scope(client_as):
    c = client_as("dongcheng")
    sub = Union.objects.get(name="东城商圈联合工会委员会")
    r = c.get(reverse("orgs:tree_children", args=[sub.pk]))
    assert r.status_code == 200
    child = Union.objects.filter(path__startswith=sub.path, depth=sub.depth + 1).first()
    assert child.name in r.content.decode()
    # a node of a sibling township is not found
    assert c.get(reverse("orgs:tree_children", args=[_yuanqiao_grassroots().pk])).status_code == 404


def test_tree_search_lists_matches_in_scope_only(client_as):
    c = client_as("dongcheng")
    r = c.get(reverse("orgs:tree"), {"q": "工会"})
    results = r.content.decode().split('data-testid="search-results"')[1].split('data-testid="org-tree"')[0]
    assert "院桥" not in results
    code = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会").code
    r = c.get(reverse("orgs:tree"), {"q": code[:12]})
    assert "黄岩区饿了么网约送餐员联合工会" in r.content.decode()


def test_tree_query_count_is_pinned(client_as, django_assert_max_num_queries):
    c = client_as("huangyan")
    with django_assert_max_num_queries(10):
        assert c.get(reverse("orgs:tree")).status_code == 200
    sub = Union.objects.get(name="东城街道总工会")
    with django_assert_max_num_queries(9):
        assert c.get(reverse("orgs:tree_children", args=[sub.pk])).status_code == 200


def _add_children(parent: Union, n: int) -> list[Union]:
    """`n` more grassroots unions under `parent` (as a city township has 600–800), in tree order."""
    made = [parent.add_child(name=f"分页测试{i:03d}工会委员会", kind="single") for i in range(n)]
    parent.refresh_from_db()
    return made


def _node_ids(html: str) -> list[int]:
    return [int(x.split('"')[0]) for x in html.split('data-testid="tree-node" data-union-id="')[1:]]


def _more_link(html: str, testid: str) -> tuple[str, str, str]:
    """(text, href, hx-get) of the 加载更多 link inside the element marked `testid`."""
    part = html.split(f'data-testid="{testid}"')[1]
    href = part.split('href="')[1].split('"')[0].replace("&amp;", "&")
    hx = part.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    text = part.split(">加载更多")[1].split("</a>")[0]
    return "加载更多" + text, href, hx


def test_tree_node_with_more_than_100_children_renders_100_and_loads_the_rest(client_as):
    # given 东城街道总工会 with more than 100 direct children
    root = _dongcheng_root()
    _add_children(root, 120)
    root.refresh_from_db()
    assert root.numchild > 100
    children = list(Union.objects.filter(path__startswith=root.path, depth=root.depth + 1).order_by("path"))
    c = client_as("dongcheng")
    # when dongcheng opens the tree
    html = c.get(reverse("orgs:tree")).content.decode()
    # then the root and its first 100 children are rendered, with a link for the rest
    ids = _node_ids(html)
    assert ids == [root.pk] + [u.pk for u in children[:100]]
    text, href, hx = _more_link(html, "tree-more")
    assert text == f"加载更多（剩余 {root.numchild - 100} 个）"
    # and the link (htmx) answers the next items, which end the list: every child shown once, in tree order
    more = c.get(hx, HTTP_HX_REQUEST="true")
    assert more.status_code == 200
    rest = more.content.decode()
    assert "<ul" not in rest.split('data-testid="tree-node"')[0]  # items that replace the link, not a new level
    assert ids[1:] + _node_ids(rest) == [u.pk for u in children]
    assert "加载更多" not in rest
    # without JavaScript the link is a plain page: the detail page listing the children from the 101st on
    page = c.get(href)
    assert page.status_code == 200
    body = page.content.decode()
    assert children[100].name in body and children[99].name not in body.split('data-testid="children"')[1]
    # a child level opened on click pages the same way
    assert _node_ids(c.get(reverse("orgs:tree_children", args=[root.pk])).content.decode()) == ids[1:]


def test_union_detail_lists_100_children_then_loads_more(client_as, django_assert_max_num_queries):
    root = _dongcheng_root()
    _add_children(root, 120)
    root.refresh_from_db()
    children = list(Union.objects.filter(path__startswith=root.path, depth=root.depth + 1).order_by("path"))
    c = client_as("dongcheng")
    html = c.get(reverse("orgs:union_detail", args=[root.pk])).content.decode()
    table = html.split('data-testid="children"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 100  # header + 100 rows
    assert f"下级工会（{root.numchild} 个）" in html
    text, href, hx = _more_link(html, "children-more")
    assert text == f"加载更多（剩余 {root.numchild - 100} 个）"
    with django_assert_max_num_queries(8):
        rows = c.get(hx, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in rows and rows.count("<tr>") == len(children) - 100 and children[-1].name in rows
    assert "加载更多" not in rows


def test_union_detail_pages_a_joint_unions_covered_firms(client_as):
    from datetime import date

    from gonghui.core.identifiers import make_uscc
    from gonghui.orgs.models import Coverage

    # given a joint union that covers more than 100 firms
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    territory = _dongcheng_root()
    firms = Enterprise.objects.bulk_create(
        Enterprise(uscc=make_uscc(f"91331003MA9P{i:05d}"), org_code="", name=f"分页测试{i:03d}餐饮店",
                   territory=territory, covering_union=union, headcount=3)
        for i in range(110)
    )
    Coverage.objects.bulk_create(Coverage(union=union, enterprise=f, started_on=date(2024, 1, 1)) for f in firms)
    total = union.coverages.filter(ended_on__isnull=True).count()
    c = client_as("dongcheng")
    # when the detail page opens, then 100 firms are listed and a link loads the rest
    html = c.get(reverse("orgs:union_detail", args=[union.pk])).content.decode()
    assert f"覆盖企业（{total} 家）" in html
    table = html.split('data-testid="coverages"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 100
    text, href, hx = _more_link(html, "coverages-more")
    assert text == f"加载更多（剩余 {total - 100} 家）"
    rows = c.get(hx, HTTP_HX_REQUEST="true").content.decode()
    assert rows.count("<tr>") == total - 100 and "加载更多" not in rows
    assert c.get(href).status_code == 200


# ---------------------------------------------------------------- union detail and list


def test_union_detail_fields_committees_coverage_and_breadcrumbs(client_as):
    c = client_as("dongcheng")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    r = c.get(reverse("orgs:union_detail", args=[union.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert union.code in html and "联合工会" in html and union.chair in html
    assert "委员会" in html
    first = union.coverages.filter(ended_on__isnull=True).select_related("enterprise").first()
    assert first.enterprise.name in html
    crumbs = html.split('data-testid="breadcrumbs"')[1].split("</ol>")[0]
    assert "东城街道总工会" in crumbs
    assert "台州市黄岩区总工会" not in crumbs  # above dongcheng's scope: never linked


def test_union_detail_out_of_scope_is_404(client_as):
    c = client_as("dongcheng")
    assert c.get(reverse("orgs:union_detail", args=[_yuanqiao_grassroots().pk])).status_code == 404
    assert c.get(reverse("orgs:union_detail", args=[999999])).status_code == 404


def test_union_detail_query_count_is_pinned(client_as, django_assert_max_num_queries):
    c = client_as("huangyan")
    root = _dongcheng_root()
    with django_assert_max_num_queries(16):
        assert c.get(reverse("orgs:union_detail", args=[root.pk])).status_code == 200
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    with django_assert_max_num_queries(16):
        assert c.get(reverse("orgs:union_detail", args=[union.pk])).status_code == 200


def test_union_list_filters_and_pagination(client_as):
    c = client_as("dongcheng")
    r = c.get(reverse("orgs:union_list"), {"kind": "joint"})
    assert r.status_code == 200
    page = r.context["page"]
    assert page.paginator.count == Union.objects.filter(path__startswith=_dongcheng_root().path, kind="joint").count()
    assert all(u.kind == "joint" for u in page)
    r = c.get(reverse("orgs:union_list"), {"status": "shell"})
    assert all(u.status == "shell" for u in r.context["page"])
    r = c.get(reverse("orgs:union_list"), {"page": 2})
    assert r.context["page"].number == 2 and "kind=joint" not in r.context["qs"]


def test_union_list_export(client_as):
    c = client_as("dongcheng")
    r = c.get(reverse("orgs:union_list"), {"kind": "single", "export": "xlsx"})
    assert r.status_code == 200
    assert "filename*=utf-8''" in r["Content-Disposition"]
    assert "工会名录-" in unquote(r["Content-Disposition"])
    rows = _read_xlsx(r.content)
    expected = Union.objects.filter(path__startswith=_dongcheng_root().path, kind="single").count()
    assert rows[0][:4] == ("工会名称", "统一社会信用代码", "类型", "上级工会")
    assert len(rows) - 1 == expected
    assert {row[2] for row in rows[1:]} == {"单独建会"}
    assert _last_access(_user("dongcheng")) == f"导出工会名录 {expected} 条"


def test_union_move_by_township_admin_is_audited(client_as, dongcheng):
    c = client_as("dongcheng")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    target = Union.objects.get(name="东城商圈联合工会委员会")
    r = c.post(reverse("orgs:union_move", args=[union.pk]), {"new_parent": target.pk})
    assert r.status_code == 302
    union.refresh_from_db()
    assert union.path.startswith(target.path)
    entry = LogEntry.objects.filter(object_pk=str(union.pk), actor=dongcheng).latest("timestamp")
    assert "上级工会" in str(entry.changes)


def test_union_move_outside_scope_is_refused(client_as):
    c = client_as("dongcheng")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    outside = Union.objects.get(name="院桥镇总工会")
    before = union.path
    c.post(reverse("orgs:union_move", args=[union.pk]), {"new_parent": outside.pk})
    union.refresh_from_db()
    assert union.path == before
    assert c.post(reverse("orgs:union_move", args=[_yuanqiao_grassroots().pk]),
                  {"new_parent": union.pk}).status_code == 404


def test_union_move_is_not_offered_to_a_federation_admin(client_as):
    c = client_as("kuaidi")
    union = Union.objects.get(name="黄岩区中通快递网点联合工会")
    r = c.get(reverse("orgs:union_detail", args=[union.pk]))
    assert r.status_code == 200 and 'data-testid="move-form"' not in r.content.decode()
    assert c.post(reverse("orgs:union_move", args=[union.pk]), {"new_parent": 1}).status_code == 403  # visible, not permitted


# ---------------------------------------------------------------- enterprises


def test_enterprise_list_filters_sorts_and_counts(client_as):
    c = client_as("dongcheng")
    root = _dongcheng_root()
    r = c.get(reverse("orgs:enterprise_list"), {"covered": "no", "ge25": "1", "sort": "-headcount"})
    assert r.status_code == 200
    page = r.context["page"]
    expected = Enterprise.objects.visible_to(_user("dongcheng")).filter(covering_union__isnull=True, headcount__gte=25)
    assert page.paginator.count == expected.count()
    heads = [e.headcount for e in page]
    assert heads == sorted(heads, reverse=True)
    assert all(e.covering_union_id is None and e.headcount >= 25 for e in page)
    assert all(e.territory_id == root.pk or e.covering_union_id for e in page)
    # filters are kept in the query string of the pager and export links
    html = r.content.decode()
    assert "covered=no" in html and "ge25=1" in html and "export=xlsx" in html


def test_enterprise_list_township_filter_and_pagination(client_as):
    c = client_as("huangyan")
    yq = Union.objects.get(name="院桥镇总工会")
    r = c.get(reverse("orgs:enterprise_list"), {"township": yq.pk, "sort": "name", "page": 2})
    page = r.context["page"]
    assert page.number == 2 and len(page.object_list) <= 50
    assert page.paginator.count == Enterprise.objects.filter(territory=yq).count()
    assert all(e.territory_id == yq.pk for e in page)
    names = [e.name for e in page]
    assert names == sorted(names)
    r = c.get(reverse("orgs:enterprise_list"), {"status": "cancelled"})
    assert all(e.status == "cancelled" for e in r.context["page"])


def test_enterprise_list_htmx_returns_the_table_only(client_as):
    r = client_as("dongcheng").get(reverse("orgs:enterprise_list"), {"covered": "yes"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert 'data-testid="enterprise-table"' in html and "<html" not in html


def test_enterprise_list_query_count_is_pinned(client_as, django_assert_max_num_queries):
    c = client_as("huangyan")
    with django_assert_max_num_queries(8):
        assert c.get(reverse("orgs:enterprise_list"), {"covered": "yes", "sort": "-headcount"}).status_code == 200
    c = client_as("dongcheng")
    with django_assert_max_num_queries(8):
        assert c.get(reverse("orgs:enterprise_list"), {"page": 3}).status_code == 200


def test_enterprise_export_matches_the_filtered_list(client_as, dongcheng):
    c = client_as("dongcheng")
    params = {"covered": "no", "ge25": "1"}
    count = c.get(reverse("orgs:enterprise_list"), params).context["page"].paginator.count
    r = c.get(reverse("orgs:enterprise_list"), {**params, "export": "xlsx"})
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = unquote(r["Content-Disposition"])
    assert "attachment" in disposition and "企业名录-" in disposition and disposition.endswith(".xlsx")
    rows = _read_xlsx(r.content)
    assert rows[0][0] == "统一社会信用代码" and rows[0][7] == "是否建会"
    assert len(rows) - 1 == count
    assert all(row[7] == "未建会" and row[5] >= 25 for row in rows[1:])
    assert _last_access(dongcheng) == f"导出企业名录 {count} 条"


def test_export_neutralises_formulas(client_as, huangyan):
    ent = Enterprise.objects.filter(territory__name="东城街道总工会").first()
    Enterprise.objects.filter(pk=ent.pk).update(name="=HYPERLINK(\"http://x\")")
    r = client_as("dongcheng").get(reverse("orgs:enterprise_list"), {"q": "=HYPERLINK", "export": "xlsx"})
    # then the name comes back unchanged, as a quote-prefixed string cell: Excel shows it, never runs it
    cell = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]["B2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x")', "s", True)


def test_enterprise_detail_and_scope(client_as):
    c = client_as("dongcheng")
    ent = Enterprise.objects.filter(territory=_dongcheng_root(), covering_union__isnull=False).first()
    r = c.get(reverse("orgs:enterprise_detail", args=[ent.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert ent.uscc in html and ent.covering_union.name in html and "覆盖历史" in html
    outside = Enterprise.objects.filter(territory__name="院桥镇总工会", covering_union__isnull=True).first()
    assert c.get(reverse("orgs:enterprise_detail", args=[outside.pk])).status_code == 404


def test_dashboard_renders_with_pinned_queries(client_as, dongcheng, django_assert_max_num_queries):
    from gonghui.orgs.panels import dashboard_context

    # the orgs panel: the user's scope, then three aggregate queries whatever the size of the scope, and one
    # cache read for the district's 建会率 beside the township's (computed once per 5 minutes for everyone)
    dashboard_context(type(dongcheng).objects.get(pk=dongcheng.pk))  # another request warmed the district figure
    with django_assert_max_num_queries(5):
        dashboard_context(dongcheng)
    # the 工作台 frame (session, user, the shell's one assignments query) and the orgs panel on its own route
    c = client_as("dongcheng")
    with django_assert_max_num_queries(6):
        r = c.get(reverse("dashboard"))
    assert r.status_code == 200 and 'hx-get="/panels/orgs/"' in r.content.decode()
    with django_assert_max_num_queries(10):
        r = c.get(reverse("panel", args=["orgs"]))
    assert r.status_code == 200 and 'data-testid="org-counts"' in r.content.decode()


def test_audit_log_shows_moves_and_exports(client_as):
    c = client_as("huangyan")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    union_move(actor=_user("huangyan"), union=union, new_parent=Union.objects.get(name="东城商圈联合工会委员会"))
    c.get(reverse("orgs:enterprise_list"), {"export": "xlsx", "q": "鸿日"})
    html = c.get(reverse("audit_log")).content.decode()
    assert "黄岩区饿了么网约送餐员联合工会" in html and "上级工会" in html
    assert "导出企业名录" in html


def test_pages_need_login(client):
    for url in (reverse("orgs:tree"), reverse("orgs:enterprise_list"), reverse("orgs:union_list")):
        assert client.get(url).status_code == 302


def _last_access(user) -> str:
    entry = LogEntry.objects.filter(actor=user, action=LogEntry.Action.ACCESS).order_by("-pk").first()
    changes = entry.changes if isinstance(entry.changes, dict) else __import__("json").loads(entry.changes)
    return changes["访问"]


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)
