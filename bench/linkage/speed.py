"""One timed engine run in a fresh process (so peak RSS is the run's own): prints one JSON line
(wall and CPU seconds of the run, peak RSS including the input frames, the 1-minute load average).

Usage: python bench/linkage/speed.py ENGINE REGISTRY.parquet SOURCE.parquet
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    engine, lpath, rpath = sys.argv[1:4]
    left, right = pl.read_parquet(lpath), pl.read_parquet(rpath)
    started = time.perf_counter()
    use0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = use0.ru_utime + use0.ru_stime
    if engine == "ours":
        from linkage.engine import match

        out = match(left, right)
        matched = out["left_row"].is_not_null().sum()
    elif engine == "spark":
        from linkage.spark import match_spark

        out = match_spark(left, right)
        matched = out["left_row"].is_not_null().sum()
    else:
        from splink_baseline import splink_match

        matched = sum(1 for x in splink_match(left, right) if x is not None)
    wall = time.perf_counter() - started
    use = resource.getrusage(resource.RUSAGE_SELF)
    rss = use.ru_maxrss / 1024
    cpu = use.ru_utime + use.ru_stime - cpu0
    print(
        json.dumps(
            {
                "engine": engine,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 1),
                "peak_rss_mb": round(rss),
                "matched": int(matched),
                "load": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
