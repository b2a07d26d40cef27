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


@pytest.fixture(autouse=True)
def _shared_cache_emptied_after_each_test() -> Any:
    """With CACHE_URL=redis://… the rate-limit counters, SMS codes and sessions live outside the test's rolled-back
    transaction: empty this process's keys (settings give each test process its own KEY_PREFIX) after every test,
    so counters never leak from one test into the next. The database cache needs nothing: it rolls back."""
    yield
    from django.conf import settings
    from django.core.cache import caches

    if not settings.CACHE_IS_REDIS:
        return
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    stale = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if stale:
        client.delete(*stale)
