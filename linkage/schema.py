"""Canonical columns and the header synonyms that find them in a cadre's spreadsheet."""

from __future__ import annotations

import unicodedata

import polars as pl

# canonical column -> accepted headers (compared after NFKC and whitespace removal)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "单位名称", "企业名称", "名称", "单位全称", "机构名称", "企业全称", "单位名"),
    "uscc": ("uscc", "统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码"),
    "org_code": ("org_code", "组织机构代码", "机构代码"),
    "county": ("county", "所属区县", "区县", "所在区县", "行政区划", "所属区域"),
    "address": ("address", "单位地址", "地址", "注册地址", "住所", "经营地址"),
    "headcount": ("headcount", "参保人数", "从业人数", "职工人数"),
}
CANONICAL: tuple[str, ...] = tuple(SYNONYMS)


class InputError(ValueError):
    """A problem with an input file or frame that the user can fix; the message is zh-hans."""


def normalize_header(h: str) -> str:
    """Header as compared against ``SYNONYMS``: NFKC, no whitespace, lower case."""
    return "".join(unicodedata.normalize("NFKC", h).split()).lower()


def map_headers(headers: list[str]) -> dict[str, str]:
    """Map canonical column -> the header in ``headers`` that supplies it (earliest synonym wins).

    Guarantees: raises ``InputError`` on duplicate header names or when no name column exists."""
    normalized = [normalize_header(h) for h in headers]
    seen: set[str] = set()
    for raw, norm in zip(headers, normalized, strict=True):
        if norm and norm in seen:
            raise InputError(f"表头重复：“{raw}”出现了不止一次，请删除或改名后再试")
        seen.add(norm)
    found: dict[str, str] = {}
    for canon, names in SYNONYMS.items():
        for syn in names:
            key = normalize_header(syn)
            if key in normalized:
                found[canon] = headers[normalized.index(key)]
                break
    if "name" not in found:
        raise InputError("找不到单位名称列（表头应为 单位名称/企业名称/名称/单位全称/机构名称 之一）")
    return found


def standardize(df: pl.DataFrame) -> pl.DataFrame:
    """Return a frame with exactly the canonical columns as strings (absent ones null), in input order.

    Accepts canonical or Chinese headers; raises ``InputError`` as ``map_headers`` does."""
    found = map_headers(list(df.columns))
    exprs = []
    for canon in CANONICAL:
        if canon in found:
            exprs.append(pl.col(found[canon]).cast(pl.Utf8).alias(canon))
        else:
            exprs.append(pl.lit(None, dtype=pl.Utf8).alias(canon))
    return df.select(exprs)
