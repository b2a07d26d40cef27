"""Console pages of the accounts app: login (with the second factor), password change."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from . import services
from .lockout import lockout_response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password. A wrong old password counts as a failed login (django-axes, same limit and
    cool-off as the login page): a stolen session cannot be used to guess the password. At the limit the
    session ends and the locked page is shown; the account then cannot log in until the cool-off passes."""

    template_name = "accounts/password_change.html"

    def _credentials(self) -> dict[str, str]:
        return {"username": self.request.user.get_username()}

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not AxesProxyHandler.is_allowed(request, self._credentials()):
            logout(request)
            return lockout_response(request, credentials=self._credentials())
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            # axes records the failure; at the limit it marks the request and its middleware answers with the
            # lockout page instead of this response.
            user_login_failed.send(sender=type(self), credentials=self._credentials(), request=self.request)
            if getattr(self.request, "axes_locked_out", False):
                logout(self.request)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        services.user_password_change(
            user=self.request.user,  # type: ignore[arg-type]  # login_required by the parent view
            new_password=form.cleaned_data["new_password1"],
            request=self.request,
        )
        return super(auth_views.PasswordChangeView, self).form_valid(form)
