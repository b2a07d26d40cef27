"""Test helpers: a campaign list written as a CSV the way another department writes it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

HEADER = ["单位名称", "统一社会信用代码", "单位地址", "参保人数", "所在镇街"]


def csv_bytes(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header or HEADER)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def make_campaign(actor: Any, owner: Any, **kw: Any) -> Any:
    from gonghui.campaigns import services

    return services.campaign_create(actor=actor, owner=owner, name=kw.pop("name", "测试建会入会行动"),
                                    starts_on=dt.date(2026, 9, 1), ends_on=kw.pop("ends_on", dt.date(2027, 3, 31)),
                                    **kw)


def upload(actor: Any, campaign: Any, data: bytes, as_of: dt.date = dt.date(2026, 10, 31),
           source: str = "social_security") -> Any:
    from gonghui.campaigns import services

    sl = services.list_upload(actor=actor, campaign=campaign, source=source, as_of=as_of, chunks=[data],
                              size=len(data), original_name="名单.csv")
    services.list_classify(sl.pk)
    sl.refresh_from_db()
    return sl
