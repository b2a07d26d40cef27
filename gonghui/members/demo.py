"""The demo district's members (~110k; ~2,000 at --scale test), and realistic rosters for tests and benchmarks.

Members go into the grassroots unions in proportion to the headcount of the firms they cover; occupations lean
to the 八大员 in the industry federations' unions; people were born all over China (real area codes, some
abolished like 110103 崇文区, some new like 331083 玉环市). Bulk inserts with precomputed encryption, then a
handful of transfers, pending joins and membership changes through the real services.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from gonghui.core import fake
from gonghui.core.identifiers import IdNumber, area_code_ever_existed, id_check_digit, mask_id
from gonghui.orgs.models import Enterprise, Union

from . import services
from .imports import allocate_pks, db_date, db_now, insert_rows
from .models import (
    Education,
    JoinSettings,
    Membership,
    MembershipEvent,
    Occupation,
    Person,
    Political,
    TransferRequest,
)

TARGETS = {"test": 2_000, "district": 110_000, "city": 1_030_000}  # 台州: ~1.03M members
CHUNK = 50_000  # people generated, encrypted and inserted per transaction (flat memory at city scale)
TODAY = dt.date(2026, 11, 1)
# (area code, weight): mostly 台州, then Zhejiang, then the provinces that send workers to 黄岩.
AREAS = (
    ("331003", 30), ("331002", 8), ("331004", 8), ("331081", 6), ("331082", 6), ("331083", 3), ("331021", 2),
    ("331022", 3), ("331023", 3), ("331024", 3), ("330102", 2), ("330302", 2), ("330402", 1), ("330602", 1),
    ("110101", 1), ("110103", 1), ("310104", 1), ("320102", 1), ("340102", 2), ("342401", 2), ("360102", 2),
    ("362201", 2), ("410102", 2), ("410302", 1), ("411302", 2), ("420102", 1), ("421002", 2), ("430102", 1),
    ("431002", 2), ("500101", 2), ("500222", 1), ("510102", 1), ("510105", 1), ("513001", 1), ("522101", 3),
    ("532101", 2), ("610102", 1), ("612301", 1), ("450102", 1), ("452501", 2), ("350102", 1), ("440103", 1),
    ("441402", 1), ("130102", 1), ("370102", 1), ("620102", 1), ("640104", 1), ("650102", 1), ("230102", 1),
    ("220102", 1), ("210102", 1), ("150102", 1), ("140105", 1), ("120101", 1), ("460105", 1), ("540102", 1),
    ("630102", 1),
)
INDUSTRY_OCCUPATION = {
    "快递服务": ((Occupation.COURIER, 75),),
    "运输": ((Occupation.TRUCK_DRIVER, 60),),
    "物流": ((Occupation.TRUCK_DRIVER, 40), (Occupation.COURIER, 10)),
    "物业管理": ((Occupation.SECURITY, 45),),
    "保安服务": ((Occupation.SECURITY, 80),),
    "家政服务": ((Occupation.HOUSEKEEPER, 60), (Occupation.CARER, 20)),
    "房产中介": ((Occupation.ESTATE_AGENT, 70),),
    "餐饮管理": ((Occupation.RIDER, 35),),
    "商贸": ((Occupation.MALL_INFO, 15),),
    "电子商务": ((Occupation.OTHER_NEW_FORM, 20), (Occupation.MALL_INFO, 10)),
    "医药": ((Occupation.CARER, 10),),
}
POLITICAL_WEIGHTS = ((Political.MASSES, 70), (Political.PARTY, 12), (Political.LEAGUE, 15), (Political.PROBATIONARY, 3))
EDUCATION_WEIGHTS = ((Education.PRIMARY, 8), (Education.JUNIOR, 35), (Education.SENIOR, 30), (Education.COLLEGE, 15),
                     (Education.BACHELOR, 10), (Education.POSTGRAD, 2))


class IdMaker:
    """Unique, valid ID numbers of people born in many places (deterministic for a seed)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.codes = [c for c, _ in AREAS if area_code_ever_existed(c)]
        weights = [w for c, w in AREAS if c in self.codes]
        self.cum = list(itertools.accumulate(weights))
        self.used: set[int] = set()  # the first 17 digits as an int: a million of them in ~60 MB

    def make(self, *, young: int = 20, old: int = 60) -> IdNumber:
        rng = self.rng
        while True:
            area = rng.choices(self.codes, cum_weights=self.cum)[0]
            birth = TODAY - dt.timedelta(days=rng.randint(young * 365 + 5, old * 365 - 5))
            body = f"{area}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            key = int(body)
            if key not in self.used:
                self.used.add(key)
                number = body + id_check_digit(body)
                return IdNumber(number=number, birth_date=birth, sex="男" if int(number[16]) % 2 else "女",
                                area_code=area)


