"""Canonical columns and the header synonyms that find them in a cadre's spreadsheet.

``HEADERS`` is the project's ONE header-synonym table: every reader (the linkage engine here, the platform's
union, enterprise, member and user imports through ``gonghui.core.excel``) finds its columns through it, so
a header one import accepts, every import accepts. A field is named by what it is (``enterprise_name``,
``person_name``, ``union_name``), because "名称" means a firm in one list and a union in another.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# field -> (label, *accepted headers); the label is what templates print, compared like every synonym
HEADERS: dict[str, tuple[str, ...]] = {
    # enterprises (the linkage engine's columns and the enterprise import)
    "enterprise_name": ("单位名称", "企业名称", "名称", "单位全称", "机构名称", "企业全称", "单位名"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码"),
    "org_code": ("组织机构代码", "机构代码"),
    "county": ("所属区县", "区县", "所在区县", "行政区划", "所属区域"),
    "address": ("单位地址", "地址", "注册地址", "住所", "经营地址"),
    "headcount": ("参保人数", "从业人数", "职工人数"),
    "township": ("所在镇街", "镇街", "乡镇街道", "所属镇街"),
    "industry": ("所属行业", "行业"),
    "enterprise_status": ("经营状态", "企业状态"),
    "covering_union_code": ("覆盖工会统一社会信用代码", "覆盖工会信用代码"),
    # unions
    "union_name": ("工会名称", "名称"),
    "union_kind": ("类型", "工会类型", "建会类型"),
    "parent_union": ("上级工会", "上级工会名称"),
    "chair": ("工会主席", "主席"),
    "contact_phone": ("联系电话", "电话", "手机"),
    "founded_on": ("成立日期", "建会日期"),
    "union_status": ("状态", "工会状态"),
    # people (member rosters, user lists)
    "person_name": ("姓名", "职工姓名", "会员姓名", "员工姓名"),
    "id_number": (
        "身份证号码",
        "身份证号",
        "公民身份号码",
        "证件号码",
        "身份证",
        "居民身份证号码",
        "身份证件号码",
        "证件号",
    ),
    "mobile": ("手机号码", "手机", "手机号", "联系电话", "电话", "联系方式", "移动电话"),
    "joined_on": ("入会日期", "入会时间", "入会年月", "加入工会时间", "加入工会日期"),
    "employer": ("工作单位", "单位名称", "单位", "所在单位", "工作单位名称", "就业单位"),
    "occupation": ("职业", "工种", "岗位", "职业群体", "职业类别", "从事职业"),
    "political": ("政治面貌",),
    "education": ("学历", "文化程度", "最高学历"),
    "username": ("用户名", "账号", "登录名"),
    "role": ("角色", "岗位角色"),
    "role_target": ("授权组织", "授权节点", "所属组织", "组织节点", "授权单位", "所属单位"),
}

# the linkage engine's canonical columns, each found by its field's synonyms (and its own English name)
_LINKAGE_FIELDS = {
    "name": "enterprise_name",
    "uscc": "uscc",
    "org_code": "org_code",
    "county": "county",
    "address": "address",
    "headcount": "headcount",
}
SYNONYMS: dict[str, tuple[str, ...]] = {canon: (canon, *HEADERS[field]) for canon, field in _LINKAGE_FIELDS.items()}
CANONICAL: tuple[str, ...] = tuple(SYNONYMS)

_MARKS = re.compile(r"[*＊]|[(（](?:必填|选填)[)）]")


class InputError(ValueError):
    """A problem with an input file or frame that the user can fix; the message is zh-hans."""


def normalize_header(h: object) -> str:
    """Header as compared against the synonyms: NFKC, no whitespace (line breaks included), no "*" or
    "（必填）"/"（选填）" marks, lower case. '身份证\\n号码（必填）*' → '身份证号码'."""
    s = "".join(unicodedata.normalize("NFKC", str(h or "")).split())
    return _MARKS.sub("", s).lower()


def synonyms(field: str) -> tuple[str, ...]:
    """The accepted headers of one field (its label first). Raises KeyError for an unknown field."""
    return HEADERS[field]


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
