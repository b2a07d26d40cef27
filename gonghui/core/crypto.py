"""Personal data at rest (PIPL): Fernet encryption of ID numbers, and an HMAC-SHA256 blind index to find and
deduplicate them without decrypting.

Keys: GONGHUI_FIELD_KEYS (settings.FIELD_KEYS), comma-separated Fernet keys. The first encrypts, every key
decrypts, so rotation is: put a new key first, run `manage.py rotate_field_keys`, then drop the old key.
The blind-index key is GONGHUI_INDEX_KEY when set, otherwise derived from the *last* field key (the
original one) — it must never change, or look-ups stop matching; set GONGHUI_INDEX_KEY before dropping it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_KEYS)
    if not keys:
        raise RuntimeError("GONGHUI_FIELD_KEYS 未设置")
    return MultiFernet([Fernet(k.encode()) for k in keys])


@lru_cache(maxsize=1)
def _index_key() -> bytes:
    explicit = os.environ.get("GONGHUI_INDEX_KEY")
    root = explicit.encode() if explicit else base64.urlsafe_b64decode(settings.FIELD_KEYS[-1].encode())
    return hashlib.sha256(b"gonghui-blind-index-v1" + root).digest()


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt under the first key (no-op in meaning; new ciphertext)."""
    return _fernet().rotate(token.encode()).decode()


def blind_index(plain: str) -> str:
    """Deterministic keyed hash of a normalised value: equal inputs, equal index; reveals nothing without the key."""
    return hmac.new(_index_key(), plain.encode(), hashlib.sha256).hexdigest()


def reset_caches() -> None:
    """For tests that change keys."""
    _fernet.cache_clear()
    _index_key.cache_clear()
