"""Reads for the users console, each given the acting user and limited to what they manage.

A user is in an actor's sight when one of the user's role assignments (live or revoked) is on a node under a
subtree where the actor holds manage_users; users whose assignments are all on units, or who have none, are
in the sight of managers of the whole tree only. Whether the actor may then *change* that user is the
rule in `grants.py`: sight is not power.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from .grants import holds_everywhere, manages, may_grant, union_model
from .models import RoleAssignment, User
from .permissions import Action


def _failed_attempts() -> Any:
    """Failed logins (and wrong old passwords, wrong codes) counted by django-axes since the last success."""
    per_user = (
        AccessAttempt.objects.filter(username=OuterRef("username"))
        .values("username")
        .annotate(n=Sum("failures_since_start"))
        .values("n")
    )
    return Coalesce(Subquery(per_user, output_field=IntegerField()), Value(0))


def managed_users(*, actor: Any) -> QuerySet[User]:
    """Every user in `actor`'s sight for manage_users (`User.objects.visible_to`), with `failed_attempts`."""
    return User.objects.visible_to(actor, Action.MANAGE_USERS).annotate(failed_attempts=_failed_attempts())


def user_list(*, actor: Any, q: str = "", status: str = "") -> QuerySet[User]:
    """The console's user list: in sight, filtered by a search text (username, name, phone) and a status
    (active / inactive / must_change), ordered by username; two queries per page however long."""
    qs = managed_users(actor=actor)
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(phone__contains=q))
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    elif status == "must_change":
        qs = qs.filter(must_change_password=True)
    return qs.prefetch_related("role_assignments__union", "role_assignments__unit").order_by("username")


def user_get(*, actor: Any, pk: Any) -> User:
    """One user in `actor`'s sight, else Http404 (absent, out of sight, malformed id: the same answer)."""
    try:
        return managed_users(actor=actor).get(pk=int(pk))
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def user_assignments(*, actor: Any, user: User) -> list[dict[str, Any]]:
    """`user`'s assignments, live first, each with whether `actor` may revoke it."""
    rows = RoleAssignment.objects.filter(user=user).select_related("union", "unit").order_by("-active", "role", "pk")
    return [
        {
            "assignment": r,
            "revocable": r.active and r.user_id != actor.pk and may_grant(actor, r.role, union=r.union, unit=r.unit),
        }
        for r in rows
    ]


def user_manageable(*, actor: Any, user: User) -> bool:
    """Whether `actor` may deactivate `user`, reset the password or the second factor (the services' rule)."""
    return actor.pk != user.pk and manages(actor, user)


def assignment_get(*, actor: Any, user: User, pk: Any) -> RoleAssignment:
    """One assignment of a user in sight, else Http404."""
    try:
        return RoleAssignment.objects.select_related("union", "unit", "user").get(user=user, pk=int(pk))
    except (RoleAssignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def grantable_unions(*, actor: Any) -> QuerySet[Any]:
    """The nodes on which `actor` may grant some role: the subtrees where they hold manage_users."""
    return union_model().objects.visible_to(actor, action=Action.MANAGE_USERS)


def may_grant_units(*, actor: Any) -> bool:
    """Whether `actor` may grant roles on units off the tree (a manager of the whole tree)."""
    return bool(getattr(actor, "is_superuser", False)) or holds_everywhere(actor, Action.MANAGE_USERS)
