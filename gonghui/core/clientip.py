"""The address a request comes from, as rate limits and the login lockout count it: REMOTE_ADDR, or — only
when REMOTE_ADDR is one of GONGHUI_TRUSTED_PROXIES — the right-most untrusted hop of the client-IP header
(GONGHUI_CLIENT_IP_HEADER, default X-Forwarded-For). Behind a reverse proxy every request would otherwise share
the proxy's address, and per-IP limits would become site-wide. One rule for the join's counters
(members.ratelimits) and django-axes (AXES_CLIENT_IP_CALLABLE)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address rate limits count against: REMOTE_ADDR, or — only when REMOTE_ADDR is a trusted proxy — the
    right-most untrusted address of the client-IP header (GONGHUI_CLIENT_IP_HEADER)."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    trusted = _networks(tuple(getattr(settings, "GONGHUI_TRUSTED_PROXIES", ()) or ()))
    addr = _parse_ip(remote)
    if not trusted or addr is None or not any(addr in net for net in trusted):
        return remote
    header = str(getattr(settings, "GONGHUI_CLIENT_IP_HEADER", "X-Forwarded-For") or "X-Forwarded-For")
    raw = str(request.META.get("HTTP_" + header.upper().replace("-", "_"), "") or "")
    client = addr
    for part in reversed(raw.split(",")):
        hop = _parse_ip(part)
        if hop is None:
            break  # a malformed hop: trust nothing to its left
        client = hop
        if not any(hop in net for net in trusted):
            break
    return str(client)
