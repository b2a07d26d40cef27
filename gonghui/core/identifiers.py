"""Identifier rules, one place: 统一社会信用代码 (GB 32100) and 组织机构代码 (GB 11714).

Every caller (forms, imports, the API, the demo loader) normalises and checks codes here.
"""

from __future__ import annotations

import unicodedata

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalize_code(value: object) -> str:
    """NFKC (full-width → half-width), drop every kind of space and dash, upper-case."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-—_").upper()


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else ("0" if check == 11 else str(check))


def is_valid_org_code(code: str) -> bool:
    """A 9-character 组织机构代码 (8 body characters + check) whose check character is right."""
    if len(code) != 9 or any(c not in _ORG_ALPHABET for c in code[:8]):
        return False
    return org_code_check_char(code[:8]) == code[8]


def is_valid_uscc(code: str) -> bool:
    """18 characters of the GB 32100 alphabet with a correct check character (input already normalised)."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def org_code_of(uscc: str) -> str:
    """The 9-character 组织机构代码 embedded in a USCC (characters 9–17)."""
    return uscc[8:17]


def uscc_error(raw: object) -> str | None:
    """A zh-hans reason why `raw` is not a valid USCC, or None when it is."""
    code = normalize_code(raw)
    if not code:
        return "统一社会信用代码不能为空"
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位：{raw}"
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        return f"统一社会信用代码含非法字符“{bad[0]}”：{raw}"
    if not is_valid_uscc(code):
        return f"统一社会信用代码校验位错误（应为{uscc_check_char(code[:17])}）：{raw}"
    return None


def make_uscc(body17: str) -> str:
    """Append the check character (used by the demo loader and tests to build valid codes)."""
    return body17 + uscc_check_char(body17)


def make_org_body(body8: str) -> str:
    """8 characters + the GB 11714 check: a valid 组织机构代码."""
    return body8 + org_code_check_char(body8)
