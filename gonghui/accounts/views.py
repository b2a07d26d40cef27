"""Console pages of the accounts app: login with the second factor, enrolment, password change."""

from __future__ import annotations

import time
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from . import forms, selectors, services, twofactor
from .lockout import lockout_response
from .models import User
from .permissions import ROLE_ACTIONS, Action, Role, can

# The password was right; the second factor is still to come. Kept in the (anonymous) session for a few minutes.
PENDING = "gh_2fa_pending"
PENDING_SECONDS = 300
ENROL_KEY = "gh_2fa_enrol_key"


class LoginView(auth_views.LoginView):
    """Step one: the password. A user who needs a second factor is not logged in yet: they go on to the code
    (or, the first time, to enrolling an authenticator) and only then get a session."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not twofactor.second_factor_required(user):
            return super().form_valid(form)
        self.request.session.pop(ENROL_KEY, None)
        self.request.session[PENDING] = {
            "uid": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("otp_verify" if twofactor.confirmed_totp(user) else "otp_enrol")


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(data.get("uid") or 0), is_active=True).first()
    return (user, data) if user is not None else None


def _finish_login(request: HttpRequest, user: User, data: dict[str, Any], device: Any) -> None:
    request.session.pop(PENDING, None)
    login(request, user, backend=data["backend"])
    otp_login(request, device)


def _locked(request: HttpRequest, user: User) -> HttpResponse | None:
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    request.session.pop(PENDING, None)
    return lockout_response(request, credentials=credentials)


def otp_verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator, or a recovery code. A wrong code counts as a failed login."""
    pending = _pending(request)
    if pending is None:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)  # nothing to verify: already logged in (the Back button)
        messages.info(request, "登录已超时，请重新输入用户名和密码")
        return redirect("login")
    user, data = pending
    if (locked := _locked(request, user)) is not None:
        return locked
    error = ""
    if request.method == "POST":
        device = services.second_factor_verify(user=user, code=request.POST.get("code", ""), request=request)
        if device is not None:
            _finish_login(request, user, data, device)
            if isinstance(device, StaticDevice):
                left = twofactor.recovery_codes_left(user)
                messages.warning(request, f"您使用了一个恢复码，还剩 {left} 个。请尽快在“双因素认证”页重新生成。")
            return redirect(data["next"])
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
        error = "验证码错误或已使用，请重试"
    return render(request, "accounts/otp_verify.html", {"error": error, "pending_user": user})


def _qr_svg(url: str) -> str:
    return str(segno.make(url, error="m").svg_inline(scale=5, title="扫码绑定身份验证器"))


def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app by QR code: at the first login of an administrator (before any session), or later
    from the 双因素认证 page to move to a new phone. Shows the recovery codes once when it is done."""
    pending = _pending(request)
    if pending is not None and twofactor.confirmed_totp(pending[0]) is None:
        user, data = pending
    elif request.user.is_authenticated and (
        request.user.is_verified() or not twofactor.second_factor_required(request.user)  # type: ignore[union-attr,attr-defined]
    ):
        user, data = request.user, {}  # type: ignore[assignment]
    else:
        return redirect("login")
    if (locked := _locked(request, user)) is not None:
        return locked
    key = request.session.get(ENROL_KEY) or twofactor.new_totp_key()
    request.session[ENROL_KEY] = key
    error = ""
    if request.method == "POST":
        codes = services.totp_enrol_confirm(user=user, key=key, code=request.POST.get("code", ""))
        if codes is not None:
            request.session.pop(ENROL_KEY, None)
            if data:
                _finish_login(request, user, data, twofactor.confirmed_totp(user))
            else:
                otp_login(request, twofactor.confirmed_totp(user))
            return render(
                request,
                "accounts/otp_recovery_codes.html",
                {"codes": codes, "next": data.get("next") or reverse("otp_security"), "first": bool(data)},
            )
        error = "验证码不正确：请确认手机时间准确，并输入应用中当前显示的 6 位数字"
    context = {
        "qr_svg": _qr_svg(twofactor.totp_config_url(user, key)),
        "secret": twofactor.totp_secret_b32(key),
        "error": error,
        "pending_user": user if data else None,
    }
    return render(request, "accounts/otp_enrol.html", context)


@login_required
def otp_security(request: HttpRequest) -> HttpResponse:
    """双因素认证: whether it is on, how many recovery codes are left; move to a new phone; new recovery codes."""
    user = request.user
    return render(
        request,
        "accounts/otp_security.html",
        {
            "required": twofactor.second_factor_required(user),
            "exempt": twofactor.demo_exempt(user),
            "device": twofactor.confirmed_totp(user),
            "codes_left": twofactor.recovery_codes_left(user),
        },
    )


@login_required
@require_POST
def otp_recovery_regenerate(request: HttpRequest) -> HttpResponse:
    user = request.user
    if twofactor.confirmed_totp(user) is None:
        messages.error(request, "请先绑定身份验证器")
        return redirect("otp_security")
    if twofactor.second_factor_required(user) and not user.is_verified():  # type: ignore[union-attr]
        return redirect("login")
    codes = services.recovery_codes_regenerate(user=user)  # type: ignore[arg-type]
    return render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "next": reverse("otp_security")})


@login_required
@require_safe
def roles(request: HttpRequest) -> HttpResponse:
    """角色与权限: what each role grants (ROLE_ACTIONS), read from the one table the checks use."""
    actions = list(Action)
    rows = [
        {"role": role, "label": Role(role).label, "grants": [a in ROLE_ACTIONS[role] for a in actions]}
        for role in Role.values
    ]
    return render(request, "accounts/roles.html", {
        "actions": [{"value": a.value, "label": a.label} for a in actions], "rows": rows,
    })


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


# --- the users console (/accounts/users/) -------------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not can(request.user, Action.MANAGE_USERS):
        raise PermissionDenied("您无权管理用户与授权")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    """用户管理: the users in the actor's sight, with their roles, last login and failed attempts."""
    _require_manager(request)
    q, status = request.GET.get("q", ""), request.GET.get("status", "")
    page = Paginator(selectors.user_list(actor=request.user, q=q, status=status), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "q": q, "status": status})


