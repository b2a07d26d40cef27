"""A real phone (360×740, chromium): the poster's QR → the join page → both consents → the e-card.

The browser writes through the live server and commits (see conftest.py); the test deletes the person it made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

import pytest

from gonghui.core import crypto
from gonghui.core.identifiers import make_id_number
from gonghui.members.models import FunnelEvent, Person
from gonghui.orgs.models import Union

ELEME = "黄岩区饿了么网约送餐员联合工会"
NUMBER = make_id_number("130102", dt.date(1991, 8, 17), 527)


@pytest.fixture
def phone(browser: Any) -> Generator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


@pytest.fixture
def cleanup_person() -> Generator[None]:
    index = crypto.blind_index(NUMBER)
    Person.objects.filter(id_index=index).delete()
    before = FunnelEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    Person.objects.filter(id_index=index).delete()
    FunnelEvent.objects.filter(pk__gt=before).delete()


@pytest.mark.browser
def test_scan_join_and_see_the_e_card(
    page: Any, phone: Any, live_server: Any, login: Any, shot: Any, cleanup_person: None
) -> None:
    # given a cadre's printed poster: its QR encodes the join URL
    union = Union.objects.get(name=ELEME)
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/join/{union.code}/poster/")
    url = page.get_attribute("[data-testid=poster-qr]", "data-url")
    assert url and url.endswith(f"/join/{union.code}/")
    shot(page, "join-poster")

    # when a worker scans it with a phone and fills the short form
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert "bootstrap" not in phone.content()  # the phone page carries no framework
    phone.fill("#f-name", "林小燕")
    phone.fill("#f-id", NUMBER[:6] + " " + NUMBER[6:14] + " " + NUMBER[14:])
    phone.fill("#f-phone", "13957600001")
    phone.fill("#f-emp", "黄岩某某餐饮店")
    phone.select_option("#f-occ", "网约送餐员")
    shot(phone, "join-form")
    phone.check("input[name=consent_privacy]")
    phone.check("input[name=consent_sensitive]")
    phone.click("button[type=submit]")

    # then the e-card shows the name, the masked ID, the union and the card number, with a verify QR
    phone.wait_for_selector("[data-testid=e-card]")
    person = Person.objects.get(id_index=crypto.blind_index(NUMBER))
    assert phone.inner_text("[data-testid=card-name]") == "林小燕"
    assert phone.inner_text("[data-testid=card-id]") == NUMBER[:6] + "********" + NUMBER[-4:]
    assert phone.inner_text("[data-testid=card-no]") == person.member_no
    assert phone.inner_text("[data-testid=card-union]") == ELEME
    assert phone.locator("[data-testid=verify-qr] svg").count() == 1
    assert NUMBER not in phone.content()
    shot(phone, "join-card")
