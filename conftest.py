"""Shared fixtures: the fixed cast every test knows.

The test database is built once per worker with `load_demo --scale test` (the 黄岩 district: 19 townships,
~1,000 unions, ~3,000 enterprises) and the demo users: huangyan (district), dongcheng and yuanqiao
(sibling townships), kuaidi (an industry federation), chakan (只读 over the district), renshe (部门经办人 of
人社局, a unit off the tree). Each test runs in a transaction rolled back after it.

New permission and scope tests use `cast` (below): a few named objects made with tests/factories.py whose
relations are spelled out, instead of objects found in the generated demo by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_demo", "--scale", "test", verbosity=0, stdout=open("/dev/null", "w"))


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.fixture
def huangyan(db: Any) -> Any:
    return _user("huangyan")


@pytest.fixture
def dongcheng(db: Any) -> Any:
    return _user("dongcheng")


@pytest.fixture
def yuanqiao(db: Any) -> Any:
    return _user("yuanqiao")


@pytest.fixture
def kuaidi(db: Any) -> Any:
    return _user("kuaidi")


@pytest.fixture
def chakan(db: Any) -> Any:
    return _user("chakan")


@pytest.fixture
def renshe(db: Any) -> Any:
    return _user("renshe")


@dataclass
class Cast:
    """Who is who (learn it once):

    - huangyan: 区总管理员 over the district root; chakan: 只读 over the same root; renshe: 部门经办人 of 人社局
      (a Unit, no node); dongcheng / yuanqiao: 镇街管理员 of the sibling townships 东城街道 / 院桥镇; kuaidi: 联合会
      管理员 of 快递行业工会联合会 (a child of the district, beside the townships).
    - mixed: 只读 over 东城街道 **and** 基层工会管理员 of `dc_union` only — a writer in dc_union, a reader elsewhere.
    - dc_union, dc_union2: grassroots unions under 东城; yq_union under 院桥; kd_union under the federation.
    - dc_firm (东城 ground, covered by dc_union); yq_firm (院桥, covered by yq_union); kd_firm (院桥 ground,
      covered by kd_union: kuaidi sees it across townships, yuanqiao sees it by territory, dongcheng not at all).
    - worker: the phone user, an active member of dc_union employed by dc_firm; yq_member of yq_union;
      kd_member of kd_union; dc2_member of dc_union2.
    - leaver: left dc_union (no open membership); mover: was in dc_union, transferred to yq_union. Both stay
      visible to dongcheng (their history is dongcheng's), neither is on dongcheng's member list.
    """

    district: Any
    dongcheng_town: Any
    yuanqiao_town: Any
    kuaidi_fed: Any
    huangyan: Any
    dongcheng: Any
    yuanqiao: Any
    kuaidi: Any
    chakan: Any
    renshe: Any
    mixed: Any
    dc_union: Any
    dc_union2: Any
    yq_union: Any
    kd_union: Any
    dc_firm: Any
    yq_firm: Any
    kd_firm: Any
    worker: Any
    yq_member: Any
    kd_member: Any
    dc2_member: Any
    leaver: Any
    mover: Any
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def cast(db: Any) -> Cast:
    from gonghui.accounts.models import Role
    from gonghui.members.models import Membership
    from gonghui.orgs.models import Union
    from tests import factories as f

    def node(name: str) -> Any:
        return Union.objects.get(name=name)

    district, dongcheng_town, yuanqiao_town = node("台州市黄岩区总工会"), node("东城街道总工会"), node("院桥镇总工会")
    kuaidi_fed = node("快递行业工会联合会")
    dc_union = f.UnionFactory(parent=dongcheng_town, name="台州市黄岩东城鸿日模具有限公司工会委员会")
    dc_union2 = f.UnionFactory(parent=dongcheng_town, name="台州市黄岩东城永兴塑料制品有限公司工会委员会")
    yq_union = f.UnionFactory(parent=yuanqiao_town, name="台州市黄岩院桥恒通机械有限公司工会委员会")
    kd_union = f.UnionFactory(parent=kuaidi_fed, name="黄岩区院桥顺丰快递网点工会", kind=Union.Kind.JOINT)
    dc_firm = f.EnterpriseFactory(name="台州市黄岩东城鸿日模具有限公司", territory=dongcheng_town, covering_union=dc_union)
    yq_firm = f.EnterpriseFactory(name="台州市黄岩院桥恒通机械有限公司", territory=yuanqiao_town, covering_union=yq_union)
    kd_firm = f.EnterpriseFactory(name="台州市黄岩院桥顺丰快递服务有限公司", territory=yuanqiao_town,
                                  covering_union=kd_union)
    worker = f.member(union=dc_union, employer=dc_firm, name="王建国")
    yq_member = f.member(union=yq_union, employer=yq_firm, name="李秀英")
    kd_member = f.member(union=kd_union, employer=kd_firm, name="张伟")
    dc2_member = f.member(union=dc_union2, name="陈静")
    leaver = f.PersonFactory(name="刘洋")
    f.MembershipFactory(person=leaver, union=dc_union, status=Membership.Status.LEFT, ended_on=dt.date(2025, 6, 30))
    mover = f.PersonFactory(name="赵敏", current_union=yq_union)
    f.MembershipFactory(person=mover, union=dc_union, status=Membership.Status.TRANSFERRED,
                        ended_on=dt.date(2025, 9, 1))
    f.MembershipFactory(person=mover, union=yq_union, joined_on=dt.date(2025, 9, 1))
    mixed = f.UserFactory(username="mixed", display_name="东城只读兼鸿日工会管理员")
    f.RoleAssignmentFactory(user=mixed, role=Role.READONLY, union=dongcheng_town)
    f.RoleAssignmentFactory(user=mixed, role=Role.UNION_ADMIN, union=dc_union)
    users = {u: _user(u) for u in ("huangyan", "dongcheng", "yuanqiao", "kuaidi", "chakan", "renshe")}
    users["mixed"] = mixed
    return Cast(district=district, dongcheng_town=dongcheng_town, yuanqiao_town=yuanqiao_town,
                kuaidi_fed=kuaidi_fed, mixed=mixed, dc_union=dc_union, dc_union2=dc_union2, yq_union=yq_union,
                kd_union=kd_union, dc_firm=dc_firm, yq_firm=yq_firm, kd_firm=kd_firm, worker=worker,
                yq_member=yq_member, kd_member=kd_member, dc2_member=dc2_member, leaver=leaver, mover=mover,
                users=users, **{u: users[u] for u in ("huangyan", "dongcheng", "yuanqiao", "kuaidi", "chakan",
                                                      "renshe")})


@pytest.fixture
def client_as(client: Any) -> Any:
    """client_as("dongcheng") → a Django test client logged in as that demo user."""

    def login(username: str) -> Any:
        client.force_login(_user(username))  # the cast's `mixed` too, once `cast` has made it
        return client

    return login
