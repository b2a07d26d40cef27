"""The orgs app's registrations with the generic scope suite (tests/test_scope_matrix.py)."""

ABSENT_OK = {
    "orgs:import_deliverable": "only a users import leaves a one-time file, and only for the cadre who confirmed it",
}
