"""`make bench`: page and API timings on a city-scale database (台州市规模: 9,394 unions, ~29k enterprises),
then the roster import and the join burst benchmarks.

    .venv/bin/python bench/run.py [--requests 30] [--keep] [--db sqlite|postgres] [--only pages|import|join|export]
                                  [--full] [--export-scale district|city]

For each database — a temporary SQLite file always, and PostgreSQL too when DATABASE_URL names one (the script
creates a separate database `gonghui_bench` on that server and drops it afterwards) — a child process migrates,
runs `load_demo --scale city` and then times each page and API list in-process with Django's test Client
(middleware, views, queries, templates and JSON rendering; no network, no gunicorn: this is server time).
Each case is warmed up 3 times, then measured `--requests` times (≥ 30). The table shows median and p95 in ms,
the number of SQL queries of one request, and PASS/FAIL against the 200 ms p95 target. It always exits 0:
it reports, it does not gate. A case whose URL name does not exist (yet) is skipped with a note.

The linkage benchmark is separate: `make bench-linkage` (bench/linkage/).

--keep keeps the databases (var/bench/city.sqlite3, and `gonghui_bench` on PostgreSQL) and reuses them next time.
GONGHUI_BENCH_DB names another PostgreSQL database than `gonghui_bench` (two benchmarks on one server).

After the pages, two more benchmarks run as child processes with the same Python and environment (DATABASE_URL
passed through), their output shown as it comes and their figures repeated at the end:
- `bench/bench_import.py --runs 3`: roster import of 10k rows, median of 3 runs (1M rows too with --full), on
  SQLite and on a scratch PostgreSQL database `gonghui_bench_import` (created and dropped) when DATABASE_URL
  names a server;
- `bench/bench_join.py --seconds 60`: the join burst over HTTP (on SQLite, and PostgreSQL when DATABASE_URL
  names a server; --db narrows it).
- `bench/bench_export.py --runs 3`: the district's member export (110k rows) as the download centre's background
  job, masked and unmasked (on SQLite, and a scratch PostgreSQL database `gonghui_bench_export` when DATABASE_URL
  names a server); `--export-scale city` runs it on the city's ~1.03M members.
--only runs one part; --db sqlite|postgres (formerly --only sqlite|postgres, still accepted) one database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 200.0
BENCH_DB = os.environ.get("GONGHUI_BENCH_DB", "gonghui_bench")
MARK = "BENCH_JSON "


# --- the parent: one child per database, one table ----------------------------------------------------------


def _pg_admin_url(url: str, dbname: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def _pg_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _pg_exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(_pg_admin_url(url, "postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone() is not None


def run_child(db: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any] | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", db, "--requests", str(args.requests)]
    print(f"\n== {db}: 建库并加载城市规模演示数据 …", flush=True)
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
        else:
            print(line)
    if proc.returncode != 0 or result is None:
        print(f"!! {db}: 基准进程失败（退出码 {proc.returncode}）")
    return result


def run_script(label: str, cmd: list[str], keep: tuple[str, ...], database_url: str | None = None,
               ok_codes: tuple[int, ...] = (0,)) -> list[str]:
    """Run one of the other benchmark scripts (`cmd[0]` is this Python) with this environment, DATABASE_URL set to
    `database_url` (None: unset, SQLite); echo its output as it comes and return the lines that start with one of
    `keep` (its figures, repeated in the summary)."""
    print(f"\n== {label}: {' '.join(cmd[1:])}", flush=True)
    figures: list[str] = []
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GONGHUI_DEBUG": "0"})
    if database_url:
        env["DATABASE_URL"] = database_url
    with subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.lstrip().startswith(keep):
                figures.append(line.rstrip())
    if proc.returncode not in ok_codes:
        figures.append(f"!! {label}: 进程失败（退出码 {proc.returncode}）")
    return figures


def parent(args: argparse.Namespace) -> int:
    parts = {"pages", "import", "join", "export"} if not args.only else {args.only}
    pg_url = os.environ.get("DATABASE_URL", "")
    has_pg = pg_url.startswith(("postgres://", "postgresql://"))
    summary: list[str] = []
    if "pages" in parts:
        bench_pages(args)
    dbs = [args.db] if args.db else ["sqlite", "postgres"]
    if not has_pg and "postgres" in dbs:
        dbs.remove("postgres")
        if args.db:
            print("\n(未设置 PostgreSQL 的 DATABASE_URL，跳过 PostgreSQL 基准)")
    if "import" in parts:
        # bench_import.py imports into the database DATABASE_URL names: a scratch one, never the one named
        cmd = [sys.executable, str(ROOT / "bench" / "bench_import.py"), "--runs", "3", "--rows", "10000"]
        if args.full:
            cmd.append("--million")
        for db in dbs:
            scratch = f"{BENCH_DB}_import"
            if db == "postgres":
                _pg_execute(pg_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
                _pg_execute(pg_url, f"CREATE DATABASE {scratch}")
            try:
                lines = run_script(f"名册导入基准（{db}）", cmd, keep=("10000", "1000000", "!!"),
                                   database_url=_pg_admin_url(pg_url, scratch) if db == "postgres" else None)
            finally:
                if db == "postgres":
                    _pg_execute(pg_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            summary += [f"名册导入 {db}（bench_import.py，med 为 3 次的中位数）:", *[f"  {x}" for x in lines]]
    if "export" in parts:
        summary += bench_export(args, dbs, pg_url)
    if "join" in parts and dbs:
        # bench_join.py makes (and drops) its own databases, on the server DATABASE_URL names
        cmd = [sys.executable, str(ROOT / "bench" / "bench_join.py"), "--seconds", "60", "--db", ",".join(dbs)]
        lines = run_script("扫码入会并发基准", cmd, keep=("join-burst", "[postgres] 跳过", "!!"),
                           database_url=pg_url if has_pg else None, ok_codes=(0, 1))  # 1: under target, not a crash
        summary += ["扫码入会并发（bench_join.py，60 秒）:", *[f"  {x}" for x in lines]]
    if summary:
        print("\n" + "\n".join(summary))
    print("\n联动引擎基准另行运行：make bench-linkage（bench/linkage/）")
    return 0


def bench_export(args: argparse.Namespace, dbs: list[str], pg_url: str) -> list[str]:
    """bench/bench_export.py: the district's member export as a background job, masked and unmasked, median of 3,
    on SQLite (var/bench/export-district.sqlite3) and on a scratch PostgreSQL database `<bench db>_export`."""
    cmd = [sys.executable, str(ROOT / "bench" / "bench_export.py"), "--runs", "3", "--scale", args.export_scale]
    summary: list[str] = []
    for db in dbs:
        scratch = f"{BENCH_DB}_export"
        run_cmd = cmd + (["--keep"] if args.keep and db == "sqlite" else [])
        if db == "postgres":
            _pg_execute(pg_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            _pg_execute(pg_url, f"CREATE DATABASE {scratch}")
        try:
            lines = run_script(f"会员导出基准（{db}）", run_cmd, keep=("export-", "!!"),
                               database_url=_pg_admin_url(pg_url, scratch) if db == "postgres" else None)
        finally:
            if db == "postgres":
                _pg_execute(pg_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
        summary += [f"会员导出 {db}（bench_export.py，后台任务，3 次中位数）:", *[f"  {x}" for x in lines]]
    return summary


def bench_pages(args: argparse.Namespace) -> None:
    results: list[dict[str, Any]] = []
    base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "GONGHUI_DEBUG": "0"}
    pg_url = os.environ.get("DATABASE_URL", "")
    want = {"sqlite", "postgres"} if not args.db else {args.db}

    if "sqlite" in want:
        keep_dir = ROOT / "var" / "bench"
        if args.keep:
            keep_dir.mkdir(parents=True, exist_ok=True)
            tmp = None
            path = keep_dir / "city.sqlite3"
        else:
            tmp = tempfile.TemporaryDirectory(prefix="gonghui-bench-")
            path = Path(tmp.name) / "city.sqlite3"
        env = {k: v for k, v in base_env.items() if k != "DATABASE_URL"}
        env["GONGHUI_SQLITE_PATH"] = str(path)
        try:
            if (r := run_child("sqlite", env, args)) is not None:
                results.append(r)
        finally:
            if tmp is not None:
                tmp.cleanup()

    if "postgres" in want:
        if not pg_url.startswith(("postgres://", "postgresql://")):
            print("\n(未设置 PostgreSQL 的 DATABASE_URL，跳过 PostgreSQL 基准)")
        else:
            reuse = args.keep and _pg_exists(pg_url)
            if not reuse:
                _pg_execute(pg_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
                _pg_execute(pg_url, f"CREATE DATABASE {BENCH_DB}")
            env = {**base_env, "DATABASE_URL": _pg_admin_url(pg_url, BENCH_DB)}
            try:
                if (r := run_child("postgres", env, args)) is not None:
                    results.append(r)
            finally:
                if not args.keep:
                    _pg_execute(pg_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

    print_table(results)


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"\n页面与接口服务端耗时（进程内 Django 测试客户端，目标 p95 ≤ {TARGET_P95_MS:.0f} ms）")
    header = f"{'数据库':<9}{'用户':<10}{'用例':<34}{'次数':>5}{'中位':>9}{'p95':>9}{'SQL':>5}  结果"
    print(header)
    print("-" * 90)
    for r in results:
        print(f"  数据: 工会 {r['unions']:,}  企业 {r['enterprises']:,}  建库 {r['load_seconds']:.0f} 秒  ({r['db']})")
        if r["loadavg"] > r["cpus"]:
            print(f"  注意：测量结束时系统负载 {r['loadavg']:.1f} 高于 CPU 数 {r['cpus']}，耗时偏高，宜在空闲时重测")
        for c in r["cases"]:
            if c.get("skipped"):
                print(f"{r['db']:<9}{c['user']:<10}{c['case']:<32}  跳过：{c['skipped']}")
                continue
            verdict = "PASS" if c["p95"] <= TARGET_P95_MS and not c["errors"] else "FAIL"
            errors = f" ({c['errors']} 次非 200)" if c["errors"] else ""
            print(
                f"{r['db']:<9}{c['user']:<10}{c['case']:<32}{c['n']:>6}{c['median']:>9.1f}{c['p95']:>9.1f}"
                f"{c['queries']:>5}  {verdict}{errors}"
            )


# --- the child: build, then measure -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    url_name: str  # a URL name, or a literal path starting with "/"
    query: str = ""
    kwargs: str = ""  # "township": the user's township (or 院桥镇 for the district)


CASES = [
    Case("企业名录", "orgs:enterprise_list"),
    Case("企业名录 未建会+≥25人+镇街", "orgs:enterprise_list", "covered=no&ge25=on&township={township}"),
    Case("企业名录 第 50 页", "orgs:enterprise_list", "page=50"),
    Case("组织树", "orgs:tree"),
    Case("镇街工会详情", "orgs:union_detail", kwargs="township"),
    Case("工作台", "dashboard"),
    # the 工作台's panels, each its own request (htmx): the to-do panel and every app's figures
    Case("工作台·待办", "/panels/todo/"),
    Case("工作台·组织", "/panels/orgs/"),
    Case("工作台·会员", "/panels/members/"),
    Case("工作台·建会入会", "/panels/campaigns/"),
    Case("工作台·职工诉求", "/panels/demands/"),
    Case("API 工会列表", "/api/v1/unions"),
    Case("API 工会列表 offset=5000", "/api/v1/unions", "offset=5000"),
    Case("API 企业列表", "/api/v1/enterprises"),
    Case("API 企业 未建会+≥25人+镇街", "/api/v1/enterprises", "covered=false&min_headcount=25&township={township}"),
    Case("API 企业 limit=1000", "/api/v1/enterprises", "limit=1000"),
]
USERS = {"huangyan": "院桥镇总工会", "dongcheng": "东城街道总工会"}


class _QueryCounter:
    """An execute wrapper counting SQL statements (works with DEBUG off, across reconnects)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))
    return ordered[k]