def _occupation(rng: random.Random, industry: str, union_name: str, fed: str) -> str:
    if fed == "快递行业工会联合会" or "快递" in union_name:
        table: tuple[tuple[str, int], ...] = ((Occupation.COURIER, 80),)
    elif fed == "货车司机工会联合会" or "运输" in union_name:
        table = ((Occupation.TRUCK_DRIVER, 80),)
    elif "送餐" in union_name:
        table = ((Occupation.RIDER, 85),)
    else:
        table = tuple((str(o), w) for o, w in INDUSTRY_OCCUPATION.get(industry, ()))
    roll = rng.random() * 100
    for occupation, weight in table:
        if roll < weight:
            return str(occupation)
        roll -= weight
    return str(Occupation.OTHER_NEW_FORM) if rng.random() < 0.05 else str(Occupation.OTHER)


def _pick(rng: random.Random, weights: tuple[tuple[Any, int], ...]) -> str:
    return str(rng.choices([v for v, _ in weights], weights=[w for _, w in weights])[0])


def build_members(*, scale: str = "district", seed: int = 20210923) -> dict[str, int]:
    """Bulk-create the demo members into the covered firms' unions; call only on an empty registry.

    Generated, encrypted and inserted CHUNK people at a time, one transaction per chunk, so the city's million
    members need neither a million dicts in memory nor one giant transaction (SQLite's WAL stays small). A load
    cut short leaves whole chunks behind; `load_demo` then skips members (it runs on an empty registry only)."""
    rng = random.Random(seed)
    target = TARGETS.get(scale, TARGETS["district"])
    feds = {u.path: u.name for u in Union.objects.filter(kind=Union.Kind.FEDERATION, depth=2)}
    firms = list(
        Enterprise.objects.filter(covering_union__isnull=False, status=Enterprise.Status.ACTIVE, headcount__gt=0)
        .values_list("pk", "name", "headcount", "industry", "covering_union_id", "covering_union__name",
                     "covering_union__path", "covering_union__founded_on")
        .order_by("pk")
    )
    total_headcount = sum(f[2] or 0 for f in firms) or 1
    base_rate = min(target / total_headcount, 1.0)
    ids = IdMaker(rng)
    people: list[dict[str, Any]] = []
    plan: list[tuple[int, dt.date, str]] = []  # (union id, joined on, source) per person
    first_pks: list[int] = []
    total = 0
    for pk, name, headcount, industry, union_id, union_name, union_path, founded in firms:
        rate = min(max(base_rate * rng.uniform(0.55, 1.45), 0.05), 1.0)
        fed = feds.get(union_path[:8], "")
        start = max(founded or dt.date(2010, 1, 1), dt.date(2005, 1, 1))
        span = max((TODAY - start).days, 1)
        for _ in range(round((headcount or 0) * rate)):
            ident = ids.make()
            people.append({
                "name": fake.person_name(rng), "number": ident.number, "id_masked": mask_id(ident.number),
                "birth_date": ident.birth_date, "sex": ident.sex,
                "phone": fake.mobile(rng) if rng.random() < 0.95 else "",
                "employer_id": pk, "employer_name": name, "occupation": _occupation(rng, industry, union_name, fed),
                "political": _pick(rng, POLITICAL_WEIGHTS), "education": _pick(rng, EDUCATION_WEIGHTS),
                "current_union_id": union_id,
            })
            joined = start + dt.timedelta(days=rng.randrange(span))
            plan.append((union_id, joined, Membership.Source.SCAN if rng.random() < 0.2 else Membership.Source.IMPORT))
            if len(people) >= CHUNK:
                pks = _write_members(people, plan)
                first_pks = first_pks or pks
                total += len(people)
                people, plan = [], []
    if people:
        pks = _write_members(people, plan)
        first_pks = first_pks or pks
        total += len(people)
    sample = list(Person.objects.filter(pk__gte=first_pks[0], pk__lte=first_pks[min(len(first_pks), 20000) - 1])
                  .only("pk", "current_union_id")) if first_pks else []
    extras = _stories(rng, ids, sample)
    return {"members": total, **extras}


def _write_members(people: list[dict[str, Any]], plan: list[tuple[int, dt.date, str]]) -> list[int]:
    """One chunk: people (encrypted, blind-indexed, card numbers from their reserved keys), their memberships
    and 入会 events, in one transaction. Returns the people's primary keys."""
    from gonghui.core import crypto

    source_label = dict(Membership.Source.choices)
    encrypt, index = crypto.encrypt, crypto.blind_index
    with transaction.atomic():
        stamp = db_now()
        pks = allocate_pks(Person, len(people))
        for pk, person in zip(pks, people, strict=True):
            number = person.pop("number")
            person.update(id=pk, member_no=services.card_number(pk), id_cipher=encrypt(number),
                          id_index=index(number), birth_date=db_date(person["birth_date"]),
                          created_at=stamp, updated_at=stamp)
        insert_rows(Person, people, batch=5000)
        mpks = allocate_pks(Membership, len(people))
        insert_rows(Membership, [
            {"id": mpk, "person_id": pk, "union_id": u, "status": "active", "joined_on": db_date(j), "ended_on": None,
             "source": s, "recruiter_id": None, "created_at": stamp}
            for mpk, pk, (u, j, s) in zip(mpks, pks, plan, strict=True)], batch=5000)
        insert_rows(MembershipEvent, [
            {"id": epk, "person_id": pk, "membership_id": mpk, "union_id": u, "kind": "join", "on": db_date(j),
             "reason": source_label[s], "actor_id": None, "created_at": stamp}
            for epk, mpk, pk, (u, j, s) in zip(allocate_pks(MembershipEvent, len(people)), mpks, pks, plan,
                                                 strict=True)], batch=5000)
    return pks


