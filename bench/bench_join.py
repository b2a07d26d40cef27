"""Join burst over HTTP: POST /api/v1/join/{union} against the served app (gunicorn, several workers).

For each database (SQLite, and PostgreSQL when reachable) it builds a fresh temporary database
(`migrate` + `load_demo --scale test`), starts gunicorn on a free loopback port, runs bounded request loops
from threads (httpx) for `--seconds` (default 60) — 10 % of the joins are people joining again — stops
gunicorn, then checks in the database: every acknowledged person is there once with the card number the API
gave (0 lost, 0 duplicates). It also counts the SQL queries of one join and how many of them the rate limiter
(django-ratelimit on the database cache) adds. Prints medians; the target is ≥ 50 joins/s, 0 errors.

The per-IP limit (1200/m, ≈ 20/s) stays on: the load comes from several loopback source addresses
(127.0.0.2 … 127.0.0.9), as an event's load comes from several carrier-NAT addresses.

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
SOURCES = [f"127.0.0.{i}" for i in range(2, 10)]
CJK = str.maketrans("0123456789", "零一二三四五六七八九")
TARGET = 50.0


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
dups = (len(rows) - len(acks)) + (len(nos) - len(set(nos)))
c = Client(REMOTE_ADDR="127.0.0.77")
body = __BODY__
with CaptureQueriesContext(connection) as ctx:
    status = c.post("/api/v1/join/__CODE__", body, content_type="application/json").status_code
cache_q = sum(1 for q in ctx.captured_queries if "gonghui_cache" in q["sql"])
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
    mismatched = 0
    for _end, _lat, _status, number, no in results:
        if acks.setdefault(number, no) != no:
            mismatched += 1
    latencies = sorted(lat for _e, lat, *_ in results)
    return {
        "elapsed": elapsed,
        "ok": len(results),
        "created": sum(1 for r in results if r[2] == 201),
        "again": sum(1 for r in results if r[2] == 200),
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
    code = shell(env, f"import json; from gonghui.orgs.models import Union; "
                      f"print(json.dumps(Union.objects.get(name={UNION_NAME!r}).code))")
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
        load = run_load(base, code, seconds, threads)
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
        f"ok {r['ok']} (201: {r['created']}, 200 again: {r['again']}); errors {r['errors']}, lost {r['lost']}, "
        f"duplicates {r['duplicates']}; queries per join {r['queries']} (rate limiter {r['ratelimit_queries']}) "
        f"→ {verdict}"
    )
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
