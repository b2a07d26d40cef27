"""A worker files a demand at phone width (photo included) after the e-card's SMS login; dongcheng claims, handles
and closes it in the console; the worker rates 不满意 and it reopens; closed again and rated 满意, it is done."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Generator
from typing import Any

import pytest

from gonghui.core import crypto
from gonghui.core.identifiers import make_id_number
from gonghui.demands.models import Demand
from gonghui.members import ratelimits, services, sms
from gonghui.members.models import Person
from gonghui.orgs.models import Union

NUMBER = make_id_number("130103", dt.date(1988, 3, 9), 517)
MOBILE = "13957600213"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def worker(settings: Any) -> Generator[Person]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    for bucket in (f"sms-min:{MOBILE}", f"sms-day:{MOBILE}"):  # the counters are committed rows here
        ratelimits.forget(ratelimits.Bucket(bucket, 60))
    index = crypto.blind_index(NUMBER)
    Demand.objects.filter(person__id_index=index).delete()
    Person.objects.filter(id_index=index).delete()
    town = Union.objects.get(name="东城街道总工会")
    union = Union.objects.filter(path__startswith=town.path, kind__in=("single", "joint")).order_by("path").first()
    assert union is not None
    person = services.member_join(union=union, name="林海燕", id_number=NUMBER, phone=MOBILE).person
    yield person
    Demand.objects.filter(person=person).delete()
    Person.objects.filter(id_index=index).delete()


@pytest.fixture
def phone(browser: Any) -> Generator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", has_touch=True,
                                  is_mobile=True)
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def _status(page: Any, selector: str) -> str:
    return str(page.get_attribute(selector, "data-status"))


@pytest.mark.browser
def test_file_claim_close_unsatisfied_reopen_close_satisfied_done(worker: Person, phone: Any, page: Any,
                                                                  live_server: Any, login: Any, shot: Any) -> None:
    # the worker signs in with the e-card's SMS login and lands back on their demands
    phone.goto(f"{live_server.url}/m/demands/")
    phone.fill("#f-phone", MOBILE)
    phone.click("button[type=submit]")
    code = re.search(r"验证码为(\d{6})", sms.outbox[-1].text)[1]  # type: ignore[index]
    phone.fill("#f-code", code)
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/m/demands/$"))
    # and files, with a photo, at phone width
    phone.click("[data-testid=file-demand]")
    phone.select_option("#m-cat", "labour_dispute")
    phone.fill("#m-title", "十月加班费未发放")
    phone.fill("#m-desc", "车间十月加班费至今未发放，涉及二十余人。")
    phone.set_input_files("#m-photos", files=[{"name": "工资条.png", "mimeType": "image/png", "buffer": PNG}])
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    phone.click("[data-testid=submit-demand]")
    phone.wait_for_selector("[data-testid=filed]")
    shot(phone, "demand-filed")
    demand = Demand.objects.get(person=worker)
    assert demand.photos.count() == 1 and _status(phone, "[data-testid=phone-status]") == "pending"

    # dongcheng claims, handles and closes it in the console
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/demands/?tab=dispatch")
    page.click(f"text={demand.number}")
    page.click("[data-testid=btn-claim]")
    page.wait_for_selector("[data-testid=btn-close]")
    assert _status(page, "[data-testid=status]") == "in_progress"

    def close(result: str) -> None:
        page.fill("[data-testid=form-close] textarea[name=result]", result)
        page.click("[data-testid=btn-close]")
        page.wait_for_selector("[data-testid=status][data-status=closed]")

    close("已约谈企业，补发一个月加班费")
    shot(page, "demand-closed")

    # the worker rates 不满意: it reopens
    phone.goto(f"{live_server.url}/m/demands/{demand.pk}/")
    phone.check("[data-testid=rate-unsatisfied]")
    phone.click("[data-testid=submit-rating]")
    phone.wait_for_selector("[data-testid=phone-status][data-status=in_progress]")
    demand.refresh_from_db()
    assert demand.reopens == 1

    # closed again, rated 满意: done
    page.reload()
    close("十月加班费已全部补发")
    phone.goto(f"{live_server.url}/m/demands/{demand.pk}/")
    phone.check("[data-testid=rate-satisfied]")
    phone.click("[data-testid=submit-rating]")
    phone.wait_for_selector("[data-testid=phone-status][data-status=done]")
    demand.refresh_from_db()
    assert demand.status == "done" and demand.rating == "satisfied"
    kinds = list(demand.events.values_list("kind", flat=True))
    assert kinds == ["filed", "claimed", "closed", "reopened", "closed", "rated"]
