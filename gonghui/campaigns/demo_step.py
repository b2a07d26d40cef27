"""load_demo: a campaign in progress — two monthly 社保 lists (the second with firms new, moved and gone),
screening about half done, tasks under way and some unions founded — so the demo shows the whole loop.
Idempotent (skipped when the campaign exists); `scale` test keeps it to a few hundred rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from gonghui.core import fake
from gonghui.orgs.models import Enterprise, Union

from . import services
from .models import Campaign, CampaignFirm, ScreeningStep, Source, Stage, TaskStatus

NAME = "2026年新业态新就业群体集中建会入会行动"
D = ScreeningStep.Decision


def _csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["单位名称", "统一社会信用代码", "单位地址", "参保人数", "所在镇街"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _spell(name: str, rng: random.Random) -> str:
    """How another department writes a registry name."""
    choice = rng.random()
    if choice < 0.2 and name.endswith("有限公司"):
        return name[: -len("有限公司")] + "有限责任公司"
    if choice < 0.35:
        return name.replace("台州市黄岩", "黄岩").replace("台州黄岩", "黄岩")
    if choice < 0.45:
        return name.replace("(", "（").replace(")", "）")
    return name


def run(*, scale: str, stdout: Any) -> None:
    if Campaign.objects.filter(name=NAME).exists():
        stdout.write("建会入会行动：已存在，跳过")
        return
    t0 = time.perf_counter()
    rng = random.Random(20261201)
    actor = get_user_model().objects.get(username="huangyan")
    district = Union.objects.get(depth=1, name="台州市黄岩区总工会")
    n = {"test": 40}.get(scale, 300)
    today = timezone.localdate()
    campaign = services.campaign_create(actor=actor, owner=district, name=NAME, starts_on=dt.date(2026, 9, 1),
                                        ends_on=dt.date(2027, 3, 31), threshold=25)
    ents = list(Enterprise.objects.select_related("territory__region").filter(status=Enterprise.Status.ACTIVE)
                .order_by("pk"))
    rng.shuffle(ents)
    uncovered = [e for e in ents if e.covering_union_id is None][: n]
    covered = [e for e in ents if e.covering_union_id is not None][: n // 3]
    towns = list(Union.objects.filter(kind=Union.Kind.TOWNSHIP).select_related("region").order_by("path"))
    new_firms = []
    for i in range(n // 6):
        town = towns[i % len(towns)]
        name, _trade = fake.enterprise_name(rng)
        new_firms.append([name, fake.uscc(rng), fake.address(rng, town.region.name if town.region else ""),
                          rng.randint(3, 80), town.region.name if town.region else ""])

    def registry_rows(items: list[Enterprise], *, code: bool = True) -> list[list[Any]]:
        return [[_spell(e.name, rng), e.uscc if code or rng.random() < 0.7 else "", e.address,
                 (e.headcount or 10) + (rng.randint(1, 3) if rng.random() < 0.2 else 0), e.territory.region.name if e.territory.region else ""]
                for e in items]

    first = registry_rows(uncovered + covered) + new_firms[: len(new_firms) // 2]
    gone = set(range(0, len(uncovered), 20))
    second = (registry_rows([e for i, e in enumerate(uncovered) if i not in gone] + covered, code=False)
              + new_firms)
    for as_of, rows in ((dt.date(2026, 10, 31), first), (dt.date(2026, 11, 30), second)):
        data = _csv(rows)
        sl = services.list_upload(actor=actor, campaign=campaign, source=Source.SOCIAL_SECURITY, as_of=as_of,
                                  chunks=[data], size=len(data), original_name=f"社保参保名单{as_of:%Y%m}.csv")
        services.list_classify(sl.pk)
        sl.refresh_from_db()
        for row in sl.items.filter(match="review").select_related("candidate")[:5]:
            services.row_decide(actor=actor, row=row, same=True)
        services.list_apply(actor=actor, source_list=sl)
    firms = list(CampaignFirm.objects.filter(campaign=campaign).select_related("enterprise", "township")
                 .order_by("township__path", "pk"))
    joints = {u.path[:8]: u for u in Union.objects.filter(kind=Union.Kind.JOINT).order_by("path")}
    screened = 0
    for i, firm in enumerate(firms):
        if i % 2:  # screening half done
            continue
        if i % 14 == 0:
            services.firm_screen(actor=actor, firm=firm, round=1, decision=D.SHELL, reason="与多家企业同一地址，经核实为挂靠")
            continue
        services.firm_screen(actor=actor, firm=firm, round=1, decision=D.KEEP, reason="正常经营，确有职工")
        firm.refresh_from_db()
        if firm.stage == Stage.ROUND2:
            services.firm_screen(actor=actor, firm=firm, round=2, decision=D.SINGLE, reason="参保人数达到单独建会标准")
        elif firm.stage == Stage.ROUND3:
            joint = joints.get(firm.township.path[:8])
            if joint is not None:
                services.firm_screen(actor=actor, firm=firm, round=3, decision=D.JOINT, reason="人数不足，电话核实同意加入",
                                     union=joint, called_by="王晓燕", called_at=timezone.now(), call_outcome="同意加入")
        screened += 1
    tasks = list(CampaignFirm.objects.filter(campaign=campaign, stage=Stage.SINGLE).select_related("enterprise")
                 .order_by("pk"))
    founded = 0
    for i, firm in enumerate(tasks):
        if i % 5 == 1:
            services.firm_task_update(actor=actor, firm=firm, status=TaskStatus.CONTACTED, note="已与企业负责人联系")
        if i % 4 == 0 and founded < (2 if scale == "test" else 12):
            f = services.founding_start(actor=actor, firm=firm, prep_group="张伟、李娜、王芳")
            f = services.founding_congress(actor=actor, founding=f, held_on=today - dt.timedelta(days=10), committees={
                "committee": [["张伟", "主席"], ["李娜", "委员"], ["刘洋", "委员"]],
                "audit": [["王芳", "主任"]], "women": [["李娜", "主任"]]})
            f = services.founding_approve(actor=actor, founding=f, approval_no=f"黄工〔2026〕{100 + i}号",
                                          approved_on=today - dt.timedelta(days=3))
            code = fake.uscc(rng, authority="81")
            while Union.objects.filter(code=code).exists():
                code = fake.uscc(rng, authority="81")
            services.founding_establish(actor=actor, founding=f, union_code=code,
                                        founded_on=today - dt.timedelta(days=1))
            founded += 1
    stdout.write(f"建会入会行动：名单 2 份，行动企业 {len(firms)}，已筛查 {screened}，新建工会 {founded}"
                 f"（{time.perf_counter() - t0:.1f} 秒）")
