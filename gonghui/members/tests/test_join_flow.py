"""扫码入会 over the phone page and the public API: new, again, elsewhere, approval, privacy, bad input, limits.

(The proof of identity for an ID number already on file is tested in depth in test_join_identity.py.)"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from gonghui.core.identifiers import make_id_number
from gonghui.members import sms
from gonghui.members.models import FunnelEvent, JoinSettings, Membership, Person, Recruiter, TransferRequest
from gonghui.members.selectors import funnel_counts
from gonghui.orgs.models import Union

pytestmark = pytest.mark.django_db

ELEME = "黄岩区饿了么网约送餐员联合工会"  # under 东城街道
ZTO = "黄岩区中通快递网点联合工会"  # under 快递行业工会联合会


def ident(n: int) -> str:
    """A valid ID number outside the demo's area codes (北京东城 110101), unique per n."""
    return make_id_number("110101", dt.date(1980, 1, 1) + dt.timedelta(days=n // 900), n % 900 + 100)


@pytest.fixture(autouse=True)
def outbox(settings: Any) -> list[sms.SentSms]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    return sms.outbox


def last_code(outbox: list[sms.SentSms]) -> str:
    found = re.search(r"验证码为(\d{6})", outbox[-1].text)
    assert found
    return found.group(1)


def union(name: str) -> Union:
    return Union.objects.get(name=name)


def form_data(n: int, **over: Any) -> dict[str, Any]:
    return {
        "name": "陈晓峰", "id_number": ident(n), "phone": f"138{n:08d}", "employer": "某某餐饮店",
        "occupation": "网约送餐员", "consent_privacy": "on", "consent_sensitive": "on", **over,
    }


def api_join(client: Client, code: str, n: int, **over: Any) -> Any:
    body = {"name": "陈晓峰", "id_number": ident(n), "phone": f"138{n:08d}", "employer": "", "occupation": "快递员",
            "consent": True, **over}
    return client.post(f"/api/v1/join/{code}", body, content_type="application/json")


# ---------------------------------------------------------------- the phone page


def test_scan_then_join_shows_the_e_card_with_masked_id(client: Client) -> None:
    # given the join page of a grassroots union, scanned from a recruiter's QR
    u = union(ELEME)
    rec = Recruiter.objects.create(union=u, code="AB12CD34", name="周队长")
    page = client.get(f"/join/{u.code}/?ref=ab12cd34")
    assert page.status_code == 200
    assert "身份证号" in page.content.decode() and "单独同意" in page.content.decode()
    # when the worker submits the form
    resp = client.post(f"/join/{u.code}/", form_data(1, ref="AB12CD34"))
    # then they land on their e-card: masked ID, union, card number
    assert resp.status_code == 302 and resp["Location"] == reverse("join:card")
    card = client.get(resp["Location"]).content.decode()
    person = Person.objects.get(name="陈晓峰", id_masked=ident(1)[:6] + "********" + ident(1)[-4:])
    assert person.id_masked in card and ident(1) not in card
    assert person.member_no and person.member_no in card and ELEME in card
    assert Membership.objects.get(person=person).source == Membership.Source.SCAN
    stages = set(FunnelEvent.objects.filter(recruiter=rec).values_list("stage", flat=True))
    assert stages == {"scan", "submit", "member"}


def test_scan_is_counted_once_per_phone(client: Client) -> None:
    u = union(ELEME)
    before = FunnelEvent.objects.filter(union=u, stage="scan").count()
    client.get(f"/join/{u.code}/")
    client.get(f"/join/{u.code}/")
    assert FunnelEvent.objects.filter(union=u, stage="scan").count() == before + 1


def test_joining_twice_gives_the_same_card_after_the_sms_code(client: Client, outbox: list[sms.SentSms]) -> None:
    u = union(ELEME)
    client.post(f"/join/{u.code}/", form_data(2))
    first = Person.objects.get(id_masked__endswith=ident(2)[-4:], name="陈晓峰").member_no
    other = Client()
    resp = other.post(f"/join/{u.code}/", form_data(2, id_number=ident(2).lower().replace("", " ").strip()))
    assert resp.status_code == 302 and resp["Location"] == reverse("join:verify_step", args=[u.code])
    assert other.get(reverse("join:card")).status_code == 302  # no card before the code
    resp = other.post(resp["Location"], {"action": "code", "code": last_code(outbox)})
    assert resp.status_code == 302 and resp["Location"] == reverse("join:card")
    assert first in other.get(reverse("join:card")).content.decode()
    assert Person.objects.filter(member_no=first).count() == 1


def test_same_id_other_name_reveals_nothing(client: Client) -> None:
    u = union(ELEME)
    client.post(f"/join/{u.code}/", form_data(3))
    stranger = Client()
    resp = stranger.post(f"/join/{u.code}/", form_data(3, name="李明"), follow=True)
    body = resp.content.decode()
    assert resp.status_code == 200 and "姓名与登记信息不一致" not in body
    assert "陈晓峰" not in body and Person.objects.get(name="陈晓峰", id_masked__endswith=ident(3)[-4:]).member_no not in body
    assert stranger.get(reverse("join:card")).status_code == 302  # no card bound to the stranger


def test_member_elsewhere_confirms_then_gets_a_transfer_request(client: Client, outbox: list[sms.SentSms]) -> None:
    client.post(f"/join/{union(ELEME).code}/", form_data(4))
    resp = client.post(f"/join/{union(ZTO).code}/", form_data(4), follow=True)
    assert "验证码已发送至入会时登记的手机号码" in resp.content.decode()
    resp = client.post(reverse("join:verify_step", args=[union(ZTO).code]), {"action": "code", "code": last_code(outbox)})
    assert f"你已是{ELEME}会员，确认申请转入本会？" in resp.content.decode()
    assert not TransferRequest.objects.filter(person__name="陈晓峰", to_union=union(ZTO)).exists()
    resp = client.post(reverse("join:verify_step", args=[union(ZTO).code]), {"action": "confirm"}, follow=True)
    assert "已向原工会提交转会申请" in resp.content.decode() and ELEME in resp.content.decode()
    t = TransferRequest.objects.get(person__name="陈晓峰", to_union=union(ZTO))
    assert t.status == "pending" and t.from_union == union(ELEME)


def test_approval_required_shows_pending(client: Client) -> None:
    u = union(ELEME)
    JoinSettings.objects.create(union=u, requires_approval=True)
    resp = client.post(f"/join/{u.code}/", form_data(5), follow=True)
    assert "待审核" in resp.content.decode()
    assert Membership.objects.get(person__name="陈晓峰", union=u).status == "pending"
    assert "待审核" in client.get(reverse("join:card")).content.decode()


def test_closed_union_does_not_take_members(client: Client) -> None:
    u = union(ELEME)
    JoinSettings.objects.create(union=u, open=False)
    assert "暂未开放扫码入会" in client.get(f"/join/{u.code}/").content.decode()
    resp = client.post(f"/join/{u.code}/", form_data(6))
    assert resp.status_code == 400 and "暂未开放扫码入会" in resp.content.decode()


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"id_number": "110101199003076633"}, "校验位错误"),
        ({"phone": "12345"}, "手机号码格式错误"),
        ({"consent_sensitive": ""}, "单独同意"),
        ({"consent_privacy": ""}, "个人信息处理规则"),
        ({"name": ""}, "请填写姓名"),
    ],
)
def test_bad_input_is_refused_in_chinese(client: Client, over: dict[str, str], message: str) -> None:
    u = union(ELEME)
    resp = client.post(f"/join/{u.code}/", form_data(7, **over))
    assert resp.status_code == 400 and message in resp.content.decode()
    assert not Person.objects.filter(name="陈晓峰", id_masked__endswith=ident(7)[-4:]).exists()


