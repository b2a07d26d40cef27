"""2,000 joins from 50 threads, 10 % of them the same people again, on the configured database (SQLite or
PostgreSQL): exactly the unique people become members, card numbers are unique, nothing fails. And the races of
the public join's proof of identity (issue 9): two first-time scans of one ID number under different names, the
same new person submitted twice at once, parallel guesses at an SMS code, parallel hits on one rate counter.

The joins commit for real (threads cannot share the test's transaction): `tests.committed.committed_access`
gives autocommit access and deletes exactly the rows the test added afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection

from gonghui.core.identifiers import make_id_number
from gonghui.members import ratelimits, services, sms
from gonghui.members.models import FunnelEvent, Membership, MembershipEvent, Person, RateCounter, TransferRequest
from gonghui.orgs.models import Union
from tests.committed import committed_access

THREADS = 50
JOINS = 2000
REPEATS = JOINS // 10
CJK_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
CLEANUP = (LogEntry, FunnelEvent, TransferRequest, MembershipEvent, Membership, Person, RateCounter)


_django_db_helper = committed_access(*CLEANUP)  # the joins commit for real; their rows go afterwards


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
    threads = [threading.Thread(target=worker, args=(jobs[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then: no error, each person once, a member once, with a unique card number
    assert errors == [], errors[:3]
    assert outcomes == {"created": JOINS - REPEATS, "existing": REPEATS}
    mine = Person.objects.filter(name__startswith="并发")
    assert mine.count() == JOINS - REPEATS
    numbers = list(mine.values_list("member_no", flat=True))
    assert None not in numbers and len(set(numbers)) == len(numbers)
    assert Membership.objects.filter(person__in=mine, union=union, status="active").count() == JOINS - REPEATS
    assert FunnelEvent.objects.filter(union=union, stage="member").count() >= JOINS - REPEATS


def _together(jobs: list[Any]) -> list[Any]:
    """Run the callables at once (one thread each, released by a barrier); their results, or the exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except BaseException as exc:  # noqa: BLE001 - the finding
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_first_scans_of_one_id_under_two_names_make_one_person_and_no_stolen_card(settings: Any) -> None:
    # given 20 ID numbers on file nowhere, each submitted at the same moment by two people under two names
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    union = Union.objects.get(name="黄岩区中通快递网点联合工会")
    for i in range(20):
        number = make_id_number("120102", dt.date(1975, 1, 1) + dt.timedelta(days=i), 300 + i)

        digit = "一二三四五六七八九十"[i % 10]

        def scan(name: str, phone: str, number: str = number) -> services.JoinResult:
            return services.scan_join(union=union, name=name, id_number=number, phone=phone)

        first, second = _together([lambda d=digit: scan(f"甲{d}争", "13900000101"),
                                   lambda d=digit: scan(f"乙{d}争", "13900000102")])
        # then one person, made by the winner; the loser is told to verify (the name compared inside the
        # transaction): never "existing", never bound to the winner's card
        assert not isinstance(first, BaseException) and not isinstance(second, BaseException), (first, second)
        assert sorted([first.outcome, second.outcome]) == ["created", "verify"]
        winner, loser = (first, second) if first.outcome == "created" else (second, first)
        person = Person.objects.get(id_index=winner.person.id_index)
        assert person.name == winner.person.name and person.phone == winner.person.phone
        assert loser.membership is None and loser.name_matches is False
    assert sms.outbox == []  # a loser under another name sends nothing to the winner's phone


@pytest.mark.django_db(transaction=True)
def test_one_new_person_submitted_twice_at_once_is_one_member(settings: Any) -> None:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    union = Union.objects.get(name="黄岩区中通快递网点联合工会")
    for i in range(20):
        number = make_id_number("120103", dt.date(1976, 1, 1) + dt.timedelta(days=i), 300 + i)

        def scan(number: str = number, phone: str = f"139000002{i:02d}") -> services.JoinResult:
            return services.scan_join(union=union, name="丙同时", id_number=number, phone=phone)

        results = _together([scan, scan])
        assert not any(isinstance(r, BaseException) for r in results), results
        assert sorted(r.outcome for r in results) == ["created", "verify"]  # one 201, the other 202
        assert Person.objects.filter(id_index=results[0].person.id_index).count() == 1
    assert len(sms.outbox) == 20  # the second submission's code went to the (registered) phone


@pytest.mark.django_db(transaction=True)
def test_nine_parallel_wrong_codes_burn_the_code(settings: Any) -> None:
    # given a live login code
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    phone = "13700004444"
    assert sms.send_code(phone) is None
    code = sms.outbox[-1].text.split("验证码为")[1][:6]
    bad = "000000" if code != "000000" else "111111"
    # when 9 wrong guesses arrive at once
    answers = _together([lambda: sms.check_code(phone, bad) for _ in range(9)])
    # then at most 5 were compared, and the right code afterwards is refused
    assert all(isinstance(a, str) for a in answers), answers
    compared = [a for a in answers if "还可尝试" in a]
    assert len(compared) <= sms.MAX_ATTEMPTS - 1, answers
    assert all(a in compared or a in (sms.TOO_MANY_TRIES, sms.EXPIRED) for a in answers), answers
    assert sms.TOO_MANY_TRIES in answers
    assert sms.check_code(phone, code) is not None


@pytest.mark.django_db(transaction=True)
def test_parallel_hits_on_one_counter_are_all_counted() -> None:
    bucket = ratelimits.Bucket(f"test-parallel:{time.time()}", 600)
    results = _together([lambda: [ratelimits.hit([bucket])[bucket] for _ in range(25)] for _ in range(16)])
    seen = sorted(n for r in results for n in r)
    assert seen == list(range(1, 16 * 25 + 1))  # every hit counted once: no lost update, no duplicate count
