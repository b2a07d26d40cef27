"""Identity on the public join (issue 9 §1): a scan with an ID number already on file proves the person with a code
sent to the REGISTERED mobile before any card is shown or any transfer filed; the answer is the same whatever the
name; distinct ID numbers per client are limited except in a union's 活动模式; the e-card SMS login answers the same
for registered and unregistered phones; rate limits key on the real client IP behind trusted proxies only."""

from __future__ import annotations

import datetime as dt
import re
import types
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gonghui.core.identifiers import make_id_number
from gonghui.members import ratelimits, sms
from gonghui.members.models import JoinSettings, Membership, MembershipEvent, Person, TransferRequest
from gonghui.orgs.models import Union

pytestmark = pytest.mark.django_db

ELEME = "黄岩区饿了么网约送餐员联合工会"  # under 东城街道
ZTO = "黄岩区中通快递网点联合工会"  # under 快递行业工会联合会
VICTIM_PHONE = "13912340001"
ATTACKER_PHONE = "13700000002"


@pytest.fixture(autouse=True)
def outbox(settings: Any) -> list[sms.SentSms]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    return sms.outbox


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """The rate limiter's clock, held still (and movable: `frozen.now += 3600`)."""
    clock = types.SimpleNamespace(now=float(int(ratelimits.time.time())))
    monkeypatch.setattr(ratelimits, "time", types.SimpleNamespace(time=lambda: clock.now))
    # Redis expires its keys by its own clock, which no test can move: with the clock held, the counters live in
    # the database, whose windows follow it (the Redis counters' atomicity is tested in test_join_concurrency)
    monkeypatch.setattr(ratelimits, "_redis_cache", lambda: None)
    return clock