def child(db: str, requests: int) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from gonghui.accounts.models import User
    from gonghui.orgs.models import Enterprise, Union

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Union.objects.count() < 9000:
        call_command("load_demo", scale="city", stdout=open(os.devnull, "w"))
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cur:
        # fresh statistics on both databases, and on PostgreSQL the visibility map too (index-only scans), as a
        # production database has them once autovacuum has passed after the bulk load
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    out: list[dict[str, Any]] = []
    for username, township_name in USERS.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        township = Union.objects.get(name=township_name)
        for case in CASES:
            row: dict[str, Any] = {"case": case.label, "user": username}
            try:
                if case.url_name.startswith("/"):
                    path = case.url_name
                else:
                    path = reverse(case.url_name, kwargs={"pk": township.pk} if case.kwargs else None)
            except NoReverseMatch:
                out.append({**row, "skipped": f"URL 名称 {case.url_name} 不存在"})
                continue
            url = path + ("?" + case.query.format(township=township.pk) if case.query else "")
            for _ in range(3):
                client.get(url)
            counter = _QueryCounter()
            with connection.execute_wrapper(counter):
                first = client.get(url)
            if first.status_code != 200:
                out.append({**row, "skipped": f"{url} 返回 {first.status_code}"})
                continue
            timings, errors = [], 0
            for _ in range(requests):
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                errors += response.status_code != 200
            out.append({
                **row, "url": url, "n": len(timings), "median": statistics.median(timings),
                "p95": _percentile(timings, 0.95), "queries": counter.n, "errors": errors,
            })
    result = {
        "db": db, "unions": Union.objects.count(), "enterprises": Enterprise.objects.count(),
        "load_seconds": load_seconds, "cases": out, "loadavg": os.getloadavg()[0], "cpus": os.cpu_count() or 1,
    }
    print(MARK + json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="每个用例的计时请求数（至少 30）")
    parser.add_argument("--keep", action="store_true", help="保留并复用基准数据库")
    parser.add_argument("--db", choices=("sqlite", "postgres"), help="只测一种数据库")
    parser.add_argument("--only", choices=("pages", "import", "join", "export", "sqlite", "postgres"),
                        help="只运行一部分：pages 页面与接口，import 名册导入，join 扫码入会并发，export 会员导出"
                        "（sqlite/postgres 为旧用法，等同 --db）")
    parser.add_argument("--full", action="store_true", help="名册导入也测 100 万行（耗时约十分钟）")
    parser.add_argument("--export-scale", choices=("district", "city"), default="district",
                        help="会员导出基准的数据规模（city 约 103 万会员，建库约数分钟）")
    parser.add_argument("--child", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only in ("sqlite", "postgres"):
        args.db, args.only = args.db or args.only, None
    args.requests = max(30, args.requests)
    if args.child:
        return child(args.child, args.requests)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
