"""The orgs app's registrations with the generic scope suite (tests/test_scope_matrix.py)."""

ABSENT_OK = {
    "orgs:import_deliverable": "only a users import leaves a one-time file, and only for the cadre who confirmed it",
}

NO_OBJECT_LINKS = {
    "orgs:union_new": "a form (新增工会; the parent is chosen with the picker)",
    "orgs:enterprise_new": "a form (新增企业)",
}
