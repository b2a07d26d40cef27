"""The shell in a real browser at 1280 and 360 px: the side menu (off-canvas on a phone), the union picker by
keyboard, the Chinese 404 of a bad QR code, and the 操作日志 after a change."""

from __future__ import annotations

import re

import pytest

from gonghui.orgs.models import Union

pytestmark = pytest.mark.browser


def test_side_menu_desktop_and_phone(page, phone_page, live_server, login, shot):
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/orgs/enterprises/")
    assert page.title().startswith("东城街道 · 企业名录")
    menu = page.locator("[data-testid=side-menu]")
    assert menu.is_visible()
    assert menu.locator("a[aria-current=page]").inner_text() == "企业名录"
    # a group folds and stays folded on the next page
    page.click("[data-bs-target='#gh-menu-member']")
    page.wait_for_selector("#gh-menu-member", state="hidden")
    page.goto(f"{live_server.url}/orgs/unions/")
    assert page.locator("#gh-menu-member").is_hidden()
    page.click("[data-bs-target='#gh-menu-member']")
    shot(page, "shell-menu")
    # the 工作台 panels load from their own routes
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("[data-testid=todo]")
    page.wait_for_selector("[data-testid=org-counts]")
    # on a phone the menu is off-canvas: hidden until the toggle opens it
    login(phone_page, live_server, "dongcheng")
    phone_page.goto(f"{live_server.url}/orgs/enterprises/")
    assert phone_page.locator("[data-testid=side-menu]").is_hidden()
    phone_page.click("[data-testid=menu-toggle]")
    phone_page.wait_for_selector("[data-testid=side-menu] a[href='/members/']", state="visible")
    shot(phone_page, "shell-menu")
    phone_page.click("[data-testid=side-menu] a[href='/members/']")
    phone_page.wait_for_url(re.compile(r"/members/$"))
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361


@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_union_picker_by_keyboard(request, fixture, live_server, login, shot):
    p = request.getfixturevalue(fixture)
    login(p, live_server, "dongcheng")
    p.goto(f"{live_server.url}/members/")
    box = p.locator("#id_union")
    box.click()
    box.type("东城商圈")
    p.wait_for_selector("#id_union_list [role=option]")
    assert all("院桥" not in t for t in p.locator("#id_union_list [role=option]").all_inner_texts())
    shot(p, "picker")
    box.press("Enter")
    union = Union.objects.get(name="东城商圈联合工会委员会")
    assert p.locator("input[name=union]").input_value() == str(union.pk)
    p.click("[data-testid=member-filters] button[type=submit]")
    p.wait_for_url(re.compile(rf"union={union.pk}"))
    assert p.locator("#id_union").input_value() == "东城商圈联合工会委员会"
    # browse: the roots, then → opens the children
    p.locator("[data-gh-picker-clear]").click()
    p.locator("[data-gh-picker-browse]").click()
    p.wait_for_selector("#id_union_list [role=option]")
    assert p.locator("#id_union_list [role=option]").first.inner_text().startswith("东城街道总工会")
    box.press("ArrowRight")
    p.wait_for_selector("#id_union_list li:has-text('东城街道总工会 的下级')")


@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_bad_qr_code_shows_the_chinese_404(request, fixture, live_server, shot):
    p = request.getfixturevalue(fixture)
    response = p.goto(f"{live_server.url}/join/NOSUCHCODE/")
    assert response.status == 404
    assert "二维码已失效或不存在" in p.inner_text("body") and "怎么办" in p.inner_text("body")
    shot(p, "bad-qr-404")
    assert p.evaluate("document.documentElement.scrollWidth") <= p.viewport_size["width"] + 1


@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_audit_log_after_a_change(request, fixture, live_server, login, shot):
    from django.contrib.auth import get_user_model

    from gonghui.orgs.services import union_update

    p = request.getfixturevalue(fixture)
    union = Union.objects.get(name="东城商圈联合工会委员会")
    actor = get_user_model().objects.get(username="huangyan")
    union_update(actor=actor, union=union, chair=f"浏览器测试主席{fixture}")
    login(p, live_server, "huangyan")
    p.goto(f"{live_server.url}/audit/?action=update&q=东城商圈")
    row = p.locator("[data-testid=audit-row]").first
    assert "修改" in row.inner_text() and f"浏览器测试主席{fixture}" in row.inner_text()
    shot(p, "audit-log")
    row.locator("[data-testid=audit-object]").click()
    p.wait_for_url(re.compile(rf"/orgs/unions/{union.pk}/$"))
