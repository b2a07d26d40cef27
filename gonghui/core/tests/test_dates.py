"""Dates are written one way in every page: 2026年12月1日, and 2026年12月1日 14:05 with a time (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from django.template import Context, Template
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_formats_a_date_its_own_way() -> None:
    # every date goes through cn_date / cn_datetime (the zh-hans DATE_FORMAT / DATETIME_FORMAT)
    own = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in TEMPLATES.rglob("*.html")
           for m in re.finditer(r"\|date:\"[^\"]*\"|\|time:\"[^\"]*\"", p.read_text())]
    assert own == []


def test_filters_are_builtin_and_local() -> None:
    moment = dt.datetime(2026, 12, 1, 6, 5, tzinfo=dt.UTC)  # 14:05 in Shanghai
    html = Template("{{ m|cn_datetime }} · {{ m|cn_date }} · {{ d|cn_date }} · {{ none|cn_datetime:'从未登录' }} · "
                    "{{ d|date }}").render(Context({"m": moment, "d": dt.date(2026, 1, 5), "none": None}))
    assert html == "2026年12月1日 14:05 · 2026年12月1日 · 2026年1月5日 · 从未登录 · 2026年1月5日"


def test_member_detail_shows_the_join_date_in_chinese(client_as: Any, cast: Any) -> None:
    html = client_as("dongcheng").get(reverse("members:detail", args=[cast.worker.pk])).content.decode()
    assert "2024年3月1日" in html and "2024-03-01" not in html
