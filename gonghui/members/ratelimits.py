"""Rate limits of the public join and the e-card SMS login (django-ratelimit on the shared "default" cache).

A joining event puts hundreds of phones behind one venue Wi-Fi or carrier-NAT address, so the per-IP limit
is generous (GONGHUI_JOIN_RATE_IP, default 1200/m ≥ 1,000 joins a minute); what stops abuse is the tight
per-person limit (GONGHUI_JOIN_RATE_ID, default 10/m), keyed by the blind index of the normalised ID number
(computed only when the number parses), so the clear number never reaches the cache.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from gonghui.core import crypto
from gonghui.core.db import serialized_writes
from gonghui.core.identifiers import parse_id_number

TOO_MANY_FROM_IP = "当前入会人数较多，请稍后再试"
TOO_MANY_FOR_ID = "该身份证号码提交过于频繁，请1分钟后再试"


def join_rate_ip() -> str:
    return str(getattr(settings, "GONGHUI_JOIN_RATE_IP", "1200/m"))


def join_rate_id() -> str:
    return str(getattr(settings, "GONGHUI_JOIN_RATE_ID", "10/m"))


def join_limited(request: HttpRequest, id_number: object) -> str | None:
    """Count one join attempt; return a zh-hans reason when it is over a limit (answer 429), else None.

    Both counters are written in one short transaction (on SQLite: one writer's turn instead of two), kept
    apart from the join's own transaction so a hot per-IP counter row is never locked for a whole join."""
    try:
        index: str | None = crypto.blind_index(parse_id_number(id_number).number)
    except ValueError:
        index = None  # a malformed number is refused by validation; no key to count it under
    with serialized_writes(), transaction.atomic():
        if is_ratelimited(request, group="join-ip", key="ip", rate=join_rate_ip(), increment=True):
            return TOO_MANY_FROM_IP
        if index is not None and is_ratelimited(
            request, group="join-id", key=lambda _g, _r: index, rate=join_rate_id(), increment=True
        ):
            return TOO_MANY_FOR_ID
    return None
