"""The console: queues per unit, the detail's buttons and timeline, overdue red and escalation, the export through the
download centre, the dashboard, the working-day calendar page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from gonghui.core.models import CalendarDay, CalendarYear
from gonghui.demands import services
from gonghui.demands.models import DemandEvent
from gonghui.downloads.models import ExportJob
from tests import factories as f

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_the_queues_of_a_township_mine_overdue_dispatch(cast: Any, client_as: Any) -> None:
    point = f.service_point(cast.dongcheng_town)
    mine = f.demand(union=cast.dc_union, unit=point, status="in_progress", title="本站点承办")
    late = f.demand(union=cast.dc_union, received_at=dt.datetime(2026, 3, 2, 10, tzinfo=TZ), title="早已超时")
    foreign = f.demand(union=cast.yq_union, title="院桥的诉求")
    c = client_as("dongcheng")
    html = c.get(reverse("demands:queue"), {"tab": "mine"}).content.decode()
    assert mine.number in html and late.number not in html
    html = c.get(reverse("demands:queue"), {"tab": "overdue"}).content.decode()
    assert late.number in html and mine.number not in html and "table-danger" in html
    html = c.get(reverse("demands:queue"), {"tab": "dispatch"}).content.decode()
    assert late.number in html and foreign.number not in html
    assert foreign.number not in c.get(reverse("demands:queue")).content.decode()


def test_detail_buttons_follow_the_status_and_steps_write_the_timeline(cast: Any, client_as: Any) -> None:
    f.service_point(cast.dongcheng_town)
    d = f.demand(union=cast.dc_union)
    c = client_as("dongcheng")
    url = reverse("demands:detail", args=[d.pk])
    html = c.get(url).content.decode()
    assert 'data-testid="btn-claim"' in html and 'data-testid="btn-close"' not in html
    c.post(url, {"step": "claim"})
    html = c.get(url).content.decode()
    assert 'data-testid="btn-close"' in html and 'data-testid="btn-claim"' not in html
    r = c.post(url, {"step": "close", "result": ""}, follow=True)
    assert "办结须填写办理结果" in r.content.decode()
    c.post(url, {"step": "close", "result": "已协调解决"})
    d.refresh_from_db()
    assert d.status == "closed" and d.working_seconds is not None
    assert list(d.events.values_list("kind", flat=True)) == ["claimed", "closed"]
    assert client_as("chakan").post(url, {"step": "rate", "rating": "satisfied"}).status_code == 403


def test_overdue_demands_are_escalated_once_to_the_parent_level(cast: Any) -> None:
    point = f.service_point(cast.dongcheng_town)
    d = f.demand(union=cast.dc_union, unit=point, status="in_progress",
                 received_at=dt.datetime(2026, 3, 2, 10, tzinfo=TZ))
    soon = f.demand(union=cast.dc_union, unit=point, status="in_progress", urgency="urgent",
                    received_at=dt.datetime(2026, 3, 2, 10, tzinfo=TZ))
    now = dt.datetime(2026, 3, 3, 15, tzinfo=TZ)  # soon's due_at is 3/3 17:00: within 4 working hours
    first = services.demands_watch_clock(now=now + dt.timedelta(days=30))
    assert first["escalated"] >= 2
    again = services.demands_watch_clock(now=now + dt.timedelta(days=30))
    assert again["escalated"] == 0
    ev = DemandEvent.objects.get(demand=d, kind="escalated")
    assert "台州市黄岩区总工会" in ev.reason  # 东城's service point reports to the district
    assert DemandEvent.objects.filter(demand=soon, kind="escalated").count() == 1


def test_a_warning_before_due(cast: Any) -> None:
    point = f.service_point(cast.dongcheng_town)
    d = f.demand(union=cast.dc_union, unit=point, status="in_progress", urgency="urgent",
                 received_at=dt.datetime(2026, 3, 2, 10, tzinfo=TZ))
    counts = services.demands_watch_clock(now=dt.datetime(2026, 3, 3, 15, tzinfo=TZ))
    assert counts["warned"] >= 1 and DemandEvent.objects.filter(demand=d, kind="warned").exists()


def test_the_export_goes_to_the_download_centre_with_the_rows_in_sight(cast: Any, client_as: Any,
                                                                        dongcheng: Any) -> None:
    f.demand(union=cast.dc_union, title="东城导出")
    r = client_as("dongcheng").post(reverse("demands:export"))
    assert r.status_code == 302
    job = ExportJob.objects.filter(created_by=dongcheng, kind="demands").latest("pk")
    import io

    from openpyxl import load_workbook

    from gonghui.demands.exports import build_export

    buf = io.BytesIO()
    n = build_export(job=job, params={"filters": {"status": "", "category": "", "overdue": None, "unit": None,
                                                  "q": "", "tab": "all"}}, target=buf, progress=lambda n: None)
    rows = list(load_workbook(io.BytesIO(buf.getvalue()), read_only=True).active.values)
    assert n == job.rows_total == len(rows) - 1
    assert all("院桥" not in (r[6] or "") for r in rows[1:])


def test_the_dashboard_shows_the_figures_of_the_scope(cast: Any, client_as: Any) -> None:
    point = f.service_point(cast.dongcheng_town)
    d = f.demand(union=cast.dc_union, unit=point, status="done", rating="satisfied", working_seconds=7200,
                 closed_at=dt.datetime(2026, 11, 30, 10, tzinfo=TZ), received_at=dt.datetime(2026, 11, 28, 10, tzinfo=TZ))
    html = client_as("dongcheng").get(reverse("demands:dashboard")).content.decode()
    assert 'data-testid="n-solved"' in html and "demand-charts" in html and d.pk


def test_a_district_admin_enters_a_years_arrangement_and_townships_cannot(client_as: Any) -> None:
    url = reverse("calendar")
    assert 'data-testid="calendar-missing"' in client_as("dongcheng").get(url, {"year": 2027}).content.decode()
    assert client_as("dongcheng").post(url, {"year": 2027, "text": "2027-01-01,放假,元旦"}).status_code == 403
    r = client_as("huangyan").post(url, {"year": 2027, "text": "2027-01-01,休息日,元旦"})
    assert r.status_code == 400 and "类型应为" in r.content.decode()
    text = "2027-01-01~2027-01-03, 放假, 元旦\n2027-02-06~2027-02-12, 放假, 春节\n2027-02-13, 上班, 春节"
    r = client_as("huangyan").post(url, {"year": 2027, "text": text})
    assert r.status_code == 302
    assert CalendarYear.objects.get(year=2027).source == "entered"
    assert CalendarDay.objects.filter(date__year=2027, kind="holiday").count() == 10
    r = client_as("huangyan").post(url, {"year": 2027, "text": "2027-03-01, 上班, 无"})
    assert r.status_code == 400 and "无须登记调休上班" in r.content.decode()
