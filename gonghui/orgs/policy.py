"""The permission policy the console's shell asks through `gonghui.core.registry` (menus, panels, page titles,
whole-district pages). Installed by OrgsConfig.ready(): the tree lives here, and core may not import it.

One query per request: the user's active assignments (role, node path, node name), cached on the user object.
"""

from __future__ import annotations

from typing import Any

from gonghui.accounts.permissions import ROLE_ACTIONS


def _assignments(user: Any) -> list[tuple[str, str | None, str | None]]:
    cached = getattr(user, "_shell_assignments", None)
    if cached is None:
        cached = list(user.role_assignments.filter(active=True).values_list("role", "union__path", "union__name"))
        user._shell_assignments = cached
    return cached


def _all_actions() -> frozenset[str]:
    return frozenset(str(a) for a in frozenset().union(*ROLE_ACTIONS.values()))


def granted(user: Any) -> frozenset[str]:
    if not getattr(user, "is_active", True):
        return frozenset()
    if getattr(user, "is_superuser", False):
        return _all_actions()
    return frozenset(str(a) for role, _p, _n in _assignments(user) for a in ROLE_ACTIONS.get(role, frozenset()))


def can_everywhere(user: Any, action: str) -> bool:
    """`action` is granted on a root of the tree (a path one step long): the whole district."""
    from .models import Union

    if getattr(user, "is_superuser", False):
        return True
    return any(
        path is not None and len(path) == Union.steplen and str(action) in ROLE_ACTIONS.get(role, frozenset())
        for role, path, _n in _assignments(user)
    )


def scope_names(user: Any) -> list[str]:
    """The topmost nodes the user may view, as a page title names them ("东城街道总工会" → "东城街道")."""
    if getattr(user, "is_superuser", False) and not _assignments(user):
        return ["全部组织"]
    rows = sorted({(path, name) for role, path, name in _assignments(user)
                   if path and name and "view" in ROLE_ACTIONS.get(role, frozenset())})
    top: list[tuple[str, str]] = []
    for path, name in rows:
        if not any(path.startswith(p) for p, _ in top):
            top.append((path, name))
    return [name.removesuffix("总工会") or name for _, name in top]
