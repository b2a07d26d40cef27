"""The e-card: SMS login (locmem outbox), the verify QR token (valid, expired, tampered), the SMS limits."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from gonghui.core.identifiers import make_id_number
from gonghui.members import services, sms
from gonghui.members.join_views import VERIFY_SALT, mask_name, verify_token
from gonghui.members.models import Person
from gonghui.orgs.models import Union

pytestmark = pytest.mark.django_db

PHONE = "13700001111"


@pytest.fixture(autouse=True)
def outbox(settings: Any) -> list[sms.SentSms]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    return sms.outbox


def member(n: int, name: str = "郑小红", phone: str = PHONE) -> Person:
    u = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    number = make_id_number("110102", dt.date(1979, 5, 1) + dt.timedelta(days=n), 200 + n)
    return services.member_join(union=u, name=name, id_number=number, phone=phone).person


def last_code(outbox: list[sms.SentSms]) -> str:
    found = re.search(r"验证码为(\d{6})", outbox[-1].text)
    assert found
    return found.group(1)


def test_sms_login_binds_the_card(client: Client, outbox: list[sms.SentSms]) -> None:
    # given a member registered with a mobile number
    person = member(1)
    # when they ask for a code and enter it
    resp = client.post(reverse("join:card_login"), {"action": "send", "phone": PHONE})
    assert resp.status_code == 200 and "验证码已发送" in resp.content.decode()
    assert len(outbox) == 1 and outbox[0].phone == PHONE
    resp = client.post(reverse("join:card_login"), {"action": "verify", "phone": PHONE, "code": last_code(outbox)})
    # then the card opens
    assert resp.status_code == 302
    card = client.get(reverse("join:card")).content.decode()
    assert person.member_no in card and person.id_masked in card
    # and the code is used up
    again = Client().post(reverse("join:card_login"), {"action": "verify", "phone": PHONE, "code": last_code(outbox)})
    assert again.status_code == 400


def test_unknown_phone_gets_the_same_answer_and_no_sms(client: Client, outbox: list[sms.SentSms]) -> None:
    resp = client.post(reverse("join:card_login"), {"action": "send", "phone": "13700009999"})
    assert resp.status_code == 200 and "验证码已发送" in resp.content.decode()
    assert outbox == []


def test_code_send_is_limited_to_one_a_minute(client: Client, outbox: list[sms.SentSms]) -> None:
    member(2)
    client.post(reverse("join:card_login"), {"action": "send", "phone": PHONE})
    resp = client.post(reverse("join:card_login"), {"action": "send", "phone": PHONE})
    assert resp.status_code == 429 and "1分钟" in resp.content.decode()
    assert len(outbox) == 1


def test_ten_codes_a_day_at_most(outbox: list[sms.SentSms]) -> None:
    from gonghui.members.ratelimits import Bucket, forget

    for i in range(10):
        assert sms.send_code(PHONE) is None, i
        forget(Bucket(f"sms-min:{PHONE}", 60))
    assert "上限" in (sms.send_code(PHONE) or "")


def test_five_wrong_codes_burn_the_code(client: Client, outbox: list[sms.SentSms]) -> None:
    member(3)
    client.post(reverse("join:card_login"), {"action": "send", "phone": PHONE})
    code = last_code(outbox)
    wrong = "000000" if code != "000000" else "111111"
    answers = [sms.check_code(PHONE, wrong) for _ in range(5)]
    assert "还可尝试4次" in (answers[0] or "") and "次数过多" in (answers[4] or "")
    assert sms.check_code(PHONE, code) is not None  # even the right code is dead now


def test_code_expires_after_five_minutes(outbox: list[sms.SentSms], monkeypatch: pytest.MonkeyPatch) -> None:
    assert sms.send_code(PHONE) is None
    code = last_code(outbox)
    real = time.time
    monkeypatch.setattr(sms.time, "time", lambda: real() + sms.CODE_TTL_SECONDS + 1)
    assert "过期" in (sms.check_code(PHONE, code) or "")


def test_codes_are_stored_hashed(outbox: list[sms.SentSms]) -> None:
    from django.core.cache import cache

    sms.send_code(PHONE)
    row = cache.get(sms._phone_key("code", PHONE))
    assert last_code(outbox) not in str(row)


def test_two_people_on_one_phone_give_the_last_four(client: Client, outbox: list[sms.SentSms]) -> None:
    first, second = member(4, name="郑大"), member(5, name="郑二")
    client.post(reverse("join:card_login"), {"action": "send", "phone": PHONE})
    resp = client.post(reverse("join:card_login"), {"action": "verify", "phone": PHONE, "code": last_code(outbox)})
    assert "后4位" in resp.content.decode()
    bad = client.post(reverse("join:card_login"), {"action": "last4", "phone": PHONE, "last4": "0000"})
    assert bad.status_code == 400 or second.id_masked.endswith("0000")
    ok = client.post(reverse("join:card_login"), {"action": "last4", "phone": PHONE, "last4": second.id_masked[-4:]})
    assert ok.status_code == 302
    assert second.member_no in client.get(reverse("join:card")).content.decode()
    assert first.member_no not in client.get(reverse("join:card")).content.decode()


def test_last_four_without_a_verified_code_is_refused(client: Client) -> None:
    p = member(6)
    resp = client.post(reverse("join:card_login"), {"action": "last4", "phone": PHONE, "last4": p.id_masked[-4:]})
    assert resp.status_code == 400
    assert client.get(reverse("join:card")).status_code == 302


def test_card_without_session_goes_to_login(client: Client) -> None:
    resp = client.get(reverse("join:card"))
    assert resp.status_code == 302 and resp["Location"] == reverse("join:card_login")


def test_verify_token_valid(client: Client) -> None:
    p = member(7, name="欧阳小明")
    body = client.get(reverse("join:verify", args=[verify_token(p.pk)])).content.decode()
    assert "有效会员 ✓" in body and "欧**明" in body and p.member_no in body and "黄岩区饿了么" in body
    assert "欧阳小明" not in body and p.id_masked not in body


def test_verify_token_expired(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    p = member(8)
    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - 601)
    token = verify_token(p.pk)
    monkeypatch.setattr(signing.time, "time", real)
    body = client.get(reverse("join:verify", args=[token])).content.decode()
    assert "已过期" in body and "有效会员" not in body


def test_verify_token_tampered(client: Client) -> None:
    p = member(9)
    token = verify_token(p.pk)
    forged = signing.dumps(p.pk + 1, salt=VERIFY_SALT + "x")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "abc"):
        resp = client.get(reverse("join:verify", args=[bad]))
        assert resp.status_code == 404 and "无效" in resp.content.decode()


def test_verify_a_member_who_left(client: Client, huangyan: Any) -> None:
    p = member(10)
    m = p.memberships.get()
    services.membership_change(actor=huangyan, membership=m, kind="leave", reason="离职")
    body = client.get(reverse("join:verify", args=[verify_token(p.pk)])).content.decode()
    assert "无效" in body and "有效会员 ✓" not in body


def test_mask_name() -> None:
    assert [mask_name(n) for n in ("张", "张三", "张小三", "欧阳小明")] == ["张", "张*", "张*三", "欧**明"]
