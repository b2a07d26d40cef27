"""200 concurrent claims of one demand by two units (东城街道's service point through dongcheng, the district's through
huangyan: both see a pending demand of 东城), from 20 real threads on the configured database (SQLite or PostgreSQL): exactly one unit holds it,
every claim by the other answers WrongState (409), every repeat by the winner answers the demand, and the
timeline has exactly one 认领.

The claims commit for real (threads cannot share the test's transaction): as in members' join race test, the
fixture notes the highest primary keys and deletes exactly the rows the test added."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection

from gonghui.accounts.models import Unit
from gonghui.core.errors import WrongState
from gonghui.demands import services
from gonghui.demands.models import Demand, DemandEvent
from gonghui.orgs.models import Union
from tests import factories as f

CLEANUP = (LogEntry, DemandEvent, Demand, Unit)
THREADS = 20
CLAIMS = 200


@pytest.fixture
def _django_db_helper(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        before = {m: (m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) for m in CLEANUP}
        try:
            yield
        finally:
            for model in CLEANUP:
                qs = model.objects.filter(pk__gt=before[model])
                qs._raw_delete(qs.db)
            connection.close()


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_claims_by_two_units_make_exactly_one_winner() -> None:
    assert "test" in str(connection.settings_dict["NAME"])
    users = get_user_model().objects.in_bulk(["dongcheng", "huangyan"], field_name="username")
    dc_point = f.service_point(Union.objects.get(name="东城街道总工会"))
    district_point = f.service_point(Union.objects.get(name="台州市黄岩区总工会"))
    demand = f.demand(union=Union.objects.get(name="东城街道总工会"))
    units = {"dongcheng": dc_point.pk, "huangyan": district_point.pk}
    outcomes: Counter[tuple[str, str]] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        name = ("dongcheng", "huangyan")[i % 2]
        actor = get_user_model().objects.get(pk=users[name].pk)  # one user object per thread (its own caches)
        start.wait()
        try:
            for _ in range(CLAIMS // THREADS):
                try:
                    got = services.demand_claim(actor=actor, demand=demand)
                    assert got.unit_id == units[name] and got.status == Demand.Status.IN_PROGRESS
                    result = "holds"
                except WrongState as exc:
                    assert "已由" in exc.message
                    result = "409"
                with lock:
                    outcomes[(name, result)] += 1
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    demand.refresh_from_db()
    winner = next(n for n, pk in units.items() if pk == demand.unit_id)
    loser = "huangyan" if winner == "dongcheng" else "dongcheng"
    assert outcomes == Counter({(winner, "holds"): CLAIMS // 2, (loser, "409"): CLAIMS // 2})
    assert demand.status == Demand.Status.IN_PROGRESS
    assert DemandEvent.objects.filter(demand=demand, kind=DemandEvent.Kind.CLAIMED).count() == 1