def _union_in(town: str, rng: random.Random, exclude: int | None = None) -> Union:
    township = Union.objects.get(name=f"{town}总工会")
    choices = list(Union.objects.filter(path__startswith=township.path, kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT))
                   .exclude(pk=exclude or 0).order_by("path")[:60])
    return rng.choice(choices)


def _stories(rng: random.Random, ids: IdMaker, people: list[Person]) -> dict[str, int]:
    """Transfers (done, pending, one overdue), pending joins and membership changes, through the services."""
    user_model = get_user_model()
    huangyan = user_model.objects.filter(username="huangyan").first()
    if huangyan is not None:
        huangyan.user_permissions.add(*Permission.objects.filter(
            content_type__app_label="members", codename__in=("reveal_id", "export_unmasked")))
    by_town: dict[str, list[Person]] = {}
    town_of = {u.pk: u.path[:8] for u in Union.objects.filter(depth__gte=3).only("pk", "path")}
    towns = {u.path: u.name.removesuffix("总工会") for u in Union.objects.filter(kind=Union.Kind.TOWNSHIP)}
    for p in people:
        town = towns.get(town_of.get(p.current_union_id or 0, ""), "")
        by_town.setdefault(town, []).append(p)
    done = pending = joins = changes = 0
    moves = (("东城街道", "院桥镇", 4, 3), ("院桥镇", "东城街道", 4, 3), ("西城街道", "东城街道", 3, 2),
             ("新前街道", "院桥镇", 3, 2))
    for origin, dest, n_done, n_pending in moves:
        pool = by_town.get(origin, [])
        rng.shuffle(pool)
        for i, person in enumerate(pool[: n_done + n_pending]):
            to_union = _union_in(dest, rng)
            t = services.transfer_request(actor=huangyan, person=person, to_union=to_union,
                                          reason=rng.choice(("工作调动", "跳槽到新单位", "随平台站点调整")))
            if i < n_done:
                services.transfer_decide(actor=huangyan, transfer=t, approve=True, reason="同意")
                done += 1
            else:
                pending += 1
        del pool[: n_done + n_pending]
    overdue = TransferRequest.objects.filter(status=TransferRequest.Status.PENDING).order_by("pk").first()
    if overdue is not None:  # one the origin forgot: it completes itself the next time an inbox opens
        TransferRequest.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - dt.timedelta(hours=6))
    for town in ("东城街道", "院桥镇"):
        union = _union_in(town, rng)
        JoinSettings.objects.update_or_create(union=union, defaults={"requires_approval": True, "open": True})
        for _ in range(3):
            ident = ids.make(young=18, old=45)
            services.member_join(union=union, name=fake.person_name(rng), id_number=ident.number,
                                 phone=fake.mobile(rng), occupation=str(Occupation.RIDER))
            joins += 1
    for town, kind, reason in (("东城街道", MembershipEvent.Kind.RETAIN, "外出务工，保留会籍"),
                               ("院桥镇", MembershipEvent.Kind.RETAIN, "失业期间保留会籍"),
                               ("西城街道", MembershipEvent.Kind.LEAVE, "本人申请退会"),
                               ("东城街道", MembershipEvent.Kind.LEAVE, "退休")):
        pool = by_town.get(town, [])
        if pool:
            person = pool.pop()
            m = Membership.objects.get(person=person, status=Membership.Status.ACTIVE)
            services.membership_change(actor=huangyan, membership=m, kind=kind, reason=reason)
            changes += 1
    return {"transfers_done": done, "transfers_pending": pending, "pending_joins": joins, "changes": changes}


# ---------------------------------------------------------------- rosters (tests, benchmarks)

ROSTER_HEADERS = ("序号", "姓名", "身份证号码", "手机号码", "入会日期", "工作单位", "职业", "政治面貌", "学历")


def roster_rows(n: int, *, seed: int = 7, employer: str = "台州市黄岩鸿日模具有限公司") -> Iterator[list[Any]]:
    """n realistic roster rows (as a cadre's Excel has them: text cells), each a different valid person."""
    rng = random.Random(seed)
    ids = IdMaker(rng)
    for i in range(1, n + 1):
        ident = ids.make()
        joined = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3000))
        yield [i, fake.person_name(rng), ident.number, fake.mobile(rng), joined.isoformat(), employer,
               rng.choice(("快递员", "货车司机", "操作工", "网约送餐员", "保安员", "其他")),
               _pick(rng, POLITICAL_WEIGHTS), _pick(rng, EDUCATION_WEIGHTS)]
