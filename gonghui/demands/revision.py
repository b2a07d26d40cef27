"""The demands' last change, as a cache key part: every write of a demand bumps it (services.demands `_event`, the
demo's bulk load), so the dashboard's figures can be kept for a short while per user scope and dropped the moment a
demand changes (selectors.dashboard_cached)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

KEY = "demands:revision"


def current() -> str:
    """The revision figures computed now belong to ("0" before any change was recorded)."""
    return str(cache.get(KEY, "0"))


def _bump() -> None:
    cache.set(KEY, time.time_ns(), None)


def bump() -> None:
    """Mark a change now and again when the surrounding transaction commits: a dashboard computed between the two
    (seeing the data before the commit) is filed under the first revision and never read again."""
    _bump()
    transaction.on_commit(_bump)
