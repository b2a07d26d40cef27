"""The second factor in a real browser: given a 区总管理员 who is not a demo account, when they log in for the first
time they enrol an authenticator from the QR page, save their recovery codes and reach the 工作台; the next login
asks for the code after the password."""

from __future__ import annotations

import time
from base64 import b32decode
from collections.abc import Iterator

import pytest
from django_otp.oath import TOTP

from gonghui.accounts.models import Role, RoleAssignment, User
from gonghui.orgs.models import Union

pytestmark = pytest.mark.browser

PASSWORD = "Liuyang-2026-mima"


@pytest.fixture
def liuyang(live_server) -> Iterator[User]:
    user = User.objects.create_user("liuyang_2fa", password=PASSWORD, display_name="刘洋")
    RoleAssignment.objects.create(user=user, role=Role.DISTRICT_ADMIN, union=Union.objects.get(depth=1))
    try:
        yield user
    finally:
        user.delete()  # the browser tests share the committed demo data; leave it as it was


def _code(secret_b32: str, steps_ahead: int = 0) -> str:
    b32 = secret_b32.replace(" ", "")
    totp = TOTP(b32decode(b32 + "=" * (-len(b32) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _password(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "liuyang_2fa")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_enrol_then_login_then_verify(page, live_server, liuyang, shot):
    # when the admin gives the password the first time, then the QR enrolment page opens (no 工作台 yet)
    _password(page, live_server)
    page.wait_for_url("**/accounts/2fa/enrol/")
    assert page.locator("[data-testid=otp-qr] svg").is_visible()
    secret = page.inner_text("[data-testid=otp-secret]")
    shot(page, "otp-enrol")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # not logged in before the second factor
    page.goto(f"{live_server.url}/accounts/2fa/enrol/")
    assert page.inner_text("[data-testid=otp-secret]") == secret  # the same secret after a reload
    # when the app's code is typed, then ten recovery codes are shown once and the 工作台 follows
    page.fill("#id_code", _code(secret))
    page.click("button[type=submit]")
    codes = page.locator("[data-testid=recovery-codes] li").all_inner_texts()
    assert len(codes) == 10
    shot(page, "otp-recovery-codes")
    page.click("[data-testid=continue]")
    page.wait_for_selector("[data-testid=whoami]")
    assert "刘洋" in page.inner_text("[data-testid=whoami]")
    # when they log out and in again, then the password leads to the code step
    page.click("header form button[type=submit]")
    page.wait_for_url("**/accounts/login/")
    _password(page, live_server)
    page.wait_for_url("**/accounts/2fa/verify/")
    page.fill("#id_code", "000000" if _code(secret, 1) != "000000" else "111111")
    page.click("button[type=submit]")
    assert "验证码错误" in page.inner_text("[data-testid=otp-error]")
    page.fill("#id_code", codes[0])  # the wrong TOTP throttles the authenticator for a second; a recovery code works
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=whoami]")
    assert "还剩 9 个" in page.inner_text("body")
    shot(page, "otp-logged-in")