def ident(n: int) -> str:
    return make_id_number("110105", dt.date(1985, 3, 1) + dt.timedelta(days=n // 900), n % 900 + 100)


def union(name: str) -> Union:
    return Union.objects.get(name=name)


def form(n: int, **over: Any) -> dict[str, Any]:
    return {"name": "吴晓梅", "id_number": ident(n), "phone": VICTIM_PHONE, "employer": "", "occupation": "快递员",
            "consent_privacy": "on", "consent_sensitive": "on", **over}


def api(client: Client, code: str, n: int, **over: Any) -> Any:
    body = {"name": "吴晓梅", "id_number": ident(n), "phone": VICTIM_PHONE, "employer": "", "occupation": "快递员",
            "consent": True, **over}
    return client.post(f"/api/v1/join/{code}", body, content_type="application/json")


def verify(client: Client, code: str, n: int, sms_code: str, **over: Any) -> Any:
    return client.post(f"/api/v1/join/{code}/verify", {"id_number": ident(n), "code": sms_code, **over},
                       content_type="application/json")


def code_in(message: sms.SentSms) -> str:
    found = re.search(r"验证码为(\d{6})", message.text)
    assert found
    return found.group(1)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def rows() -> tuple[int, ...]:
    return (Person.objects.count(), Membership.objects.count(), MembershipEvent.objects.count(),
            TransferRequest.objects.count(), LogEntry.objects.count())


# ---------------------------------------------------------------- the page


def test_knowing_name_and_id_does_not_give_the_card(client: Client, outbox: list[sms.SentSms]) -> None:
    # given a member registered with her own mobile
    u = union(ELEME)
    client.post(f"/join/{u.code}/", form(1))
    victim = Person.objects.get(id_masked__endswith=ident(1)[-4:], name="吴晓梅")
    outbox.clear()
    # when someone who knows her name and ID number scans with another phone
    attacker = Client()
    before = rows()
    resp = attacker.post(f"/join/{u.code}/", form(1, phone=ATTACKER_PHONE))
    # then no card: a verify step, a code to the REGISTERED mobile only, nothing written
    assert resp.status_code == 302 and resp["Location"] == reverse("join:verify_step", args=[u.code])
    assert [m.phone for m in outbox] == [VICTIM_PHONE] and "中通" not in outbox[0].text
    assert rows() == before
    assert attacker.get(reverse("join:card")).status_code == 302
    page = attacker.get(resp["Location"]).content.decode()
    assert victim.member_no not in page and VICTIM_PHONE[-4:] not in page and victim.name not in page
    # guessing fails, and the card stays unbound
    bad = attacker.post(resp["Location"], {"action": "code", "code": wrong(code_in(outbox[0]))})
    assert bad.status_code == 400 and "验证码错误" in bad.content.decode()
    assert attacker.get(reverse("join:card")).status_code == 302
    Person.objects.get(pk=victim.pk, phone=VICTIM_PHONE)  # her phone was not replaced


def test_another_union_files_no_transfer_without_the_code_and_the_confirmation(
    client: Client, outbox: list[sms.SentSms]
) -> None:
    client.post(f"/join/{union(ELEME).code}/", form(2))
    outbox.clear()
    attacker = Client()
    resp = attacker.post(f"/join/{union(ZTO).code}/", form(2, phone=ATTACKER_PHONE), follow=True)
    assert resp.status_code == 200 and not TransferRequest.objects.filter(to_union=union(ZTO)).exists()
    # the real member, with the code from her phone, is asked before anything is filed
    worker = Client()
    worker.post(f"/join/{union(ZTO).code}/", form(2))
    step = reverse("join:verify_step", args=[union(ZTO).code])
    ask = worker.post(step, {"action": "code", "code": code_in(outbox[-1])})
    assert f"你已是{ELEME}会员，确认申请转入本会？" in ask.content.decode()
    assert not TransferRequest.objects.filter(to_union=union(ZTO)).exists()
    # she declines: no transfer, her own card
    declined = worker.post(step, {"action": "decline"})
    assert declined["Location"] == reverse("join:card")
    assert ELEME in worker.get(reverse("join:card")).content.decode()
    assert not TransferRequest.objects.filter(to_union=union(ZTO)).exists()


def test_the_answer_is_the_same_whatever_the_name(client: Client, outbox: list[sms.SentSms]) -> None:
    # given two registered members; a stranger tries each: one with her right name, one with a wrong name
    u = union(ELEME)
    client.post(f"/join/{u.code}/", form(3))
    client.post(f"/join/{u.code}/", form(7, phone="13912340007"))
    outbox.clear()
    answers = []
    for n, name in ((3, "吴晓梅"), (7, "李四")):
        c = Client()
        first = c.post(f"/join/{u.code}/", form(n, name=name, phone=ATTACKER_PHONE))
        page = c.get(first["Location"]).content.decode()
        guess = c.post(first["Location"], {"action": "code", "code": "000001"})
        strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
        answers.append((first.status_code, first["Location"], strip.sub("", page), guess.status_code,
                        strip.sub("", guess.content.decode())))
    # then every answer is the same, and no name-mismatch message exists
    assert answers[0] == answers[1]
    assert "还可尝试4次" in answers[0][4] and "姓名与登记信息不一致" not in answers[0][2]
    assert [m.phone for m in outbox] == [VICTIM_PHONE]  # only the matching name sends a real message


def test_the_api_answers_202_with_nothing_personal_and_verify_completes(
    client: Client, outbox: list[sms.SentSms]
) -> None:
    code = union(ZTO).code
    first = api(client, code, 4)
    assert first.status_code == 201 and first.json()["member_no"]
    outbox.clear()
    before = rows()
    for name in ("吴晓梅", "王五"):
        again = api(Client(), code, 4, name=name, phone=ATTACKER_PHONE)
        assert again.status_code == 202 and set(again.json()) == {"status", "detail"}
        assert again.json()["status"] == "verify"
        assert first.json()["member_no"] not in again.content.decode() and "吴晓梅" not in again.content.decode()
    assert rows() == before and [m.phone for m in outbox] == [VICTIM_PHONE]
    assert verify(client, code, 4, wrong(code_in(outbox[0]))).status_code == 400
    done = verify(client, code, 4, code_in(outbox[0]))
    assert done.status_code == 200
    assert (done.json()["member_no"], done.json()["status"], done.json()["union"]) == (
        first.json()["member_no"], "active", ZTO)
    assert verify(client, code, 4, code_in(outbox[0])).status_code == 400  # used up


def test_api_verify_at_another_union_needs_the_confirm_field(client: Client, outbox: list[sms.SentSms]) -> None:
    api(client, union(ELEME).code, 5)
    outbox.clear()
    assert api(client, union(ZTO).code, 5).status_code == 202
    sms_code = code_in(outbox[0])
    ask = verify(client, union(ZTO).code, 5, sms_code)
    assert ask.status_code == 200 and ask.json()["status"] == "confirm_transfer"
    assert not TransferRequest.objects.filter(to_union=union(ZTO)).exists()
    # a code for one union proves nothing at another
    assert verify(client, union(ELEME).code, 5, sms_code).status_code == 400
    done = verify(client, union(ZTO).code, 5, sms_code, confirm_transfer=True)
    assert done.status_code == 200 and done.json()["status"] == "transfer_requested"
    t = TransferRequest.objects.get(to_union=union(ZTO))
    assert t.from_union == union(ELEME) and "确认" in t.reason


def test_a_former_member_rejoins_only_after_the_code(client: Client, outbox: list[sms.SentSms], huangyan: Any) -> None:
    from gonghui.members import services

    api(client, union(ZTO).code, 6)
    person = Person.objects.get(id_masked__endswith=ident(6)[-4:], name="吴晓梅")
    services.membership_change(actor=huangyan, membership=person.memberships.get(), kind="leave", reason="离职")
    outbox.clear()
    assert api(client, union(ZTO).code, 6, phone=ATTACKER_PHONE).status_code == 202
    assert not Membership.objects.filter(person=person, status="active").exists()
    done = verify(client, union(ZTO).code, 6, code_in(outbox[0]))
    assert done.status_code == 201 and done.json()["member_no"] == person.member_no
    assert Membership.objects.get(person=person, status="active").union == union(ZTO)


def test_the_name_mismatch_message_is_gone() -> None:
    from gonghui.members import services

    assert not hasattr(services, "NameMismatch") and not hasattr(services, "NAME_MISMATCH_MESSAGE")


# ---------------------------------------------------------------- distinct ID numbers per client, event mode


def test_distinct_id_numbers_per_client_are_limited(client: Client, settings: Any, frozen: Any) -> None:
    settings.GONGHUI_JOIN_DISTINCT_IP = "3/h"
    code = union(ZTO).code
    assert [api(client, code, 10 + i).status_code for i in range(3)] == [201, 201, 201]
    refused = api(client, code, 13)
    assert refused.status_code == 429 and "活动模式" in refused.json()["detail"]
    assert api(client, code, 13).status_code == 429  # trying the refused number again does not slip through
    assert api(client, code, 10).status_code == 202  # a number already tried still gets its answer
    assert api(Client(REMOTE_ADDR="10.9.9.9"), code, 14).status_code == 201  # another network is not affected
    frozen.now += 3601
    assert api(client, code, 13).status_code == 201  # the window has passed


def test_event_mode_opened_by_the_chair_lets_one_network_join_many(
    client_as: Any, settings: Any, frozen: Any
) -> None:
    settings.GONGHUI_JOIN_DISTINCT_IP = "3/h"
    settings.GONGHUI_JOIN_EVENT_DISTINCT_IP = "50/h"
    u = union(ELEME)
    chair = client_as("dongcheng")
    admin = reverse("join:admin", args=[u.pk])
    assert "未开启" in chair.get(admin).content.decode()
    assert chair.post(admin, {"action": "event", "hours": "4"}).status_code == 302
    row = JoinSettings.objects.get(union=u)
    assert row.event_open() and row.event_until <= timezone.now() + dt.timedelta(hours=4)
    assert "已开启" in chair.get(admin).content.decode()
    nat = Client(REMOTE_ADDR="100.64.0.1")
    assert {api(nat, u.code, 20 + i).status_code for i in range(12)} == {201}
    # another union, not in event mode, keeps the everyday limit for the same network
    assert [api(nat, union(ZTO).code, 40 + i).status_code for i in range(4)] == [201, 201, 201, 429]
    # closed again: the everyday limit
    chair.post(admin, {"action": "event", "hours": "0"})
    assert not JoinSettings.objects.get(union=u).event_open()
    assert api(nat, u.code, 60).status_code == 429


def test_event_mode_admits_2000_workers_behind_one_address_within_minutes(settings: Any, frozen: Any) -> None:
    """The limiter alone (no joins): 2,000 distinct ID numbers from one carrier-NAT address in two minutes."""
    request = RequestFactory().post("/", REMOTE_ADDR="100.64.1.1")
    numbers = [ident(1000 + i) for i in range(2000)]
    everyday = [ratelimits.join_limited(request, n, union_id=1) for n in numbers[:1000]]
    assert everyday.count(None) == 100 and everyday[100] == ratelimits.TOO_MANY_IDS
    frozen.now += 60
    event = [ratelimits.join_limited(request, n, union_id=2, event=True) for n in numbers[:1000]]
    frozen.now += 60  # the per-address limit (1200 a minute) stays: the event takes two minutes
    event += [ratelimits.join_limited(request, n, union_id=2, event=True) for n in numbers[1000:]]
    assert event.count(None) == 2000


def test_event_mode_lasts_at_most_three_days(huangyan: Any) -> None:
    from django.core.exceptions import ValidationError

    from gonghui.members import services

    with pytest.raises(ValidationError):
        services.join_event_mode_set(actor=huangyan, union=union(ELEME), hours=73)


# ---------------------------------------------------------------- the e-card SMS login


def test_sms_login_answers_the_same_for_registered_and_unregistered_phones(
    client: Client, outbox: list[sms.SentSms]
) -> None:
    from gonghui.members import services

    services.member_join(union=union(ELEME), name="吴晓梅", id_number=ident(70), phone=VICTIM_PHONE)
    url = reverse("join:card_login")
    answers = []
    for phone in (VICTIM_PHONE, "13799998888"):
        c = Client()
        first = c.post(url, {"action": "send", "phone": phone})
        second = c.post(url, {"action": "send", "phone": phone})
        guess = c.post(url, {"action": "verify", "phone": phone, "code": "000001"})
        answers.append((first.status_code, second.status_code, "1分钟" in second.content.decode(),
                        guess.status_code, re.findall(r'data-testid="login-error">([^<]+)<', guess.content.decode())))
    assert answers[0] == answers[1] == (200, 429, True, 400, ["验证码错误，还可尝试4次"])
    assert [m.phone for m in outbox] == [VICTIM_PHONE]


def test_sms_sends_are_limited_per_client_ip(client: Client, settings: Any, frozen: Any) -> None:
    settings.GONGHUI_SMS_RATE_IP = "3/h"
    url = reverse("join:card_login")
    answers = [client.post(url, {"action": "send", "phone": f"1370000{i:04d}"}).status_code for i in range(4)]
    assert answers == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="10.1.1.1").post(url, {"action": "send", "phone": "13700009999"}).status_code == 200


# ---------------------------------------------------------------- the real client IP


def _ip(remote: str, **headers: str) -> str:
    return ratelimits.client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_client_ip_ignores_the_header_unless_the_peer_is_a_trusted_proxy(settings: Any) -> None:
    settings.GONGHUI_TRUSTED_PROXIES = []
    assert _ip("203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4") == "203.0.113.5"
    settings.GONGHUI_TRUSTED_PROXIES = ["10.0.0.0/8", "::1/128"]
    assert _ip("10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4") == "1.2.3.4"
    assert _ip("10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4, 10.0.0.7") == "1.2.3.4"  # forged left part
    assert _ip("203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4") == "203.0.113.5"  # not a proxy of ours
    assert _ip("10.0.0.2", HTTP_X_FORWARDED_FOR="junk, 1.2.3.4") == "1.2.3.4"
    assert _ip("10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, junk") == "10.0.0.2"
    assert _ip("10.0.0.2") == "10.0.0.2"
    assert _ip("::1", HTTP_X_FORWARDED_FOR="[2001:db8::1]:4711") == "2001:db8::1"
    settings.GONGHUI_CLIENT_IP_HEADER = "X-Real-IP"
    assert _ip("10.0.0.2", HTTP_X_REAL_IP="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4") == "198.51.100.9"


def test_per_ip_limits_behind_a_proxy_count_each_client(settings: Any, frozen: Any) -> None:
    settings.GONGHUI_TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.GONGHUI_JOIN_RATE_IP = "2/m"
    code = union(ZTO).code
    a = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    b = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert [api(a, code, 80 + i).status_code for i in range(3)] == [201, 201, 429]
    assert api(b, code, 90).status_code == 201  # without the setting both would share the proxy's address
    settings.GONGHUI_TRUSTED_PROXIES = []  # untrusted: both clients are the proxy's one address
    assert [api(b, code, 91).status_code, api(a, code, 92).status_code, api(b, code, 93).status_code] == [
        201, 201, 429]


# ---------------------------------------------------------------- queries per join (pinned)


def _counted(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def test_queries_of_a_first_time_join_are_pinned(client: Client) -> None:
    code = union(ZTO).code
    api(client, code, 100)  # warm: content types, the client's first counters
    with CaptureQueriesContext(connection) as ctx:
        assert api(client, code, 101).status_code == 201
    queries = _counted(ctx)
    # union + settings (1), rate counters (2: the upsert, and the distinct count for a new number), person
    # look-up (1), primary key (1 on PostgreSQL, 2 on SQLite), person + audit (2), membership + audit (2),
    # history event (1), funnel (1). It was 30, six of them in the database cache.
    # With Redis as the shared cache (CACHE_URL), the two counter statements go there instead.
    counters = 0 if settings.CACHE_IS_REDIS else 2
    expected = (11 if connection.vendor == "postgresql" else 12) - 2 + counters
    assert len(queries) == expected, "\n".join(q[:120] for q in queries)
    assert sum("members_ratecounter" in q for q in queries) == counters
    assert not any("gonghui_cache" in q for q in queries)


# ---------------------------------------------------------------- the counters on Redis (CACHE_URL)


def test_counters_use_redis_when_the_shared_cache_is_redis(settings: Any) -> None:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/2"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "gh-test-join"}}
    from gonghui.members.models import RateCounter

    bucket = ratelimits.Bucket(f"test-redis:{timezone.now().timestamp()}", 60)
    before = RateCounter.objects.count()
    assert [ratelimits.hit([bucket])[bucket] for _ in range(3)] == [1, 2, 3]
    ratelimits.forget(bucket)
    assert ratelimits.hit([bucket])[bucket] == 1
    assert RateCounter.objects.count() == before  # nothing went to the database
    ratelimits.forget(bucket)
