"""Identifier rules, one place: 统一社会信用代码 (GB 32100), 组织机构代码 (GB 11714) and 居民身份证号码
(GB 11643).

Every caller (forms, imports, the API, the demo loader) normalises and checks codes here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# The USCC / 组织机构代码 rule lives in the pure linkage library (which cannot import Django code);
# the platform uses the same functions, so a code valid in a campaign match is valid in the registry.
from linkage.codes import (  # noqa: F401  (re-exported for the platform)
    USCC_ALPHABET,
    is_valid_org_code,
    is_valid_uscc,
    normalize_uscc,
    org_check_char,
    org_code_of,
    uscc_check_char,
)


def normalize_code(value: object) -> str:
    """A USCC / 组织机构代码 / union code as stored: `linkage.codes.normalize_uscc` (NFKC, separators — spaces,
    dashes, dots, slashes, middle dots — removed, upper case), plus the long dash cadres' Word files carry."""
    if value is None:
        return ""
    return normalize_uscc(str(value).replace("—", ""))


def uscc_error(raw: object) -> str | None:
    """A zh-hans reason why `raw` is not a valid USCC, or None when it is (the rule is `linkage.codes`')."""
    code = normalize_code(raw)
    if not code:
        return "统一社会信用代码不能为空"
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位：{raw}"
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        return f"统一社会信用代码含非法字符“{bad[0]}”：{raw}"
    if not code[2:8].isdigit():
        return f"统一社会信用代码第3–8位应为数字（登记管理机关行政区划码），实际为“{code[2:8]}”：{raw}"
    if not is_valid_uscc(code):
        return f"统一社会信用代码校验位错误（末位应为{uscc_check_char(code[:17])}，实际为{code[17]}）：{raw}"
    return None


def make_uscc(body17: str) -> str:
    """Append the check character (used by the demo loader and tests to build valid codes)."""
    return body17 + uscc_check_char(body17)


def make_org_body(body8: str) -> str:
    """8 characters + the GB 11714 check: a valid 组织机构代码."""
    return body8 + org_check_char(body8)


# ---------------------------------------------------------------- 居民身份证号码 (GB 11643)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
MIN_AGE, MAX_AGE = 16, 100


@dataclass(frozen=True)
class IdNumber:
    """A checked 18-digit ID number and what it says about its holder."""

    number: str
    birth_date: dt.date
    sex: str  # "男" | "女"
    area_code: str
    note: str = ""  # e.g. "15位旧号码已升级为18位"

    @property
    def masked(self) -> str:
        return mask_id(self.number)


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id(raw: object) -> str:
    """Strip spaces and dashes, full-width → half-width, lower-case x → X (no validation). Dots stay: an ID
    that Excel turned into 3.31003199001011E+17 must be recognised as such."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-—_").upper()


def mask_id(number: str) -> str:
    """'330102199001011234' → '330102********1234' (the only form shown without the reveal permission)."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """'17712341182' → '177****1182' (lists, exports and the API without the reveal permission)."""
    return phone[:3] + "****" + phone[7:] if len(phone) == 11 else phone


@lru_cache(maxsize=8192)
def area_code_ever_existed(code: str) -> bool:
    """True when this 6-digit area code names a county in *any* era (python-stdnum keeps the history).

    People keep the number issued where they later lived, so a code created after the birth year is fine.
    """
    from stdnum import numdb

    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    return "county" in info


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdNumber:
    """The one ID-number rule. Raises ValueError with a zh-hans reason.

    18 characters after normalising; 17 digits + digit or X; a real birth date, not in the future, age 16–100
    today; the GB 11643 check digit; an area code that existed in some era. A 15-digit old number is
    upgraded (19 inserted before the year, check digit computed) and accepted with a note.
    """
    today = today or dt.date.today()
    text = normalize_id(raw)
    if not text:
        raise ValueError("身份证号码不能为空")
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", text):
        raise ValueError(f"身份证号码被 Excel 转成了数字（{raw}），请把该列设置为“文本”格式后重新填写")
    note = ""
    if len(text) == 15 and text.isdigit():
        text = text[:6] + "19" + text[6:]
        text += id_check_digit(text)
        note = "15位旧号码已升级为18位"
    if len(text) != 18:
        raise ValueError(f"身份证号码应为18位，实际为{len(text)}位：{raw}")
    if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        raise ValueError(f"身份证号码格式错误（前17位应为数字，末位为数字或X）：{raw}")
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise ValueError(f"身份证号码中的出生日期不存在：{text[6:14]}") from exc
    if birth > today:
        raise ValueError(f"身份证号码中的出生日期在未来：{birth.isoformat()}")
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValueError(f"按身份证号码计算年龄为{age}岁，不在{MIN_AGE}–{MAX_AGE}岁之间：{mask_id(text)}")
    expected = id_check_digit(text[:17])
    if text[17] != expected:
        raise ValueError(f"身份证号码校验位错误：{mask_id(text)}（末位应为{expected}）")
    if not area_code_ever_existed(text[:6]):
        raise ValueError(f"身份证号码前6位地区码“{text[:6]}”不存在")
    return IdNumber(
        number=text, birth_date=birth, sex="男" if int(text[16]) % 2 else "女", area_code=text[:6], note=note
    )


def make_id_number(area: str, birth: dt.date, seq: int) -> str:
    """A valid ID number (demo data and tests): area code, birth date, 3-digit sequence, check digit."""
    body = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + id_check_digit(body)
