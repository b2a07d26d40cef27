"""The member list on a chair's phone: one card per row (no sideways scrolling), tick an applicant, 批量通过
with its confirmation; and on a desktop the headers sort and the pager's size choice applies at once.

The browser commits through the live server (see conftest.py): the applicant made here is deleted after."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest

from gonghui.members.models import Membership, Person
from gonghui.orgs.models import Union
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture
def applicant() -> Generator[Person]:
    union = Union.objects.get(name="东城商圈联合工会委员会")
    person = f.PersonFactory(name="测试申请人", current_union=union)
    f.MembershipFactory(person=person, union=union, status=Membership.Status.PENDING)
    yield person
    Person.objects.filter(pk=person.pk).delete()


def test_batch_approval_on_a_phone(phone_page: Any, live_server: Any, login: Any, shot: Any,
                                   applicant: Person) -> None:
    p = phone_page
    login(p, live_server, "dongcheng")
    p.goto(f"{live_server.url}/members/?status=pending&q=测试申请人")
    row = p.locator("[data-testid=member-row]", has_text="测试申请人")
    assert row.count() == 1
    assert p.locator("[data-testid=member-table] thead").is_hidden()  # cards, not a squeezed table
    assert p.evaluate("document.documentElement.scrollWidth") <= 361
    shot(p, "member-cards")
    row.locator("input[name=ids]").check()
    p.once("dialog", lambda d: d.accept())
    p.click("[data-testid=batch-approve]")
    p.wait_for_selector("text=已审核通过 1 人的入会申请")
    assert Membership.objects.get(person=applicant).status == Membership.Status.ACTIVE


def test_headers_sort_and_page_size_applies(page: Any, live_server: Any, login: Any) -> None:
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/orgs/unions/")
    page.click("[data-testid=sort-name]")
    page.wait_for_url(re.compile(r"sort=name"))
    assert page.locator("th[aria-sort=ascending] [data-testid=sort-name]").count() == 1
    names = page.locator("[data-testid=union-row] td:first-child").all_inner_texts()
    assert names == sorted(names)
    page.select_option("#gh-page-size", "20")
    page.wait_for_url(re.compile(r"size=20"))
    assert "sort=name" in page.url and page.locator("[data-testid=union-row]").count() == 20
    page.fill("#gh-page-jump", "2")
    page.press("#gh-page-jump", "Enter")
    page.wait_for_url(re.compile(r"page=2"))
    assert "sort=name" in page.url and "size=20" in page.url
