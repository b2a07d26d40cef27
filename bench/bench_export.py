"""Member export as the download centre's background job: the district's whole roster, masked and unmasked.

    .venv/bin/python bench/bench_export.py [--scale district|city] [--runs 3] [--keep]

Builds a demo database at the scale (`load_demo --scale …`: 110k members for the district, ~1.03M for the city)
on SQLite (var/bench/export-<scale>.sqlite3; --keep reuses it) or, when DATABASE_URL is set, in that database
(which must be a scratch one: bench/run.py creates and drops `gonghui_bench_export`). Then each run is a fresh
child process that queues the export as huangyan (whole district, holds export_unmasked) and times the job the
task worker would run (`downloads.services.export_job_run`: read in primary-key batches, decrypt per batch,
xlsxwriter in constant-memory mode). A sampler thread records the process's resident memory every 20 ms; the
table shows the median seconds, rows, file size and the peak RSS growth over the child's baseline.

Targets (issue 9 §6): district ≤ 10 s masked, ≤ 15 s unmasked, memory flat (not growing with the rows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH_EXPORT "
TARGETS = {"masked": 10.0, "unmasked": 15.0}


def _env(args: argparse.Namespace) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "GONGHUI_DEBUG": "0"}
    if not os.environ.get("DATABASE_URL"):
        env["GONGHUI_SQLITE_PATH"] = str(ROOT / "var" / "bench" / f"export-{args.scale}.sqlite3")
    return env


def prepare(args: argparse.Namespace) -> float:
    """Migrate and load the demo at the scale unless it is already there; returns the load seconds."""
    env = _env(args)
    path = Path(env.get("GONGHUI_SQLITE_PATH", ""))
    if path.name and not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    if path.name:
        path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([py, "manage.py", "load_demo", "--scale", args.scale], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def child(mode: str) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import psutil

    from gonghui.accounts.models import User
    from gonghui.downloads.services import export_job_run
    from gonghui.members.exports import member_export_start
    from gonghui.members.selectors import MemberFilters

    proc = psutil.Process()
    user = User.objects.get(username="huangyan")
    job = member_export_start(user=user, filters=MemberFilters(), unmasked=mode == "unmasked", reason="基准测试")
    baseline = proc.memory_info().rss
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    done = export_job_run(job_id=job.pk)
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    assert done is not None and done.status == "done", done
    Path(done.file_path).unlink()
    print(MARK + json.dumps({"mode": mode, "seconds": seconds, "rows": done.rows_done, "size": done.size,
                             "rss_growth_mb": (peak[0] - baseline) / 2**20, "baseline_mb": baseline / 2**20}),
          flush=True)
    return 0


def measure(args: argparse.Namespace) -> list[str]:
    lines = []
    for mode in ("masked", "unmasked"):
        runs: list[dict[str, Any]] = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--child", mode], env=_env(args), cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True)
            for line in out.stdout.splitlines():
                if line.startswith(MARK):
                    runs.append(json.loads(line[len(MARK):]))
            if out.returncode != 0:
                lines.append(f"!! export {mode}: 子进程失败（退出码 {out.returncode}）")
        if not runs:
            continue
        med = statistics.median(r["seconds"] for r in runs)
        each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        verdict = "PASS" if args.scale != "district" or med <= TARGETS[mode] else "FAIL"
        lines.append(
            f"export-{args.scale} {mode:<8} rows {runs[0]['rows']:>9,}  median {med:6.1f} s "
            f"(runs {each})  file {runs[0]['size'] / 2**20:5.1f} MB  "
            f"peak RSS +{max(r['rss_growth_mb'] for r in runs):5.1f} MB  "
            f"({int(runs[0]['rows'] / med):,} rows/s)  {verdict if args.scale == 'district' else ''}".rstrip())
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("district", "city"), default="district")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="复用已有的基准数据库（SQLite）")
    parser.add_argument("--child", choices=("masked", "unmasked"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    load = prepare(args)
    print(f"会员导出基准：{args.scale} 规模，建库/检查用时 {load:.0f} 秒，系统负载 {os.getloadavg()[0]:.1f}", flush=True)
    for line in measure(args):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
