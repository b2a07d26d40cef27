"""Writes on users, role assignments and API tokens."""

from __future__ import annotations

from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken, Role, RoleAssignment, User


def token_issue(
    *, request: HttpRequest | None, username: str, password: str, name: str = ""
) -> tuple[str, ApiToken] | None:
    """Check the password (through axes, so failures count toward lockout) and issue a new token.

    Returns the plain token (shown once; only its hash is kept) with its row (which carries `expires_at`,
    GONGHUI_API_TOKEN_DAYS from now), or None when the credentials are wrong or the account is locked out
    (axes then sets `request.axes_locked_out`). A success counts as a login: `user_logged_in` fires, so axes
    resets the failure count and `last_login` moves.
    """
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
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
