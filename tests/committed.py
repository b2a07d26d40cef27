"""Tests whose writes must commit for real (threads racing, a background import beside live joins) share one way
to reach the database: `committed_access(Model, …)` returns a replacement for pytest-django's
`_django_db_helper` fixture. Assign it in the module (`_django_db_helper = committed_access(Union)`) and mark
the tests `@pytest.mark.django_db(transaction=True)`.

pytest-django's `transactional_db` would flush the database at teardown — and with it the demo district every
later test of the worker relies on. Instead the fixture notes, before the test, the highest primary key of each
model named (or, for a model whose key is not an integer, the keys present) and afterwards deletes exactly the
rows the test added, children first in the order given. The database cache's table is treated the same way;
the shared Redis cache is emptied after every test by conftest.py's autouse fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, models


def _snapshot(model: type[models.Model]) -> Any:
    if isinstance(model._meta.pk, models.AutoField | models.BigAutoField):
        return model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return set(model._base_manager.values_list("pk", flat=True))


def _added(model: type[models.Model], before: Any) -> models.QuerySet[Any]:
    qs = model._base_manager.all()
    return qs.filter(pk__gt=before) if isinstance(before, int) else qs.exclude(pk__in=before)


def _cache_table() -> str | None:
    cache = settings.CACHES["default"]
    return str(cache["LOCATION"]) if cache["BACKEND"].endswith("DatabaseCache") else None


def _cache_keys(table: str | None) -> set[str]:
    if table is None:
        return set()
    with connection.cursor() as cur:
        cur.execute(f"SELECT cache_key FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own setting
        return {r[0] for r in cur.fetchall()}


def committed_access(*cleanup: type[models.Model], after: Callable[[], None] | None = None) -> Any:
    """A `_django_db_helper` fixture: plain autocommit access to the test database; the rows the test adds to the
    `cleanup` models (listed children first) and to the database cache are deleted afterwards, then `after()`
    runs (e.g. `Union.fix_tree`)."""

    @pytest.fixture
    def _django_db_helper(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
        with django_db_blocker.unblock():
            before = {m: _snapshot(m) for m in cleanup}
            table = _cache_table()
            cached = _cache_keys(table)
            try:
                yield
            finally:
                for model in cleanup:  # a raw DELETE skips the ORM's cascade collection
                    qs = _added(model, before[model])
                    qs._raw_delete(qs.db)
                if table is not None:
                    stale = _cache_keys(table) - cached
                    if stale:
                        with connection.cursor() as cur:
                            quoted = connection.ops.quote_name(table)
                            for key in stale:
                                cur.execute(f"DELETE FROM {quoted} WHERE cache_key = %s", [key])  # noqa: S608
                if after is not None:
                    after()
                connection.close()

    return _django_db_helper
