"""Where the time and memory of one local-backend run go, stage by stage (a sampling thread reads the
resident set every 50 ms; the peak per stage is printed).

    .venv/bin/python bench/linkage/profile.py N_REGISTRY N_SOURCE [SEED]   # lists from the cache (listcache.py)
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from pathlib import Path

import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from listcache import folder  # noqa: E402

from linkage import engine as E  # noqa: E402

PROC = psutil.Process()
PEAK = [0]


def _sample() -> None:
    while True:
        PEAK[0] = max(PEAK[0], PROC.memory_info().rss)
        time.sleep(0.05)


def main() -> None:
    n, m = int(sys.argv[1]), int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 102
    path = folder(n, m, seed)
    threading.Thread(target=_sample, daemon=True).start()
    left, right = pl.read_parquet(path / "registry.parquet"), pl.read_parquet(path / "source.parquet")
    clock = [time.perf_counter()]

    def mark(label: str) -> None:
        now = time.perf_counter()
        mib = 2**20
        print(
            f"{label:24s} {now - clock[0]:7.1f} s   rss {PROC.memory_info().rss / mib:6.0f}   peak {PEAK[0] / mib:6.0f} MiB"
        )
        PEAK[0] = 0
        clock[0] = now

    started = time.perf_counter()
    opts = E.Options()
    lp = E.prepare_chunked(E.with_rows(left))
    mark("prepare registry")
    rp = E.prepare_chunked(E.with_rows(right))
    mark("prepare source")
    codes, exact, todo = E._codes_and_exact(lp, rp)
    mark("codes + exact names")
    stats = E.compute_stats(lp, rp, term_counts=False)
    mark("stats")
    # match_blocks, with the time of its two halves
    lpos, rpos = E._positions(lp["row"]), E._positions(rp["row"])
    zh_n = pl.when(pl.col("zh") != "").then(pl.len().over("zh").cast(pl.Int64)).otherwise(1)
    py_counts = lp.filter(pl.col("zh_py") != "").group_by("zh_py").len("py_n")
    lfeat = lp.drop("row").with_columns(zh_n=zh_n)
    rfeat = rp.drop("row").join(py_counts, on="zh_py", how="left", maintain_order="left")
    rfeat = rfeat.with_columns(py_n=pl.col("py_n").fill_null(1).cast(pl.Int64))
    won = [E.empty_winners()]
    n_pairs = n_kept = 0
    t_score = 0.0
    t0 = time.perf_counter()
    for pref, pairs, kept in E.block_pairs(lp, rp, todo, stats, opts):
        t1 = time.perf_counter()
        n_pairs += pairs.height
        n_kept += kept.height
        for i in range(0, kept.height, E.SCORE_CHUNK):
            chunk = kept.slice(i, E.SCORE_CHUNK)
            feats = pl.concat(
                [
                    chunk.select(pl.col("l").cast(pl.Int64), pl.col("r").cast(pl.Int64)),
                    E._gather(lfeat, lpos, chunk["l"], "_l").rename({"zh_n_l": "zh_n"}),
                    E._gather(rfeat, rpos, chunk["r"], "_r").rename({"py_n_r": "py_n"}),
                ],
                how="horizontal",
            )
            won.append(E.winners(E.score_pairs(feats, stats, opts)))
        t2 = time.perf_counter()
        t_score += t2 - t1
        print(
            f"  block {pref or '(unknown)':8s} pairs {pairs.height:>9,}  kept {kept.height:>8,}  "
            f"pairs+bound {t1 - t0:5.1f} s  scoring {t2 - t1:5.1f} s"
        )
        t0 = time.perf_counter()
    mark("blocks")
    print(f"  candidate pairs {n_pairs:,}, kept by the bound {n_kept:,}; scoring {t_score:.1f} s in all")
    names = E.decide(pl.concat(won))
    E.assemble(rp, codes, exact, names, lp, False)
    mark("decide + assemble")
    print(
        f"total {time.perf_counter() - started:.1f} s; peak RSS (getrusage) "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
