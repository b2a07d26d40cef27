"""Join burst over HTTP: POST /api/v1/join/{union} against the served app (gunicorn, several workers).

For each database (SQLite, and PostgreSQL when reachable) it builds a fresh temporary database
(`migrate` + `load_demo --scale test`), starts gunicorn on a free loopback port, runs bounded request loops
from threads (httpx) for `--seconds` (default 60) — 10 % of the joins are people joining again — stops
gunicorn, then checks in the database: every person acknowledged with a 201 is there once with the card number
the API gave (0 lost), and no ID number got two 201s or two people (0 doubled). A join again of someone on file
answers 202 (a code to the registered mobile; the file SMS backend writes it under the temporary var/). It also
counts the SQL queries of one first-time join and how many of them the rate limiter adds. Prints medians; the
target is ≥ 100 joins/s, 0 errors.

The limits stay on: the per-IP limit (1200/m, ≈ 20/s) — the load comes from 16 loopback source addresses
(127.0.0.2 … 127.0.0.17), as an event's load comes from several carrier-NAT addresses — and the per-network
limit on distinct ID numbers, which an event needs opened: the bench opens the union's 活动模式 as the chair
would.

    .venv/bin/python bench/bench_join.py [--seconds 60] [--threads 12] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
# The PostgreSQL server: BENCH_PG_ADMIN_URL, else the server DATABASE_URL names, else the local default. A fresh
# database gonghui_bench_join_<pid> is created on it and dropped afterwards.
_DB_URL = os.environ.get("DATABASE_URL", "")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL") or (
    _DB_URL.rsplit("/", 1)[0] + "/postgres" if _DB_URL.startswith("postgres") else
    "postgres://postgres@127.0.0.1:5432/postgres"
)
UNION_NAME = "黄岩区中通快递网点联合工会"
SOURCES = [f"127.0.0.{i}" for i in range(2, 18)]
CJK = str.maketrans("0123456789", "零一二三四五六七八九")
TARGET = 100.0


def person(i: int) -> dict[str, Any]:
    from gonghui.core.identifiers import make_id_number  # pure function, no Django set-up needed

    number = make_id_number("120101", dt.date(1970, 1, 1) + dt.timedelta(days=i // 500), 100 + i % 500)
    return {"name": "压测" + f"{i:05d}".translate(CJK), "id_number": number, "phone": f"139{i:08d}",
            "employer": "", "occupation": "快递员", "consent": True}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"manage.py {' '.join(args[:1])} failed")
    return out.stdout


def shell(env: dict[str, str], code: str) -> Any:
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


VERIFY = r"""
import json
from django.test import Client
from django.db import connection
from django.test.utils import CaptureQueriesContext
from gonghui.core import crypto
from gonghui.members.models import Person
acks = json.load(open(__ACKS__))
rows = {p.id_index: p.member_no for p in Person.objects.filter(name__startswith="压测")}
lost = sum(1 for number, no in acks.items() if rows.get(crypto.blind_index(number)) != no)
nos = list(rows.values())
dups = max(0, len(rows) - len(acks)) + (len(nos) - len(set(nos)))
c = Client(REMOTE_ADDR="127.0.0.77")
body = __BODY__
with CaptureQueriesContext(connection) as ctx:
    status = c.post("/api/v1/join/__CODE__", body, content_type="application/json").status_code
cache_q = sum(1 for q in ctx.captured_queries if "gonghui_cache" in q["sql"] or "members_ratecounter" in q["sql"])
print(json.dumps({"lost": lost, "duplicates": dups, "in_db": len(rows), "probe_status": status,
                  "queries": len(ctx.captured_queries), "ratelimit_queries": cache_q}))
