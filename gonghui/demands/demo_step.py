"""load_demo step: the four-level service network (83 points in 黄岩, plus the partner departments with their
职责清单) and a year of demands (≈1,600 solved, as in 黄岩 2021) so the queues and the dashboard are alive.

`--scale test` (the suite's database) keeps it to a dozen demands placed in 东城, 院桥 and under the 快递 federation,
each held — if at all — by a service point of its own territory: the scope matrix compares sibling townships'
lists and expects renshe's lists empty there; what a unit off the tree sees is proved with the matrix's written-out
cast objects instead. Idempotent: skipped when demands exist."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Unit
from gonghui.core import fake, workdays
from gonghui.orgs.models import Union

from . import revision
from .models import (
    Category,
    CircuitVisit,
    Demand,
    DemandEvent,
    ServiceItem,
    ServiceOrder,
    ServiceOrderEvent,
    ServiceTeam,
)

C = Category
ALL_BUT_CREDIT: list[str] = [c for c in C.values if c != C.CREDIT]
DEPARTMENTS = (
    ("中共台州市黄岩区委组织部", Unit.Kind.DEPARTMENT, [C.TRAINING]),
    ("台州市黄岩区人力资源和社会保障局", Unit.Kind.DEPARTMENT, [C.LABOUR_DISPUTE]),
    ("台州市黄岩区司法局", Unit.Kind.DEPARTMENT, [C.LEGAL]),
    ("共青团台州市黄岩区委员会", Unit.Kind.DEPARTMENT, [C.COUNSELLING]),
    ("台州市黄岩区妇女联合会", Unit.Kind.DEPARTMENT, [C.HARDSHIP, C.COUNSELLING]),
    ("浙江黄岩农村商业银行", Unit.Kind.BANK, [C.CREDIT]),
)
POINTS = 83  # 黄岩's service network
SOLVED = 1623  # problems solved in a year (DOMAIN.md)
TITLES = {
    C.LABOUR_DISPUTE: ["工资拖欠三个月未发", "加班费未按规定支付", "解除劳动合同未给补偿", "工伤认定申请遇阻", "未签订劳动合同"],
    C.MEDICAL_AID: ["住院费用申请医疗互助", "大病医疗互助补助咨询", "医疗互助报销材料咨询"],
    C.COUNSELLING: ["工作压力大，希望心理疏导", "夜班长期失眠，需要心理咨询", "家庭矛盾影响工作情绪"],
    C.TRAINING: ["希望车间开展技能培训", "申请叉车证培训送教入企", "学历提升课程咨询"],
    C.CREDIT: ["工匠贷申请咨询", "暖企贷办理流程", "购房贷款优惠咨询"],
    C.LEGAL: ["劳动合同条款法律咨询", "交通事故赔偿法律咨询", "租房押金纠纷咨询"],
    C.HARDSHIP: ["家属重病，申请困难帮扶", "子女上学困难申请助学", "因病致困申请临时救助"],
    C.OTHER: ["户外劳动者驿站开放时间", "职工之家活动场地预约", "会员卡权益咨询"],
}
WEIGHTS = {C.LABOUR_DISPUTE: 30, C.MEDICAL_AID: 12, C.COUNSELLING: 8, C.TRAINING: 10, C.CREDIT: 6, C.LEGAL: 16,
           C.HARDSHIP: 12, C.OTHER: 6}


def _network() -> dict[str, int]:
    """The departments and the service points: the district, every township, the federations, then the largest
    grassroots unions as enterprise points until there are 83."""
    for name, kind, cats in DEPARTMENTS:
        unit, _ = Unit.objects.get_or_create(name=name, defaults={"kind": kind})
        if not unit.categories:
            unit.categories = list(cats)
            unit.save(update_fields=["categories"])
    taken = set(Unit.objects.filter(node__isnull=False).values_list("node_id", flat=True))
    levels: tuple[tuple[Any, str, list[str]], ...] = ((Union.objects.filter(depth=1), Unit.Level.DISTRICT, list(C.values)),
              (Union.objects.filter(depth=2, kind=Union.Kind.TOWNSHIP), Unit.Level.TOWNSHIP, ALL_BUT_CREDIT),
              (Union.objects.filter(kind=Union.Kind.FEDERATION), Unit.Level.COMMUNITY, ALL_BUT_CREDIT),
              (Union.objects.filter(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT)).order_by("path"),
               Unit.Level.ENTERPRISE, [C.LABOUR_DISPUTE.value, C.HARDSHIP.value, C.OTHER.value]))
    new: list[Unit] = []
    points = Unit.objects.filter(kind=Unit.Kind.POINT).count()
    for nodes, level, takes in levels:
        for node in nodes:
            if points + len(new) >= POINTS and level == Unit.Level.ENTERPRISE:
                break
            if node.pk in taken or Unit.objects.filter(name=f"{node.name}职工服务站").exists():
                continue
            new.append(Unit(name=f"{node.name}职工服务站", kind=Unit.Kind.POINT, level=level, node=node,
                            categories=takes))
    Unit.objects.bulk_create(new)
    return {"points": Unit.objects.filter(kind=Unit.Kind.POINT).count(),
            "departments": Unit.objects.filter(node__isnull=True).count()}


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    tz = timezone.get_current_timezone()
    minute = rng.choice([rng.randrange(9 * 60, 17 * 60), rng.randrange(8 * 60, 21 * 60)])
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tz)


def build(*, scale: str, seed: int = 13, now: dt.datetime | None = None, count: int | None = None,
          offset: int = 0) -> dict[str, int]:
    """`count` (the benchmark's 50k) overrides the scale's count, keeping 黄岩's share solved; `offset` starts the
    numbering after rows already there."""
    rng = random.Random(seed)
    now = now or timezone.now()
    cal = workdays.load()
    test = scale == "test"
    points = {u.node.path: u for u in Unit.objects.filter(kind=Unit.Kind.POINT,  # type: ignore[union-attr]
                                                          node__isnull=False).select_related("node")}
    departments = [u for u in Unit.objects.filter(node__isnull=True, active=True)]
    if test:
        fed = Union.objects.filter(name="快递行业工会联合会").first()
        tops = list(Union.objects.filter(name__in=["东城街道总工会", "院桥镇总工会"])) + ([fed] if fed else [])
        places = []
        for top in tops:
            places += list(Union.objects.filter(path__startswith=top.path, depth__gt=top.depth).order_by("path")[:4])
        total, solved = len(places), len(places) // 2
    else:
        places = list(Union.objects.filter(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT)))
        total, solved = SOLVED + 180, SOLVED
        if count:
            total, solved = count, count * SOLVED // (SOLVED + 180)
    if not places:
        return {"demands": 0, "solved": 0}
    townships = {u.path: u for u in Union.objects.filter(depth__lte=2)}
    cats, weights = list(WEIGHTS), list(WEIGHTS.values())
    demands: list[Demand] = []
    plan: list[tuple[str, Unit | None, dt.datetime | None]] = []  # (status, unit, closed)
    for i in range(total):
        place = places[i % len(places)] if test else rng.choice(places)
        category = cats[i % len(cats)] if test else rng.choices(cats, weights)[0]
        is_solved = i < solved
        # solved ones over the past year; open ones over the last month (a few long overdue)
        back = rng.randrange(20, 365) if is_solved else rng.choice([rng.randrange(0, 30), rng.randrange(0, 8)])
        received = _moment(rng, (now - dt.timedelta(days=back)).date())
        if received > now:
            received = now - dt.timedelta(minutes=rng.randrange(5, 300))
        urgency = rng.choices(["urgent", "normal", "simple"], [15, 70, 15])[0]
        clocks = cal.add_working_time(received, workdays.SIGN_HOURS), cal.end_of_nth_workday(
            received, workdays.URGENCY_DAYS[urgency])
        line = [place.path[:n] for n in range(len(place.path), 0, -Union.steplen)]
        own_points = [points[p] for p in line if p in points and category in (points[p].categories or [])]
        takers = [u for u in departments if category in (u.categories or [])]
        if test:
            unit = own_points[0] if own_points and i % 3 else None
        elif takers and rng.random() < 0.4:
            unit = rng.choice(takers)
        else:
            unit = own_points[0] if own_points else None
        status: str = Demand.Status.PENDING
        closed = None
        if is_solved and unit is not None:
            late = rng.random() < 0.08
            budget = cal.working_time_between(received, clocks[1])
            spent = budget * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.95))
            closed = min(cal.add_working_time(received, spent), now)
            status = rng.choices([Demand.Status.DONE, Demand.Status.CLOSED], [85, 15])[0]
        elif unit is not None:
            status = rng.choice([Demand.Status.ASSIGNED, Demand.Status.IN_PROGRESS, Demand.Status.IN_PROGRESS,
                                 Demand.Status.PAUSED])
        title = rng.choice(TITLES[category])
        rating = ""
        if status == Demand.Status.DONE:
            rating = rng.choices(["satisfied", "basic", "unsatisfied"], [80, 17, 3])[0]
            rating = "basic" if rating == "unsatisfied" else rating  # an unsatisfied one is reopened, not done
        d = Demand(
            number=f"SQ{received.year}{offset + i + 1:07d}", category=category, title=title,
            description=f"{title}。{place.name}职工反映，请协助办理。", contact_name=fake.person_name(rng),
            contact_phone=fake.mobile(rng), urgency=urgency,
            channel=rng.choices(["web", "phone", "pioneer", "visit"], [45, 30, 15, 10])[0],
            employer_may_know=rng.random() < 0.6, status=status, union=place,
            decider=townships.get(place.path[: 2 * Union.steplen]) or townships[place.path[:Union.steplen]],
            unit=unit, received_at=received, sign_due_at=clocks[0], due_at=clocks[1],
            signed_at=received + dt.timedelta(hours=1) if status not in (Demand.Status.PENDING,
                                                                          Demand.Status.ASSIGNED) else None,
            paused_at=now - dt.timedelta(hours=2) if status == Demand.Status.PAUSED else None,
            closed_at=closed, rating=rating,
            working_seconds=int(cal.working_time_between(received, closed).total_seconds()) if closed else None,
            result="已联系企业与职工，问题已协调解决。" if closed else "",
            callback_sampled=bool(closed) and rng.random() < 0.12,
        )
        demands.append(d)
        plan.append((status, unit, closed))
    with transaction.atomic():
        Demand.objects.bulk_create(demands, batch_size=500)
        saved = {d.number: d for d in Demand.objects.filter(number__in=[d.number for d in demands])}
        events = []
        for d, (_status, unit, closed) in zip(demands, plan, strict=True):
            row = saved[d.number]
            events.append(DemandEvent(demand=row, kind=DemandEvent.Kind.FILED, at=d.received_at,
                                      actor_name=d.contact_name, to_status=Demand.Status.PENDING,
                                      reason=Demand.Channel(d.channel).label))
            if unit is not None:
                events.append(DemandEvent(demand=row, kind=DemandEvent.Kind.CLAIMED, at=d.signed_at or d.received_at,
                                          actor_name=unit.name, unit=unit, from_status=Demand.Status.PENDING,
                                          to_status=Demand.Status.IN_PROGRESS))
            if closed is not None:
                events.append(DemandEvent(demand=row, kind=DemandEvent.Kind.CLOSED, at=closed, actor_name=unit.name
                                          if unit else "", unit=unit, from_status=Demand.Status.IN_PROGRESS,
                                          to_status=Demand.Status.CLOSED, reason=d.result))
        DemandEvent.objects.bulk_create(events, batch_size=1000)
        revision.bump()
    return {"demands": len(demands), "solved": sum(1 for _s, _u, c in plan if c is not None)}


def run(*, scale: str, stdout: Any) -> None:
    t = time.perf_counter()
    net = _network()
    if Demand.objects.exists():
        stdout.write(f"服务网络：站点 {net['points']} 个，协同单位 {net['departments']} 个；诉求：已存在，跳过")
    else:
        counts = build(scale=scale)
        stdout.write(f"服务网络：站点 {net['points']} 个，协同单位 {net['departments']} 个；诉求 {counts['demands']} 件，"
                     f"已办结 {counts['solved']} 件（{time.perf_counter() - t:.1f} 秒）")
    t = time.perf_counter()
    if ServiceTeam.objects.exists():
        stdout.write("服务菜单与巡回服务：已存在，跳过")
        return
    menu = build_menu(scale=scale)
    stdout.write(f"服务菜单 {menu['services']} 项，服务订单 {menu['orders']} 份；巡回服务队 {menu['teams']} 支，"
                 f"一年巡回服务 {menu['visits']} 次（{time.perf_counter() - t:.1f} 秒）")


# ---------------------------------------------------------------- service menu, orders and circuit visits

VISITS = 361  # 黄岩's circuit visits in a year (DOMAIN.md)
DISTRICT_MENU = (
    ("能级工资集体协商指导", "指导企业开展能级工资集体协商，提供工资指导价位和协商流程"),
    ("法律体检", "律师上门为企业劳动用工做法律体检，出具体检报告和整改建议"),
    ("劳动法律宣讲", "劳动合同法、工伤保险条例等法律法规进车间宣讲"),
    ("职工疗休养", "组织一线职工、劳模工匠参加疗休养"),
)
TOWNSHIP_MENU = (
    ("送教入企", "技能培训、学历提升课程送到企业"),
    ("心理咨询", "心理咨询师驻点或上门开展心理疏导"),
)
DEPARTMENT_MENU = {
    "台州市黄岩区司法局": ("劳动用工法律援助", "法律援助律师值班和上门咨询"),
    "台州市黄岩区人力资源和社会保障局": ("社保政策宣讲", "社保缴纳、工伤认定政策宣讲"),
    "共青团台州市黄岩区委员会": ("青年职工心理健康讲座", "青年职工心理健康讲座与团体辅导"),
}
FEEDBACK = ("职工反映讲解实用，希望定期开展", "企业负责人表示将按建议完善劳动合同", "现场解答职工咨询二十余人次",
            "职工对工资协商流程有了了解，建议下次安排在夜班前", "服务效果好，企业希望预约下一期")


def _menu(test: bool) -> dict[int, list[ServiceItem]]:
    """The catalogue: the district point's services, each township point's; partner departments' outside the
    test scale (the scope matrix expects renshe's lists empty there). Returns the services by point node id."""
    by_node: dict[int, list[ServiceItem]] = {}
    district = Unit.objects.filter(kind=Unit.Kind.POINT, level=Unit.Level.DISTRICT, node__isnull=False).first()
    if district is not None and district.node_id is not None:
        by_node[district.node_id] = [ServiceItem.objects.get_or_create(unit=district, name=n, defaults={
            "description": d})[0] for n, d in DISTRICT_MENU]
    for point in Unit.objects.filter(kind=Unit.Kind.POINT, level__in=(Unit.Level.TOWNSHIP, Unit.Level.COMMUNITY),
                                     node__isnull=False):
        assert point.node_id is not None
        by_node[point.node_id] = [ServiceItem.objects.get_or_create(unit=point, name=n, defaults={
            "description": d})[0] for n, d in TOWNSHIP_MENU]
    if not test:
        for name, (service, text) in DEPARTMENT_MENU.items():
            unit = Unit.objects.filter(name=name).first()
            if unit is not None:
                ServiceItem.objects.get_or_create(unit=unit, name=service, defaults={"description": text})
    return by_node


def build_menu(*, scale: str, seed: int = 361, now: dt.datetime | None = None) -> dict[str, int]:
    """Teams (the district's and one per township; at the test scale also the 快递 federation's), a year of visits
    (≈361 held, a few planned) and some orders in every status. The test scale keeps to 东城, 院桥 and 快递, each
    team visiting only its own territory, so sibling townships' lists stay disjoint."""
    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localdate(now)
    test = scale == "test"
    by_node = _menu(test)
    district = Union.objects.filter(depth=1).order_by("path").first()
    if district is None:
        return {"services": 0, "orders": 0, "teams": 0, "visits": 0}
    if test:
        nodes = list(Union.objects.filter(name__in=["东城街道总工会", "院桥镇总工会", "快递行业工会联合会"]).order_by("path"))
    else:
        nodes = [district, *Union.objects.filter(depth=2, kind=Union.Kind.TOWNSHIP).order_by("path")]
    teams: list[ServiceTeam] = []
    with transaction.atomic():
        for node in nodes:
            short = node.name.removesuffix("总工会").removesuffix("工会联合会").removesuffix("台州市")
            level = (ServiceTeam.Level.DISTRICT if node.depth == 1 else ServiceTeam.Level.TOWNSHIP
                     if node.kind == Union.Kind.TOWNSHIP else ServiceTeam.Level.COMMUNITY)
            team = ServiceTeam.objects.create(
                name=f"{short}职工服务巡回队", node=node, level=level, leader=fake.person_name(rng),
                members=[fake.person_name(rng) for _ in range(rng.randrange(3, 7))])
            offered = by_node.get(node.pk, []) + (by_node.get(district.pk, []) if node.depth == 1 or test else [])
            team.services.set(offered or by_node.get(district.pk, []))
            teams.append(team)
        places: dict[int, list[Union]] = {}
        for team in teams:
            under = Union.objects.filter(path__startswith=team.node.path, kind__in=(Union.Kind.SINGLE,
                                                                                   Union.Kind.JOINT))
            places[team.pk] = list(under.order_by("path")[:4] if test else under)
        offered_by = {t.pk: list(t.services.all()) for t in teams}
        plan: list[tuple[ServiceTeam, Union, dt.date, str]] = []
        if test:
            for team in teams:
                if places[team.pk]:
                    plan.append((team, places[team.pk][0], today - dt.timedelta(days=20), CircuitVisit.Status.HELD))
                    plan.append((team, places[team.pk][-1], today + dt.timedelta(days=7), CircuitVisit.Status.PLANNED))
        else:
            workers = [t for t in teams if places[t.pk]]
            weights = [4 if t.level == ServiceTeam.Level.DISTRICT else 1 for t in workers]
            for _ in range(VISITS):
                team = rng.choices(workers, weights)[0]
                plan.append((team, rng.choice(places[team.pk]), today - dt.timedelta(days=rng.randrange(1, 365)),
                             CircuitVisit.Status.HELD))
            for _ in range(12):
                team = rng.choice(workers)
                plan.append((team, rng.choice(places[team.pk]), today + dt.timedelta(days=rng.randrange(1, 30)),
                             CircuitVisit.Status.PLANNED))
        visits = []
        for team, place, day, status in plan:
            held = status == CircuitVisit.Status.HELD
            visits.append(CircuitVisit(
                team=team, union=place, visit_date=day, status=status,
                attendance=rng.randrange(15, 160) if held else None, feedback=rng.choice(FEEDBACK) if held else "",
                recorded_at=dt.datetime.combine(day, dt.time(17, 30), timezone.get_current_timezone()) if held
                else None))
        CircuitVisit.objects.bulk_create(visits, batch_size=500)
        Through = CircuitVisit.services.through
        links = []
        for v in CircuitVisit.objects.filter(team__in=teams).only("pk", "team_id"):
            offered = offered_by.get(v.team_id, [])
            for item in rng.sample(offered, k=min(len(offered), rng.randrange(1, 3))) if offered else []:
                links.append(Through(circuitvisit_id=v.pk, serviceitem_id=item.pk))
        Through.objects.bulk_create(links, batch_size=1000)
        orders = _demo_orders(rng, teams, places, by_node, district, test=test, now=now)
    return {"services": ServiceItem.objects.count(), "orders": orders, "teams": len(teams), "visits": len(visits)}


def _demo_orders(rng: random.Random, teams: list[ServiceTeam], places: dict[int, list[Union]],
                 by_node: dict[int, list[ServiceItem]], district: Union, *, test: bool, now: dt.datetime) -> int:
    """Orders to the team's own township point (at the test scale) or to any service that reaches the place."""
    S = ServiceOrder.Status
    statuses = [S.SUBMITTED, S.ACCEPTED, S.SCHEDULED, S.DONE, S.DONE, S.DONE, S.DECLINED]
    n = 0
    for team in teams:
        own = by_node.get(team.node_id, [])
        menu = own if test else own + by_node.get(district.pk, [])
        count = 1 if test else rng.randrange(2, 6)
        for i in range(count):
            if not menu or not places[team.pk]:
                break
            status = statuses[(team.pk + i) % 4] if test else rng.choice(statuses)
            service, place = rng.choice(menu), rng.choice(places[team.pk])
            created = now - dt.timedelta(days=rng.randrange(1, 200), hours=rng.randrange(0, 8))
            order = ServiceOrder.objects.create(
                number=f"T{rng.getrandbits(40):x}", service=service, unit=service.unit, union=place, status=status,
                contact_name=fake.person_name(rng), contact_phone=fake.mobile(rng), created_at=created,
                note=f"{place.name}希望安排{service.name}", wanted_on=None,
                scheduled_on=(created + dt.timedelta(days=14)).date() if status in (S.SCHEDULED, S.DONE) else None,
                team=team if status in (S.SCHEDULED, S.DONE) else None,
                result="已上门服务，企业和职工反映良好" if status == S.DONE else "不在本单位服务范围，请另行预约"
                if status == S.DECLINED else "",
                completed_at=created + dt.timedelta(days=15) if status == S.DONE else None)
            order.number = f"FW{timezone.localtime(created).year}{order.pk:06d}"
            order.save(update_fields=["number"])
            history = [(ServiceOrderEvent.Kind.FILED, "", S.SUBMITTED)]
            if status != S.SUBMITTED:
                history.append((ServiceOrderEvent.Kind.ACCEPTED, S.SUBMITTED, S.ACCEPTED))
            if status in (S.SCHEDULED, S.DONE):
                history.append((ServiceOrderEvent.Kind.SCHEDULED, S.ACCEPTED, S.SCHEDULED))
            if status == S.DONE:
                history.append((ServiceOrderEvent.Kind.DONE, S.SCHEDULED, S.DONE))
            if status == S.DECLINED:
                history.append((ServiceOrderEvent.Kind.DECLINED, S.ACCEPTED, S.DECLINED))
            ServiceOrderEvent.objects.bulk_create([
                ServiceOrderEvent(order=order, kind=kind, at=created + dt.timedelta(days=k), actor_name=service.unit.name
                                  if k else order.contact_name, from_status=a, to_status=b)
                for k, (kind, a, b) in enumerate(history)])
            n += 1
    return n
