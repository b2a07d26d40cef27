"""One 单独建会 union never ends up covering two firms, however two imports race (two threads, two connections,
committed for real; on PostgreSQL the union row lock is what serialises them)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gonghui.core.identifiers import make_org_body, make_uscc
from gonghui.orgs import services
from gonghui.orgs.models import Coverage, Enterprise, Union
from tests.committed import committed_access

CLEANUP = (Coverage, Enterprise, Union)


_django_db_helper = committed_access(*CLEANUP, after=Union.fix_tree)


@pytest.mark.django_db(transaction=True)
def test_single_union_covers_one_firm_under_racing_imports() -> None:
    assert "test" in str(connection.settings_dict["NAME"])
    # given a 单独建会 union that covers nothing, and two new firms
    town = Union.objects.get(name="东城街道总工会")
    single = services.union_create(actor=None, parent=town, kind="single", name="东城街道并发测试单独工会", code=None)
    firms = [services.enterprise_upsert(actor=None, uscc=make_uscc("91331003" + make_org_body(f"{88800000 + i:08d}")),
                                        name=f"并发测试{i}有限公司", region=town.region)[0] for i in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def cover(firm: Enterprise) -> None:
        try:
            start.wait()
            services.coverage_start(actor=None, union=single, enterprise=firm)
        except BaseException as exc:  # noqa: BLE001 - one of the two must be refused
            errors.append(exc)
        finally:
            connections.close_all()

    # when both imports cover a firm with it at the same moment
    threads = [threading.Thread(target=cover, args=(f,)) for f in firms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then exactly one firm is covered and the other attempt is refused
    assert Coverage.objects.filter(union=single, ended_on__isnull=True).count() == 1
    assert len(errors) == 1 and "单独建会" in str(errors[0]), errors