"""


def run_load(base: str, code: str, seconds: float, threads: int) -> dict[str, Any]:
    import httpx

    lock = threading.Lock()
    counter = [0]
    results: list[tuple[float, float, int, str, str]] = []  # end time, latency, status, id_number, member_no
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    cap = int(seconds * 400)  # bounded loop: never more than 400 requests a second in all

    def next_job() -> int | None:
        with lock:
            if counter[0] >= cap:
                return None
            counter[0] += 1
            return counter[0] - 1

    def worker(n: int) -> None:
        transport = httpx.HTTPTransport(local_address=SOURCES[n % len(SOURCES)])
        with httpx.Client(base_url=base, transport=transport, timeout=60) as client:
            while time.monotonic() < deadline:
                k = next_job()
                if k is None:
                    return
                i = k - 9 if k % 10 == 9 else k  # every tenth join is someone who joined a moment ago
                body = person(i)
                t0 = time.monotonic()
                try:
                    r = client.post(f"/api/v1/join/{code}", json=body)
                except httpx.HTTPError as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    continue
                t1 = time.monotonic()
                with lock:
                    if r.status_code in (200, 201):
                        results.append((t1, t1 - t0, r.status_code, body["id_number"], r.json()["member_no"]))
                    elif r.status_code == 202:  # on file already: a code to the registered mobile, no card
                        results.append((t1, t1 - t0, r.status_code, body["id_number"], ""))
                    else:
                        errors[f"HTTP {r.status_code}: {r.text[:80]}"] += 1

    start = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    per_second = Counter(int(end - start) for end, *_ in results)
    full = [per_second.get(s, 0) for s in range(1, max(2, int(elapsed) - 1))]  # drop the ramp-up and tail seconds
    acks: dict[str, str] = {}
    mismatched = 0  # an ID number given a card twice (two 201s), or two different card numbers
    for _end, _lat, status, number, no in results:
        if status == 201 and number in acks:
            mismatched += 1
        elif status in (200, 201) and acks.setdefault(number, no) != no:
            mismatched += 1
    latencies = sorted(lat for _e, lat, *_ in results)
    return {
        "elapsed": elapsed,
        "ok": len(results),
        "created": sum(1 for r in results if r[2] == 201),
        "again": sum(1 for r in results if r[2] in (200, 202)),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(3)),
        "median_rate": statistics.median(full) if full else 0.0,
        "min_rate": min(full) if full else 0,
        "mean_rate": len(results) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "acks": acks,
        "mismatched": mismatched,
    }


def bench_one(label: str, database_url: str | None, seconds: float, threads: int, workers: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"gonghui-bench-join-{label}-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "GONGHUI_VAR_DIR": str(tmp),
           "GONGHUI_DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["GONGHUI_SQLITE_PATH"] = str(tmp / "bench.sqlite3")
    t = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_demo", "--scale", "test")
    code = shell(env, "import json, datetime; from django.utils import timezone; "
                      "from gonghui.orgs.models import Union; from gonghui.members.models import JoinSettings; "
                      f"u = Union.objects.get(name={UNION_NAME!r}); "
                      "JoinSettings.objects.update_or_create(union=u, defaults={'event_until': timezone.now() + "
                      "datetime.timedelta(hours=3)}); print(json.dumps(u.code))")
    print(f"[{label}] 临时数据库就绪（{time.perf_counter() - t:.0f} 秒）", flush=True)
    port = free_port()
    log = open(tmp / "gunicorn.log", "w")
    server = subprocess.Popen(
        [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", "4", "--timeout", "120", "--preload"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(120):
            try:
                if httpx.get(base + "/accounts/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit(f"[{label}] gunicorn did not start; see {tmp / 'gunicorn.log'}")
        cpu0 = server_cpu(server.pid, database_url)
        load = run_load(base, code, seconds, threads)
        cpu1 = server_cpu(server.pid, database_url)
        joins = max(1, load["ok"])
        load["cpu_app_ms"] = 1000 * (cpu1[0] - cpu0[0]) / joins
        load["cpu_db_ms"] = 1000 * (cpu1[1] - cpu0[1]) / joins
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    acks_path = tmp / "acks.json"
    acks_path.write_text(json.dumps(load.pop("acks")))
    probe = person(10**6)
    check = shell(env, VERIFY.replace("__ACKS__", repr(str(acks_path))).replace("__BODY__", repr(probe))
                  .replace("__CODE__", code))
    result = {"label": label, **load, **check, "duplicates": check["duplicates"] + load["mismatched"], "tmp": str(tmp)}
    if result["errors"] == result["lost"] == result["duplicates"] == 0:
        shutil.rmtree(tmp, ignore_errors=True)  # kept (with gunicorn.log) when something went wrong
    return result


def server_cpu(master: int, database_url: str | None) -> tuple[float, float]:
    """CPU seconds used so far by the gunicorn workers and by the PostgreSQL backends serving them: a figure
    that, unlike joins/s, does not depend on what else the machine is doing. (SQLite runs inside the workers.)"""
    import psutil

    def used(p: Any) -> float:
        try:
            t = p.cpu_times()
            return float(t.user + t.system)
        except psutil.Error:
            return 0.0

    root = psutil.Process(master)
    app = used(root) + sum(used(c) for c in root.children(recursive=True))
    db = 0.0
    if database_url:
        import psycopg

        name = database_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])]
        db = sum(used(psutil.Process(pid)) for pid in pids if psutil.pid_exists(pid))
    return app, db


def pg_database() -> tuple[str, Any] | None:
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so and skip
        print(f"[postgres] 跳过：无法连接 {PG_ADMIN_URL}（{exc.__class__.__name__}）")
        return None
    name = f"gonghui_bench_join_{os.getpid()}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, (admin, name)


def report(r: dict[str, Any]) -> None:
    verdict = "达标" if r["median_rate"] >= TARGET and r["errors"] == 0 and r["lost"] == 0 and r["duplicates"] == 0 \
        else "未达标"
    print(
        f"join-burst {r['label']}: median {r['median_rate']:.1f} joins/s (min {r['min_rate']}, mean "
        f"{r['mean_rate']:.1f}) over {r['elapsed']:.0f}s; latency p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms; "
        f"ok {r['ok']} (201: {r['created']}, 202 again: {r['again']}); errors {r['errors']}, lost {r['lost']}, "
        f"duplicates {r['duplicates']}; queries per join {r['queries']} (rate limiter {r['ratelimit_queries']}) "
        f"→ {verdict}"
    )
    cpu = r["cpu_app_ms"] + r["cpu_db_ms"]
    print(f"  server CPU per request: app {r['cpu_app_ms']:.1f} ms + database {r['cpu_db_ms']:.1f} ms → "
          f"{(os.cpu_count() or 1) * 1000 / cpu:.0f} requests/s if the {os.cpu_count()} cores did nothing else "
          f"(load average at the end {os.getloadavg()[0]:.1f})")
    if r["error_kinds"]:
        print(f"  errors: {r['error_kinds']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    results = []
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        if db == "sqlite":
            results.append(bench_one("sqlite", None, args.seconds, args.threads, args.workers))
        elif db == "postgres":
            made = pg_database()
            if made is None:
                continue
            url, (admin, name) = made
            try:
                results.append(bench_one("postgres", url, args.seconds, args.threads, args.workers))
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()
        report(results[-1])
    print(json.dumps([{k: v for k, v in r.items() if k not in ("error_kinds", "tmp")} for r in results],
                     ensure_ascii=False))
    ok = all(r["median_rate"] >= TARGET and r["errors"] == r["lost"] == r["duplicates"] == 0 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
