"""SMS for the e-card login: a pluggable sending backend and the one-time codes it carries.

Backend: settings.GONGHUI_SMS_BACKEND, a dotted path to a class with `send(phone: str, text: str) -> None`
(raise `SmsError` when the gateway refuses). Shipped backends:

- `FileSmsBackend` (the default): appends one line per message to var/sms-outbox.log — demo installs;
- `ConsoleSmsBackend`: writes to stdout (runserver / gunicorn log);
- `LocmemSmsBackend`: keeps messages in `sms.outbox` (a list) — tests.

A real gateway (阿里云短信, 腾讯云短信, an operator's 短信网关 …) is one small class: subclass `SmsBackend`,
read its credentials from the environment in `__init__`, map `send()` onto the gateway's template API (the
code is the only template parameter: "验证码{code}，5分钟内有效"), raise `SmsError` on a refusal, and point
GONGHUI_SMS_BACKEND at it. `send()` runs inside the request, so keep its timeout short (≤ 5 s).

Codes: 6 digits, stored only as a keyed hash in the cache ("default", shared by every worker) for 5 minutes;
5 wrong tries burn the code. Sending is limited per phone to 1 a minute and 10 a day.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

CODE_TTL_SECONDS = 300
MAX_ATTEMPTS = 5
SEND_PER_MINUTE = 1
SEND_PER_DAY = 10
MESSAGE = "【数智工会】您的电子会员证登录验证码为{code}，5分钟内有效。如非本人操作，请忽略。"


class SmsError(Exception):
    """The gateway refused or failed; the message is shown to the worker (zh-hans)."""


class SmsBackend:
    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """Appends `时间<TAB>手机<TAB>内容` to var/sms-outbox.log (settings.GONGHUI_SMS_FILE overrides)."""

    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        path = getattr(settings, "GONGHUI_SMS_FILE", None) or (settings.VAR_DIR / "sms-outbox.log")
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')}\t{phone}\t{text}\n"
        with self._lock, open(path, "a", encoding="utf-8") as fh:
            fh.write(line)


class ConsoleSmsBackend(SmsBackend):
    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[短信] {phone}: {text}\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str


outbox: list[SentSms] = []


class LocmemSmsBackend(SmsBackend):
    def send(self, phone: str, text: str) -> None:
        outbox.append(SentSms(phone=phone, text=text))


def backend() -> SmsBackend:
    path = getattr(settings, "GONGHUI_SMS_BACKEND", "gonghui.members.sms.FileSmsBackend")
    cls: Any = import_string(path)
    result: SmsBackend = cls()
    return result


def _cache() -> Any:
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _phone_key(kind: str, phone: str) -> str:
    return f"gh:sms:{kind}:" + hashlib.sha256(phone.encode()).hexdigest()[:32]


def _hash(phone: str, code: str) -> str:
    return salted_hmac("gonghui.sms.code", f"{phone}:{code}").hexdigest()


def send_code(phone: str) -> str | None:
    """Send a fresh 6-digit code to `phone`. Returns None when sent, else a zh-hans reason (rate limit,
    gateway failure). The code replaces any earlier one."""
    cache = _cache()
    if not cache.add(_phone_key("minute", phone), 1, 60):
        return "验证码发送过于频繁，请1分钟后再试"
    day_key = _phone_key("day", phone)
    cache.add(day_key, 0, 86400)
    try:
        sent_today = cache.incr(day_key)
    except ValueError:
        sent_today = 1
    if sent_today > SEND_PER_DAY:
        return "今日验证码发送次数已达上限，请明天再试"
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        backend().send(phone, MESSAGE.format(code=code))
    except SmsError as exc:
        cache.delete(_phone_key("minute", phone))
        return str(exc) or "短信发送失败，请稍后再试"
    row = {"hash": _hash(phone, code), "attempts": 0, "exp": time.time() + CODE_TTL_SECONDS}
    cache.set(_phone_key("code", phone), row, CODE_TTL_SECONDS)
    return None


def check_code(phone: str, code: str) -> str | None:
    """None when `code` is the live code for `phone` (which is then used up), else a zh-hans reason.
    A code lives 5 minutes and survives at most 5 wrong tries."""
    cache = _cache()
    key = _phone_key("code", phone)
    row = cache.get(key)
    if not row or row["exp"] < time.time():
        return "验证码已过期或未发送，请重新获取"
    if constant_time_compare(row["hash"], _hash(phone, code.strip())):
        cache.delete(key)
        return None
    row["attempts"] += 1
    if row["attempts"] >= MAX_ATTEMPTS:
        cache.delete(key)
        return "验证码错误次数过多，请重新获取"
    cache.set(key, row, max(1, int(row["exp"] - time.time())))  # keeps the try count and the original expiry
    return f"验证码错误，还可尝试{MAX_ATTEMPTS - row['attempts']}次"
