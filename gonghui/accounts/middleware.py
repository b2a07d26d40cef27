"""After an administrator's password reset the user holds a one-time password: until they choose their own, every
console page sends them to the password-change page, and the API (session or token) refuses them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .services import MUST_CHANGE_DETAIL


class ForcePasswordChangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            path = request.path_info
            allowed = (reverse("password_change"), reverse("password_change_done"), reverse("logout"))
            if path.startswith("/api/"):
                return JsonResponse({"detail": MUST_CHANGE_DETAIL}, status=403)
            if path not in allowed and not path.startswith((settings.STATIC_URL, "/accounts/2fa/")):
                return redirect(f"{reverse('password_change')}")
        return self.get_response(request)
