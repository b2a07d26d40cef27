"""What a locked-out login sees (django-axes' AXES_LOCKOUT_CALLABLE).

axes marks the request and its middleware swaps the response afterwards. The console keeps the
`accounts/locked.html` page; an API client (anything under /api/) gets JSON it can parse, in the API's
error shape: `{"detail": "<zh-hans>"}` with 429.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_cool_off_iso8601, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_DETAIL = "登录失败次数过多，账号已被暂时锁定，请 {minutes} 分钟后再试"


def locked_detail(request: HttpRequest) -> str:
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 30
    return LOCKED_DETAIL.format(minutes=minutes)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": locked_detail(request)}, status=status)
    context: dict[str, Any] = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
    }
    cool_off = get_cool_off(request)
    if cool_off:
        context.update({"cooloff_time": get_cool_off_iso8601(cool_off), "cooloff_timedelta": cool_off})
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
