"""The service menu and circuit visits: an order's life and its status history, who may take each step, the teams'
visits with photos checked by content, scope (a township sees only its own), the year's counts, the API, the
console pages and the Excel export."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from gonghui.core.errors import WrongState
from gonghui.demands import selectors, services
from gonghui.demands.models import CircuitVisit, ServiceItem, ServiceOrder, ServiceTeam
from gonghui.demands.tests.test_api import api
from tests import factories as f

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def menu(cast: Any) -> Any:
    class Menu:
        dc_point = f.service_point(cast.dongcheng_town)
        yq_point = f.service_point(cast.yuanqiao_town)
        district_point = f.service_point(cast.district)
        renshe = f.department()
        dc_talk = ServiceItem.objects.create(unit=dc_point, name="送教入企（东城测试）")
        yq_talk = ServiceItem.objects.create(unit=yq_point, name="心理咨询（院桥测试）")
        wages = ServiceItem.objects.create(unit=district_point, name="能级工资集体协商指导（测试）")
        dc_team = ServiceTeam.objects.create(name="东城测试巡回队", node=cast.dongcheng_town, level="township")
        yq_team = ServiceTeam.objects.create(name="院桥测试巡回队", node=cast.yuanqiao_town, level="township")
    Menu.dc_team.services.set([Menu.dc_talk, Menu.wages])
    return Menu


def _order(cast: Any, menu: Any, actor: Any, service: Any = None, union: Any = None) -> ServiceOrder:
    return services.service_order_file(actor=actor, order=services.OrderIn(
        service=service or menu.dc_talk, union=union or cast.dc_union, contact_name="王主席",
        contact_phone="13905761111", note="车间四十人参加"))


def _visit(cast: Any, menu: Any, **kw: Any) -> services.VisitIn:
    fields = {"team": menu.dc_team, "union": cast.dc_union, "visit_date": timezone.localdate(),
              "services": [menu.dc_talk], "attendance": 42, "feedback": "职工反映实用", **kw}
    return services.VisitIn(**fields)


def test_an_order_is_filed_accepted_scheduled_with_a_team_and_completed_by_the_visit(cast: Any, menu: Any) -> None:
    # given dongcheng orders 送教入企 of its own service point for a union of 东城
    order = _order(cast, menu, cast.dongcheng)
    assert order.status == "submitted" and order.number.startswith("FW") and order.unit == menu.dc_point
    # when the providing unit accepts and schedules it with its team
    services.service_order_accept(actor=cast.dongcheng, order=order)
    services.service_order_accept(actor=cast.dongcheng, order=order)  # a repeat answers it as it is
    day = timezone.localdate() + dt.timedelta(days=5)
    order = services.service_order_schedule(actor=cast.dongcheng, order=order, on=day, team=menu.dc_team)
    planned = CircuitVisit.objects.get(order=order)
    assert order.status == "scheduled" and planned.status == "planned" and planned.visit_date == day
    # then recording the team's visit completes the order
    services.visit_record(actor=cast.dongcheng, planned=planned, visit=_visit(cast, menu, team=None, union=None),
                          photos=[PNG])
    order.refresh_from_db()
    planned.refresh_from_db()
    assert planned.status == "held" and planned.attendance == 42 and planned.photos.count() == 1
    assert order.status == "done" and "42 人" in order.result
    assert [e.kind for e in selectors.order_events(order=order)] == ["filed", "accepted", "scheduled", "done"]
    with pytest.raises(WrongState, match="已完成"):
        services.service_order_accept(actor=cast.dongcheng, order=order)
    with pytest.raises(WrongState, match="不能重复记录"):
        services.visit_record(actor=cast.dongcheng, planned=planned, visit=_visit(cast, menu))


def test_who_may_order_and_who_may_take_the_steps(cast: Any, menu: Any) -> None:
    with pytest.raises(PermissionDenied):
        _order(cast, menu, cast.chakan)  # 只读
    with pytest.raises(ValidationError, match="不在您的办理范围内"):
        _order(cast, menu, cast.dongcheng, union=cast.yq_union)
    with pytest.raises(ValidationError, match="不覆盖"):
        _order(cast, menu, cast.dongcheng, service=menu.yq_talk)  # 院桥's point does not serve 东城
    district_order = _order(cast, menu, cast.dongcheng, service=menu.wages)  # the district's serves everywhere
    with pytest.raises(WrongState, match="由台州市黄岩区总工会职工服务站提供"):
        services.service_order_accept(actor=cast.dongcheng, order=district_order)  # 东城 does not act for it
    assert services.service_order_accept(actor=cast.huangyan, order=district_order).status == "accepted"
    with pytest.raises(ValidationError, match="请填写不予受理的原因"):
        services.service_order_decline(actor=cast.huangyan, order=district_order, reason=" ")
    declined = services.service_order_decline(actor=cast.huangyan, order=district_order, reason="本月已排满")
    assert declined.status == "declined"
    with pytest.raises(WrongState):
        services.service_order_schedule(actor=cast.huangyan, order=declined, on=timezone.localdate())
    order = _order(cast, menu, cast.dongcheng)
    with pytest.raises(WrongState, match="待受理"):
        services.service_order_complete(actor=cast.dongcheng, order=order, result="已完成")
    services.service_order_accept(actor=cast.dongcheng, order=order)
    with pytest.raises(ValidationError, match="请填写服务结果"):
        services.service_order_complete(actor=cast.dongcheng, order=order, result="")
    assert services.service_order_complete(actor=cast.dongcheng, order=order, result="已开课").status == "done"


def test_a_visit_is_recorded_with_photos_checked_by_content_and_the_team_territory(cast: Any, menu: Any) -> None:
    with pytest.raises(ValidationError, match="不是照片"):
        services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu), photos=[b"%PDF-1.7 not a photo" * 4])
    with pytest.raises(ValidationError, match="最多上传 3 张"):
        services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu), photos=[PNG] * 4)
    with pytest.raises(ValidationError, match="请填写参与人数"):
        services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu, attendance=None))
    with pytest.raises(ValidationError, match="请先排期"):
        services.visit_record(actor=cast.dongcheng, visit=_visit(
            cast, menu, visit_date=timezone.localdate() + dt.timedelta(days=1)))
    with pytest.raises(WrongState, match="属于院桥镇总工会"):
        services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu, team=menu.yq_team))
    with pytest.raises(ValidationError, match="只服务东城街道总工会辖区"):
        services.visit_record(actor=cast.huangyan, visit=_visit(cast, menu, union=cast.yq_union))
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=cast.chakan, visit=_visit(cast, menu))
    assert CircuitVisit.objects.filter(team=menu.dc_team).count() == 0  # nothing half-written
    visit = services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu), photos=[PNG, PNG])
    assert visit.status == "held" and [p.content_type for p in visit.photos.all()] == ["image/png"] * 2


def test_a_township_sees_only_its_own_visits_and_orders_and_the_counts_follow(cast: Any, menu: Any) -> None:
    mine = services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu))
    theirs = services.visit_record(actor=cast.yuanqiao, visit=_visit(cast, menu, team=menu.yq_team,
                                                                     union=cast.yq_union, services=[menu.yq_talk]))
    assert mine in selectors.visit_list(user=cast.dongcheng) and theirs not in selectors.visit_list(user=cast.dongcheng)
    assert theirs in selectors.visit_list(user=cast.yuanqiao) and mine not in selectors.visit_list(user=cast.yuanqiao)
    assert not selectors.visit_list(user=cast.renshe).exists()
    order = _order(cast, menu, cast.dongcheng)
    assert order in selectors.order_list(user=cast.dongcheng) and order not in selectors.order_list(user=cast.yuanqiao)
    counts = selectors.visit_counts(user=cast.dongcheng, year=timezone.localdate().year)
    team = next(r for r in counts["by_team"] if r["id"] == menu.dc_team.pk)
    assert team["n"] == 1 and team["people"] == 42
    assert all(r["id"] != menu.yq_team.pk for r in counts["by_team"])
    township = next(r for r in counts["by_township"] if r["name"] == "东城街道总工会")
    assert township["n"] >= 1 and all(r["name"] != "院桥镇总工会" for r in counts["by_township"])
    district = selectors.visit_counts(user=cast.huangyan, year=timezone.localdate().year)
    assert district["total"] >= counts["total"] + 1
    # the menu: a township sees the district's services and its own point's, not a sibling's
    names = set(selectors.service_catalogue(user=cast.dongcheng).values_list("name", flat=True))
    assert {"送教入企（东城测试）", "能级工资集体协商指导（测试）"} <= names and "心理咨询（院桥测试）" not in names


def test_the_api_orders_steps_visits_and_stats(cast: Any, menu: Any) -> None:
    dc, yq = api("dongcheng"), api("yuanqiao")
    r = dc("post", "/service-orders", {"service_id": menu.dc_talk.pk, "union_id": cast.dc_union.pk,
                                       "contact_name": "王主席", "contact_phone": "13905761111"})
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["status"] == "submitted" and order["history"][0]["kind"] == "filed"
    url = f"/service-orders/{order['id']}"
    assert yq("get", url).status_code == 404
    assert dc("post", url + "/complete", {"result": "x"}).status_code == 409
    assert dc("post", url + "/accept").json()["status"] == "accepted"
    r = dc("post", url + "/schedule", {})
    assert r.status_code == 422 and "服务日期" in r.json()["detail"]
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert dc("post", url + "/schedule", {"on": day, "team_id": menu.dc_team.pk}).json()["status"] == "scheduled"
    assert api("chakan")("post", url + "/accept").status_code == 403
    ids = {o["id"] for o in dc("get", "/service-orders", {"limit": 1000}).json()["items"]}
    assert order["id"] in ids and order["id"] not in {o["id"] for o in yq("get", "/service-orders",
                                                                          {"limit": 1000}).json()["items"]}
    body = {"team_id": menu.dc_team.pk, "union_id": cast.dc_union.pk, "visit_date": timezone.localdate().isoformat(),
            "service_ids": [menu.dc_talk.pk], "attendance": 35, "feedback": "好",
            "photos": [base64.b64encode(PNG).decode()]}
    r = dc("post", "/visits", body)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "held" and r.json()["photos"] == 1
    r = dc("post", "/visits", {**body, "photos": [base64.b64encode(b"<html>not a photo</html>" * 3).decode()]})
    assert r.status_code == 422 and "不是照片" in r.json()["detail"]
    assert yq("post", "/visits", body).status_code == 422  # 东城's team is not in 院桥's sight
    planned = CircuitVisit.objects.get(order_id=order["id"])
    r = dc("post", f"/visits/{planned.pk}/record", {"visit_date": timezone.localdate().isoformat(),
                                                    "service_ids": [menu.dc_talk.pk], "attendance": 20})
    assert r.status_code == 200 and r.json()["status"] == "held"
    assert dc("get", url).json()["status"] == "done"
    stats = dc("get", "/visits/stats").json()
    assert next(t for t in stats["by_team"] if t["id"] == menu.dc_team.pk)["n"] == 2
    assert yq("get", f"/visits/{planned.pk}").status_code == 404
    teams = {t["id"] for t in dc("get", "/service-teams").json()["items"]}
    assert menu.dc_team.pk in teams and menu.yq_team.pk not in teams
    r = dc("post", "/service-teams", {"name": "东城第二巡回队", "node_id": cast.dongcheng_town.pk,
                                      "members": ["张律师", "李老师"], "service_ids": [menu.dc_talk.pk]})
    assert r.status_code == 201 and r.json()["level"] == "township"
    assert dc("post", "/service-teams", {"name": "越权队", "node_id": cast.yuanqiao_town.pk}).status_code == 422
    r = dc("post", "/services", {"unit_id": menu.dc_point.pk, "name": "职工法律讲座"})
    assert r.status_code == 201 and r.json()["unit_id"] == menu.dc_point.pk
    assert dc("post", "/services", {"unit_id": menu.yq_point.pk, "name": "越权服务"}).status_code == 409


def test_console_visit_form_list_teams_and_export(cast: Any, menu: Any, client_as: Any, dongcheng: Any) -> None:
    c = client_as("dongcheng")
    assert 'data-testid="visit-form"' in c.get(reverse("demands:visit_new")).content.decode()
    r = c.post(reverse("demands:visit_new"), {
        "team": menu.dc_team.pk, "union": cast.dc_union.pk, "visit_date": timezone.localdate().isoformat(),
        "services": [menu.dc_talk.pk], "attendance": "28", "feedback": "现场咨询二十余人次",
        "enterprise": cast.dc_firm.name, "photos": [io.BytesIO(PNG)]})
    assert r.status_code == 302, r.content.decode()[:2000]
    visit = CircuitVisit.objects.get(team=menu.dc_team)
    assert visit.enterprise == cast.dc_firm and visit.photos.count() == 1
    html = c.get(reverse("demands:visit", args=[visit.pk])).content.decode()
    assert 'data-testid="attendance">28' in html and reverse("demands:visit_photo", args=[visit.photos.get().pk]) in html
    assert c.get(reverse("demands:visit_photo", args=[visit.photos.get().pk])).status_code == 200
    r = c.post(reverse("demands:visit_new"), {"team": menu.dc_team.pk, "union": cast.dc_union.pk,
                                             "visit_date": timezone.localdate().isoformat(), "attendance": "5",
                                             "services": [menu.dc_talk.pk], "enterprise": cast.yq_firm.name})
    assert r.status_code == 400 and "找不到您办理范围内的企业" in r.content.decode()
    html = c.get(reverse("demands:teams")).content.decode()
    assert f'data-team="{menu.dc_team.pk}"' in html and "院桥测试巡回队" not in html
    html = c.get(reverse("demands:visits")).content.decode()
    assert reverse("demands:visit", args=[visit.pk]) in html
    assert client_as("yuanqiao").get(reverse("demands:visit", args=[visit.pk])).status_code == 404
    # the export: a download-centre job whose workbook holds the rows in sight
    from openpyxl import load_workbook

    from gonghui.demands.exports import build_visit_export
    from gonghui.downloads.models import ExportJob

    assert client_as("dongcheng").post(reverse("demands:visit_export")).status_code == 302
    job = ExportJob.objects.filter(created_by=dongcheng, kind="visits").latest("pk")
    buf = io.BytesIO()
    n = build_visit_export(job=job, params={"filters": {"year": None, "team": None, "status": "", "q": ""}},
                           target=buf, progress=lambda n: None)
    rows = list(load_workbook(io.BytesIO(buf.getvalue()), read_only=True).active.values)
    assert n == job.rows_total == len(rows) - 1
    assert any(r[1] == "东城测试巡回队" and r[7] == 28 and "送教入企" in r[6] for r in rows[1:])
    assert all("院桥" not in (r[3] or "") for r in rows[1:])


def test_orders_console_and_renshe_cannot_order(cast: Any, menu: Any, client_as: Any) -> None:
    c = client_as("dongcheng")
    r = c.post(reverse("demands:order_new"), {"service": menu.dc_talk.pk, "union": cast.dc_union.pk,
                                             "contact_name": "王主席", "contact_phone": "13905761111"})
    assert r.status_code == 302
    order = ServiceOrder.objects.filter(service=menu.dc_talk).latest("pk")
    url = reverse("demands:order", args=[order.pk])
    assert 'data-testid="btn-accept"' in c.get(url).content.decode()
    c.post(url, {"step": "accept"})
    order.refresh_from_db()
    assert order.status == "accepted"
    assert order.number in c.get(reverse("demands:orders")).content.decode()
    assert client_as("renshe").post(reverse("demands:order_new"), {}).status_code == 403
    assert client_as("chakan").post(url, {"step": "accept"}).status_code == 403


def test_the_dashboard_keeps_its_figures_until_a_demand_changes_and_counts_the_visits(cast: Any, menu: Any,
                                                                                       client_as: Any) -> None:
    d = f.demand(union=cast.dc_union)
    first = selectors.dashboard_cached(user=cast.dongcheng)
    f.demand(union=cast.dc_union)  # written behind the services' back: not seen until a change (or 10 minutes)
    assert selectors.dashboard_cached(user=cast.dongcheng)["total"] == first["total"]
    services.demand_claim(actor=cast.dongcheng, demand=d, unit=menu.dc_point)
    services.demand_close(actor=cast.dongcheng, demand=d, result="已协调解决")
    again = selectors.dashboard_cached(user=cast.dongcheng)
    assert again["total"] == first["total"] + 1 and again["solved"] == first["solved"] + 1  # the second one, now
    assert again == selectors.dashboard(user=cast.dongcheng)
    services.visit_record(actor=cast.dongcheng, visit=_visit(cast, menu))
    html = client_as("dongcheng").get(reverse("demands:dashboard")).content.decode()
    n = selectors.visit_counts(user=cast.dongcheng, year=timezone.localdate().year)["total"]
    assert f'data-testid="n-visits">{n}<' in html and n >= 1


def test_the_scope_key_is_the_scope_not_the_user(cast: Any) -> None:
    from gonghui.demands.selectors import _scope_key

    assert _scope_key(cast.dongcheng) != _scope_key(cast.yuanqiao)
    assert _scope_key(cast.dongcheng) == _scope_key(cast.dongcheng.__class__.objects.get(pk=cast.dongcheng.pk))


def test_the_dashboards_two_paths_give_the_same_figures(cast: Any, menu: Any, monkeypatch: Any) -> None:
    """A district-wide user's grouped queries and a scoped user's single pass count alike (the district's figures
    computed both ways)."""
    late = f.demand(union=cast.dc_union, received_at=timezone.now() - dt.timedelta(days=40))
    done = f.demand(union=cast.yq_union, unit=menu.yq_point, status="done", rating="satisfied", working_seconds=7200,
                    closed_at=timezone.now())
    grouped = selectors.dashboard(user=cast.huangyan)
    monkeypatch.setattr(selectors, "whole_tree", lambda user, action="view": False)
    single = selectors.dashboard(user=cast.huangyan)
    assert grouped == single and grouped["overdue"] >= 1 and grouped["median_hours"] is not None
    assert late.pk and done.pk


def test_a_township_forms_a_team_in_the_console_and_not_in_a_sibling(cast: Any, menu: Any, client_as: Any) -> None:
    c = client_as("dongcheng")
    assert 'data-testid="team-form"' in c.get(reverse("demands:team_new")).content.decode()
    r = c.post(reverse("demands:team_new"), {"name": "东城法律服务巡回队", "union": cast.dongcheng_town.pk,
                                            "leader": "周律师", "members": "张律师、李老师\n王咨询师",
                                            "services": [menu.dc_talk.pk]})
    assert r.status_code == 302
    team = ServiceTeam.objects.get(name="东城法律服务巡回队")
    assert team.level == "township" and team.members == ["张律师", "李老师", "王咨询师"]
    assert list(team.services.all()) == [menu.dc_talk]
    r = c.post(reverse("demands:team_new"), {"name": "越权队", "union": cast.yuanqiao_town.pk})
    assert r.status_code == 400 and not ServiceTeam.objects.filter(name="越权队").exists()
    assert client_as("chakan").get(reverse("demands:team_new")).status_code == 403
