"""The public address printed on QR codes and posters: settings.GONGHUI_PUBLIC_URL (e.g. https://gh.example.cn).

A poster printed from a deployment must work on any phone, so the address must not be whatever host the cadre
happened to open the console with (127.0.0.1, an intranet name). When the setting is empty the request's own host
is used — meant for the demo (`make demo`, where a phone on the same network opens http://<LAN-IP>:8000/); a
deployment sets GONGHUI_PUBLIC_URL, and without it a warning is logged for every QR code built.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger(__name__)


def public_url(request: HttpRequest, path: str) -> str:
    base = str(getattr(settings, "GONGHUI_PUBLIC_URL", "") or "").rstrip("/")
    if base:
        return base + path
    if not settings.DEMO_MODE:
        log.warning("GONGHUI_PUBLIC_URL 未配置：二维码使用了请求地址 %s，打印的海报在其他网络可能无法打开",
                    request.get_host())
    return request.build_absolute_uri(path)
