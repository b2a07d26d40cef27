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
5 tries (counted atomically, so parallel guesses cannot get more) burn the code. Sending is limited per phone to
1 a minute and 10 a day (and per client IP for the login, see ratelimits.sms_send_limited). Two uses: the e-card
login (a code to the phone typed in; unregistered phones get the same answers, their code just never leaves)
and the join's proof of identity (a code to the mobile REGISTERED for an ID number that is already on file).
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

from .ratelimits import Bucket, forget, hit

CODE_TTL_SECONDS = 300
MAX_ATTEMPTS = 5
SEND_PER_MINUTE = 1
SEND_PER_DAY = 10
MESSAGE = "【数智工会】您的电子会员证登录验证码为{code}，5分钟内有效。如非本人操作，请忽略。"
JOIN_MESSAGE = (
    "【数智工会】您的身份证号码正在“{union}”扫码入会页面使用，验证码为{code}，5分钟内有效。"
    "如非本人操作，请勿将验证码告诉他人。"
)
EXPIRED = "验证码已过期或未发送，请重新获取"
TOO_MANY_TRIES = "验证码错误次数过多，请重新获取"
TOO_FREQUENT = "验证码发送过于频繁，请1分钟后再试"
DAY_LIMIT = "今日验证码发送次数已达上限，请明天再试"


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


def _hash(subject: str, code: str) -> str:
    return salted_hmac("gonghui.sms.code", f"{subject}:{code}").hexdigest()


def _send_allowed(phone: str) -> str | None:
    """The per-phone limits, counted atomically: 1 send a minute, 10 a day. None when a send may go."""
    minute = Bucket(f"sms-min:{phone}", 60)
    if hit([minute])[minute] > SEND_PER_MINUTE:
        return TOO_FREQUENT
    day = Bucket(f"sms-day:{phone}", 86400)
    if hit([day])[day] > SEND_PER_DAY:
        return DAY_LIMIT
    return None


def _store(key: str, subject: str, code: str, data: dict[str, Any] | None = None) -> None:
    row = {"hash": _hash(subject, code), "exp": time.time() + CODE_TTL_SECONDS, "nonce": secrets.token_hex(8),
           "data": data or {}}
    _cache().set(key, row, CODE_TTL_SECONDS)


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _check(key: str, subject: str, code: str, *, consume: bool = True) -> tuple[str | None, dict[str, Any]]:
    """(None, row data) when `code` is the live code under `key`, else (zh-hans reason, {}). Every try —
    right or wrong — first takes one of the code's MAX_ATTEMPTS tries from an atomic counter, so parallel
    guesses cannot compare more than MAX_ATTEMPTS times; a right code is then used up exactly once."""
    cache = _cache()
    row = cache.get(key)
    if not row or row["exp"] < time.time():
        return EXPIRED, {}
    tries = Bucket(f"sms-try:{row['nonce']}", CODE_TTL_SECONDS)
    attempt = hit([tries])[tries]
    if attempt > MAX_ATTEMPTS:
        cache.delete(key)
        return TOO_MANY_TRIES, {}
    if constant_time_compare(row["hash"], _hash(subject, code.strip())):
        if consume:
            if not cache.add(f"gh:sms:used:{row['nonce']}", 1, CODE_TTL_SECONDS):
                return EXPIRED, {}  # a parallel request with the same code won
            cache.delete(key)
        return None, dict(row.get("data") or {})
    if attempt >= MAX_ATTEMPTS:
        cache.delete(key)
        return TOO_MANY_TRIES, {}
    return f"验证码错误，还可尝试{MAX_ATTEMPTS - attempt}次", {}


# ---------------------------------------------------------------- the e-card login


def send_code(phone: str, *, deliver: bool = True) -> str | None:
    """A fresh 6-digit login code for `phone`. Returns None when "sent", else a zh-hans reason (rate limit,
    gateway failure). `deliver=False` (the phone is not registered) does everything the same — limits, a
    stored code — except hand it to the gateway, so both kinds of phone get the same answers afterwards."""
    refused = _send_allowed(phone)
    if refused:
        return refused
    code = _new_code()
    if deliver:
        try:
            backend().send(phone, MESSAGE.format(code=code))
        except SmsError as exc:
            forget(Bucket(f"sms-min:{phone}", 60))
            return str(exc) or "短信发送失败，请稍后再试"
    _store(_phone_key("code", phone), phone, code)
    return None


def check_code(phone: str, code: str) -> str | None:
    """None when `code` is the live login code for `phone` (which is then used up), else a zh-hans reason.
    A code lives 5 minutes and survives at most 5 tries, however many arrive in parallel."""
    return _check(_phone_key("code", phone), phone, code)[0]


# ---------------------------------------------------------------- the join's proof of identity


def _join_key(index: str, union_id: int) -> str:
    return f"gh:sms:join:{union_id}:" + hashlib.sha256(index.encode()).hexdigest()[:32]


def issue_join_code(*, index: str, union_id: int, union_name: str, phone: str, person_id: int | None,
                    recruiter_id: int | None = None) -> None:
    """After a join with a registered ID number: a code to the REGISTERED mobile `phone` (person_id set), or —
    when the submitted name did not match or no mobile is on file (person_id None) — a decoy code that is never
    sent, unless a live code is waiting already. Either way the verify step answers exactly as it would for a
    real code, so the answers tell a stranger nothing about the name. Never raises: the join's answer (202) is
    the same whether or not a message could go."""
    key = _join_key(index, union_id)
    data = {"person": person_id, "recruiter": recruiter_id}
    if person_id is not None and phone and _send_allowed(phone) is None:
        code = _new_code()
        try:
            backend().send(phone, JOIN_MESSAGE.format(union=union_name, code=code))
        except SmsError:
            forget(Bucket(f"sms-min:{phone}", 60))
        else:
            _store(key, index, code, data)
            return
    if _cache().get(key) is None:  # nothing live to check against: a decoy, so the answers stay the same
        _store(key, index, _new_code(), {"person": None, "recruiter": None})


def check_join_code(*, index: str, union_id: int, code: str, consume: bool = True) -> tuple[str | None, int | None,
                                                                                            int | None]:
    """(None, person id, recruiter id) when `code` is the live join code of this ID number at this union; else
    (zh-hans reason, None, None). The same limits as the login code (5 tries, 5 minutes, atomic)."""
    error, data = _check(_join_key(index, union_id), index, code, consume=consume)
    if error is None and data.get("person") is None:  # a decoy guessed right: as if it were wrong
        return "验证码错误，请核对", None, None
    if error:
        return error, None, None
    return None, int(data["person"]), (int(data["recruiter"]) if data.get("recruiter") else None)


def consume_join_code(*, index: str, union_id: int) -> None:
    """Use up the join code of this ID number at this union (after the join it proved has completed)."""
    _cache().delete(_join_key(index, union_id))
