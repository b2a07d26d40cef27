"""Generated list pairs cached on disk between benchmark runs (generating 3M × 1M takes minutes).

A pair is stored as ``registry.parquet``, ``source.parquet`` and ``truth.parquet`` (truth, slice and
code slice per source row) under ``$GONGHUI_LINKAGE_CACHE`` (default ``var/linkage-bench`` in the
repository), keyed by the sizes, the seed and a hash of the generator's source, so a change to the
generator never serves stale lists.

    .venv/bin/python bench/linkage/listcache.py N_REGISTRY N_SOURCE SEED   # fill the cache, print the folder
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

import polars as pl

from linkage import codes, regions, synth
from linkage.synth import Dataset, generate

ROOT = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    return Path(os.environ.get("GONGHUI_LINKAGE_CACHE") or ROOT / "var" / "linkage-bench")


def _generator_hash() -> str:
    h = hashlib.sha256()
    for mod in (synth, regions, codes):
        h.update(Path(str(mod.__file__)).read_bytes())
    return h.hexdigest()[:12]


def folder(n_registry: int, n_source: int, seed: int) -> Path:
    """The cache folder of one pair, generated (and stored) when missing."""
    path = cache_root() / f"{n_registry}x{n_source}-seed{seed}-{_generator_hash()}"
    if (path / "truth.parquet").exists():
        return path
    t0 = time.perf_counter()
    data = generate(n_registry, n_source, seed)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    data.registry.write_parquet(tmp / "registry.parquet")
    data.source.write_parquet(tmp / "source.parquet")
    pl.DataFrame(
        {"truth": data.truth, "slice": data.slices, "code_slice": data.code_slices},
        schema={"truth": pl.Int64, "slice": pl.Utf8, "code_slice": pl.Utf8},
    ).write_parquet(tmp / "truth.parquet")
    if path.exists():  # a half-written folder of an interrupted run
        shutil.rmtree(path)
    tmp.rename(path)
    print(f"(generated {n_registry:,} × {n_source:,} seed {seed} in {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return path


def load(n_registry: int, n_source: int, seed: int) -> Dataset:
    """The ``Dataset`` of ``generate(n_registry, n_source, seed)``, from the cache."""
    path = folder(n_registry, n_source, seed)
    t = pl.read_parquet(path / "truth.parquet")
    return Dataset(
        pl.read_parquet(path / "registry.parquet"),
        pl.read_parquet(path / "source.parquet"),
        t["truth"].to_list(),
        t["slice"].to_list(),
        t["code_slice"].to_list(),
    )


if __name__ == "__main__":
    n, m, seed = (int(x) for x in sys.argv[1:4])
    print(folder(n, m, seed))
