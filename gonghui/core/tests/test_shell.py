"""The console shell and its shared pieces, through the test client with DEBUG off (as in production):
menus by permission, titles and breadcrumbs, panels on their own routes, zh-hans error pages, the union picker,
the readable 操作日志 and the 登录日志."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from gonghui.core.models import LoginEvent
from gonghui.core.templatetags.gh import cn_date, cn_datetime
from gonghui.members import selectors
from gonghui.orgs.models import Union

pytestmark = pytest.mark.django_db


def _menu(html: str) -> list[str]:
    nav = html.split('data-testid="side-menu"')[1].split("</nav>")[0]
    return re.findall(r'class="nav-link[^"]*" href="[^"]*"[^>]*>([^<]+)</a>', nav)


def test_menu_is_grouped_and_shows_entries_by_permission(client_as: Any) -> None:
    html = client_as("huangyan").get(reverse("orgs:enterprise_list")).content.decode()
    for group in ("组织", "会员", "建会入会", "系统"):
        assert f">{group}</button>" in html
    assert "操作日志" in _menu(html) and "登录日志" in _menu(html)
    # a township admin holds no view_audit: the entry is not shown
    assert "操作日志" not in _menu(client_as("dongcheng").get("/").content.decode())


def test_current_page_title_and_breadcrumbs(client_as: Any) -> None:
    c = client_as("dongcheng")
    html = c.get(reverse("orgs:enterprise_list")).content.decode()
    assert "<title>东城街道 · 企业名录" in html
    assert re.search(r'class="nav-link active" href="/orgs/enterprises/" aria-current="page">企业名录', html)
    crumbs = html.split('data-testid="breadcrumbs"')[1].split("</ol>")[0]
    assert "工作台" in crumbs and "组织" in crumbs and 'aria-current="page">企业名录' in crumbs
    # a page under a menu entry: the entry is a link, the page is the current crumb
    union = Union.objects.get(name="东城商圈联合工会委员会")
    crumbs = c.get(reverse("orgs:union_detail", args=[union.pk])).content.decode().split(
        'data-testid="breadcrumbs"')[1].split("</ol>")[0]
    assert '<a href="/orgs/unions/">工会名录</a>' in crumbs and 'aria-current="page">东城商圈联合工会委员会' in crumbs


def test_panels_load_on_their_own_routes(client_as: Any) -> None:
    c = client_as("dongcheng")
    html = c.get("/").content.decode()
    assert 'hx-get="/panels/todo/"' in html and 'hx-get="/panels/orgs/"' in html
    assert c.get("/panels/nosuch/").status_code == 404
    assert Client().get("/panels/orgs/").status_code == 302  # login first


def test_todo_numbers_are_the_lists_they_link_to(client_as: Any, dongcheng: Any) -> None:
    html = client_as("dongcheng").get("/panels/todo/").content.decode()
    n = int(re.search(r'data-testid="todo-joins-n"[^>]*>(\d+)<', html).group(1))
    assert n == selectors.pending_joins(user=dongcheng).count()
    link = re.search(r'href="([^"]+)"[^>]*data-testid="todo-joins-n"', html).group(1)
    page = client_as("dongcheng").get(link)
    assert page.status_code == 200 and len(page.context["pending"]) == min(n, 200)


def test_bad_qr_code_gets_the_phone_style_chinese_404(client: Client, settings: Any) -> None:
    settings.DEBUG = False
    r = client.get("/join/NOSUCHCODE/")
    html = r.content.decode()
    assert r.status_code == 404 and "二维码已失效或不存在" in html and "怎么办" in html
    assert "gh-phone" in html and "Not Found" not in html


def test_cadre_errors_render_inside_the_shell(client_as: Any, settings: Any) -> None:
    settings.DEBUG = False
    c = client_as("dongcheng")
    r = c.get("/orgs/unions/999999999/")
    assert r.status_code == 404 and "页面不存在" in r.content.decode() and 'data-testid="side-menu"' in r.content.decode()
    r = c.get(reverse("audit_log"))
    assert r.status_code == 403 and "无权执行此操作" in r.content.decode() and "查看审计日志" in r.content.decode()


def test_csrf_failure_is_chinese(settings: Any, dongcheng: Any) -> None:
    settings.DEBUG = False
    c = Client(enforce_csrf_checks=True)
    c.force_login(dongcheng)
    r = c.post(reverse("members:transfer_in"), {"id_number": "x"})
    assert r.status_code == 403 and "页面已过期" in r.content.decode() and "刷新页面" in r.content.decode()


def test_server_error_page_is_chinese(client: Client, settings: Any) -> None:
    from gonghui.core.views import server_error

    settings.DEBUG = False
    request = client.get("/").wsgi_request
    r = server_error(request)
    assert r.status_code == 500 and "系统出错了" in r.content.decode()


def test_picker_searches_and_browses_only_the_scope(client_as: Any) -> None:
    c = client_as("dongcheng")
    found = c.get(reverse("picker:unions"), {"q": "总工会"}).json()["items"]
    names = {i["name"] for i in found}
    assert "东城街道总工会" in names and "院桥镇总工会" not in names and "台州市黄岩区总工会" not in names
    # the parent above the scope is not named either
    assert all(i["parent"] != "台州市黄岩区总工会" for i in found)
    code = Union.objects.get(name="东城商圈联合工会委员会").code
    assert [i["name"] for i in c.get(reverse("picker:unions"), {"q": code[:12]}).json()["items"]][:1] == [
        "东城商圈联合工会委员会"]
    roots = c.get(reverse("picker:unions")).json()["items"]
    assert [r["name"] for r in roots] == ["东城街道总工会"]
    children = c.get(reverse("picker:unions"), {"parent": roots[0]["id"]}).json()["items"]
    top = Union.objects.get(name="东城街道总工会")
    assert len(children) == min(Union.objects.filter(path__startswith=top.path, depth=top.depth + 1).count(), 200)
    outside = Union.objects.get(name="院桥镇总工会")
    assert c.get(reverse("picker:unions"), {"parent": outside.pk}).status_code == 404


def test_transfer_in_picker_starts_empty_and_rejects_a_union_outside_scope(client_as: Any) -> None:
    c = client_as("dongcheng")
    html = c.get(reverse("members:transfer_in")).content.decode()
    assert re.search(r'name="to_union" value=""', html)
    root = Union.objects.get(name="东城街道总工会")
    outside = Union.objects.exclude(path__startswith=root.path).filter(kind="single").first()
    r = c.post(reverse("members:transfer_in"), {"id_number": "330103199001011234", "name": "张伟",
                                                "to_union": outside.pk})
    assert r.status_code == 400 and "请从列表中选择工会" in r.content.decode()
    r = c.post(reverse("members:transfer_in"), {"id_number": "330103199001011234", "to_union": ""})
    assert "请从列表中选择工会" in r.content.decode()


def test_date_filters_are_local_and_chinese() -> None:
    moment = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)  # 18:30 in Shanghai
    assert cn_datetime(moment) == "2026年12月1日 18:30"
    assert cn_date(moment) == "2026年12月1日" and cn_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert cn_date(None) == "—"


def test_audit_log_reads_as_a_cadre_reads_it(client_as: Any, huangyan: Any) -> None:
    from gonghui.orgs.services import union_update

    union = Union.objects.get(name="东城商圈联合工会委员会")
    union_update(actor=huangyan, union=union, chair="审计测试主席", status=Union.Status.SHELL)
    c = client_as("huangyan")
    html = c.get(reverse("audit_log"), {"q": union.name, "action": "update"}).content.decode()
    row = html.split('data-testid="audit-row"')[1].split("</tr>")[0]
    assert ">修改<" in row and f'href="/orgs/unions/{union.pk}/"' in row and union.name in row
    assert "疑似空壳" in row and "正常 → 疑似空壳" in row and "审计测试主席" in row  # choice labels, not codes
    assert "status" not in row and "None" not in row
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", row)
    # filtered by action: no 新增 rows when asking for 修改
    assert 'data-action="create"' not in html
    # the export is a workbook of the same rows, and is logged itself
    wb = openpyxl.load_workbook(io.BytesIO(c.get(reverse("audit_export"), {"q": union.name}).content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "操作") and any("疑似空壳" in (r[5] or "") for r in rows[1:])
    assert "导出操作日志" in c.get(reverse("audit_log"), {"action": "export"}).content.decode()


def test_login_log_records_success_failure_and_lockout(client: Client, client_as: Any) -> None:
    before = LoginEvent.objects.count()
    client.post(reverse("login"), {"username": "kuaidi", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "kuaidi", "password": "demo12345"})
    kinds = list(LoginEvent.objects.filter(username="kuaidi").order_by("at", "pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["failure", "success"] and LoginEvent.objects.count() == before + 2
    other = Client()  # signed out: the failures reach the login form
    for _ in range(6):
        other.post(reverse("login"), {"username": "kuaidi", "password": "wrong-again"})
    assert LoginEvent.objects.filter(username="kuaidi", kind="lockout").exists()
    html = client_as("huangyan").get(reverse("login_log"), {"username": "kuaidi"}).content.decode()
    assert "账号锁定" in html and "密码错误" in html and "登录成功" in html


def test_qr_codes_use_the_configured_public_address(rf: Any, settings: Any) -> None:
    from gonghui.members.qr import join_url

    request = rf.get("/", HTTP_HOST="127.0.0.1:8000")
    settings.GONGHUI_PUBLIC_URL = "https://gh.example.cn"
    assert join_url(request, "81331003222198737N") == "https://gh.example.cn/join/81331003222198737N/"
    settings.GONGHUI_PUBLIC_URL = ""
    assert join_url(request, "81331003222198737N") == "http://127.0.0.1:8000/join/81331003222198737N/"


def test_township_dashboard_rates_stand_beside_the_districts(client_as: Any, dongcheng: Any) -> None:
    from gonghui.orgs.models import Enterprise

    district = Union.objects.get(name="台州市黄岩区总工会")
    active = Enterprise.objects.filter(status="active", territory__path__startswith=district.path)
    covered = active.filter(covering_union__isnull=False).count() / active.count()
    c = client_as("dongcheng")
    html = c.get("/panels/orgs/").content.decode()
    shown = re.search(r'data-testid="district-coverage-rate">全区 ([\d.]+)%', html)
    assert shown is not None and float(shown.group(1)) == round(covered * 100, 1)
    own = float(re.search(r'data-testid="coverage-rate">([\d.]+)%', html).group(1))
    assert ("高于全区" if own >= round(covered * 100, 1) else "低于全区") in html
    from django.db.models import Sum

    from gonghui.members.models import Person
    heads = active.aggregate(h=Sum("headcount"))["h"]
    members = Person.objects.filter(current_union__isnull=False, employer__in=active).count()
    html = c.get("/panels/members/").content.decode()
    shown = re.search(r'data-testid="district-member-rate">全区 ([\d.]+)%', html)
    assert shown is not None and float(shown.group(1)) == round(members / heads * 100, 1)
    # the district's own 工作台 has nothing to compare with: its figures are the district's
    h = client_as("huangyan")
    assert "district-coverage-rate" not in h.get("/panels/orgs/").content.decode()
    assert "district-member-rate" not in h.get("/panels/members/").content.decode()
