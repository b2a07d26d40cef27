"""2,000 joins from 50 threads, 10 % of them the same people again, on the configured database (SQLite or
PostgreSQL): exactly the unique people become members, card numbers are unique, nothing fails.

The joins commit for real (threads cannot share the test's transaction). Instead of pytest-django's
`transactional_db` — whose flush at teardown would also wipe the demo district every later test of this
worker relies on — the fixture below opens the test database, notes the highest primary keys, and afterwards
deletes exactly the rows the test added.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection

from gonghui.core.identifiers import make_id_number
from gonghui.members import services
from gonghui.members.models import FunnelEvent, Membership, MembershipEvent, Person, TransferRequest
from gonghui.orgs.models import Union

THREADS = 50
JOINS = 2000
REPEATS = JOINS // 10
CJK_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
CLEANUP = (LogEntry, FunnelEvent, TransferRequest, MembershipEvent, Membership, Person)


@pytest.fixture
def _django_db_helper(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Replaces pytest-django's helper for this module: the `django_db` mark below only tells pytest-django to
    build the test database; access is plain autocommit, and the test cleans up after itself (no flush)."""
    with django_db_blocker.unblock():
        before = {m: (m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) for m in CLEANUP}
        try:
            yield
        finally:
            for model in CLEANUP:  # children first; a raw DELETE skips the ORM's cascade collection
                qs = model.objects.filter(pk__gt=before[model])
                qs._raw_delete(qs.db)
            connection.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_2000_concurrent_joins_make_exactly_the_unique_members() -> None:
    # given one union and 1,800 people, 200 of whom join a second time, all shuffled over 50 threads
    assert "test" in str(connection.settings_dict["NAME"])  # never the working database
    union = Union.objects.get(name="黄岩区中通快递网点联合工会")
    people = [
        ("并发" + f"{i:04d}".translate(CJK_DIGITS), make_id_number("120101", dt.date(1970, 1, 1) + dt.timedelta(days=i // 500), 100 + i % 500))
        for i in range(JOINS - REPEATS)
    ]
    rng = random.Random(7)
    jobs = people + rng.sample(people, REPEATS)
    rng.shuffle(jobs)
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(chunk: list[tuple[str, str]]) -> None:
        try:
            for name, number in chunk:
                try:
                    result = services.member_join(union=union, name=name, id_number=number, phone="13900000000")
                    with lock:
                        outcomes[result.outcome] += 1
                except BaseException as exc:  # noqa: BLE001 - every failure is the finding
                    with lock:
                        errors.append(exc)
        finally:
            connection.close()

    # when they all join at once
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(jobs[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started

    # then: no error, each person once, a member once, with a unique card number
    assert errors == [], errors[:3]
    assert outcomes == {"created": JOINS - REPEATS, "existing": REPEATS}
    mine = Person.objects.filter(name__startswith="并发")
    assert mine.count() == JOINS - REPEATS
    numbers = list(mine.values_list("member_no", flat=True))
    assert None not in numbers and len(set(numbers)) == len(numbers)
    assert Membership.objects.filter(person__in=mine, union=union, status="active").count() == JOINS - REPEATS
    assert FunnelEvent.objects.filter(union=union, stage="member").count() >= JOINS - REPEATS
    assert elapsed < 90, f"{elapsed:.1f}s"  # ≈ 10–25 s on an idle 2-core machine; 50 s seen at load average 12
