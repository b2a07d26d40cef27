"""A 10,000-row roster import must not stall scan-joins: on SQLite its write pass commits a chunk at a time,
so joins get the database-wide write lock between chunks (real threads, committed for real)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.db import connection, connections

from gonghui.core.identifiers import make_id_number
from gonghui.members import services
from gonghui.members.imports import roster_import
from gonghui.members.models import FunnelEvent, Membership, MembershipEvent, Person, TransferRequest
from gonghui.orgs.models import Union
from tests.committed import committed_access

from .rosters import people, write_csv

CLEANUP = (LogEntry, FunnelEvent, TransferRequest, MembershipEvent, Membership, Person)
ROWS = 10_000


_django_db_helper = committed_access(*CLEANUP)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_joins_keep_flowing_during_a_10k_row_import(tmp_path: Path) -> None:
    assert "test" in str(connection.settings_dict["NAME"])
    # given a 10,000-row roster for one union, and workers scanning another union's QR code meanwhile
    roster = write_csv(tmp_path / "名册.csv", people(ROWS, seed=9090))
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    other = Union.objects.get(name="黄岩区中通快递网点联合工会")
    writing: list[float] = []  # when each chunk of the write pass had been written
    done = threading.Event()
    joined: list[tuple[float, float]] = []  # (started, finished) of every join
    failures: list[BaseException] = []

    def run_import() -> None:
        try:
            def progress(_done: int, _total: int | None, phase: str) -> None:
                if phase == "写入":
                    writing.append(time.monotonic())

            result = roster_import(path=roster, union=union, progress=progress)
            assert result.created == ROWS and result.written
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            done.set()
            connections.close_all()

    def run_joins() -> None:
        try:
            i = 0
            while not done.is_set() and i < 2000:
                started = time.monotonic()
                services.member_join(union=other, name="扫码职工" + "零一二三四五六七八九"[i % 10] * 2,
                                     id_number=make_id_number("120101", dt.date(1980, 1, 1) + dt.timedelta(days=i), 321))
                joined.append((started, time.monotonic()))
                i += 1
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    # when the import and the joins run side by side
    threads = [threading.Thread(target=run_import), threading.Thread(target=run_joins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    # then both succeed, joins completed while the write pass was under way, and none waited for the file
    assert failures == []
    assert len(writing) >= 3, writing
    during = [end for _start, end in joined if writing[0] < end < writing[-1]]
    assert len(during) >= 3, (len(joined), writing[0], writing[-1])
    assert max(end - start for start, end in joined) < 5.0
