"""Enterprise identifiers: 统一社会信用代码 (GB 32100) and 组织机构代码 (GB 11714).

These functions are the single home of the USCC rule in the project; other packages import them from
here. They are pure, total (never raise on any ``str`` input) and stable.
"""

from __future__ import annotations

import re
import unicodedata

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SEPARATORS = re.compile(r"[\s\-_.·/]+")
_ORG_BODY = re.compile(r"^[0-9A-Z]{8}$")


def normalize_uscc(s: str) -> str:
    """Return ``s`` in canonical code form: NFKC (full width to half width), separators and all
    whitespace removed, upper case. Works for USCCs and 组织机构代码 alike; never raises."""
    if not s:
        return ""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", s)).upper()


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC.

    Raises ``ValueError`` when ``first17`` is not 17 characters of the USCC alphabet."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError("需要 17 位统一社会信用代码本体")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """Return the GB 11714 check character ('0'-'9' or 'X') for an 8-character organisation code body.

    Raises ``ValueError`` when ``body8`` is not 8 digits/upper-case letters."""
    if not _ORG_BODY.match(body8):
        raise ValueError("需要 8 位组织机构代码本体")
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def is_valid_uscc(s: str) -> bool:
    """True iff ``normalize_uscc(s)`` is 18 characters of the GB 32100 alphabet, characters 3-8 are a
    numeric region code, and the check character is correct. Never raises."""
    code = normalize_uscc(s)
    if len(code) != 18 or not code[2:8].isdigit() or any(c not in _USCC_VALUE for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def is_valid_org_code(s: str) -> bool:
    """True iff ``normalize_uscc(s)`` is a 9-character 组织机构代码 with a correct GB 11714 check
    character. Never raises."""
    code = normalize_uscc(s)
    if len(code) != 9 or not _ORG_BODY.match(code[:8]):
        return False
    return org_check_char(code[:8]) == code[8]


def org_code_of(uscc: str) -> str:
    """Return the 组织机构代码 embedded in a USCC (characters 9-17), or "" when ``uscc`` is not a
    valid USCC. Never raises."""
    code = normalize_uscc(uscc)
    return code[8:17] if is_valid_uscc(code) else ""


def classify_code(raw: str) -> tuple[str, str]:
    """Classify one raw code cell as ``(uscc, org_code)``.

    A valid USCC gives both; a valid 9-character organisation code (also written as ``XXXXXXXX-X``)
    gives ``("", org)``; anything else (bad check digit, wrong length, garbage) gives ``("", "")`` so
    that the caller falls back to the name. Never raises."""
    code = normalize_uscc(raw)
    if is_valid_uscc(code):
        return code, code[8:17]
    if is_valid_org_code(code):
        return "", code
    return "", ""
