"""Two cadres import overlapping rosters into the same union at the same moment (two threads, two database
connections, committed for real): exactly the unique people, unique card numbers, no error — on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from gonghui.core import crypto
from gonghui.members.imports import ImportResult, roster_import
from gonghui.members.models import Membership, Person
from gonghui.orgs.models import Union

from .rosters import people, write_csv, write_xlsx


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[list[str]]:
    """Real commits against the session's test database, cleaned up afterwards. (Not `transactional_db`: its
    flush would also wipe the demo district every other test of this worker relies on.)"""
    created: list[str] = []
    with django_db_blocker.unblock():
        try:
            yield created
        finally:
            Person.objects.filter(id_index__in=created).delete()
            connection.close()


def test_overlapping_imports_at_once(tmp_path: Path, committed: list[str]) -> None:
    # given two rosters of the same union sharing 40 of their 80 people each (one xlsx, one CSV)
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    everyone = people(120, seed=4242)
    committed.extend(crypto.blind_index(r[2]) for r in everyone)
    a = write_xlsx(tmp_path / "a.xlsx", everyone[:80])
    b = write_csv(tmp_path / "b.csv", everyone[40:])
    results: list[ImportResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(path: Path) -> None:
        try:
            start.wait()
            results.append(roster_import(path=path, union=union))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    # when both cadres import at the same moment
    threads = [threading.Thread(target=run, args=(p,)) for p in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    # then no error, 120 people exactly, each once, with one open membership and a card number of their own
    assert errors == []
    assert sorted(r.created for r in results) == sorted([80, 40]) or sum(r.created for r in results) == 120
    assert sum(r.created for r in results) == 120 and sum(r.unchanged for r in results) == 40
    people_ = Person.objects.filter(id_index__in=committed)
    assert people_.count() == 120
    assert people_.values("member_no").distinct().count() == 120
    assert Membership.objects.filter(person__in=people_, status=Membership.Status.ACTIVE, union=union).count() == 120
