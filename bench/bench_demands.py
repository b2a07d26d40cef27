"""Demand queues and the dashboard at 50,000 demands: p95 ≤ 200 ms (server time, Django's test Client in process).

    .venv/bin/python bench/bench_demands.py [--db PATH] [--demands 50000] [--requests 30]

Builds (or reuses, with --db) an SQLite database of the 黄岩 demo district (`load_demo`), tops the demands up to
--demands with the demo's generator (a year of demands over the district's unions, ≈90 % solved, routed to the 83
service points and the partner departments), then times each case 3 warm-ups + --requests runs as huangyan
(the district), dongcheng (a township) and renshe (人社局, a unit off the tree). With DATABASE_URL set the same
runs on that PostgreSQL server instead (the database named there is used as it is: give a scratch one).
Prints one line per case: median, p95, queries, PASS/FAIL; exits 0 (it reports, it does not gate)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 200.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="", help="SQLite file to build or reuse (default: a temporary one)")
    parser.add_argument("--demands", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        path = args.db or str(Path(tempfile.mkdtemp(prefix="gonghui-bench-demands-")) / "demands.sqlite3")
        os.environ["GONGHUI_SQLITE_PATH"] = path
    os.environ.setdefault("GONGHUI_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from gonghui.demands.demo_step import build
    from gonghui.demands.models import Demand
    from gonghui.orgs.models import Union

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not Union.objects.exists():
        t = time.perf_counter()
        call_command("load_demo", "--scale", "district", verbosity=0, stdout=open(os.devnull, "w"))
        print(f"load_demo: {time.perf_counter() - t:.0f} s")
    have = Demand.objects.count()
    if have < args.demands:
        t = time.perf_counter()
        build(scale="district", seed=have + 1, count=args.demands - have, offset=have + 10_000_000)
        print(f"demands: {have} → {Demand.objects.count()} ({time.perf_counter() - t:.0f} s)")
    print(f"database: {connection.vendor}, {Demand.objects.count()} demands")

    cases = [
        ("huangyan", "queue, all", "/demands/"),
        ("huangyan", "queue, overdue", "/demands/?tab=overdue"),
        ("huangyan", "queue, to call back", "/demands/?tab=callback"),
        ("dongcheng", "queue, all", "/demands/"),
        ("dongcheng", "queue, mine", "/demands/?tab=mine"),
        ("dongcheng", "queue, overdue", "/demands/?tab=overdue"),
        ("renshe", "queue, my unit", "/demands/?tab=mine"),
        ("huangyan", "API list", "/api/v1/demands?limit=100"),
        ("dongcheng", "API list, overdue", "/api/v1/demands?overdue=true&limit=100"),
        ("huangyan", "dashboard", "/demands/dashboard/"),
        ("dongcheng", "dashboard", "/demands/dashboard/"),
        ("huangyan", "工作台 panel", "/panels/demands/"),
    ]
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in={c[0] for c in cases})}
    print(f"{'user':<10} {'case':<22} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  target p95 ≤ {TARGET_P95_MS:.0f}")
    for username, label, url in cases:
        client = Client()
        client.force_login(users[username])
        for _ in range(3):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
        with CaptureQueriesContext(connection) as q:
            client.get(url)
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
        print(f"{username:<10} {label:<22} {statistics.median(times):>10.1f} {p95:>8.1f} {len(q):>8}  {verdict}")


if __name__ == "__main__":
    main()
