"""Campaign lists benchmark: matching quality and upload→classified time, through the real service path
(`list_upload` + `list_classify`, the worker's job: the one reader, `linkage.match`, the classified rows written).

    .venv/bin/python bench/bench_campaigns.py [--runs 3] [--rows 30000] [--quality 3000] [--keep]

On a scratch SQLite database (var/bench/campaigns.sqlite3; the demo district's unions and ~3,200 enterprises built
once, --keep keeps it) or, with DATABASE_URL, on that server's scratch database `gonghui_bench_campaigns`.

1. Quality (the issue's "must hold": ≤ 1 % of rows wrongly classified, ≤ 5 % left for review): the demo district's
   own firms written the way other departments write them — region prefixes (台州市黄岩 / 黄岩区 / 黄岩 / none),
   有限公司 ↔ 有限责任公司, brackets half ↔ full width, full-width letters, one mistyped look-alike character, codes
   missing, lower-case, full-width or with a wrong check digit — plus firms not in the registry (one in five),
   half of them near-namesakes of a registry firm (its 字号 with one character changed, or another trade) with their
   own valid code. A registry row is right when it is matched to its own enterprise; an outsider when it is not
   matched to any; a review row is neither right nor wrong (it is counted apart).
   The review band is exercised apart, by hard rows added to the same lists (2 % of each kind) and counted apart:
   a registry firm's own valid code under a wholly different name ("code agrees, names do not"), and a registry
   firm's name with one 字号 character changed and no code (a near-namesake: the same firm mistyped, or another).
   The first is most often a renamed firm (a valid USCC is the legal entity's): linked to that firm, or put up for
   review with it as candidate, is right. The second should come up for review with that firm as the candidate;
   linked to another firm is wrong. The figures are printed per kind; they are what the engine does today.
2. Speed: a list of `--rows` rows (every registry firm under a variant, the rest firms not in the registry) from
   upload to classified; median of `--runs`.
Reports; never gates: it always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEADER = ["单位名称", "统一社会信用代码", "单位地址", "参保人数", "所在镇街"]
FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def setup(keep: bool) -> None:
    db = ROOT / "var" / "bench" / "campaigns.sqlite3"
    if not os.environ.get("DATABASE_URL"):
        db.parent.mkdir(parents=True, exist_ok=True)
        if not keep and db.exists():
            db.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    else:
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname='gonghui_bench_campaigns'").fetchone()
            if exists and not keep:
                conn.execute("DROP DATABASE gonghui_bench_campaigns")
                exists = None
            if not exists:
                conn.execute("CREATE DATABASE gonghui_bench_campaigns")
        os.environ["DATABASE_URL"] = f"{base}/gonghui_bench_campaigns"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("GONGHUI_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gonghui.orgs import demo_step
    from gonghui.orgs.models import Union

    if not Union.objects.exists():
        from gonghui.core.management.commands.load_regions import DEFAULT_FILE, load_regions

        load_regions(DEFAULT_FILE)
        demo_step.run(scale="district", stdout=sys.stdout)
        print()


def spell(name: str, rng: random.Random) -> str:
    from linkage.synth import LOOKALIKE

    out = name
    r = rng.random()
    for prefix in ("台州市黄岩区", "台州市黄岩", "台州黄岩", "黄岩区", "黄岩"):
        if out.startswith(prefix):
            out = rng.choice(("台州市黄岩", "黄岩区", "黄岩", "台州黄岩", "")) + out[len(prefix):]
            break
    if rng.random() < 0.3 and out.endswith("有限公司") and not out.endswith("股份有限公司"):
        out = out[: -4] + "有限责任公司"
    if rng.random() < 0.2:
        out = out.replace("(", "（").replace(")", "）") if "(" in out else out.replace("（", "(").replace("）", ")")
    if r < 0.08:  # one mistyped look-alike character in the 字号
        idx = [i for i, c in enumerate(out) if c in LOOKALIKE]
        if idx:
            i = rng.choice(idx)
            out = out[:i] + LOOKALIKE[out[i]] + out[i + 1:]
    if rng.random() < 0.05:
        out = "".join(FULL.get(c, c) for c in out)
    return out


def code_cell(code: str, rng: random.Random) -> str:
    from linkage.codes import USCC_ALPHABET

    r = rng.random()
    if r < 0.45:
        return code
    if r < 0.55:
        return code.lower()
    if r < 0.62:
        return "".join(FULL.get(c, c) for c in code)
    if r < 0.72:
        i = rng.randrange(18)
        return code[:i] + rng.choice([c for c in USCC_ALPHABET if c != code[i]]) + code[i + 1:]
    return ""


def outsider(rng: random.Random, near: Any, towns: list[str]) -> list[Any]:
    """A firm not in the registry: a near-namesake of `near` (its own valid code), or a fresh name."""
    from gonghui.core import fake

    town = rng.choice(towns)
    if near is not None:
        name = near.name
        chars = [i for i, c in enumerate(name) if "\u4e00" <= c <= "\u9fff"][4:-4] or [len(name) // 2]
        i = rng.choice(chars)
        name = name[:i] + rng.choice("鑫瑞丰泰恒昌隆盛") + name[i + 1:]
    else:
        name = fake.enterprise_name(rng)[0]
    return [name, fake.uscc(rng), fake.address(rng, town), rng.randint(1, 90), town]


def build(n_rows: int, rng: random.Random, n_registry: int | None = None) -> tuple[bytes, list[int | None]]:
    from gonghui.orgs.models import Enterprise

    ents = list(Enterprise.objects.select_related("territory__region").order_by("pk"))
    rng.shuffle(ents)
    towns = sorted({e.territory.region.name for e in ents if e.territory.region})
    inside = ents[: n_registry if n_registry is not None else min(len(ents), n_rows)]
    rows: list[list[Any]] = []
    truth: list[int | None] = []
    for e in inside:
        rows.append([spell(e.name, rng), code_cell(e.uscc, rng), e.address, e.headcount or "",
                     e.territory.region.name if e.territory.region and rng.random() < 0.7 else ""])
        truth.append(e.pk)
    while len(rows) < n_rows:
        rows.append(outsider(rng, rng.choice(ents) if rng.random() < 0.5 else None, towns))
        truth.append(None)
    order = list(range(len(rows)))
    rng.shuffle(order)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for i in order:
        w.writerow(rows[i])
    return buf.getvalue().encode("utf-8"), [truth[i] for i in order]


def hard_rows(rng: random.Random, n: int) -> tuple[list[list[Any]], list[tuple[str, int]]]:
    """`n` rows of each hard kind, with (kind, the registry firm it was made from)."""
    from gonghui.core import fake
    from gonghui.orgs.models import Enterprise

    ents = list(Enterprise.objects.select_related("territory__region").order_by("pk"))
    rows: list[list[Any]] = []
    truth: list[tuple[str, int]] = []
    for e in rng.sample(ents, n):
        town = e.territory.region.name if e.territory.region else ""
        rows.append([fake.enterprise_name(rng)[0], e.uscc, fake.address(rng, town) if town else "", e.headcount or "", town])
        truth.append(("code_only", e.pk))
    for e in rng.sample(ents, n):
        chars = [i for i, c in enumerate(e.name) if "\u4e00" <= c <= "\u9fff"][4:-4] or [len(e.name) // 2]
        i = rng.choice(chars)
        name = e.name[:i] + rng.choice([c for c in "鑫瑞丰泰恒昌隆盛" if c != e.name[i]]) + e.name[i + 1:]
        town = e.territory.region.name if e.territory.region else ""
        rows.append([name, "", e.address, e.headcount or "", town])
        truth.append(("near_name", e.pk))
    return rows, truth


def classify(data: bytes) -> tuple[Any, float]:
    from django.contrib.auth import get_user_model

    from gonghui.campaigns import services
    from gonghui.campaigns.models import Campaign
    from gonghui.orgs.models import Union

    actor = get_user_model().objects.get(username="huangyan")
    district = Union.objects.get(depth=1)
    campaign = Campaign.objects.filter(name="bench").first() or services.campaign_create(
        actor=actor, owner=district, name="bench", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 3, 31))
    t0 = time.perf_counter()
    sl = services.list_upload(actor=actor, campaign=campaign, source="social_security", as_of=dt.date(2026, 10, 31),
                              chunks=[data], size=len(data), original_name="bench.csv")
    services.list_classify(sl.pk)
    elapsed = time.perf_counter() - t0
    sl.refresh_from_db()
    return sl, elapsed


def quality(n: int, seed: int) -> dict[str, Any]:
    from gonghui.campaigns.models import ListRow

    rng = random.Random(seed)
    inside = int(n * 0.8)
    data, truth = build(n, rng, n_registry=inside)
    hard, hard_truth = hard_rows(rng, max(1, n // 50))
    buf = io.StringIO()
    csv.writer(buf).writerows(hard)
    data += buf.getvalue().encode("utf-8")
    sl, elapsed = classify(data)
    rows = dict(ListRow.objects.filter(source_list=sl).values_list("row", "match"))
    ents = dict(ListRow.objects.filter(source_list=sl).values_list("row", "enterprise_id"))
    cands = dict(ListRow.objects.filter(source_list=sl).values_list("row", "candidate_id"))
    band: dict[str, dict[str, int]] = {}
    for j, (kind, pk) in enumerate(hard_truth, start=len(truth) + 1):
        k = band.setdefault(kind, {"rows": 0, "review": 0, "review_right_candidate": 0, "linked": 0, "linked_to_it": 0})
        k["rows"] += 1
        if rows[j] == "review":
            k["review"] += 1
            k["review_right_candidate"] += cands[j] == pk
        elif ents[j] is not None:
            k["linked"] += 1
            k["linked_to_it"] += ents[j] == pk
    wrong = review = review_right = 0
    by_kind: dict[str, int] = {"insider_wrong": 0, "outsider_matched": 0}
    for i, t in enumerate(truth, start=1):
        m = rows[i]
        if m == "review":
            review += 1
            review_right += t is not None and cands[i] == t
        elif t is not None and ents[i] != t:
            wrong += 1
            by_kind["insider_wrong"] += 1
        elif t is None and ents[i] is not None:
            wrong += 1
            by_kind["outsider_matched"] += 1
    return {"rows": n, "wrong": wrong, "review": review, "wrong_pct": 100 * wrong / n, "review_pct": 100 * review / n,
            "seconds": elapsed, **by_kind, "counts": sl.counts, "review_right": review_right, "band": band}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rows", type=int, default=30000)
    ap.add_argument("--quality", type=int, default=3000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    setup(args.keep)
    q = [quality(args.quality, seed) for seed in range(1, args.runs + 1)]
    for r in q:
        print(f"质量 {r['rows']} 行：错误 {r['wrong']}（{r['wrong_pct']:.2f}%，其中名录企业配错/漏配 {r['insider_wrong']}，"
              f"名录外企业误配 {r['outsider_matched']}），待核对 {r['review']}（{r['review_pct']:.2f}%，"
              f"候选正确 {r['review_right']}），{r['counts']}")
        for kind, b in r["band"].items():
            label = {"code_only": "代码一致、名称全异", "near_name": "字号差一字、无代码"}[kind]
            print(f"  待核对区间·{label} {b['rows']} 行：待核对 {b['review']}（候选正确 {b['review_right_candidate']}），"
                  f"直接关联 {b['linked']}（关联到该企业 {b['linked_to_it']}），其余为新企业/无法登记")
    print(f"质量（{args.runs} 次中位数）：错误 {statistics.median(r['wrong_pct'] for r in q):.2f}%，"
          f"待核对 {statistics.median(r['review_pct'] for r in q):.2f}%")
    times = []
    for seed in range(args.runs):
        data, _ = build(args.rows, random.Random(100 + seed))
        sl, elapsed = classify(data)
        times.append(elapsed)
        print(f"速度 {sl.rows} 行（{len(data) / 1e6:.1f} MB）：上传→已分类 {elapsed:.1f} 秒，{sl.counts}")
    print(f"速度（{args.runs} 次中位数）：{args.rows} 行 上传→已分类 {statistics.median(times):.1f} 秒")
    return 0


if __name__ == "__main__":
    sys.exit(main())