def test_a_township_federation_takes_no_members(client: Client) -> None:
    township = Union.objects.get(name="东城街道总工会")
    assert client.get(f"/join/{township.code}/").status_code == 404
    assert client.get("/join/NOSUCHCODE/").status_code == 404


def test_employer_search_lists_covered_enterprises(client: Client) -> None:
    u = union(ZTO)
    names = list(u.covered_enterprises.values_list("name", flat=True)[:1])
    resp = client.get(f"/join/{u.code}/employers/", {"q": names[0][:3]}) if names else None
    if names:
        assert f'<option value="{names[0]}">' in resp.content.decode()
        # an exact name links the member to the enterprise
        client.post(f"/join/{u.code}/", form_data(8, employer=names[0]))
        assert Person.objects.get(name="陈晓峰", id_masked__endswith=ident(8)[-4:]).employer.name == names[0]


# ---------------------------------------------------------------- the API


def test_api_join_201_then_202_without_member_no(client: Client, outbox: list[sms.SentSms]) -> None:
    code = union(ZTO).code
    first = api_join(client, code, 10)
    assert first.status_code == 201
    assert first.json()["status"] == "active" and first.json()["member_no"]
    again = api_join(client, code, 10, id_number=" ".join(ident(10).lower()))
    assert again.status_code == 202 and set(again.json()) == {"status", "detail"}
    assert again.json()["status"] == "verify" and first.json()["member_no"] not in again.content.decode()
    done = client.post(f"/api/v1/join/{code}/verify", {"id_number": ident(10), "code": last_code(outbox)},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["member_no"] == first.json()["member_no"]


def test_api_join_other_name_is_the_same_202(client: Client) -> None:
    code = union(ZTO).code
    api_join(client, code, 11)
    right, wrong = api_join(client, code, 11), api_join(client, code, 11, name="赵六")
    assert (right.status_code, right.json()) == (wrong.status_code, wrong.json()) == (202, right.json())
    assert "member_no" not in wrong.json()


def test_api_join_pending_and_transfer(client: Client, outbox: list[sms.SentSms]) -> None:
    JoinSettings.objects.create(union=union(ZTO), requires_approval=True)
    resp = api_join(client, union(ZTO).code, 12)
    assert (resp.status_code, resp.json()["status"]) == (201, "pending")
    assert api_join(client, union(ZTO).code, 12).status_code == 202
    api_join(client, union(ELEME).code, 13)
    moved = api_join(client, union(ZTO).code, 13)
    assert moved.status_code == 202
    verify = f"/api/v1/join/{union(ZTO).code}/verify"
    ask = client.post(verify, {"id_number": ident(13), "code": last_code(outbox)}, content_type="application/json")
    assert ask.status_code == 200 and ask.json()["status"] == "confirm_transfer"
    assert ask.json()["detail"] == f"你已是{ELEME}会员，确认申请转入本会？"
    assert not TransferRequest.objects.filter(to_union=union(ZTO), person__memberships__union=union(ELEME)).exists()
    done = client.post(verify, {"id_number": ident(13), "code": last_code(outbox), "confirm_transfer": True},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "transfer_requested"
    assert done.json()["from_union"] == ELEME


@pytest.mark.parametrize(
    ("over", "status", "message"),
    [
        ({"id_number": "11010119900307663"}, 400, "应为18位"),
        ({"phone": "1380000"}, 400, "手机号码格式错误"),
        ({"consent": False}, 400, "单独同意"),
        ({"name": "张3"}, 400, "姓名格式错误"),
    ],
)
def test_api_join_bad_input(client: Client, over: dict[str, Any], status: int, message: str) -> None:
    resp = api_join(client, union(ZTO).code, 14, **over)
    assert resp.status_code == status and message in resp.json()["detail"]


def test_api_join_unknown_union_is_404(client: Client) -> None:
    assert api_join(client, "NOSUCHCODE", 15).status_code == 404


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def one_rate_window(monkeypatch: pytest.MonkeyPatch) -> int:
    """Stop the rate limiter's clock for the test, so every request of the test counts in one window whatever the
    machine's speed and the assertions stay exact. The counters themselves are rows of the test's database."""
    import types

    from gonghui.members import ratelimits

    now = int(ratelimits.time.time())
    monkeypatch.setattr(ratelimits, "time", types.SimpleNamespace(time=lambda: now))
    return now


def test_eleventh_join_of_one_id_in_a_minute_is_429(client: Client, one_rate_window: int) -> None:
    code = union(ZTO).code
    answers = [api_join(client, code, 16).status_code for _ in range(11)]
    assert answers[:10] == [201] + [202] * 9
    assert answers[10] == 429
    last = api_join(client, code, 16)
    assert last.status_code == 429 and "频繁" in last.json()["detail"]
    # another person behind the same address is not affected
    assert api_join(client, code, 17).status_code == 201


def test_the_phone_page_has_the_same_per_id_limit(client: Client, one_rate_window: int) -> None:
    u = union(ELEME)
    for _ in range(10):
        client.post(f"/join/{u.code}/", form_data(18))
    resp = client.post(f"/join/{u.code}/", form_data(18))
    assert resp.status_code == 429 and "频繁" in resp.content.decode()


def test_per_ip_limit_allows_a_joining_event() -> None:
    from gonghui.members import ratelimits

    limit, period = ratelimits.join_rate_ip().split("/")
    assert period == "m" and int(limit) >= 1000
    assert ratelimits.join_rate_id() == "10/m"


def test_per_ip_limit_answers_429(client: Client, settings: Any, one_rate_window: int) -> None:
    settings.GONGHUI_JOIN_RATE_IP = "3/m"
    code = union(ZTO).code
    assert [api_join(client, code, 20 + i).status_code for i in range(4)] == [201, 201, 201, 429]
    assert "人数较多" in api_join(client, code, 30).json()["detail"]


# ---------------------------------------------------------------- cadres: poster, QR, settings


def test_poster_is_scoped(client_as: Any) -> None:
    u = union(ELEME)
    c = client_as("dongcheng")
    resp = c.get(f"/join/{u.code}/poster/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert ELEME in body and "微信扫一扫 · 一分钟入会" in body and "<svg" in body and f"/join/{u.code}/" in body
    png = c.get(f"/join/{u.code}/qr.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    other = client_as("yuanqiao")
    assert other.get(f"/join/{u.code}/poster/").status_code == 404
    assert other.get(f"/join/{u.code}/qr.png").status_code == 404
    assert other.get(reverse("join:admin", args=[u.pk])).status_code == 404


def test_poster_needs_login(client: Client) -> None:
    resp = client.get(f"/join/{union(ELEME).code}/poster/")
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_join_admin_settings_recruiters_and_funnel(client_as: Any) -> None:
    u = union(ELEME)
    c = client_as("dongcheng")
    url = reverse("join:admin", args=[u.pk])
    assert c.post(url, {"action": "settings", "open": "on", "requires_approval": "on"}).status_code == 302
    row = JoinSettings.objects.get(union=u)
    assert row.open and row.requires_approval
    assert c.post(url, {"action": "recruiter", "name": "周队长", "phone": "13900000001"}).status_code == 302
    rec = Recruiter.objects.get(union=u, name="周队长")
    # a worker scans the recruiter's code and joins (pending: approval is on)
    worker = Client()
    worker.get(f"/join/{u.code}/?ref={rec.code}")
    worker.post(f"/join/{u.code}/", form_data(40, ref=rec.code))
    page = c.get(url).content.decode()
    assert rec.code in page and "周队长" in page
    assert funnel_counts(user=None, union=u)["union"]["scan"] == 0  # counts are scoped: anonymous sees none
    counts = funnel_counts(user=get_user_model().objects.get(username="dongcheng"), union=u)
    mine = next(r for r in counts["recruiters"] if r["recruiter"] == rec)
    assert (mine["scan"], mine["submit"], mine["member"]) == (1, 1, 0)


def test_join_admin_refuses_a_township(client_as: Any) -> None:
    township = Union.objects.get(name="东城街道总工会")
    assert client_as("dongcheng").get(reverse("join:admin", args=[township.pk])).status_code == 404
