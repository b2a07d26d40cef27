"""Writes on users, role assignments and API tokens."""

from __future__ import annotations

from typing import Any

from auditlog.context import set_actor
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken, Role, RoleAssignment, User


def token_issue(*, request: HttpRequest | None, username: str, password: str, name: str = "") -> str | None:
    """Check the password (through axes, so failures count toward lockout) and issue a new token.

    Returns the plain token (shown once; only its hash is kept) or None when the credentials are wrong or
    the account is locked out (axes then sets `request.axes_locked_out`). A success counts as a login:
    `user_logged_in` fires, so axes resets the failure count and `last_login` moves.
    """
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
    plain = ApiToken.new_plain()
    with transaction.atomic():
        ApiToken.objects.create(user=user, key_hash=ApiToken.hash(plain), prefix=plain[:8], name=name[:50])
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return plain


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
