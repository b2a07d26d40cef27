"""Rate limits of the public join and the e-card SMS login, keyed on the real client IP.

**Client IP.** `client_ip()` is REMOTE_ADDR unless REMOTE_ADDR is one of settings.GONGHUI_TRUSTED_PROXIES (CIDRs,
env `GONGHUI_TRUSTED_PROXIES`; default: none), in which case the client is read from
settings.GONGHUI_CLIENT_IP_HEADER (default X-Forwarded-For): the right-most address that is not itself a
trusted proxy. A client cannot forge its way past the limits by sending the header itself: without a trusted
proxy in front, the header is ignored.

**Counters.** `hit()` counts one request against several buckets at once and returns each bucket's count since
its window opened (a window opens at a bucket's first hit and lasts the limit's period). One round trip and
atomic: on Redis (when the shared cache is Django's RedisCache, see CACHE_URL) a MULTI pipeline of SET NX EX +
INCR; otherwise one `INSERT … ON CONFLICT DO UPDATE … RETURNING` over members.RateCounter (SQLite ≥ 3.35 and
PostgreSQL), so parallel requests never lose a hit — Django's database cache `incr` is a read-then-write, and
django-ratelimit on it cost 6 queries a join.

**The join's limits** (`join_limited`):
- per client IP, GONGHUI_JOIN_RATE_IP (1200/m): a venue's Wi-Fi or a carrier NAT puts hundreds of phones behind
  one address;
- per ID number, GONGHUI_JOIN_RATE_ID (10/m), keyed by the blind index (never the clear number);
- per client IP, the number of DISTINCT ID numbers tried, GONGHUI_JOIN_DISTINCT_IP (100/h): what stops a
  stranger with a list of ID numbers from learning at scale which are registered. During a union's 活动模式
  (JoinSettings.event_until, opened by the chair) joins to that union count in their own bucket with
  GONGHUI_JOIN_EVENT_DISTINCT_IP (5000/h), so 2,000 workers behind one carrier NAT join within minutes.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest

from gonghui.core import clientip, crypto
from gonghui.core.db import serialized_writes
from gonghui.core.identifiers import parse_id_number

TOO_MANY_FROM_IP = "当前入会人数较多，请稍后再试"
TOO_MANY_FOR_ID = "该身份证号码提交过于频繁，请1分钟后再试"
TOO_MANY_IDS = "当前网络提交的身份证号码过多，请稍后再试。如为集中入会活动，请联系工会开启“活动模式”"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PURGE_CHANCE = 0.002  # about one request in 500 deletes the expired counters


# ---------------------------------------------------------------- the client's address: one rule, in core

client_ip = clientip.client_ip  # re-exported: the join's limits and the login lockout count the same address


# ---------------------------------------------------------------- atomic counters


def parse_rate(rate: str) -> tuple[int, int]:
    """"1200/m" → (1200, 60); "20/10m" → (20, 600)."""
    count, _, per = rate.partition("/")
    digits = "".join(ch for ch in per if ch.isdigit())
    return int(count), int(digits or 1) * PERIODS[per[-1]]


@dataclass(frozen=True)
class Bucket:
    """`name` is hashed into the stored key, so a clear value never reaches the counters' table."""

    name: str
    period: int

    @property
    def key(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()[:40]


def _redis_cache() -> Any | None:
    from django.core.cache.backends.redis import RedisCache

    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    return cache if isinstance(cache, RedisCache) else None


def hit(buckets: Sequence[Bucket]) -> dict[Bucket, int]:
    """Count one hit in each bucket; return each bucket's hits in its current window. Atomic, one round trip."""
    if not buckets:
        return {}
    now = int(time.time())
    ordered = sorted(set(buckets), key=lambda b: b.key)  # one lock order for every request: no deadlock
    redis = _redis_cache()
    if redis is not None:
        client = redis._cache.get_client(write=True)
        pipe = client.pipeline(transaction=True)
        for b in ordered:
            k = redis.make_key("rl2:" + b.key)
            pipe.set(k, 0, ex=b.period, nx=True)
            pipe.incr(k)
        replies = pipe.execute()
        return {b: int(replies[2 * i + 1]) for i, b in enumerate(ordered)}
    table = "members_ratecounter"
    values = ", ".join(["(%s, %s, 1)"] * len(ordered))
    params: list[Any] = []
    for b in ordered:
        params += [b.key, now + b.period]
    sql = (
        f"INSERT INTO {table} (bucket, expires, hits) VALUES {values} "  # noqa: S608 - constant table name
        f"ON CONFLICT (bucket) DO UPDATE SET "
        f"hits = CASE WHEN {table}.expires <= %s THEN 1 ELSE {table}.hits + 1 END, "
        f"expires = CASE WHEN {table}.expires <= %s THEN excluded.expires ELSE {table}.expires END "
        f"RETURNING bucket, hits"
    )
    with serialized_writes(), connection.cursor() as cur:
        cur.execute(sql, [*params, now, now])
        counts = {str(k): int(h) for k, h in cur.fetchall()}
        if random.random() < PURGE_CHANCE:  # noqa: S311 - not security relevant
            cur.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
    return {b: counts[b.key] for b in ordered}


def forget(bucket: Bucket) -> None:
    """Drop a bucket's count (its next hit opens a new window)."""
    redis = _redis_cache()
    if redis is not None:
        redis._cache.get_client(write=True).delete(redis.make_key("rl2:" + bucket.key))
        return
    with serialized_writes(), connection.cursor() as cur:
        cur.execute("DELETE FROM members_ratecounter WHERE bucket = %s", [bucket.key])


# ---------------------------------------------------------------- the join's limits


def _rate(name: str, default: str) -> tuple[int, int]:
    return parse_rate(str(getattr(settings, name, default)))


def join_rate_ip() -> str:
    return str(getattr(settings, "GONGHUI_JOIN_RATE_IP", "1200/m"))


def join_rate_id() -> str:
    return str(getattr(settings, "GONGHUI_JOIN_RATE_ID", "10/m"))


def id_index_of(id_number: object) -> str | None:
    try:
        return crypto.blind_index(parse_id_number(id_number).number)
    except ValueError:
        return None  # a malformed number is refused by validation; no key to count it under


def join_limited(
    request: HttpRequest, id_number: object = None, *, union_id: int, event: bool = False, index: str | None = None
) -> str | None:
    """Count one join attempt (form or API, submit or verify) from this client for this ID number (or its blind
    `index`); return a zh-hans reason when over a limit (answer 429), else None. One statement when the client
    has tried this ID number before in the window, two when it is a new one (the distinct count)."""
    ip = client_ip(request)
    if index is None:
        index = id_index_of(id_number)
    ip_limit, ip_period = parse_rate(join_rate_ip())
    id_limit, id_period = parse_rate(join_rate_id())
    if event:
        ids_limit, ids_period = _rate("GONGHUI_JOIN_EVENT_DISTINCT_IP", "5000/h")
        scope = f"event:{union_id}:{ip}"
    else:
        ids_limit, ids_period = _rate("GONGHUI_JOIN_DISTINCT_IP", "100/h")
        scope = f"ip:{ip}"
    per_ip = Bucket(f"join-ip:{ip}", ip_period)
    buckets = [per_ip]
    per_id = seen = None
    if index is not None:
        per_id = Bucket(f"join-id:{index}", id_period)
        seen = Bucket(f"join-seen:{scope}:{index}", ids_period)
        buckets += [per_id, seen]
    counts = hit(buckets)
    if counts[per_ip] > ip_limit:
        return TOO_MANY_FROM_IP
    if per_id is not None and counts[per_id] > id_limit:
        return TOO_MANY_FOR_ID
    if seen is not None and counts[seen] == 1:  # a number this client has not tried in this window
        distinct = Bucket(f"join-ids:{scope}", ids_period)
        if hit([distinct])[distinct] > ids_limit:
            forget(seen)  # refused numbers stay "new": trying one again is refused again
            return TOO_MANY_IDS
    return None


def distinct_limit_label(*, event: bool = False) -> str:
    """"每小时100个": the per-network limit on distinct ID numbers, as the join admin page states it."""
    limit, period = (_rate("GONGHUI_JOIN_EVENT_DISTINCT_IP", "5000/h") if event
                     else _rate("GONGHUI_JOIN_DISTINCT_IP", "100/h"))
    unit = {60: "每分钟", 3600: "每小时", 86400: "每天"}.get(period, f"每{period}秒")
    return f"{unit}{limit}个"


def sms_send_limited(request: HttpRequest) -> bool:
    """The e-card login's per-IP limit on code sends (GONGHUI_SMS_RATE_IP, 30/h): True when over it."""
    limit, period = _rate("GONGHUI_SMS_RATE_IP", "30/h")
    bucket = Bucket(f"sms-ip:{client_ip(request)}", period)
    return hit([bucket])[bucket] > limit
