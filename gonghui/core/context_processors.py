from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .registry import nav_for


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "SITE_NAME": "数智工会",
        "NAV_ITEMS": nav_for(getattr(request, "user", None)),
    }
