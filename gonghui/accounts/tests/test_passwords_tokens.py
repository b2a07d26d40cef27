"""A password change ends the other sessions and revokes the API tokens; tokens expire; guessing the old password
on the change form counts toward the same lockout as the login.

Given the demo cast (dongcheng and yuanqiao are township admins, password demo12345).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

API = "/api/v1"
PASSWORD = "demo12345"
NEW_PASSWORD = "Huangyan-2026-xin"


def _token(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/token", {"username": username, "password": password}, content_type="application/json")


def _me(client: Client, token: str) -> Any:
    return client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def _change(client: Client, old: str, new: str = NEW_PASSWORD) -> Any:
    return client.post(
        reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


def _logged_in(client: Client, username: str) -> Client:
    assert client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_password_change_revokes_every_api_token(client: Client) -> None:
    # given two tokens dongcheng took for scripts
    tokens = [_token(Client(), "dongcheng").json()["token"] for _ in range(2)]
    assert all(_me(Client(), t).status_code == 200 for t in tokens)
    # when dongcheng changes the password in the console
    response = _change(_logged_in(client, "dongcheng"), PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    # then neither token works any more, and the rows say when they were revoked
    for t in tokens:
        after = _me(Client(), t)
        assert after.status_code == 401 and after.json() == {"detail": "未登录或令牌无效"}
    assert not ApiToken.objects.filter(user__username="dongcheng", revoked_at__isnull=True).exists()
    # and a token for the new password works
    assert _me(Client(), _token(Client(), "dongcheng", NEW_PASSWORD).json()["token"]).status_code == 200


def test_password_change_ends_other_sessions_but_keeps_this_one() -> None:
    here, elsewhere = _logged_in(Client(), "yuanqiao"), _logged_in(Client(), "yuanqiao")
    assert elsewhere.get(reverse("dashboard")).status_code == 200
    _change(here, PASSWORD)
    assert here.get(reverse("dashboard")).status_code == 200
    gone = elsewhere.get(reverse("dashboard"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))


def test_password_change_is_audited(client: Client) -> None:
    from auditlog.models import LogEntry

    _change(_logged_in(client, "yuanqiao"), PASSWORD)
    entry = LogEntry.objects.filter(object_repr="院桥镇总工会管理员").latest("timestamp")
    assert entry.actor.username == "yuanqiao" and entry.changes["密码"] == "本人修改"
    assert "demo12345" not in str(entry.changes) and NEW_PASSWORD not in str(entry.changes)


def test_token_carries_its_expiry_from_the_setting(client: Client, settings: Any) -> None:
    settings.GONGHUI_API_TOKEN_DAYS = 7
    before = timezone.now()
    body = _token(client, "yuanqiao").json()
    row = ApiToken.objects.get(key_hash=ApiToken.hash(body["token"]))
    assert before + timedelta(days=7) <= row.expires_at <= timezone.now() + timedelta(days=7)
    assert abs(datetime.fromisoformat(body["expires_at"]) - row.expires_at) < timedelta(milliseconds=1)


def test_default_lifetime_is_90_days() -> None:
    from django.conf import settings

    assert settings.GONGHUI_API_TOKEN_DAYS == 90


def test_expired_token_is_401_with_a_chinese_detail(client: Client) -> None:
    token = _token(client, "yuanqiao").json()["token"]
    assert _me(client, token).status_code == 200
    ApiToken.objects.filter(key_hash=ApiToken.hash(token)).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _me(Client(), token)
    assert response.status_code == 401
    assert response.json() == {"detail": "令牌已过期，请重新获取"}


def test_wrong_old_password_guesses_lock_the_account_like_the_login() -> None:
    client = _logged_in(Client(), "yuanqiao")
    # given four wrong guesses of the old password: the form says so and the session lives on
    for _ in range(4):
        response = _change(client, "guess-guess")
        assert response.status_code == 200 and "旧密码不正确" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 200
    # when the fifth guess fails, then the locked page is shown and the session is over
    locked = _change(client, "guess-guess")
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    # and the right password no longer logs in, on the page or for a token
    again = Client().post(reverse("login"), {"username": "yuanqiao", "password": PASSWORD})
    assert again.status_code == 429
    assert _token(Client(), "yuanqiao").status_code == 429


def test_login_failures_and_old_password_guesses_share_one_counter() -> None:
    for _ in range(3):
        assert Client().post(reverse("login"), {"username": "dongcheng", "password": "nope-nope"}).status_code == 200
    client = _logged_in(Client(), "dongcheng")  # a success resets the count (AXES_RESET_ON_SUCCESS)
    for _ in range(2):
        Client().post(reverse("login"), {"username": "dongcheng", "password": "nope-nope"})
    for _ in range(2):
        assert _change(client, "guess-guess").status_code == 200
    assert _change(client, "guess-guess").status_code == 429  # 2 on the login + 3 here = the limit of 5


def test_behind_a_trusted_proxy_the_lockout_counts_each_client_not_the_proxy(settings: Any) -> None:
    # given the console behind a reverse proxy at 10.0.0.1 that names the client in X-Forwarded-For
    settings.GONGHUI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    # when one client guesses dongcheng's password five times
    for _ in range(5):
        attacker.post(reverse("login"), {"username": "dongcheng", "password": "nope-nope"})
    # then that client is locked out, even with the right password
    assert attacker.post(reverse("login"), {"username": "dongcheng", "password": PASSWORD}).status_code == 429
    # and dongcheng, signing in from another address through the same proxy, is not
    own = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert own.post(reverse("login"), {"username": "dongcheng", "password": PASSWORD}).status_code == 302
    # while a forged header from an untrusted peer counts against the peer itself
    forged = Client(REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.20")
    for _ in range(5):
        forged.post(reverse("login"), {"username": "yuanqiao", "password": "nope-nope"})
    assert Client(REMOTE_ADDR="192.0.2.9").post(
        reverse("login"), {"username": "yuanqiao", "password": PASSWORD}).status_code == 429
