"""Demand queues and the dashboard at 50,000 demands: p95 ≤ 200 ms (server time, Django's test Client in process).

    .venv/bin/python bench/bench_demands.py [--db PATH] [--demands 50000] [--requests 30] [--keep]

Builds (or reuses, with --db) an SQLite database of the 黄岩 demo district (`load_demo`), tops the demands up to
--demands with the demo's generator (a year of demands over the district's unions, ≈90 % solved, routed to the 83
service points and the partner departments), then times each case 3 warm-ups + --requests runs as huangyan
(the district), dongcheng (a township) and renshe (人社局, a unit off the tree).

With DATABASE_URL naming a PostgreSQL server (as bench/run.py reads it) the same runs there, in a scratch database
`<GONGHUI_BENCH_DB or gonghui_bench>_demands` created on that server and dropped afterwards (--keep keeps it and
reuses it next time), never in the database DATABASE_URL names.

The dashboard keeps its figures 10 minutes per user scope until a demand changes (selectors.dashboard_cached), so
it is timed twice: as a cadre meets it (cached between changes) and cold — a demand changed before every request
("dashboard, cold"), the figures computed afresh each time. Prints one line per case: median, p95, SQL statements
of one request, PASS/FAIL, and the load average; exits 0 (it reports, it does not gate)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 200.0


def _pg_scratch(url: str, keep: bool) -> tuple[str, str]:
    """(the scratch database's URL, its name), created on the server `url` names unless kept from a previous run."""
    import psycopg

    from bench.run import BENCH_DB, _pg_admin_url

    name = f"{BENCH_DB}_demands"
    with psycopg.connect(_pg_admin_url(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
        if not (keep and exists):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    return _pg_admin_url(url, name), name


def _pg_drop(url: str, name: str) -> None:
    import psycopg

    from bench.run import _pg_admin_url

    with psycopg.connect(_pg_admin_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class _Counter:
    """Counts SQL statements (works with DEBUG off)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="", help="SQLite file to build or reuse (default: a temporary one)")
    parser.add_argument("--demands", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the scratch database and reuse it")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    server = os.environ.get("DATABASE_URL", "")
    scratch = ""
    if server.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"], scratch = _pg_scratch(server, args.keep)
    elif not server:
        path = args.db or str(Path(tempfile.mkdtemp(prefix="gonghui-bench-demands-")) / "demands.sqlite3")
        os.environ["GONGHUI_SQLITE_PATH"] = path
    try:
        run(args)
    finally:
        if scratch and not args.keep:
            from django.db import connections

            connections.close_all()
            _pg_drop(server, scratch)


def run(args: argparse.Namespace) -> None:
    os.environ.setdefault("GONGHUI_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from gonghui.demands import revision
    from gonghui.demands.demo_step import build, build_menu
    from gonghui.demands.models import Demand, ServiceTeam
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
    with connection.cursor() as cur:  # fresh statistics (and on PostgreSQL the visibility map), as after autovacuum
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    if not ServiceTeam.objects.exists():  # a database built before the service menu existed
        build_menu(scale="district")
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
        ("huangyan", "dashboard, cold", "/demands/dashboard/"),
        ("dongcheng", "dashboard, cold", "/demands/dashboard/"),
        ("huangyan", "工作台 panel", "/panels/demands/"),
        ("huangyan", "visits list", "/demands/visits/"),
        ("dongcheng", "teams and counts", "/demands/teams/"),
        ("huangyan", "API visits", "/api/v1/visits?limit=100"),
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
        cold = label.endswith("cold")
        counter = _Counter()
        if cold:
            revision.bump()
        with connection.execute_wrapper(counter):
            client.get(url)
        times = []
        for _ in range(args.requests):
            if cold:
                revision.bump()  # as if a demand had just changed: the figures are computed afresh
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
        print(f"{username:<10} {label:<22} {statistics.median(times):>10.1f} {p95:>8.1f} {counter.n:>8}  {verdict}  "
              f"(load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
