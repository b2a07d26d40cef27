"""Builds the 黄岩-shaped demo district (or Taizhou-sized for benchmarks) straight into the tables.

Bulk inserts with precomputed materialised paths: ~1,000 unions and ~3,000 enterprises in seconds.
Deterministic (fixed seed), so running it twice builds the same thing; the caller skips it when the
district already exists.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from gonghui.core import fake
from gonghui.core.identifiers import make_uscc
from gonghui.core.models import Region

from .models import Committee, CommitteeMember, Coverage, Enterprise, Union

TOWNSHIPS = (
    "东城街道", "西城街道", "南城街道", "北城街道", "新前街道", "江口街道", "高桥街道", "澄江街道",
    "院桥镇", "沙埠镇", "头陀镇", "北洋镇", "宁溪镇", "上垟乡", "屿头乡", "富山乡", "上郑乡", "平田乡", "茅畲乡",
)
# Unions the seed articles name; they are placed where the articles place them.
SEED_UNIONS = (
    ("货车司机工会联合会", "台州市成辉运输有限公司工会", "single", "台州市成辉运输有限公司", "运输"),
    ("货车司机工会联合会", "台州黄岩鸿日运输有限公司工会", "single", "台州黄岩鸿日运输有限公司", "运输"),
    ("东城街道", "黄岩区饿了么网约送餐员联合工会", "joint", None, "餐饮管理"),
    ("快递行业工会联合会", "黄岩区中通快递网点联合工会", "joint", None, "快递服务"),
    ("快递行业工会联合会", "黄岩区顺丰速运营业部工会", "single", "台州黄岩顺丰速运有限公司", "快递服务"),
)

def _path(parent: str, index: int) -> str:
    return Union._get_path(parent or None, 1 if not parent else len(parent) // Union.steplen + 1, index)


@dataclass(frozen=True)
class Scale:
    unions: int
    enterprises: int


SCALES = {
    "test": Scale(unions=1000, enterprises=3000),
    "district": Scale(unions=1000, enterprises=3000),
    "city": Scale(unions=9394, enterprises=26353)}


class _Builder:
    def __init__(self, scale: Scale, seed: int = 20210923) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.unions: list[Union] = []
        self.children: dict[str, int] = {}
        self.used_codes: set[str] = set()

    def code(self, authority: str) -> str:
        while True:
            c = fake.uscc(self.rng, authority=authority)
            if c not in self.used_codes:
                self.used_codes.add(c)
                return c

    def add(self, parent: Union | None, **fields: Any) -> Union:
        parent_path = parent.path if parent else ""
        n = self.children.get(parent_path, 0) + 1
        self.children[parent_path] = n
        node = Union(path=_path(parent_path, n), depth=(parent.depth + 1 if parent else 1), numchild=0, **fields)
        self.unions.append(node)
        return node


def build_demo(*, scale_name: str = "district") -> dict[str, int]:
    """Create the demo district's tree, enterprises, coverages and committees. Atomic."""
    scale = SCALES[scale_name]
    b = _Builder(scale)
    rng = b.rng
    county = Region.objects.get(code="331003")
    towns = {r.name: r for r in Region.objects.filter(parent=county)}
    today = dt.date(2026, 11, 1)

    root = b.add(None, name="台州市黄岩区总工会", kind=Union.Kind.DISTRICT, code=make_uscc("81331003MC" + "0001234"),
                 region=county, chair="陈建华", founded_on=dt.date(1950, 5, 1))
    b.used_codes.add(root.code or "")
    township_nodes: dict[str, Union] = {}
    for name in TOWNSHIPS:
        township_nodes[name] = b.add(root, name=f"{name}总工会", kind=Union.Kind.TOWNSHIP, code=b.code("81"),
                                     region=towns[name], chair=fake.person_name(rng), founded_on=dt.date(1985, 1, 1))
    kuaidi = b.add(root, name="快递行业工会联合会", kind=Union.Kind.FEDERATION, federation_type="行业",
                   code=b.code("81"), region=towns["东城街道"], chair="林晓东", founded_on=dt.date(2019, 6, 18))
    trucks = b.add(root, name="货车司机工会联合会", kind=Union.Kind.FEDERATION, federation_type="行业",
                   code=b.code("81"), region=towns["新前街道"], chair="王永利", founded_on=dt.date(2020, 9, 8))
    federations = {"快递行业工会联合会": kuaidi, "货车司机工会联合会": trucks}
    # a 片区/楼宇/商圈 federation in the town centres
    sub_feds: dict[str, Union] = {}
    for town, kind, label in (("东城街道", "商圈", "东城商圈联合工会委员会"), ("西城街道", "楼宇", "西城楼宇工会联合会"),
                              ("院桥镇", "片区", "院桥镇北片工会联合会"), ("新前街道", "区域", "新前街道模具产业工会联合会")):
        sub_feds[town] = b.add(township_nodes[town], name=label, kind=Union.Kind.FEDERATION, federation_type=kind,
                               code=b.code("81"), region=towns[town], chair=fake.person_name(rng),
                               founded_on=dt.date(2018, 3, 1))

    enterprises: list[Enterprise] = []
    coverage_plan: list[tuple[Union, Enterprise]] = []
    used_names: set[str] = set()

    def new_enterprise(town: str, *, name: str | None = None, big: bool = False) -> Enterprise:
        while True:
            if name is None:
                ent_name, category = fake.enterprise_name(rng)
            else:
                ent_name, category = name, "交通运输"
            if ent_name not in used_names:
                used_names.add(ent_name)
                break
            name = None
        headcount = rng.choice((rng.randint(3, 24), rng.randint(3, 24), rng.randint(25, 120), rng.randint(25, 600)))
        if big:
            headcount = max(headcount, 25)
        ent = Enterprise(
            uscc=b.code("91"), name=ent_name, region=towns[town], address=fake.address(rng, town),
            industry=category, headcount=headcount, headcount_source="社保", headcount_date=dt.date(2026, 9, 30),
            status=rng.choices(("active", "revoked", "cancelled"), weights=(96, 2, 2))[0],
            established_on=dt.date(rng.randint(1995, 2025), rng.randint(1, 12), rng.randint(1, 28)),
        )
        ent.org_code = ent.uscc[8:17]
        ent.territory = township_nodes[town]
        enterprises.append(ent)
        return ent

    # Seed-named unions first.
    for where, uname, kind, ent_name, _trade in SEED_UNIONS:
        parent = federations.get(where) or township_nodes[where]
        town = "东城街道" if where not in TOWNSHIPS else where
        u = b.add(parent, name=uname, kind=kind, code=b.code("81"), region=towns[town], chair=fake.person_name(rng),
                  contact_phone=fake.mobile(rng), founded_on=dt.date(2021, rng.randint(3, 9), rng.randint(1, 28)))
        if kind == "single":
            coverage_plan.append((u, new_enterprise(town, name=ent_name, big=True)))
        else:
            for _ in range(rng.randint(6, 15)):
                coverage_plan.append((u, new_enterprise(town)))

    # Grassroots unions spread over the townships (bigger towns get more), a few under the federations.
    weights = [6 if t.endswith("街道") else (3 if t.endswith("镇") else 1) for t in TOWNSHIPS]
    remaining = scale.unions - len(b.unions)
    for _i in range(remaining):
        town = rng.choices(TOWNSHIPS, weights=weights)[0]
        roll = rng.random()
        if roll < 0.03:
            parent = kuaidi
        elif roll < 0.05:
            parent = trucks
        elif town in sub_feds and roll < 0.2:
            parent = sub_feds[town]
        else:
            parent = township_nodes[town]
        if parent in (kuaidi, trucks):
            town = rng.choice(("东城街道", "西城街道", "新前街道", "江口街道"))
        joint = rng.random() < 0.1
        first = new_enterprise(town, big=not joint)
        label = first.name.replace("台州市黄岩", "")
        status = rng.choices(("normal", "shell"), weights=(97, 3))[0]
        u = b.add(parent, name=(f"{town}{label[:4]}联合工会" if joint else f"{first.name}工会"),
                  kind=("joint" if joint else "single"), code=b.code("81"), region=towns[town],
                  chair=fake.person_name(rng), contact=fake.person_name(rng), contact_phone=fake.mobile(rng),
                  founded_on=dt.date(rng.randint(2000, 2026), rng.randint(1, 12), rng.randint(1, 28)), status=status)
        coverage_plan.append((u, first))
        if joint:
            for _ in range(rng.randint(5, 16)):
                coverage_plan.append((u, new_enterprise(town)))

    # Uncovered firms: the campaign's targets (~35 % of all).
    covered_n = len(enterprises)
    total = max(scale.enterprises, int(covered_n / 0.65))
    for _ in range(total - covered_n):
        new_enterprise(rng.choices(TOWNSHIPS, weights=weights)[0])

    # numchild from the paths
    counts: dict[str, int] = {}
    for u in b.unions:
        if u.depth > 1:
            parent_path = u.path[: -Union.steplen]
            counts[parent_path] = counts.get(parent_path, 0) + 1
    for u in b.unions:
        u.numchild = counts.get(u.path, 0)

    with transaction.atomic():
        Union.objects.bulk_create(b.unions, batch_size=2000)
        by_path = dict(Union.objects.values_list("path", "pk"))
        for u in b.unions:
            u.pk = by_path[u.path]
        for e in enterprises:
            e.territory_id = e.territory.pk
        Enterprise.objects.bulk_create(enterprises, batch_size=2000)
        by_code = dict(Enterprise.objects.values_list("uscc", "pk"))
        for e in enterprises:
            e.pk = by_code[e.uscc]
        coverages = []
        for u, e in coverage_plan:
            started = u.founded_on or today
            coverages.append(Coverage(union=u, enterprise=e, started_on=started))
            e.covering_union = u
        Coverage.objects.bulk_create(coverages, batch_size=2000)
        Enterprise.objects.bulk_update([e for _, e in coverage_plan], ["covering_union"], batch_size=2000)
        committees = []
        for u in b.unions:
            if u.kind in ("single", "joint"):
                start = dt.date(rng.randint(2021, 2025), rng.randint(1, 12), 1)
                committees.append(Committee(union=u, kind="committee", term_start=start,
                                            term_end=start.replace(year=start.year + 5), elected_at="会员大会"))
                if rng.random() < 0.6:
                    committees.append(Committee(union=u, kind="audit", term_start=start,
                                                term_end=start.replace(year=start.year + 5), elected_at="会员大会"))
                if rng.random() < 0.5:
                    committees.append(Committee(union=u, kind="women", term_start=start,
                                                term_end=start.replace(year=start.year + 5), elected_at="会员大会"))
        Committee.objects.bulk_create(committees, batch_size=2000)
        members = []
        for c in Committee.objects.filter(union__kind__in=("single", "joint")).only("pk", "kind", "union_id"):
            positions = ("主席", "副主席", "委员", "委员", "委员") if c.kind == "committee" else ("主任", "委员", "委员")
            for pos in positions[: rng.randint(3, len(positions))]:
                members.append(CommitteeMember(committee=c, name=fake.person_name(rng), position=pos))
        CommitteeMember.objects.bulk_create(members, batch_size=5000)
    return {"unions": len(b.unions), "enterprises": len(enterprises), "coverages": len(coverages)}
