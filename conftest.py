"""Shared fixtures: the fixed cast every test knows.

The test database is built once per worker with `load_demo --scale test` (the 黄岩 district: 19 townships,
~1,000 unions, ~3,000 enterprises) and the demo users: huangyan (district), dongcheng and yuanqiao
(sibling townships), kuaidi (an industry federation). Each test runs in a transaction rolled back after it.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_demo", "--scale", "test", verbosity=0, stdout=open("/dev/null", "w"))


@pytest.fixture(scope="session", autouse=True)
def _demo_mode() -> None:
    """The cast are the demo accounts, and the suite runs them as `make demo` does: in demo mode, where those
    accounts (and no other) sign in without the second factor. Tests of the second factor switch it off
    (the `settings` fixture) or use an administrator who is not a demo account."""
    from django.conf import settings

    settings.DEMO_MODE = True


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.fixture
def huangyan(db: Any) -> Any:
    return _user("huangyan")


@pytest.fixture
def dongcheng(db: Any) -> Any:
    return _user("dongcheng")


@pytest.fixture
def yuanqiao(db: Any) -> Any:
    return _user("yuanqiao")


@pytest.fixture
def kuaidi(db: Any) -> Any:
    return _user("kuaidi")


@pytest.fixture
def client_as(client: Any) -> Any:
    """client_as("dongcheng") → a Django test client logged in as that demo user."""

    def login(username: str) -> Any:
        client.force_login(_user(username))
        return client

    return login