@login_required
def user_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = forms.UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user, password = services.user_create(
                actor=request.user,
                username=d["username"],
                display_name=d["display_name"],
                phone=d["phone"],
                role=d["role"],
                union=d.get("node"),
                unit=d.get("unit"),
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return render(request, "accounts/user_password.html", {"subject": user, "password": password, "new": True})
    return render(request, "accounts/user_new.html", {"form": form})


def _subject(request: HttpRequest, pk: int) -> User:
    _require_manager(request)
    return selectors.user_get(actor=request.user, pk=pk)


@login_required
def user_detail(request: HttpRequest, pk: int, assign_form: Any = None) -> HttpResponse:
    subject = _subject(request, pk)
    context = {
        "subject": subject,
        "assignments": selectors.user_assignments(actor=request.user, user=subject),
        "manageable": selectors.user_manageable(actor=request.user, user=subject),
        "assign_form": assign_form or forms.RoleAssignForm(actor=request.user),
        "has_totp": twofactor.confirmed_totp(subject) is not None,
        "needs_2fa": twofactor.second_factor_required(subject),
    }
    return render(request, "accounts/user_detail.html", context)


@login_required
@require_POST
def user_role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _subject(request, pk)
    form = forms.RoleAssignForm(request.POST, actor=request.user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.role_assign(
                actor=request.user, user=subject, role=d["role"], union=d.get("node"), unit=d.get("unit")
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, "已授予角色")
            return redirect("user_detail", pk=subject.pk)
    return user_detail(request, pk, assign_form=form)


@login_required
@require_POST
def user_role_revoke(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    subject = _subject(request, pk)
    assignment = selectors.assignment_get(actor=request.user, user=subject, pk=assignment_id)
    try:
        services.role_revoke(actor=request.user, assignment=assignment, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已撤销角色")
    return redirect("user_detail", pk=subject.pk)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _subject(request, pk)
    if request.POST.get("activate") == "1":
        services.user_reactivate(actor=request.user, user=subject)
        messages.success(request, "账号已启用")
    else:
        try:
            services.user_deactivate(actor=request.user, user=subject, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "账号已停用：其登录会话和 API 令牌已全部失效")
    return redirect("user_detail", pk=subject.pk)


@login_required
@require_POST
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _subject(request, pk)
    password = services.user_password_reset(actor=request.user, user=subject)
    return render(request, "accounts/user_password.html", {"subject": subject, "password": password, "new": False})


@login_required
@require_POST
def user_second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _subject(request, pk)
    services.user_second_factor_reset(actor=request.user, user=subject)
    messages.success(request, "已重置双因素认证：该用户下次登录时须重新绑定身份验证器")
    return redirect("user_detail", pk=subject.pk)
