"""Keep ID numbers and mobiles out of the logs.

The console moves such searches out of URLs (POST + an opaque key) and the API refuses them in a GET, but an
old bookmark, a hand-typed URL or a client that ignores the 422 still puts one in a request line, and gunicorn's
access log and Django's request loggers would write it down. This filter rewrites every log record on the way:
a query-string value holding 7 or more digits (after URL-decoding and width-folding, so "%20"-grouped and
full-width numbers are caught too) becomes "[已隐去]", and any 18- or 15-digit ID or 11-digit mobile left in the
text is masked as the console shows it (331003********1234, 177****1182).

Installed on the gunicorn and Django loggers by CoreConfig.ready(), so it works whatever LOGGING says and
without a gunicorn config file (a logger's own filters run before any handler).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any
from urllib.parse import unquote_plus

LOGGERS = ("gunicorn.access", "gunicorn.error", "django.server", "django.request", "django.security")
REDACTED = "[已隐去]"
_PARAM = re.compile(r"(?P<key>[?&;]\w+=)(?P<value>[^&#\s\"']*)")
_LONG_DIGITS = re.compile(r"\d{7,}")
_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{5}(\d{4})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def _sensitive_value(raw: str) -> bool:
    text = unicodedata.normalize("NFKC", unquote_plus(raw))
    return bool(_LONG_DIGITS.search(re.sub(r"[\s\-]", "", text)))


def scrub(text: str) -> str:
    """The text with sensitive query values redacted and stray ID numbers and mobiles masked."""
    if not any(ch.isdigit() for ch in text):
        return text
    text = _PARAM.sub(lambda m: m["key"] + (REDACTED if _sensitive_value(m["value"]) else m["value"]), text)
    text = _ID18.sub(lambda m: m[1] + "*" * 8 + m[2], text)
    text = _ID15.sub(lambda m: m[1] + "*" * 5 + m[2], text)
    return _MOBILE.sub(lambda m: m[1] + "****" + m[2], text)


def _scrub_value(value: Any) -> Any:  # noqa: ANN401
    return scrub(value) if isinstance(value, str) else value


class ScrubSensitiveData(logging.Filter):
    """Rewrites a record's message and arguments (gunicorn's access log passes a dict of atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, dict):  # in place: gunicorn's SafeAtoms answers missing keys with "-"
            for key, value in list(record.args.items()):
                if isinstance(value, str):
                    record.args[key] = scrub(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_scrub_value(v) for v in record.args)
        return True


def install_log_scrubbing() -> None:
    """Idempotent: one filter per logger."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubSensitiveData) for f in logger.filters):
            logger.addFilter(ScrubSensitiveData())
