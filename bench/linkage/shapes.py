"""Precision and recall BY SHAPE on the real-world name-shape test bed (``linkage.shapes``).

    .venv/bin/python bench/linkage/shapes.py [--n 20000] [--seed 31] [--backend polars|spark]

A row counts as predicted only when its decision is ``match``; ``review`` rows are reported apart
(they are neither a link nor a miss the engine hides: a cadre decides them).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from quality import score  # noqa: E402

from linkage.engine import match  # noqa: E402
from linkage.shapes import SHAPES, generate_shapes  # noqa: E402


def table(n: int, seed: int, backend: str = "polars") -> dict[str, dict[str, float]]:
    """Run the engine on a shape bed and print the per-shape and per-variant tables."""
    data = generate_shapes(n, n // 2, seed)
    t0 = time.perf_counter()
    if backend == "spark":
        from linkage.spark import match_spark

        out = match_spark(data.registry, data.source)
    else:
        out = match(data.registry, data.source)
    wall = time.perf_counter() - t0
    pred = out["left_row"].to_list()
    decisions = out["decision"].to_list() if "decision" in out.columns else ["match"] * len(pred)
    print(f"\n## Shapes: registry {data.registry.height:,} × source {data.source.height:,} (seed {seed}), {wall:.1f} s")
    reviews: Counter[str] = Counter()
    for d, lab in zip(decisions, data.slices, strict=True):
        if d == "review":
            reviews[lab] += 1
            reviews["overall"] += 1
    res = score(pred, data.truth, data.slices)
    print(f"{'shape':26}{'n':>7}{'P':>9}{'R':>9}{'fp':>6}{'fn':>6}{'review':>8}")
    keys = ["overall", *[s for s in SHAPES if s in res], "new", *sorted(k for k in res if k.startswith("neg_"))]
    for k in keys:
        if k not in res:
            continue
        r = res[k]
        print(
            f"{k:26}{int(r['n']):>7}{r['precision']:>9.4f}{r['recall']:>9.4f}{int(r['fp']):>6}{int(r['fn']):>6}"
            f"{reviews.get(k, 0):>8}"
        )
    by_var = score(pred, data.truth, [v.split("/")[0] for v in data.code_slices])
    by_code = score(pred, data.truth, [v.split("/")[1] for v in data.code_slices])
    by_county = score(pred, data.truth, [v.split("/")[2] for v in data.code_slices])
    print(f"\n{'variant':26}{'n':>7}{'P':>9}{'R':>9}{'fp':>6}{'fn':>6}")
    for part in (by_var, by_code, by_county):
        for k in sorted(k for k in part if k != "overall"):
            r = part[k]
            print(f"{k:26}{int(r['n']):>7}{r['precision']:>9.4f}{r['recall']:>9.4f}{int(r['fp']):>6}{int(r['fn']):>6}")
    o = res["overall"]
    worst = min((res[s]["recall"], s) for s in SHAPES if s in res)
    share = reviews["overall"] / max(len(pred), 1)
    print(
        f"targets: precision {o['precision']:.4f} (≥ 0.995), recall {o['recall']:.4f} (≥ 0.99), "
        f"lowest shape recall {worst[0]:.4f} ({worst[1]}; ≥ 0.97), review rows {100 * share:.1f} %"
    )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="registry rows (source rows: half)")
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--backend", choices=("polars", "spark"), default="polars")
    args = ap.parse_args()
    table(args.n, args.seed, args.backend)


if __name__ == "__main__":
    main()
