"""ID numbers and mobiles never reach the access log, whatever URL a client sent."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from gonghui.core.logscrub import REDACTED, scrub

ID = "331003199001011234"


@pytest.mark.parametrize("line", [
    f"GET /members/?q={ID} HTTP/1.1",
    f"GET /members/?union=3&q={ID[:6]}%20{ID[6:14]}%20{ID[14:]} HTTP/1.1",
    "GET /api/v1/members?q=%EF%BC%93%EF%BC%93%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%93%EF%BC%91%EF%BC%99 HTTP/1.1",
    "GET /api/v1/members?q=17712341182&limit=5 HTTP/1.1",
])
def test_sensitive_query_values_are_redacted(line: str) -> None:
    out = scrub(line)
    assert REDACTED in out and ID not in out and "17712341182" not in out
    assert out.startswith("GET /") and out.endswith("HTTP/1.1")


def test_names_and_short_fragments_stay_readable() -> None:
    line = "GET /members/?q=%E5%BC%A0%E4%BC%9F+1234&union=12&page=3 HTTP/1.1"
    assert scrub(line) == line


def test_stray_numbers_are_masked_like_the_console() -> None:
    assert scrub(f"referer https://x/{ID}/ phone 17712341182") == "referer https://x/331003********1234/ phone 177****1182"


def test_gunicorn_access_and_django_server_loggers_are_filtered(settings: Any) -> None:
    # gunicorn logs its access line as a format string with a dict of atoms; runserver as a tuple
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for name, args in (("gunicorn.access", {"r": f"GET /members/?q={ID} HTTP/1.1", "s": "302"}),
                       ("django.server", (f"GET /members/?q={ID} HTTP/1.1", "302", "0"))):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            if isinstance(args, dict):
                logger.info('"%(r)s" %(s)s', args)
            else:
                logger.info('"%s" %s %s', *args)
        finally:
            logger.removeHandler(handler)
    text = stream.getvalue()
    assert ID not in text and text.count(REDACTED) == 2


def test_real_gunicorn_access_log_line(tmp_path: Any) -> None:
    # given gunicorn's own access logger writing to a file, as `make serve` runs it
    import datetime as dt
    import types

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    log = Logger(cfg)
    uri = f"/members/export.xlsx?unmasked=1&q={ID}"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": "/members/export.xlsx",
               "QUERY_STRING": uri.split("?")[1], "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.8"}
    # when a request with a full ID in its query string is logged
    log.access(types.SimpleNamespace(status="302 Found", sent=0, headers=[]),
               types.SimpleNamespace(headers=[], method="GET", uri=uri, version=(1, 1)), environ, dt.timedelta(0))
    # then the line is there, without the number
    line = (tmp_path / "access.log").read_text()
    assert "GET /members/export.xlsx?unmasked=1&q=[已隐去] HTTP/1.1" in line and ID not in line
