"""Given the demo district, when townships read the tree, then each sees its own subtree only."""

from __future__ import annotations

import pytest

from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.selectors import dashboard_counts, enterprise_list, union_list

pytestmark = pytest.mark.django_db


def test_district_sees_everything(huangyan):
    assert union_list(user=huangyan).count() == Union.objects.count()
    assert enterprise_list(user=huangyan).count() == Enterprise.objects.count()


def test_sibling_townships_are_disjoint(dongcheng, yuanqiao):
    d = set(union_list(user=dongcheng).values_list("pk", flat=True))
    y = set(union_list(user=yuanqiao).values_list("pk", flat=True))
    assert d and y and not (d & y)
    de = set(enterprise_list(user=dongcheng).values_list("pk", flat=True))
    ye = set(enterprise_list(user=yuanqiao).values_list("pk", flat=True))
    assert de and ye and not (de & ye)


def test_township_sees_its_territory_and_subtree(dongcheng):
    root = Union.objects.get(name="东城街道总工会")
    for u in union_list(user=dongcheng):
        assert u.path.startswith(root.path)
    for e in enterprise_list(user=dongcheng):
        assert e.territory_id == root.pk or (e.covering_union and e.covering_union.path.startswith(root.path))


def test_federation_sees_firms_its_unions_cover_even_in_other_territories(kuaidi):
    fed = Union.objects.get(name="快递行业工会联合会")
    ents = list(enterprise_list(user=kuaidi))
    assert ents
    assert all(e.covering_union.path.startswith(fed.path) for e in ents)


def test_unassigned_user_sees_nothing(django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-1234567")
    assert union_list(user=nobody).count() == 0
    assert dashboard_counts(user=nobody).enterprises == 0


def test_dashboard_counts_add_up(huangyan, dongcheng, yuanqiao):
    whole = dashboard_counts(user=huangyan)
    d = dashboard_counts(user=dongcheng)
    assert 0 < d.enterprises < whole.enterprises
    assert 0.5 < whole.coverage_rate < 0.8  # the demo leaves ~35 % uncovered
