"""Where the two secrets come from: the environment in production, a local file in var/ only for demo, debug and tests.

A copy of var/ (the SQLite database, uploads) must not carry the key that decrypts the ID numbers in it, so outside
demo/debug mode settings refuse to start without GONGHUI_SECRET_KEY and GONGHUI_FIELD_KEYS in the environment
(`MissingKeysError`, whose message says how to make them; manage.py prints it without a traceback).

Imported by config/settings.py before Django is set up: standard library and django.core.exceptions only.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Both commands need only python3 (no project venv), so they work on a fresh server before `make install`.
SECRET_KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
FIELD_KEY_COMMAND = "python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"


class MissingKeysError(ImproperlyConfigured):
    """Production settings without their secrets (or with a malformed field key): the process must not start."""


def local_secret(var_dir: Path, name: str) -> str:
    """A per-checkout random key kept in var/ (never committed), for demo, debug and the test suite only."""
    path = var_dir / name
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def missing_keys_message(missing: list[str]) -> str:
    names = "、".join(missing)
    return (
        f"数智工会未启动：生产模式下必须由环境变量提供 {names}。\n"
        "密钥不能放在 var/ 数据目录里：拿到 var/ 副本的人不应同时拿到解密身份证号的密钥。\n"
        "生成密钥（各运行一次，把输出保存到部署环境的密钥管理处）：\n"
        f"  GONGHUI_SECRET_KEY:  {SECRET_KEY_COMMAND}\n"
        f"  GONGHUI_FIELD_KEYS:  {FIELD_KEY_COMMAND}\n"
        "GONGHUI_FIELD_KEYS 一旦丢失，已加密的身份证号将无法解密，请妥善备份。\n"
        "仅供本机演示或调试时，可设 GONGHUI_DEMO=1（make demo）或 GONGHUI_DEBUG=1，由系统在 var/ 生成本机密钥。\n"
        f"gonghui did not start: in production {', '.join(missing)} must come from the environment "
        "(never from a file in var/ beside the data they protect). Make them with the commands above; "
        "GONGHUI_DEMO=1 or GONGHUI_DEBUG=1 generate local keys in var/ for a demo or development machine only."
    )


def bad_field_key_message(position: int) -> str:
    return (
        f"数智工会未启动：GONGHUI_FIELD_KEYS 的第 {position} 个密钥格式不对（应为 32 字节的 URL 安全 Base64，"
        f"即 Fernet 密钥）。生成：{FIELD_KEY_COMMAND}\n"
        f"gonghui did not start: key {position} of GONGHUI_FIELD_KEYS is not a Fernet key "
        f"(32 url-safe base64 bytes). Make one with: {FIELD_KEY_COMMAND}"
    )


def field_keys(raw: str) -> list[str]:
    """The comma-separated Fernet keys (the first encrypts, all decrypt), each checked so that a typo stops the
    start instead of the first join."""
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise MissingKeysError(bad_field_key_message(position))
    return keys
