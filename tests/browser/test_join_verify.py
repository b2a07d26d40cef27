"""A real phone (360×740, chromium): someone already registered scans again — no card until the code sent to the
REGISTERED mobile is typed in; then the card; at another union, the transfer question before anything is filed.

The browser writes through the live server and commits (see conftest.py); the test deletes the person it made.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Generator
from typing import Any

import pytest

from gonghui.core import crypto
from gonghui.core.identifiers import make_id_number
from gonghui.members import ratelimits, services, sms
from gonghui.members.models import FunnelEvent, Person, TransferRequest
from gonghui.orgs.models import Union

ELEME = "黄岩区饿了么网约送餐员联合工会"
ZTO = "黄岩区中通快递网点联合工会"
NUMBER = make_id_number("130103", dt.date(1990, 6, 2), 431)
REGISTERED = "13957600011"


@pytest.fixture
def registered(settings: Any) -> Generator[Person]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    for bucket in (f"sms-min:{REGISTERED}", f"sms-day:{REGISTERED}"):  # the counters are committed rows here
        ratelimits.forget(ratelimits.Bucket(bucket, 60))
    index = crypto.blind_index(NUMBER)
    Person.objects.filter(id_index=index).delete()
    before = FunnelEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    person = services.member_join(union=Union.objects.get(name=ELEME), name="蒋小燕", id_number=NUMBER,
                                  phone=REGISTERED).person
    yield person
    Person.objects.filter(id_index=index).delete()
    FunnelEvent.objects.filter(pk__gt=before).delete()


@pytest.fixture
def phone(browser: Any) -> Generator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def _fill_join(phone: Any, live_server: Any, union: Union) -> None:
    phone.goto(f"{live_server.url}/join/{union.code}/")
    phone.fill("#f-name", "蒋小燕")
    phone.fill("#f-id", NUMBER)
    phone.fill("#f-phone", "13700000003")  # not the registered mobile
    phone.check("input[name=consent_privacy]")
    phone.check("input[name=consent_sensitive]")
    phone.click("button[type=submit]")


def _code() -> str:
    assert sms.outbox and sms.outbox[-1].phone == REGISTERED
    found = re.search(r"验证码为(\d{6})", sms.outbox[-1].text)
    assert found
    return found.group(1)


@pytest.mark.browser
def test_a_second_scan_proves_the_person_before_the_card(
    phone: Any, live_server: Any, shot: Any, registered: Person
) -> None:
    _fill_join(phone, live_server, Union.objects.get(name=ELEME))
    phone.wait_for_selector("[data-testid=verify-step]")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert registered.member_no not in phone.content() and REGISTERED[-4:] not in phone.content()
    shot(phone, "join-verify")
    phone.fill("#f-code", "000000" if _code() != "000000" else "111111")
    phone.click("[data-testid=verify-step] button[type=submit]")
    assert "还可尝试4次" in phone.inner_text("[data-testid=verify-error]")
    phone.fill("#f-code", _code())
    phone.click("[data-testid=verify-step] button[type=submit]")
    phone.wait_for_selector("[data-testid=e-card]")
    assert phone.inner_text("[data-testid=card-no]") == registered.member_no


@pytest.mark.browser
def test_a_scan_at_another_union_asks_before_the_transfer(
    phone: Any, live_server: Any, shot: Any, registered: Person
) -> None:
    zto = Union.objects.get(name=ZTO)
    _fill_join(phone, live_server, zto)
    phone.wait_for_selector("[data-testid=verify-step]")
    phone.fill("#f-code", _code())
    phone.click("[data-testid=verify-step] button[type=submit]")
    phone.wait_for_selector("[data-testid=confirm-transfer]")
    assert f"你已是{ELEME}会员，确认申请转入本会？" in phone.inner_text("[data-testid=confirm-transfer]")
    assert not TransferRequest.objects.filter(person=registered).exists()
    shot(phone, "join-confirm-transfer")
    phone.click("[data-testid=confirm-transfer] form:first-of-type button")
    phone.wait_for_selector("[data-testid=join-result]")
    assert "已向原工会提交转会申请" in phone.inner_text("[data-testid=join-result]")
    assert TransferRequest.objects.get(person=registered).to_union == zto
