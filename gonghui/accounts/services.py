"""Writes on users, role assignments and API tokens."""

from __future__ import annotations

import time
from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, Role, RoleAssignment, User
from .twofactor import RECOVERY_CODE_COUNT, confirmed_totp, second_factor_check, second_factor_required


class TokenRefused(Exception):
    """The password was right but the token is still refused; the message (zh-hans) says why."""


def token_issue(
    *, request: HttpRequest | None, username: str, password: str, name: str = "", otp: str = ""
) -> tuple[str, ApiToken] | None:
    """Check the password (through axes, so failures count toward lockout) and issue a new token.

    A user who signs in with a second factor must also give `otp` (a TOTP or recovery code; a wrong one counts
    as a failed login), else TokenRefused: a token is a login that lasts for months, so it needs both factors.

    Returns the plain token (shown once; only its hash is kept) with its row (which carries `expires_at`,
    GONGHUI_API_TOKEN_DAYS from now), or None when the credentials are wrong or the account is locked out
    (axes then sets `request.axes_locked_out`). A success counts as a login: `user_logged_in` fires, so axes
    resets the failure count and `last_login` moves.
    """
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
    if second_factor_required(user):
        if confirmed_totp(user) is None:
            raise TokenRefused("该账号须使用双因素认证：请先登录控制台绑定身份验证器，再获取令牌")
        if not otp.strip():
            raise TokenRefused("该账号须使用双因素认证：请在 otp 字段提供身份验证器上的 6 位动态码")
        if second_factor_verify(user=user, code=otp, request=request) is None:
            raise TokenRefused("动态验证码错误或已使用")
    plain = ApiToken.new_plain()
    with transaction.atomic():
        row = ApiToken.objects.create(user=user, key_hash=ApiToken.hash(plain), prefix=plain[:8], name=name[:50])
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return plain, row


def token_revoke(*, user: User, token: str) -> bool:
    """Revoke one of the user's tokens; idempotent."""
    return bool(
        ApiToken.objects.filter(user=user, key_hash=ApiToken.hash(token), revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def role_assign(*, actor: Any, user: User, role: str, union: Any) -> RoleAssignment:
    """Give `user` `role` over `union`'s subtree. Idempotent, audited."""
    if role not in Role.values:
        raise ValueError(role)
    with transaction.atomic(), set_actor(actor):
        obj, _ = RoleAssignment.objects.update_or_create(user=user, role=role, union=union, defaults={"active": True})
    return obj


def _audit(*, actor: Any, user: User, changes: dict[str, str]) -> None:
    """One audit entry on `user` (changes in zh-hans). Used for what auditlog's field diff cannot show:
    a password is never diffed, a token revocation touches another table."""
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_pk=str(user.pk),
        object_id=user.pk,
        object_repr=str(user)[:200],
        action=LogEntry.Action.UPDATE,
        changes=changes,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every live API token of `user`; returns how many. Idempotent."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_password_change(*, user: User, new_password: str, request: HttpRequest | None = None) -> int:
    """The user sets their own password (already validated by the form). Atomic, audited.

    Every other session of the user ends: Django binds a session to a hash of the password, so a session
    opened before the change no longer authenticates. `request`'s own session is re-bound and stays logged
    in. Every API token is revoked (a token is not tied to the password, so it would otherwise survive).
    Clears `must_change_password`. Returns the number of tokens revoked.
    """
    with transaction.atomic(), set_actor(user):
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        revoked = tokens_revoke_all(user=user)
        _audit(actor=user, user=user, changes={"密码": "本人修改", "吊销令牌": str(revoked)})
    if request is not None:
        update_session_auth_hash(request, user)
    return revoked


def user_sessions_end(*, user: User) -> None:
    """End every session of `user` now (their next request is anonymous). Bumps the session epoch, which is part
    of the session auth hash; the caller holds the transaction."""
    User.objects.filter(pk=user.pk).update(session_epoch=models.F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def totp_enrol_confirm(*, user: User, key: str, code: str) -> list[str] | None:
    """Bind the authenticator that holds `key` (hex, generated for the enrolment page) once it shows a right
    `code`. Atomic, audited.

    On success the new authenticator replaces any earlier one, a fresh set of recovery codes replaces the old
    set, and the codes are returned (to be shown once). A wrong code returns None and writes nothing.
    """
    device = TOTPDevice(user=user, key=key, name="身份验证器", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    token = "".join(code.split())
    if not (token.isdigit() and totp.verify(int(token), device.tolerance)):
        return None
    device.last_t = totp.t()  # this code cannot be replayed at the login that follows
    with transaction.atomic(), set_actor(user):
        TOTPDevice.objects.filter(user=user).delete()
        device.save()
        codes = _recovery_codes_replace(user=user)
        _audit(actor=user, user=user, changes={"双因素认证": "绑定身份验证器"})
    return codes


def _recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="恢复码", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """A new set of recovery codes for `user`; the old ones stop working. Atomic, audited."""
    with transaction.atomic(), set_actor(user):
        codes = _recovery_codes_replace(user=user)
        _audit(actor=user, user=user, changes={"双因素认证": "重新生成恢复码"})
    return codes


def second_factor_verify(*, user: User, code: str, request: HttpRequest | None = None) -> Any:
    """Check a TOTP or recovery code for `user`; a wrong code counts as a failed login (axes), as a wrong password
    does. Returns the device that accepted it, or None."""
    device = second_factor_check(user, code)
    if device is None:
        user_login_failed.send(sender=User, credentials={"username": user.get_username()}, request=request)
    return device
