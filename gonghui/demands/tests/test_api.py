"""The demands API end to end on the cast: intake, routing, the state machine (409 zh-hans), scope, photos, calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from gonghui.accounts.models import ApiToken
from gonghui.demands import services
from tests import factories as f

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def api(username: str) -> Any:
    from django.contrib.auth import get_user_model

    plain = ApiToken.new_plain()
    ApiToken.objects.create(user=get_user_model().objects.get(username=username), key_hash=ApiToken.hash(plain),
                            prefix=plain[:8])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")

    def call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        if method == "get":
            return client.get("/api/v1" + url, body or {})
        return client.post("/api/v1" + url, body or {}, content_type="application/json")

    return call


@pytest.fixture
def net(cast: Any) -> Any:
    class Net:
        dc_point = f.service_point(cast.dongcheng_town)
        yq_point = f.service_point(cast.yuanqiao_town)
        renshe = f.department(categories=["labour_dispute"])
    return Net


CALL = {"category": "labour_dispute", "title": "工资拖欠", "description": "三个月工资未发", "contact_name": "王建国",
        "contact_phone": "13905761234", "channel": "phone"}


def test_a_cadre_logs_an_earlier_call_and_the_clocks_follow_the_calendar(cast: Any, net: Any) -> None:
    # given a call taken on the eve of 国庆 2025, entered later by dongcheng
    r = api("dongcheng")("post", "/demands", {**CALL, "union_id": cast.dc_union.pk,
                                             "received_at": "2025-09-30T16:00:00+08:00"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "pending" and body["number"].startswith("SQ2025")
    assert dt.datetime.fromisoformat(body["sign_due_at"]) == dt.datetime(2025, 10, 9, 10, 0, tzinfo=TZ)
    assert dt.datetime.fromisoformat(body["due_at"]) == dt.datetime(2025, 10, 14, 17, 0, tzinfo=TZ)
    assert body["received_at"].endswith("+08:00") and body["timeline"][0]["kind"] == "filed"
    assert body["suggested_unit_id"] == net.dc_point.pk  # the nearest service point up the place's line


def test_intake_outside_ones_scope_or_with_bad_input_is_422(cast: Any, net: Any) -> None:
    call = api("dongcheng")
    assert call("post", "/demands", {**CALL, "union_id": cast.yq_union.pk}).status_code == 422
    r = call("post", "/demands", {**CALL, "union_id": cast.dc_union.pk, "urgency": "asap"})
    assert r.status_code == 422
    r = call("post", "/demands", {**CALL, "union_id": cast.dc_union.pk, "received_at": "2099-01-01T00:00:00+08:00"})
    assert r.status_code == 422 and "晚于现在" in r.json()["detail"]
    assert api("chakan")("post", "/demands", {**CALL, "union_id": cast.dc_union.pk}).status_code == 403


def test_the_whole_life_claim_pause_close_rate_unsatisfied_reopen_close_rate_done(cast: Any, net: Any) -> None:
    d = f.demand(union=cast.dc_union)
    dc, rs = api("dongcheng"), api("renshe")
    url = f"/demands/{d.pk}"
    assert rs("get", url).status_code == 404  # not routed to 人社局, not its place
    r = dc("post", url + "/claim")
    assert r.status_code == 200 and r.json()["status"] == "in_progress" and r.json()["unit_id"] == net.dc_point.pk
    assert dc("post", url + "/claim").status_code == 200  # a repeat by the winner
    assert dc("post", url + "/resume").status_code == 409
    assert dc("post", url + "/pause", {"reason": "待职工补充工资条"}).json()["status"] == "paused"
    r = dc("post", url + "/close", {"result": "x"})
    assert r.status_code == 409 and "待补充材料" in r.json()["detail"]
    assert dc("post", url + "/resume").json()["status"] == "in_progress"
    assert dc("post", url + "/close", {"result": "已协调企业补发工资"}).json()["status"] == "closed"
    r = dc("post", url + "/rate", {"rating": "unsatisfied", "comment": "只补发了一个月"})
    assert r.json()["status"] == "in_progress" and r.json()["reopens"] == 1
    dc("post", url + "/close", {"result": "三个月工资全部补发"})
    r = dc("post", url + "/rate", {"rating": "satisfied"})
    assert r.json()["status"] == "done"
    r = dc("post", url + "/rate", {"rating": "satisfied"})
    assert r.status_code == 409 and "已评价，归档" in r.json()["detail"]
    kinds = [e["kind"] for e in dc("get", url).json()["timeline"]]
    assert kinds == ["claimed", "paused", "resumed", "closed", "reopened", "closed", "rated"]
    assert api("chakan")("post", url + "/callback", {"reached": True, "rating": "satisfied"}).status_code == 403
    r = dc("post", url + "/callback", {"reached": True, "rating": "satisfied", "note": "职工表示满意"})
    assert r.status_code == 200 and r.json()["callback_at"]


def test_assign_sign_and_the_second_return_goes_one_level_up(cast: Any, net: Any) -> None:
    d = f.demand(union=cast.yq_union)
    yq, rs, hy = api("yuanqiao"), api("renshe"), api("huangyan")
    url = f"/demands/{d.pk}"
    assert rs("post", url + "/sign").status_code == 404  # not yet routed to 人社局: not in its sight
    assert yq("post", url + "/assign", {"unit_id": net.renshe.pk}).json()["status"] == "assigned"
    assert rs("get", url).status_code == 200  # now routed to it
    assert yq("post", url + "/sign").status_code == 409  # 院桥 does not act for 人社局
    assert rs("post", url + "/sign").json()["status"] == "in_progress"
    assert rs("post", url + "/return", {"reason": ""}).status_code == 422
    r = rs("post", url + "/return", {"reason": "不属于本局职责"})
    assert r.json()["status"] == "pending" and r.json()["unit_id"] is None
    assert rs("get", url).status_code == 404  # gone from 人社局 with the return
    yq("post", url + "/assign", {"unit_id": net.renshe.pk})
    rs("post", url + "/return", {"reason": "仍不属于本局职责"})
    d.refresh_from_db()
    assert d.returns == 2 and d.decider == cast.district  # the district decides now
    assert yq("post", url + "/assign", {"unit_id": net.yq_point.pk}).status_code == 409
    assert hy("post", url + "/assign", {"unit_id": net.yq_point.pk}).json()["status"] == "assigned"


def test_transfer_hands_it_to_another_unit_who_must_sign(cast: Any, net: Any) -> None:
    d = f.demand(union=cast.yq_union)
    yq, rs = api("yuanqiao"), api("renshe")
    url = f"/demands/{d.pk}"
    yq("post", url + "/claim")
    assert yq("post", url + "/transfer", {"unit_id": net.renshe.pk, "reason": ""}).status_code == 422
    r = yq("post", url + "/transfer", {"unit_id": net.renshe.pk, "reason": "涉及社保缴纳，转人社局"})
    assert r.json()["status"] == "assigned" and r.json()["unit_id"] == net.renshe.pk
    assert rs("post", url + "/claim").json()["status"] == "in_progress"  # the addressee's claim is its sign-off


def test_scope_a_township_sees_its_own_and_what_its_units_hold_nothing_else(cast: Any, net: Any) -> None:
    own = f.demand(union=cast.dc_union)
    routed_in = f.demand(union=cast.yq_union, unit=net.dc_point, status="assigned")
    foreign = f.demand(union=cast.yq_union)
    to_renshe = f.demand(union=cast.yq_union, unit=net.renshe, status="assigned")
    ids = {i["id"] for i in api("dongcheng")("get", "/demands", {"limit": 1000}).json()["items"]}
    assert {own.pk, routed_in.pk} <= ids and not {foreign.pk, to_renshe.pk} & ids
    ids = {i["id"] for i in api("renshe")("get", "/demands", {"limit": 1000}).json()["items"]}
    assert to_renshe.pk in ids and not {own.pk, routed_in.pk, foreign.pk} & ids
    overdue = f.demand(union=cast.dc_union, received_at=dt.datetime(2025, 3, 3, 9, tzinfo=TZ))
    ids = {i["id"] for i in api("dongcheng")("get", "/demands", {"overdue": "true", "limit": 1000}).json()["items"]}
    assert overdue.pk in ids and own.pk not in ids


def test_the_calendar_api_says_where_each_year_comes_from(client: Client) -> None:
    body = client.get("/api/v1/calendar/2025").json()
    assert body["source"] == "chinesecalendar" and "2025-10-08" in body["holidays"]
    assert body["workdays"] == ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]
    assert client.get("/api/v1/calendar/2027").json() == {"year": 2027, "source": "weekends-only", "holidays": [],
                                                          "workdays": []}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_photos_are_checked_by_content_not_by_name_and_counted() -> None:
    assert [c for _, c, _ in services.check_photos([PNG, JPEG])] == ["image/png", "image/jpeg"]
    with pytest.raises(ValidationError, match="第 1 张不是照片"):
        services.check_photos([b"%PDF-1.7 not a photo" * 4])  # whatever the file was called
    with pytest.raises(ValidationError, match="最多上传 3 张"):
        services.check_photos([PNG] * 4)
    with pytest.raises(ValidationError, match="超过 5 MB"):
        services.check_photos([JPEG + b"\x00" * (5 * 1024 * 1024)])
