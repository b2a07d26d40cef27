"""Who may grant which role where, and who may manage which user: the users console's one rule.

An actor may grant `role` on a node only if they hold manage_users there AND every action the role grants there
— nobody hands out more than they hold. On a unit off the tree the same must hold over the whole tree (only a
district-wide manager grants a 部门经办人). An actor manages a user (deactivates them, resets the password or
the second factor) only if they could have granted every one of the user's live roles: a township admin cannot
take over a district admin who also holds a role in the township.

The node check is `orgs.scope.require(actor, "manage_users", node)`'s rule for a union — its path lies under
one of the paths on which the actor holds the action — written against `permissions.action_paths`, because
accounts sits below orgs in the layers contract and may not import it.
"""

from __future__ import annotations

from typing import Any

from .models import RoleAssignment, User
from .permissions import ROLE_ACTIONS, Action, action_paths


def holds_on(actor: Any, action: str, path: str) -> bool:
    paths = action_paths(actor, action)
    return paths is None or any(path.startswith(p) for p in paths)


def holds_everywhere(actor: Any, action: str) -> bool:
    paths = action_paths(actor, action)
    if paths is None:
        return True
    roots = union_model().objects.filter(depth=1).values_list("path", flat=True)
    return all(any(root.startswith(p) for p in paths) for root in roots) and bool(paths)


def union_model() -> Any:
    # The model our own RoleAssignment.union points at (by name): reached through the relation, not an import.
    return RoleAssignment._meta.get_field("union").related_model


def may_grant(actor: Any, role: str, *, union: Any = None, unit: Any = None) -> bool:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if getattr(actor, "is_superuser", False):
        return True
    actions = {Action.MANAGE_USERS, *ROLE_ACTIONS.get(role, frozenset())}
    if union is not None:
        return all(holds_on(actor, a, union.path) for a in actions)
    return unit is not None and all(holds_everywhere(actor, a) for a in actions)


def manages(actor: Any, user: User) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    if user.is_superuser:
        return False
    rows = list(RoleAssignment.objects.filter(user=user, active=True).select_related("union", "unit"))
    if not rows:
        # A user without a live role belongs to no subtree; only a manager of the whole tree picks them up again.
        return holds_everywhere(actor, Action.MANAGE_USERS)
    return all(may_grant(actor, r.role, union=r.union, unit=r.unit) for r in rows)
