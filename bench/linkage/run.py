"""Linkage benchmark: quality against a strong Splink 5 baseline, blocking recall, speed and memory.

    .venv/bin/python bench/linkage/run.py [--quick] [--province] [--repeat N] [--skip-splink-speed]

Quality runs on a labelled list pair from ``linkage.synth`` (seed 101, never used while developing
the engine); Splink's decision threshold is chosen on a separate development seed (its best F1 among
several thresholds), which favours Splink. Speed runs each engine in a fresh process on 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from listcache import folder as cached_folder  # noqa: E402
from quality import score  # noqa: E402
from shapes import table as shapes_table  # noqa: E402
from splink_baseline import decide as splink_decide  # noqa: E402
from splink_baseline import splink_pairs  # noqa: E402

from linkage import engine  # noqa: E402
from linkage.clean import prepare  # noqa: E402
from linkage.synth import NAME_VARIANTS, generate  # noqa: E402

TEST_SEED, DEV_SEED = 101, 202
SPLINK_THRESHOLDS = (0.9, 0.7, 0.5, 0.3, 0.1, 0.03)


def our_candidates(left: pl.DataFrame, right: pl.DataFrame) -> set[tuple[int, int]]:
    """Every (registry row, source row) pair our engine considers: code joins, exact names and
    blocked pairs."""
    lp, rp = prepare(engine.with_rows(left)), prepare(engine.with_rows(right))
    codes = engine.code_pairs(lp, rp)
    exact = engine.exact_pairs(lp, rp)
    out = set(zip(codes["left_row"].to_list(), codes["row"].to_list(), strict=True))
    out |= set(zip(exact["left_row"].to_list(), exact["row"].to_list(), strict=True))
    opts = engine.Options()
    for pref, lb, rb in engine.blocks(lp, rp):
        pairs = engine.candidate_pairs(engine.row_keys(lb), engine.row_keys(rb), opts, both_unknown=pref == "")
        out |= set(zip(pairs["l"].to_list(), pairs["r"].to_list(), strict=True))
    return out


def blocking_recall(cands: set[tuple[int, int]], truth: list[int | None]) -> float:
    true_pairs = [(t, r + 1) for r, t in enumerate(truth) if t is not None]
    return sum(1 for p in true_pairs if p in cands) / max(len(true_pairs), 1)


def fmt_row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def quality(n: int) -> None:
    print(f"\n## Quality: registry {n:,} × source {n // 3:,} (seed {TEST_SEED}); per source row")
    dev = generate(max(n // 3, 3000), max(n // 9, 1000), DEV_SEED)
    dev_pairs = splink_pairs(dev.registry, dev.source)
    best_t = max(
        SPLINK_THRESHOLDS,
        key=lambda t: score(splink_decide(dev_pairs, dev.source.height, t), dev.truth, dev.slices)["overall"]["f1"],
    )
    data = generate(n, n // 3, TEST_SEED)
    t0 = time.perf_counter()
    ours_out = engine.match(data.registry, data.source)
    t_ours = time.perf_counter() - t0
    ours = ours_out["left_row"].to_list()
    review_share = (ours_out["decision"] == "review").mean() or 0.0
    t0 = time.perf_counter()
    sp_pairs = splink_pairs(data.registry, data.source)
    splink = splink_decide(sp_pairs, data.source.height, best_t)
    t_splink = time.perf_counter() - t0
    splink05 = splink_decide(sp_pairs, data.source.height, 0.5)
    br_ours = blocking_recall(our_candidates(data.registry, data.source), data.truth)
    br_splink = blocking_recall(set(zip(sp_pairs["l"].to_list(), sp_pairs["r"].to_list(), strict=True)), data.truth)
    print(f"Splink threshold chosen on dev seed {DEV_SEED}: {best_t} (best F1 of {SPLINK_THRESHOLDS})")
    widths = [22, 7, 9, 9, 9, 9, 9, 9, 8, 8]
    print(
        fmt_row(
            ["slice", "n", "P ours", "R ours", "F1 ours", "P splink", "R splink", "F1 splink", "err%", "ok"],
            widths,
        )
    )
    report = {}
    for labels in (data.slices, data.code_slices):
        a, b = score(ours, data.truth, labels), score(splink, data.truth, labels)
        keys = (
            ["overall"]
            + [k for k in (*NAME_VARIANTS, "new") if k in a]
            + sorted(k for k in a if k.startswith(("neg_", "code_")))
        )
        for k in keys:
            if labels is data.code_slices and k == "overall":
                continue
            ra, rb = a[k], b[k]
            err_ratio = (1 - ra["f1"]) / (1 - rb["f1"]) if rb["f1"] < 1 else (0.0 if ra["f1"] == 1 else float("inf"))
            # negative-only slices have no TP: compare false positives instead of F1
            if ra["tp"] + ra["fn"] == 0:
                ok = ra["fp"] <= rb["fp"]
                cells = [
                    k,
                    str(int(ra["n"])),
                    f"fp={int(ra['fp'])}",
                    "",
                    "",
                    f"fp={int(rb['fp'])}",
                    "",
                    "",
                    "",
                    "",
                ]
            else:
                ok = ra["f1"] >= rb["f1"]
                cells = [
                    k,
                    str(int(ra["n"])),
                    f"{ra['precision']:.4f}",
                    f"{ra['recall']:.4f}",
                    f"{ra['f1']:.4f}",
                    f"{rb['precision']:.4f}",
                    f"{rb['recall']:.4f}",
                    f"{rb['f1']:.4f}",
                    f"{100 * err_ratio:.0f}%" if err_ratio != float("inf") else "inf",
                    "",
                ]
            cells[-1] = "yes" if ok else "NO"
            print(fmt_row(cells, widths))
            report[k] = (ra, rb)
    o, s = report["overall"]
    s05 = score(splink05, data.truth, data.slices)["overall"]
    print(f"Splink at threshold 0.5 for reference: P={s05['precision']:.4f} R={s05['recall']:.4f} F1={s05['f1']:.4f}")
    print(f"blocking recall: ours {100 * br_ours:.2f} %, Splink {100 * br_splink:.2f} %")
    print(f"wall (in-process, incl. Splink training): ours {t_ours:.1f} s, Splink {t_splink:.1f} s")
    print(f"review rows (decision=review): {100 * float(review_share):.2f} % of the source list")
    targets = [
        ("precision ≥ 0.995", o["precision"] >= 0.995),
        ("recall ≥ 0.98", o["recall"] >= 0.98),
        ("blocking recall ≥ 99.5 %", br_ours >= 0.995),
        ("(1−F1) ≤ 0.5 × Splink's", (1 - o["f1"]) <= 0.5 * (1 - s["f1"])),
        ("time ≤ 0.5 × Splink's", t_ours <= 0.5 * t_splink),
        ("review rows ≤ 3 %", float(review_share) <= 0.03),
    ]
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in targets))


def _speed_run(eng: str, lpath: Path, rpath: Path, timeout: float) -> dict[str, object]:
    env = dict(os.environ, POLARS_MAX_THREADS="2", GONGHUI_SPARK_MASTER="local[2]")
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "speed.py"), eng, str(lpath), str(rpath)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"engine": eng, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"engine": eng, "error": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def speed(n: int, repeat: int, engines: list[str], timeout: float, label: str) -> None:
    print(f"\n## Speed: {label} registry {n:,} × source {n // 3:,} (2 threads, fresh process each run)")
    t0 = time.perf_counter()
    # generated once per size, seed and generator version, then read from var/linkage-bench
    path = cached_folder(n, n // 3, TEST_SEED + 1)
    lpath, rpath = path / "registry.parquet", path / "source.parquet"
    print(f"(lists ready in {time.perf_counter() - t0:.0f} s, from {path}; not timed)")
    widths = [8, 6, 12, 12, 14, 10, 14]
    print(fmt_row(["engine", "runs", "median wall", "median CPU", "median RSS MiB", "matched", "load per run"], widths))
    walls: dict[str, float] = {}
    for eng in engines:
        runs = [_speed_run(eng, lpath, rpath, timeout) for _ in range(repeat if eng == "ours" else 1)]
        good = [r for r in runs if "error" not in r]
        if not good:
            print(fmt_row([eng, str(len(runs)), "—", "—", "—", str(runs[0]["error"]), ""], widths))
            continue
        wall = statistics.median(float(str(r["wall_s"])) for r in good)
        cpu = statistics.median(float(str(r.get("cpu_s", 0))) for r in good)
        rss = statistics.median(float(str(r["peak_rss_mb"])) for r in good)
        loads = "/".join(str(r.get("load", "?")) for r in good)
        walls[eng] = wall
        cells = [eng, str(len(good)), f"{wall:.1f} s", f"{cpu:.1f} s", f"{rss:.0f}", str(good[0]["matched"]), loads]
        print(fmt_row(cells, widths))
    if "ours" in walls and "splink" in walls:
        print(f"ours / Splink wall time: {walls['ours'] / walls['splink']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small quality run, skip Splink at 300k")
    ap.add_argument("--province", action="store_true", help="also run 3M × 1M (ours only)")
    ap.add_argument("--repeat", type=int, default=1, help="repeat our speed run and print medians")
    ap.add_argument("--skip-splink-speed", action="store_true")
    args = ap.parse_args()
    print("# gonghui linkage benchmark")
    shapes_table(20_000 if args.quick else 60_000, 31)
    quality(20_000 if args.quick else 90_000)
    engines = ["ours"] if args.quick or args.skip_splink_speed else ["ours", "splink"]
    speed(300_000, args.repeat, engines, 1800, "city")
    if args.province:
        speed(3_000_000, 1, ["ours"], 3600, "province")


if __name__ == "__main__":
    main()
