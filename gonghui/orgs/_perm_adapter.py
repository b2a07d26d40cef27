"""TEMPORARY: stands in for `gonghui.accounts.permissions` (ROLE_ACTIONS, can) until the `perm` branch is
merged; delete then and take ROLE_ACTIONS from there (orgs/policy.py keeps working unchanged)."""

from __future__ import annotations

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "district_admin": frozenset({"view", "change", "approve", "move", "export_unmasked", "reveal_id",
                                 "manage_users", "view_audit"}),
    "township_admin": frozenset({"view", "change", "approve", "move", "manage_users"}),
    "union_admin": frozenset({"view", "change", "approve"}),
    "department": frozenset({"view"}),
    "readonly": frozenset({"view"}),
}
