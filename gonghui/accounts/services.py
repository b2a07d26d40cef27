"""Writes on users, role assignments and API tokens."""

from __future__ import annotations

import secrets
import time
from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .grants import manages, may_grant
from .models import ApiToken, Role, RoleAssignment, User
from .permissions import clear_cache
from .twofactor import RECOVERY_CODE_COUNT, confirmed_totp, second_factor_check, second_factor_required

MUST_CHANGE_DETAIL = "管理员已重置您的密码，请先在控制台登录并设置新密码"


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
    if user.must_change_password:
        raise TokenRefused(MUST_CHANGE_DETAIL)
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


# --- the users console: creating users, granting and revoking roles, deactivation, password resets ---------------
#
# Who may grant and manage what: `grants.py`.

ONE_TIME_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


def one_time_password() -> str:
    """A random 12-character password for a new user or a reset, easy to read out over the phone."""
    return "".join(secrets.choice(ONE_TIME_PASSWORD_ALPHABET) for _ in range(12))


def _require_grant(actor: Any, role: str, *, union: Any = None, unit: Any = None) -> None:
    if role not in Role.values:
        raise ValidationError(f"未知角色：{role}")
    if (union is None) == (unit is None):
        raise ValidationError("角色授权须指定一个组织节点或一个协同单位（只能二选一）")
    if not may_grant(actor, role, union=union, unit=unit):
        where = union if union is not None else unit
        raise PermissionDenied(f"您无权在“{where}”授予“{Role(role).label}”角色：只能在自己管理的范围内授予不超过自身权限的角色")


def _require_manages(actor: Any, user: User) -> None:
    if actor.pk == user.pk:
        raise PermissionDenied("不能在用户管理中修改自己的账号（修改密码请用“修改密码”页）")
    if not manages(actor, user):
        raise PermissionDenied(f"您无权管理用户“{user}”：其角色超出您的管理范围或权限")


def clean_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise ValidationError("用户名不能为空")
    try:
        User.username_validator(username)
    except ValidationError:
        raise ValidationError(f"用户名“{username}”只能包含字母、数字和 @ . + - _") from None
    if len(username) > 150:
        raise ValidationError("用户名不能超过 150 个字符")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(f"用户名“{username}”已被使用")
    return username


def clean_phone(phone: str) -> str:
    phone = "".join(phone.split())
    if phone and not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise ValidationError(f"手机号“{phone}”应为 11 位数字，以 1 开头")
    return phone


def _needs_second_factor_now(user: User) -> bool:
    clear_cache(user)
    return second_factor_required(user)


def user_create(
    *,
    actor: Any,
    username: str,
    display_name: str,
    phone: str = "",
    role: str,
    union: Any = None,
    unit: Any = None,
) -> tuple[User, str]:
    """Create a user holding one first role (on a node or a unit) with a one-time password, which is returned
    (shown once) and must be changed at the first login. Atomic, audited; checks that the actor may grant the
    role there. A zh-hans ValidationError for a taken username, a bad phone, a missing name."""
    _require_grant(actor, role, union=union, unit=unit)
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError("姓名不能为空")
    password = one_time_password()
    with transaction.atomic(), set_actor(actor):
        user = User(
            username=clean_username(username),
            display_name=display_name[:50],
            phone=clean_phone(phone),
            must_change_password=True,
        )
        user.set_password(password)
        user.save()
        RoleAssignment.objects.create(user=user, role=role, union=union, unit=unit)
        _audit(actor=actor, user=user, changes={"新建用户": f"{Role(role).label} @ {union or unit}"})
    return user, password


def role_assign(*, actor: Any, user: User, role: str, union: Any = None, unit: Any = None) -> RoleAssignment:
    """Give `user` `role` on `union`'s subtree or on `unit`. Idempotent (a revoked one comes back), atomic,
    audited; the actor must be allowed to grant that role there. When the role makes the user an administrator
    who signs in with a second factor, their sessions end and their tokens are revoked, so nothing they opened
    with the password alone keeps the new powers."""
    _require_grant(actor, role, union=union, unit=unit)
    with transaction.atomic(), set_actor(actor):
        before = _needs_second_factor_now(user)
        lookup = {"union": union} if union is not None else {"unit": unit}
        obj, _ = RoleAssignment.objects.update_or_create(user=user, role=role, **lookup, defaults={"active": True})
        _audit(actor=actor, user=user, changes={"授予角色": f"{Role(role).label} @ {union or unit}"})
        if not before and _needs_second_factor_now(user):
            user_sessions_end(user=user)
            tokens_revoke_all(user=user)
    return obj


def _reason(reason: str, message: str) -> str:
    text = (reason or "").strip()
    if len(text) < 2:
        raise ValidationError(message)
    return text[:200]


def role_revoke(*, actor: Any, assignment: RoleAssignment, reason: str) -> None:
    """Revoke one assignment (kept, inactive, for the record), with a reason (ValidationError without one) that
    the audit entry keeps. Idempotent, atomic, audited; the actor must be allowed to grant that role there, and
    may not revoke their own."""
    if assignment.user_id == actor.pk:
        raise PermissionDenied("不能撤销自己的角色授权")
    _require_grant(actor, assignment.role, union=assignment.union, unit=assignment.unit)
    reason = _reason(reason, "撤销角色授权须填写原因")
    with transaction.atomic(), set_actor(actor):
        if RoleAssignment.objects.filter(pk=assignment.pk, active=True).update(active=False):
            _audit(
                actor=actor,
                user=assignment.user,
                changes={"撤销角色": f"{assignment.get_role_display()} @ {assignment.target}", "原因": reason},
            )
    assignment.active = False


def user_deactivate(*, actor: Any, user: User, reason: str) -> None:
    """Stop `user` from signing in, with a reason (ValidationError without one) kept in the audit entry: sessions
    end at once, API tokens are revoked. Idempotent, atomic, audited."""
    _require_manages(actor, user)
    reason = _reason(reason, "停用账号须填写原因")
    with transaction.atomic(), set_actor(actor):
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        user_sessions_end(user=user)
        tokens_revoke_all(user=user)
        _audit(actor=actor, user=user, changes={"账号": "停用", "原因": reason})


def user_reactivate(*, actor: Any, user: User) -> None:
    """Let a deactivated user sign in again (with their old password). Idempotent, atomic, audited."""
    _require_manages(actor, user)
    with transaction.atomic(), set_actor(actor):
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        _audit(actor=actor, user=user, changes={"账号": "启用"})


def user_password_reset(*, actor: Any, user: User) -> str:
    """Give `user` a new one-time password (returned, shown once to the actor) that must be changed at the next
    login. Their sessions end and their API tokens are revoked. Atomic, audited (the password never is)."""
    _require_manages(actor, user)
    password = one_time_password()
    with transaction.atomic(), set_actor(actor):
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        user_sessions_end(user=user)
        tokens_revoke_all(user=user)
        _audit(actor=actor, user=user, changes={"密码": "管理员重置（一次性密码）"})
    return password


def user_second_factor_reset(*, actor: Any, user: User) -> None:
    """Remove `user`'s authenticator and recovery codes (a lost phone): their next login enrols a new one. Their
    sessions end and their tokens are revoked. Atomic, audited."""
    _require_manages(actor, user)
    with transaction.atomic(), set_actor(actor):
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        user_sessions_end(user=user)
        tokens_revoke_all(user=user)
        _audit(actor=actor, user=user, changes={"双因素认证": "管理员重置"})
