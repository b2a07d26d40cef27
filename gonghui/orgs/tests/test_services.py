"""Given the demo district, when the tree and the registry are changed through services, then the rules hold
and every change is in the audit log."""

from __future__ import annotations

import random

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from gonghui.core import fake
from gonghui.core.models import Region
from gonghui.orgs import services
from gonghui.orgs.models import Coverage, Enterprise, Union

pytestmark = pytest.mark.django_db


@pytest.fixture
def rng():
    return random.Random(7)


def test_union_codes_must_begin_with_81_and_have_a_valid_check_digit(huangyan, rng):
    town = Union.objects.get(name="东城街道总工会")
    with pytest.raises(ValidationError, match="81"):
        services.union_create(actor=huangyan, parent=town, name="某工会", kind="single", code=fake.uscc(rng))
    good = fake.uscc(rng, authority="81")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位"):
        services.union_create(actor=huangyan, parent=town, name="某工会", kind="single", code=bad)
    union = services.union_create(actor=huangyan, parent=town, name="某工会", kind="single", code=good.lower())
    assert union.code == good and union.get_parent() == town


def test_a_grassroots_union_cannot_have_children(huangyan):
    leaf = Union.objects.filter(kind="single").first()
    with pytest.raises(ValidationError, match="不能设立"):
        services.union_create(actor=huangyan, parent=leaf, name="子工会", kind="single")


def test_moving_a_union_moves_its_subtree_and_is_audited(huangyan):
    fed = Union.objects.get(name="东城商圈联合工会委员会")
    n_children = fed.get_children_count()
    target = Union.objects.get(name="西城街道总工会")
    services.union_move(actor=huangyan, union=fed, new_parent=target)
    fed.refresh_from_db()
    assert fed.get_parent() == target and fed.get_children_count() == n_children
    entry = LogEntry.objects.get_for_object(fed).latest("timestamp")
    assert entry.actor == huangyan and "西城街道总工会" in str(entry.changes)
    assert Union.find_problems() == ([], [], [], [], [])


def test_a_union_cannot_move_under_itself(huangyan):
    town = Union.objects.get(name="东城街道总工会")
    child = town.get_children().first()
    with pytest.raises(ValidationError, match="自己"):
        services.union_move(actor=huangyan, union=town, new_parent=child)


def test_enterprise_upsert_is_idempotent_and_follows_the_territory(huangyan, rng):
    region = Region.objects.get(name="院桥镇")
    code = fake.uscc(rng)
    ent, outcome = services.enterprise_upsert(actor=huangyan, uscc=" " + code.lower(), name="台州市黄岩某某模具有限公司",
                                               region=region, headcount=30)
    assert outcome == "created" and ent.territory.name == "院桥镇总工会" and ent.org_code == code[8:17]
    assert services.enterprise_upsert(actor=huangyan, uscc=code, name="台州市黄岩某某模具有限公司", region=region,
                                      headcount=30)[1] == "unchanged"
    assert services.enterprise_upsert(actor=huangyan, uscc=code, name="台州市黄岩某某模具有限公司", region=region,
                                      headcount=31)[1] == "updated"
    assert LogEntry.objects.get_for_object(ent).count() == 2


def test_single_union_covers_one_firm_joint_union_many_and_history_is_kept(huangyan):
    single = Union.objects.filter(kind="single", coverages__ended_on__isnull=True).first()
    joint = Union.objects.filter(kind="joint").first()
    uncovered = list(Enterprise.objects.filter(covering_union__isnull=True)[:3])
    with pytest.raises(ValidationError, match="单独建会"):
        services.coverage_start(actor=huangyan, union=single, enterprise=uncovered[0])
    for ent in uncovered:
        services.coverage_start(actor=huangyan, union=joint, enterprise=ent)
    assert Enterprise.objects.filter(pk__in=[e.pk for e in uncovered], covering_union=joint).count() == 3
    # moving one firm to another joint union ends the old coverage and keeps it
    other = Union.objects.filter(kind="joint").exclude(pk=joint.pk).first()
    services.coverage_start(actor=huangyan, union=other, enterprise=uncovered[0])
    history = Coverage.objects.filter(enterprise=uncovered[0]).order_by("pk")
    assert [c.union_id for c in history] == [joint.pk, other.pk] and history[0].ended_on is not None
    assert services.coverage_end(actor=huangyan, enterprise=uncovered[0])
    uncovered[0].refresh_from_db()
    assert uncovered[0].covering_union is None
    assert not services.coverage_end(actor=huangyan, enterprise=uncovered[0])
