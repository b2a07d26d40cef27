"""factory-boy factories with realistic Chinese defaults (the same generators as the demo: gonghui.core.fake).

Unions go through treebeard (`add_child`), members through the ID rules (encrypted number, blind index, masked
form), so a factory-made object is exactly what the services would have written. Sequences keep codes unique
inside one test database that already holds the demo district.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import factory
from django.contrib.auth import get_user_model

from gonghui.accounts.models import Role, RoleAssignment, Unit
from gonghui.core import fake
from gonghui.core.identifiers import make_id_number, make_org_body, make_uscc, parse_id_number
from gonghui.members.models import Membership, Person
from gonghui.members.services import person_defaults
from gonghui.orgs.models import Enterprise, Union

_rng = random.Random(20261201)

DEMO_PASSWORD = "demo12345"


# region 331099 is no 黄岩 demo code, so a factory code never collides with a demo one
def union_code(n: int) -> str:
    return make_uscc("81331099" + make_org_body(f"{n:08d}"))


def enterprise_code(n: int) -> str:
    return make_uscc("91331099" + make_org_body(f"{n:08d}"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"ganbu{n:03d}")
    display_name = factory.LazyFunction(lambda: fake.person_name(_rng))
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"台州市黄岩区协同单位{n:02d}")
    kind = Unit.Kind.DEPARTMENT


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    """`RoleAssignmentFactory(user=u, role=Role.READONLY, union=node)` or `(…, unit=bank)`."""

    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.UNION_ADMIN
    union = None
    unit = None


class UnionFactory(factory.Factory):
    """A union under `parent` (required: the tree has one district root), e.g. a 单独建会 grassroots union."""

    class Meta:
        model = Union

    parent: Any = None
    name = factory.Sequence(lambda n: f"台州市黄岩{fake.trade_name(_rng)}模具有限公司工会委员会{n}")
    kind = Union.Kind.SINGLE
    code = factory.Sequence(union_code)
    chair = factory.LazyFunction(lambda: fake.person_name(_rng))
    contact_phone = factory.LazyFunction(lambda: fake.mobile(_rng))
    founded_on = dt.date(2019, 5, 1)

    @classmethod
    def _create(cls, model_class: type[Union], *args: Any, parent: Union | None = None, **kwargs: Any) -> Union:
        if parent is None:
            return model_class.add_root(**kwargs)
        parent.refresh_from_db()  # treebeard reads numchild/path from the row, not a stale instance
        return parent.add_child(**kwargs)

    @classmethod
    def _build(cls, model_class: type[Union], *args: Any, parent: Union | None = None, **kwargs: Any) -> Union:
        return model_class(**kwargs)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    """A firm on `territory`'s ground (a township federation), covered by `covering_union` when given."""

    class Meta:
        model = Enterprise

    uscc = factory.Sequence(enterprise_code)
    org_code = factory.LazyAttribute(lambda o: o.uscc[8:17])
    name = factory.Sequence(lambda n: f"{fake.enterprise_name(_rng)[0].removesuffix('有限公司')}{n}有限公司")
    address = factory.LazyFunction(lambda: fake.address(_rng, "东城街道"))
    industry = "制造业"
    headcount = 60
    status = Enterprise.Status.ACTIVE
    territory: Any = None
    covering_union = None


class PersonFactory(factory.Factory):
    """A worker with a valid, encrypted ID number (`id_number` in the clear is kept on the instance)."""

    class Meta:
        model = Person

    name = factory.LazyFunction(lambda: fake.person_name(_rng))
    id_number = factory.Sequence(lambda n: make_id_number("331003", dt.date(1961, 1, 1) + dt.timedelta(days=n % 9000),
                                                          950 + n % 50))
    phone = factory.LazyFunction(lambda: fake.mobile(_rng))
    employer = None
    current_union = None

    @classmethod
    def _create(cls, model_class: type[Person], *args: Any, id_number: str, current_union: Union | None = None,
                **kwargs: Any) -> Person:
        ident = parse_id_number(id_number)
        fields = person_defaults(ident=ident, name=kwargs.pop("name"), phone=kwargs.pop("phone"),
                                 employer=kwargs.pop("employer"), employer_name="", occupation="其他",
                                 political="群众", education="")
        person = model_class.objects.create(current_union=current_union, **fields, **kwargs)
        person.id_number = ident.number  # type: ignore[attr-defined]
        return person


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    union: Any = None
    status = Membership.Status.ACTIVE
    joined_on = dt.date(2024, 3, 1)
    source = Membership.Source.MANUAL


def member(*, union: Union, employer: Enterprise | None = None, **person: Any) -> Person:
    """An active member of `union` (person + open membership + current_union), as member_join leaves it."""
    p = PersonFactory(current_union=union, employer=employer, **person)
    MembershipFactory(person=p, union=union)
    return p


# ---------------------------------------------------------------- demands (issue 13)


def service_point(node: Union, **fields: Any) -> Any:
    """The service point attached to `node` (the demo's, or a new one), taking every category by default."""
    from gonghui.accounts.models import Unit
    from gonghui.demands.models import Category

    level = {Union.Kind.DISTRICT: "district", Union.Kind.TOWNSHIP: "township",
             Union.Kind.FEDERATION: "community"}.get(node.kind, "enterprise")
    defaults = {"name": f"{node.name}职工服务站", "kind": Unit.Kind.POINT, "level": level,
                "categories": list(Category.values), **fields}
    unit = Unit.objects.filter(node=node, kind=Unit.Kind.POINT).first()
    return unit or Unit.objects.create(node=node, **defaults)


def department(name: str = "台州市黄岩区人力资源和社会保障局", categories: list[str] | None = None) -> Any:
    from gonghui.accounts.models import Unit

    unit, _ = Unit.objects.get_or_create(name=name, defaults={"kind": Unit.Kind.DEPARTMENT})
    if categories is not None:
        unit.categories = categories
        unit.save(update_fields=["categories"])
    return unit


def demand(*, union: Union, received_at: dt.datetime | None = None, urgency: str = "normal", **fields: Any) -> Any:
    """A demand filed at `union` (pending unless `status`/`unit` say otherwise), clocks from the calendar."""
    from django.utils import timezone

    from gonghui.core import workdays
    from gonghui.demands.models import Demand
    from gonghui.demands.services import _decider_of

    received = received_at or timezone.now()
    clocks = workdays.sla_clocks(received, urgency)
    seq = Demand.objects.count() + 1
    defaults = {"number": f"SQT{seq:06d}{_rng.randrange(1000):03d}", "category": "labour_dispute",
                "title": "工资拖欠三个月", "description": "车间二十余人三个月工资未发，请工会帮助协调。",
                "contact_name": fake.person_name(_rng), "contact_phone": fake.mobile(_rng), "channel": "phone",
                "decider": _decider_of(union), "sign_due_at": clocks.sign_due_at, "due_at": clocks.due_at}
    defaults.update(fields)
    return Demand.objects.create(union=union, urgency=urgency, received_at=received, **defaults)
