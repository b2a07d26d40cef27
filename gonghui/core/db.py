"""Database helpers shared by services.

SQLite lets one writer in at a time; the others wait in SQLite's busy handler, which *sleeps* between tries
(up to 100 ms), so under many threads of one process a waiter can be overtaken again and again until its busy
timeout runs out ("database is locked"). `serialized_writes()` queues a process's writers on a Python lock
instead — woken at once, in order — and leaves only the few gunicorn processes to meet in the busy handler.
On PostgreSQL it does nothing: row locks and unique constraints do the work there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

_SQLITE_WRITE_LOCK = threading.RLock()


@contextmanager
def serialized_writes(using: str = "default") -> Iterator[None]:
    """Wrap a short write transaction: one writer per process at a time on SQLite; a no-op elsewhere."""
    if connections[using].vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITE_LOCK:
        yield
