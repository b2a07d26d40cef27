"""QR codes (segno): SVG for screens, PNG for print. The join URL and the card-verify URL are built here."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from django.http import HttpRequest
from django.urls import reverse

from gonghui.core.public import public_url


def join_url(request: HttpRequest, union_code: str, ref: str = "") -> str:
    """The absolute URL a union's (or a recruiter's) join QR encodes."""
    url = public_url(request, reverse("join:form", args=[union_code]))
    return f"{url}?{urlencode({'ref': ref})}" if ref else url


def svg(data: str, *, scale: int = 6, dark: str = "#000", border: int = 2) -> str:
    """An inline <svg> element (no XML declaration), sized in CSS by its container."""
    buf = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        buf, kind="svg", scale=scale, dark=dark, border=border, xmldecl=False, svgns=True, nl=False,
        omitsize=True, svgclass="gh-qr",
    )
    return buf.getvalue().decode()


def png(data: str, *, scale: int = 16, border: int = 4) -> bytes:
    """A PNG for print (≈ 600 px wide for a join URL at scale 16)."""
    buf = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buf, kind="png", scale=scale, border=border)
    return buf.getvalue()
