"""登录日志: successful logins, failed attempts and lockouts, per user (django-axes' own signal for lockouts)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import LoginEvent


def _client(request: Any) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    meta = getattr(request, "META", {})
    ip = getattr(request, "axes_ip_address", None) or meta.get("REMOTE_ADDR") or None
    return ip, str(meta.get("HTTP_USER_AGENT", ""))[:300]


def _record(kind: str, username: str, request: Any, user: Any = None) -> None:
    ip, agent = _client(request)
    if user is None and username:
        user = get_user_model().objects.filter(username=username).first()
    LoginEvent.objects.create(kind=kind, username=(username or "")[:150], user=user, ip=ip, user_agent=agent)


@receiver(user_logged_in, dispatch_uid="gh_login_success")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record(LoginEvent.Kind.SUCCESS, user.get_username(), request, user)


@receiver(user_logged_out, dispatch_uid="gh_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record(LoginEvent.Kind.LOGOUT, user.get_username(), request, user)


@receiver(user_login_failed, dispatch_uid="gh_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    _record(LoginEvent.Kind.FAILURE, str(credentials.get("username", "")), request)


@receiver(user_locked_out, dispatch_uid="gh_locked_out")
def _locked_out(sender: Any, request: Any = None, username: str = "", ip_address: str = "", **kwargs: Any) -> None:
    _record(LoginEvent.Kind.LOCKOUT, username or "", request)
