"""Who must sign in with a second factor, and checking one.

Administrators — those whose role lets them manage users and so hand out access to everyone else — sign in
with a TOTP code (an authenticator app, enrolled by QR code) or, when the phone is lost, one of their
recovery codes (django-otp's static device; each code works once). Everyone else signs in with the
password alone. In demo mode (GONGHUI_DEMO=1) the demo accounts, whose password is printed on the login
page, are exempt; no other account is, demo mode or not.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .permissions import Action, roles_granting

# The accounts `load_demo` creates (password demo12345, shown on the login page in demo mode).
DEMO_USERNAMES = frozenset({"huangyan", "dongcheng", "yuanqiao", "kuaidi", "chakan", "renshe"})

RECOVERY_CODE_COUNT = 10


def demo_exempt(user: Any) -> bool:
    return bool(settings.DEMO_MODE) and user.get_username() in DEMO_USERNAMES


def second_factor_required(user: Any) -> bool:
    """True when `user` must sign in (and take API tokens) with a second factor."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if demo_exempt(user):
        return False
    if user.is_superuser:
        return True
    # Decided by the action, not by a role's name: a role that gains manage_users needs the second factor too.
    return bool(user.role_assignments.filter(active=True, role__in=roles_granting(Action.MANAGE_USERS)).exists())


def confirmed_totp(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(user: Any) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device is not None else 0


def second_factor_check(user: Any, code: str) -> Device | None:
    """The device that accepts `code` (a 6-digit TOTP code, else a recovery code, which is then used up), or None.

    Each device throttles its own failures (django-otp: after n wrong codes the next try waits 2^(n-1) s), and
    verification locks the device row, so one code cannot be used twice by racing requests.
    """
    code = "".join(code.split()).lower()
    if not code:
        return None
    with transaction.atomic():
        devices: list[Device] = []
        if code.isdigit() and len(code) == 6:
            devices += list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
        else:
            devices += list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
        for device in devices:
            if device.verify_token(code):
                return device
    return None


def new_totp_key() -> str:
    """A fresh TOTP secret (hex, 20 bytes), as django-otp makes them."""
    return str(default_key())


def totp_config_url(user: Any, key: str) -> str:
    """The otpauth:// URL an authenticator app reads from the QR code."""
    return str(TOTPDevice(user=user, key=key).config_url)


def totp_secret_b32(key: str) -> str:
    """The same secret in base32, grouped by four, for typing into an app by hand."""
    from base64 import b32encode
    from binascii import unhexlify

    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
