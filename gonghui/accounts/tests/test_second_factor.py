"""Administrators sign in with a second factor: enrol by QR code at the first login, then a TOTP code (or a
recovery code) after the password; API tokens need the code too. Demo mode exempts the demo accounts only.

Given zhangwei, a 区总管理员 who is not a demo account, kuaidi (a union admin, no second factor needed) and
huangyan (a demo account, exempt only in demo mode; the suite runs in demo mode, see conftest.py).
"""

from __future__ import annotations

import re
import time
from base64 import b32decode
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gonghui.accounts import services
from gonghui.accounts.models import Role, RoleAssignment, User

# The tree is a layer above accounts (import-linter's layers contract): its model is reached by name, as the
# RoleAssignment foreign key reaches it.
Union = apps.get_model("orgs", "Union")

pytestmark = pytest.mark.django_db

PASSWORD = "Zhangwei-2026-mima"


@pytest.fixture
def zhangwei(db: Any) -> User:
    user = User.objects.create_user("zhangwei", password=PASSWORD, display_name="张伟")
    RoleAssignment.objects.create(user=user, role=Role.DISTRICT_ADMIN, union=Union.objects.get(depth=1))
    return user


def _code(key_hex: str, *, steps_ahead: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _secret_from_page(html: str) -> str:
    """The base32 secret the enrolment page shows for typing by hand, as hex (what an app would hold)."""
    b32 = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    return b32decode(b32 + "=" * (-len(b32) % 8)).hex()


def _password(client: Client, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def _enrolled(user: User) -> tuple[str, list[str]]:
    key = TOTPDevice(user=user).key
    codes = services.totp_enrol_confirm(user=user, key=key, code=_code(key))
    assert codes is not None
    return key, codes


def _logged_in(client: Client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def test_first_login_of_an_admin_enrols_an_authenticator_by_qr_code(client: Client, zhangwei: User) -> None:
    # when zhangwei gives the right password for the first time
    response = _password(client, "zhangwei")
    # then there is no session yet: the enrolment page comes first
    assert response.status_code == 302 and response["Location"] == reverse("otp_enrol")
    assert not _logged_in(client)
    page = client.get(reverse("otp_enrol")).content.decode()
    assert "<svg" in page and "扫描" in page and "绑定身份验证器" in page
    key = _secret_from_page(page)
    # and reloading shows the same secret, so an app that already scanned it still works
    assert _secret_from_page(client.get(reverse("otp_enrol")).content.decode()) == key
    assert not TOTPDevice.objects.filter(user=zhangwei).exists()  # the GETs wrote nothing
    # a wrong code binds nothing
    wrong = client.post(reverse("otp_enrol"), {"code": "000000" if _code(key) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode() and not TOTPDevice.objects.filter(user=zhangwei).exists()
    # when the app's code is given, then the device is bound, ten recovery codes are shown once, and the user is in
    done = client.post(reverse("otp_enrol"), {"code": _code(key)})
    codes = re.findall(r'<li class="list-group-item font-monospace">([a-z2-7]+)</li>', done.content.decode())
    assert len(codes) == 10 and "只显示这一次" in done.content.decode()
    assert TOTPDevice.objects.get(user=zhangwei).confirmed
    assert _logged_in(client)
    assert client.session["otp_device_id"]  # the session is verified by the device


def test_later_logins_need_the_code_after_the_password(client: Client, zhangwei: User) -> None:
    key, _ = _enrolled(zhangwei)
    response = _password(client, "zhangwei", next_url=reverse("otp_security"))
    assert response.status_code == 302 and response["Location"] == reverse("otp_verify")
    assert not _logged_in(client)
    # a wrong code is refused
    bad = client.post(reverse("otp_verify"), {"code": "12345x"})
    assert bad.status_code == 200 and "验证码错误" in bad.content.decode() and not _logged_in(client)
    # the code enrolment used cannot be replayed; the next one works and leads where the user was going
    ok = client.post(reverse("otp_verify"), {"code": _code(key, steps_ahead=1)})
    assert ok.status_code == 302 and ok["Location"] == reverse("otp_security")
    assert _logged_in(client)


def test_the_code_step_is_only_for_someone_who_just_gave_the_password(client: Client, zhangwei: User) -> None:
    key, _ = _enrolled(zhangwei)
    # no password first: nothing to verify
    assert client.post(reverse("otp_verify"), {"code": _code(key, steps_ahead=1)})["Location"] == reverse("login")
    # the password step lasts five minutes
    _password(client, "zhangwei")
    session = client.session
    session["gh_2fa_pending"]["at"] -= 301
    session.save()
    late = client.post(reverse("otp_verify"), {"code": _code(key, steps_ahead=1)})
    assert late["Location"] == reverse("login") and not _logged_in(client)
    # and an enrolled admin cannot enrol a second authenticator with the password alone
    _password(client, "zhangwei")
    assert client.get(reverse("otp_enrol"))["Location"] == reverse("login")


def test_a_recovery_code_works_once(client: Client, zhangwei: User) -> None:
    _, codes = _enrolled(zhangwei)
    _password(client, "zhangwei")
    response = client.post(reverse("otp_verify"), {"code": codes[0].upper()}, follow=True)
    assert "还剩 9 个" in response.content.decode() and _logged_in(client)
    client.post(reverse("logout"))
    _password(client, "zhangwei")
    again = client.post(reverse("otp_verify"), {"code": codes[0]})
    assert "验证码错误" in again.content.decode() and not _logged_in(client)
    assert StaticToken.objects.filter(device__user=zhangwei).count() == 9


def test_wrong_codes_lock_the_account_like_wrong_passwords(client: Client, zhangwei: User) -> None:
    _enrolled(zhangwei)
    _password(client, "zhangwei")
    for _ in range(4):
        assert client.post(reverse("otp_verify"), {"code": "notacode"}).status_code == 200
    locked = client.post(reverse("otp_verify"), {"code": "notacode"})
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    assert _password(Client(), "zhangwei").status_code == 429


def test_regenerating_recovery_codes_voids_the_old_ones(client: Client, zhangwei: User) -> None:
    key, old = _enrolled(zhangwei)
    _password(client, "zhangwei")
    client.post(reverse("otp_verify"), {"code": _code(key, steps_ahead=1)})
    page = client.post(reverse("otp_recovery_regenerate")).content.decode()
    new = re.findall(r'font-monospace">([a-z2-7]+)<', page)
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=zhangwei).values_list("token", flat=True)) == set(new)


def test_demo_mode_exempts_the_demo_accounts_and_no_one_else(client: Client, zhangwei: User, settings: Any) -> None:
    settings.DEMO_MODE = True
    assert _password(client, "huangyan", "demo12345")["Location"] == reverse("dashboard")
    assert _password(Client(), "zhangwei")["Location"] == reverse("otp_enrol")
    settings.DEMO_MODE = False
    assert _password(Client(), "huangyan", "demo12345")["Location"] == reverse("otp_enrol")
    assert _password(Client(), "dongcheng", "demo12345")["Location"] == reverse("otp_enrol")


def test_users_who_do_not_manage_users_sign_in_with_the_password(client: Client, settings: Any) -> None:
    settings.DEMO_MODE = False
    assert _password(client, "kuaidi", "demo12345")["Location"] == reverse("dashboard")


# --- API tokens -----------------------------------------------------------------------------------------------


def _token(client: Client, username: str, password: str, otp: str | None = None) -> Any:
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/token", body, content_type="application/json")


def test_a_token_for_an_admin_needs_the_code_too(client: Client, zhangwei: User) -> None:
    # not enrolled yet: go to the console first
    first = _token(client, "zhangwei", PASSWORD)
    assert first.status_code == 401 and "绑定身份验证器" in first.json()["detail"]
    key, _ = _enrolled(zhangwei)
    missing = _token(client, "zhangwei", PASSWORD)
    assert missing.status_code == 401 and "otp" in missing.json()["detail"]
    wrong = _token(client, "zhangwei", PASSWORD, "000001" if _code(key, steps_ahead=1) != "000001" else "000002")
    assert wrong.status_code == 401 and wrong.json()["detail"] == "动态验证码错误或已使用"
    # django-otp makes the device wait 1 s after a wrong code (2^(n-1) s after n); skip that wait here
    TOTPDevice.objects.filter(user=zhangwei).update(throttling_failure_timestamp=None)
    ok = _token(client, "zhangwei", PASSWORD, _code(key, steps_ahead=1))
    assert ok.status_code == 200 and ok.json()["token"].startswith("gh_")
    # the password still comes first: a right code with a wrong password is the usual 401
    assert _token(client, "zhangwei", "wrong-password", _code(key, steps_ahead=1)).json() == {"detail": "用户名或密码错误"}


def test_tokens_for_other_users_need_no_code(client: Client, settings: Any) -> None:
    settings.DEMO_MODE = False
    assert _token(client, "kuaidi", "demo12345").status_code == 200
