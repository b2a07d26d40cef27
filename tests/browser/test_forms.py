"""The add/edit dialogs, the reject-with-reason step and the 年/月/日 date box in a real browser, at 1280 and 360 px.

Browser tests write for real (see conftest.py): each test removes or restores what it wrote."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gonghui.members import services as member_services
from gonghui.members.models import Person, TransferRequest
from gonghui.orgs.models import Enterprise, Union
from tests import factories as f

pytestmark = pytest.mark.browser

SIZES = ["page", "phone_page"]


def _pick(p, box_id: str, text: str, choose: str) -> None:
    box = p.locator(f"#{box_id}")
    box.click()
    box.type(text)
    p.locator(f"#{box_id}_list [role=option]", has_text=choose).first.click()


@pytest.mark.parametrize("fixture", SIZES)
def test_create_a_union_in_the_dialog_errors_then_fixed(request, fixture, live_server, login, shot):
    p = request.getfixturevalue(fixture)
    n = 970001 if fixture == "page" else 970002
    name = f"台州市黄岩东城对话框测试{n}有限公司工会委员会"
    code = f.union_code(n)
    try:
        login(p, live_server, "dongcheng")
        p.goto(f"{live_server.url}{reverse('orgs:union_list')}")
        p.click("[data-testid=union-new]")
        p.wait_for_selector("#gh-dialog [data-testid=union-form]")
        dialog = p.locator("#gh-dialog")
        dialog.locator("#id_name").fill(name)
        dialog.locator("#id_kind").select_option("single")
        _pick(p, "id_parent", "东城街道", "东城街道总工会")
        dialog.locator("#id_code").fill(code[:17] + ("0" if code[17] != "0" else "1"))  # a wrong check character
        dialog.locator("#id_founded_on").fill("2026-13-01")
        dialog.locator("[data-testid=save]").click()
        p.wait_for_selector("#gh-dialog [data-testid=form-errors]")
        # htmx settles the swapped fields' attributes (is-invalid) a moment after the new content is in
        p.wait_for_selector("#gh-dialog .is-invalid")
        # every error at once, each beside its field, the focus on the first
        assert dialog.locator(".is-invalid").count() >= 2
        assert "校验位错误" in dialog.locator("#id_code_error").inner_text()
        assert dialog.locator("#id_founded_on_error").is_visible()
        assert dialog.locator("#id_code").get_attribute("aria-describedby") == "id_code_error"
        assert dialog.locator("#id_name").input_value() == name  # what was typed stays
        shot(p, "dialog-union-errors")
        dialog.locator("#id_code").fill(code)
        dialog.locator("#id_founded_on").fill("2026年12月1日")
        dialog.locator("[data-testid=save]").click()
        p.wait_for_url(re.compile(r"/orgs/unions/\d+/$"))
        assert p.locator("h1").inner_text() == name
        assert "已新增工会" in p.locator("[role=alert]").first.inner_text()
        union = Union.objects.get(code=code)
        assert union.get_parent().name == "东城街道总工会" and str(union.founded_on) == "2026-12-01"
    finally:
        for u in Union.objects.filter(code=code):
            u.delete()


@pytest.mark.parametrize("fixture", SIZES)
def test_edit_an_enterprise_in_the_dialog(request, fixture, live_server, login, shot):
    p = request.getfixturevalue(fixture)
    firm = Enterprise.objects.filter(territory__name="东城街道总工会").order_by("pk").first()
    assert firm is not None
    before = (firm.address, firm.headcount, firm.updated_at)
    address = f"东城街道测试路{1 if fixture == 'page' else 2}号"
    try:
        login(p, live_server, "dongcheng")
        p.goto(f"{live_server.url}{reverse('orgs:enterprise_detail', args=[firm.pk])}")
        p.click("[data-testid=enterprise-edit]")
        p.wait_for_selector("#gh-dialog [data-testid=enterprise-form]")
        dialog = p.locator("#gh-dialog")
        assert dialog.locator("[data-testid=uscc]").inner_text() == firm.uscc  # the identity is shown, not edited
        dialog.locator("#id_address").fill(address)
        dialog.locator("#id_headcount").fill("-3")
        dialog.locator("[data-testid=save]").click()
        p.wait_for_selector("#gh-dialog #id_headcount_error")
        dialog.locator("#id_headcount").fill("66")
        shot(p, "dialog-enterprise")
        with p.expect_navigation():
            dialog.locator("[data-testid=save]").click()
        assert "已保存" in p.locator("[role=alert]").first.inner_text()
        assert address in p.locator("main").inner_text()
        firm.refresh_from_db()
        assert firm.address == address and firm.headcount == 66
    finally:
        Enterprise.objects.filter(pk=firm.pk).update(address=before[0], headcount=before[1], updated_at=before[2])


@pytest.mark.parametrize("fixture", SIZES)
def test_rejecting_a_transfer_needs_a_reason_and_a_confirmation(request, fixture, live_server, login, shot):
    p = request.getfixturevalue(fixture)
    dongcheng_town = Union.objects.get(name="东城街道总工会")
    yq_union = Union.objects.filter(path__startswith=Union.objects.get(name="院桥镇总工会").path,
                                    kind=Union.Kind.SINGLE).order_by("path").first()
    person = (Person.objects.filter(current_union__path__startswith=dongcheng_town.path,
                                    memberships__status="active").exclude(transfers__status="pending")
              .order_by("-pk").distinct().first())
    assert person is not None and yq_union is not None
    from django.contrib.auth import get_user_model

    yuanqiao = get_user_model().objects.get(username="yuanqiao")
    t = member_services.transfer_request(actor=yuanqiao, person=person, to_union=yq_union, reason="工作调动")
    try:
        login(p, live_server, "dongcheng")
        p.goto(f"{live_server.url}{reverse('members:transfers')}")
        row = p.locator("[data-testid=incoming] tr", has=p.locator(f"form[action$='/transfers/{t.pk}/decide/']"))
        asked: list[str] = []
        p.on("dialog", lambda d: (asked.append(d.message), d.accept()))
        row.locator("[data-testid=transfer-reject] summary").click()
        submit = row.locator("[data-testid=transfer-reject-submit]")
        submit.click()  # no reason: the browser refuses, nothing is asked, nothing is sent
        assert row.locator("[data-testid=transfer-reject-reason]").evaluate("el => !el.validity.valid")
        assert asked == []
        t.refresh_from_db()
        assert t.status == TransferRequest.Status.PENDING
        row.locator("[data-testid=transfer-reject-reason]").fill("劳动合同尚未解除")
        shot(p, "transfer-reject")
        with p.expect_navigation():
            submit.click()
        assert asked and "确定拒绝" in asked[0]
        assert "已拒绝转会申请" in p.locator("[role=alert]").first.inner_text()
        t.refresh_from_db()
        assert t.status == TransferRequest.Status.REJECTED and "劳动合同尚未解除" in t.reason
    finally:
        TransferRequest.objects.filter(pk=t.pk).delete()


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1280), ("zh-CN", 1280), ("en-US", 360)])
def test_date_box_says_nian_yue_ri_in_any_locale(browser, live_server, login, shot, locale, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale, is_mobile=width < 576,
                                  has_touch=width < 576)
    p = context.new_page()
    try:
        login(p, live_server, "dongcheng")
        p.goto(f"{live_server.url}{reverse('members:list')}")
        box = p.locator("#id_joined_from")
        assert box.get_attribute("type") == "text"  # never the native mm/dd/yyyy box
        assert box.get_attribute("placeholder") == "年-月-日"
        assert box.get_attribute("inputmode") == "numeric"
        p.goto(f"{live_server.url}{reverse('orgs:union_new')}")  # the dialog as a page (no script needed)
        field = p.locator("[data-field=founded_on]")
        assert "年-月-日" in field.inner_text()
        assert p.locator("#id_founded_on").get_attribute("placeholder") == "年-月-日"
        shot(p, f"date-box-{locale}")
    finally:
        p.goto("about:blank")
        context.close()
