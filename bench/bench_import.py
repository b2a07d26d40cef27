"""Roster import benchmark: wall time and peak RSS of `roster_import` (the path behind `manage.py import_members`
and the console's 名册导入) for 10k rows (median of --runs, ≥ 3) and, with --million, 1M rows.

    .venv/bin/python bench/bench_import.py [--runs 3] [--formats csv,xlsx] [--million] [--keep]

Targets (the members issue): 10k rows ≤ 20 s; 1M rows ≤ 10 min with flat memory. Each run is its own child
process on a scratch SQLite database (var/bench/import.sqlite3, migrated once; --keep keeps it), importing a
freshly generated roster of new people (so every run creates every row) into a grassroots union; the child
prints its wall time, counts and peak RSS (ru_maxrss). The 10k median also times a re-import of the same file
(idempotent: all unchanged). Imports run with skip_invalid (the rare generated ID already on file under another
name is rejected, not renamed). Reports; never gates: it always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH_JSON "


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "GONGHUI_SQLITE_PATH": str(db), "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT)}


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    if not getattr(_setup_django, "done", False):
        django.setup()
        _setup_django.done = True  # type: ignore[attr-defined]


def write_roster(path: Path, rows: int, seed: int, fmt: str) -> None:
    """A roster as a cadre sends it: a title row, a header, `rows` people (text cells)."""
    _setup_django()
    from gonghui.members.demo import ROSTER_HEADERS, roster_rows

    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(ROSTER_HEADERS)
            for row in roster_rows(rows, seed=seed):
                w.writerow(row)
        return
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("会员名册")
    ws.write_row(0, 0, ["2026年会员名册（基准测试）"])
    ws.write_row(1, 0, list(ROSTER_HEADERS))
    for i, row in enumerate(roster_rows(rows, seed=seed), start=2):
        ws.write_row(i, 0, [str(v) for v in row])
    wb.close()


def child(args: argparse.Namespace) -> None:
    """One import in this process; prints a JSON line."""
    import resource

    _setup_django()
    from gonghui.core.identifiers import make_uscc
    from gonghui.members.imports import roster_import
    from gonghui.orgs.models import Union

    code = make_uscc("81331003MA" + "BENCH01")
    union = Union.objects.filter(code=code).first() or Union.add_root(
        name="基准测试工会", kind=Union.Kind.SINGLE, code=code)
    started = time.perf_counter()
    # skip_invalid: a generated person whose ID number an earlier run already holds under another name is a
    # rejected row (an import never renames anyone); the other rows are still written and timed
    result = roster_import(path=Path(args.file), union=union, skip_invalid=True)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(MARK + json.dumps({"wall": wall, "peak_mb": peak_mb, **result.as_json()}, ensure_ascii=False), flush=True)


def _run_child(db: Path, file: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", "--file", str(file)], env=_env(db), cwd=ROOT,
                         capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK):]))
    raise SystemExit(f"child failed:\n{out.stdout}\n{out.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 rows (CSV and the formats given)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "import.sqlite3"
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=_env(db), cwd=ROOT, check=True)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    seed = int(time.time()) % 100000
    print(f"{'rows':>9} {'format':6} {'run':>4} {'wall s':>8} {'peak MB':>8}  result")
    for fmt in formats:
        walls, peaks = [], []
        file = work / f"roster-{args.rows}.{fmt}"
        for run in range(max(args.runs, 3)):
            seed += 1
            write_roster(file, args.rows, seed, fmt)
            r = _run_child(db, file)
            walls.append(r["wall"])
            peaks.append(r["peak_mb"])
            print(f"{args.rows:>9} {fmt:6} {run + 1:>4} {r['wall']:>8.2f} {r['peak_mb']:>8.0f}  "
                  f"created={r['created']} rejected={r['rejected']}")
        again = _run_child(db, file)
        print(f"{args.rows:>9} {fmt:6} {'re':>4} {again['wall']:>8.2f} {again['peak_mb']:>8.0f}  "
              f"re-import: unchanged={again['unchanged']} created={again['created']}")
        print(f"{args.rows:>9} {fmt:6} {'med':>4} {statistics.median(walls):>8.2f} {statistics.median(peaks):>8.0f}"
              f"  target ≤ 20 s: {'PASS' if statistics.median(walls) <= 20 else 'FAIL'}")
    if args.million:
        for fmt in formats:
            file = work / f"roster-1m.{fmt}"
            t = time.perf_counter()
            write_roster(file, 1_000_000, seed + 1000, fmt)
            print(f"(1M {fmt} roster written in {time.perf_counter() - t:.0f} s, {file.stat().st_size / 1e6:.0f} MB)")
            r = _run_child(db, file)
            print(f"{1_000_000:>9} {fmt:6} {1:>4} {r['wall']:>8.1f} {r['peak_mb']:>8.0f}  created={r['created']} "
                  f"rejected={r['rejected']}  target ≤ 600 s: {'PASS' if r['wall'] <= 600 else 'FAIL'}")


if __name__ == "__main__":
    main()
