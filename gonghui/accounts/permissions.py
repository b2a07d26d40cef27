"""Permissions by action, in one place.

A role is a set of actions (`ROLE_ACTIONS`). A user holds role assignments, each on a node of the union tree
(the action then flows to the node's whole subtree) or on a unit off the tree (`Unit`: 人社局, a partner bank).
What a user may do with an action is the union of the subtrees under the nodes of the assignments whose role
grants that action, widest wins; nothing else grants anything (a superuser excepted).

This module knows assignments, not the tree: it answers "which node paths / which units grant `action`"
(`action_paths`, `action_units`) and "is `action` granted anywhere" (`can`). How a path becomes a filter on a
model is `gonghui.orgs.scope` (the layer that owns the tree), which also holds `visible_to`, `get_visible`
and `require`. Every answer is cached on the user object for the life of the request, per action.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import models


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "区总管理员"
    TOWNSHIP_ADMIN = "township_admin", "镇街管理员"
    UNION_ADMIN = "union_admin", "联合会/基层工会管理员"
    DEPARTMENT = "department", "部门经办人"
    READONLY = "readonly", "只读"


class Action(StrEnum):
    """What a role may do. A new app adds its actions here (and grants them in ROLE_ACTIONS)."""

    VIEW = "view"  # see the objects of the subtree (lists, details, non-sensitive exports)
    CHANGE = "change"  # create and edit: members, settings, imports, recruiters, transfer requests
    APPROVE = "approve"  # decide: join approvals, transfers out
    MOVE = "move"  # move a union under another parent (reshapes the tree)
    EXPORT_UNMASKED = "export_unmasked"  # export full ID numbers (audited)
    REVEAL_ID = "reveal_id"  # show one full ID number with a reason (audited)
    MANAGE_USERS = "manage_users"  # create users and assign roles within the subtree
    VIEW_AUDIT = "view_audit"  # read the audit log
    HANDLE = "handle"  # work worker demands: dispatch, claim, sign, transfer, return, pause, close, call back

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.VIEW: "查看",
    Action.CHANGE: "办理与编辑（会员、入会设置、推荐人、导入、转会申请）",
    Action.APPROVE: "审批（入会审核、转出审批）",
    Action.MOVE: "调整组织隶属（移动工会）",
    Action.EXPORT_UNMASKED: "导出完整身份证号码（记入审计日志）",
    Action.REVEAL_ID: "查看单人完整身份证号码（须填写原因，记入审计日志）",
    Action.MANAGE_USERS: "管理用户与角色授权",
    Action.VIEW_AUDIT: "查看审计日志",
    Action.HANDLE: "办理诉求（派单、认领、签收、转交、退单、办结、回访）",
}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.DISTRICT_ADMIN: frozenset(Action),
    Role.TOWNSHIP_ADMIN: frozenset(
        {Action.VIEW, Action.CHANGE, Action.APPROVE, Action.MOVE, Action.MANAGE_USERS, Action.HANDLE}
    ),
    Role.UNION_ADMIN: frozenset({Action.VIEW, Action.CHANGE, Action.APPROVE, Action.HANDLE}),
    # A partner department works the demands routed to its unit; on the tree it only reads.
    Role.DEPARTMENT: frozenset({Action.VIEW, Action.HANDLE}),
    Role.READONLY: frozenset({Action.VIEW}),
}


def roles_granting(action: str) -> list[str]:
    """The roles whose action set holds `action` (an unknown action: none)."""
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def _active(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", True)
    )


def _cache(user: Any) -> dict[tuple[str, str], Any]:
    cache: dict[tuple[str, str], Any] | None = getattr(user, "_perm_cache", None)
    if cache is None:
        cache = {}
        user._perm_cache = cache
    return cache


def clear_cache(user: Any) -> None:
    """Forget what was cached on `user` (after its assignments change within one request or test)."""
    for attr in ("_perm_cache", "_scope_whole_tree"):
        if hasattr(user, attr):
            delattr(user, attr)


def minimal_prefixes(paths: list[str]) -> list[str]:
    """Drop every path that lies under another one in the list (the wider assignment already covers it)."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def _granted(user: Any, action: str, target: str) -> list[Any] | None:
    """What `user`'s live assignments granting `action` point at — "paths" (tree nodes' paths, minimal) or
    "units" (unit ids) —; None for a superuser (everywhere). One query per action, target and request."""
    if not _active(user):
        return []
    if getattr(user, "is_superuser", False):
        return None
    cache = _cache(user)
    key = (target, str(action))
    if key not in cache:
        relation, field = ("union", "union__path") if target == "paths" else ("unit", "unit_id")
        rows = user.role_assignments.filter(active=True, role__in=roles_granting(action),
                                            **{f"{relation}__isnull": False})
        values = list(rows.values_list(field, flat=True))
        cache[key] = minimal_prefixes(values) if target == "paths" else sorted(set(values))
    return list(cache[key])


def action_paths(user: Any, action: str = Action.VIEW) -> list[str] | None:
    """Materialised paths of the subtrees on which `user` holds `action`, minimal; None means everywhere
    (superuser). Only assignments on tree nodes count; units are `action_units`. Cached on the user."""
    return _granted(user, action, "paths")


def action_units(user: Any, action: str = Action.VIEW) -> list[int] | None:
    """Ids of the units off the tree on which `user` holds `action`; None means every unit (superuser)."""
    return _granted(user, action, "units")


def can(user: Any, action: str) -> bool:
    """True when `action` is granted to `user` on at least one node or unit (menus, pages without an object).
    For an object, use `gonghui.orgs.scope.require(actor, action, obj)`, which also checks where."""
    if not _active(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    cache = _cache(user)
    key = ("any", str(action))
    if key not in cache:
        cache[key] = user.role_assignments.filter(active=True, role__in=roles_granting(action)).exists()
    return bool(cache[key])
