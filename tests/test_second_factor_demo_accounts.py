"""The second factor's demo exemption names exactly the accounts `load_demo` creates (and no one else)."""

from __future__ import annotations

from gonghui.accounts.twofactor import DEMO_USERNAMES
from gonghui.orgs.demo_step import DEMO_UNIT_USERS, DEMO_USERS


def test_the_exempt_names_are_the_demo_accounts() -> None:
    assert DEMO_USERNAMES == {u[0] for u in (*DEMO_USERS, *DEMO_UNIT_USERS)}
