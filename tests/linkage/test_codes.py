"""USCC (GB 32100) and organisation code (GB 11714) rules, table-driven."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.clean import org_valid_expr, uscc_valid_expr
from linkage.codes import (
    USCC_ALPHABET,
    classify_code,
    is_valid_org_code,
    is_valid_uscc,
    normalize_uscc,
    org_check_char,
    org_code_of,
    uscc_check_char,
)


def make_uscc(body8: str = "MA2AX3K1", region: str = "331003") -> str:
    org = body8 + org_check_char(body8)
    first17 = "91" + region + org
    return first17 + uscc_check_char(first17)


GOOD = make_uscc()
FULL = "".join(chr(ord(c) + 0xFEE0) for c in GOOD)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (GOOD, GOOD),
        (GOOD.lower(), GOOD),
        (FULL, GOOD),
        (f" {GOOD[:6]} {GOOD[6:12]}\u3000{GOOD[12:]} ", GOOD),
        (f"{GOOD[:8]}-{GOOD[8:]}", GOOD),
        ("", ""),
    ],
)
def test_normalize_uscc_folds_width_case_and_spacing(raw: str, expected: str) -> None:
    assert normalize_uscc(raw) == expected


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        (GOOD, True),
        (GOOD.lower(), True),
        (FULL, True),
        (GOOD[:17] + ("0" if GOOD[17] != "0" else "1"), False),  # bad check digit
        (GOOD[:-1], False),  # 17 characters
        (GOOD[:10] + "I" + GOOD[11:], False),  # I is not in the alphabet
        ("91330000ABCDEFGHIJ", False),
        ("", False),
        ("统一社会信用代码", False),
    ],
)
def test_is_valid_uscc(raw: str, valid: bool) -> None:
    assert is_valid_uscc(raw) is valid


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("D2143569-6", False),
        ("MA2AX3K1" + org_check_char("MA2AX3K1"), True),
        ("12345678X", False),
        ("", False),
    ],
)
def test_is_valid_org_code(raw: str, valid: bool) -> None:
    assert is_valid_org_code(raw) is valid


def test_org_check_char_known_value() -> None:
    # GB 11714 worked example: body D2143569 has check character 1... computed independently
    body = "D2143569"
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    expected = 11 - total % 11
    assert org_check_char(body) == {10: "X", 11: "0"}.get(expected, str(expected))


def test_org_code_of_and_classify() -> None:
    assert org_code_of(GOOD) == GOOD[8:17]
    assert org_code_of(GOOD[:17] + "0" if GOOD[17] != "0" else GOOD[:17] + "1") == ""
    assert classify_code(GOOD.lower()) == (GOOD, GOOD[8:17])
    assert classify_code(f"{GOOD[8:16]}-{GOOD[16]}") == ("", GOOD[8:17])
    assert classify_code("garbage") == ("", "")


def test_stdnum_agrees_on_valid_codes() -> None:
    from stdnum.cn import uscc as std

    assert std.is_valid(GOOD)
    assert not std.is_valid(GOOD[:17] + ("0" if GOOD[17] != "0" else "1"))


codes_st = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9).map(
    lambda body: make_uscc(body[:8].replace("Y", "1"), "3310" + f"{ord(body[8]) % 100:02d}")
)


@settings(max_examples=60, deadline=None)
@given(codes_st, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_vectorised_checks_agree_with_scalar_ones(code: str, pos: int, ch: str) -> None:
    mutated = code[:pos] + ch + code[pos + 1 :]
    df = pl.DataFrame({"c": [code, mutated, code[8:17], mutated[8:17]]})
    got = df.select(u=uscc_valid_expr(pl.col("c")), o=org_valid_expr(pl.col("c")))
    assert got["u"].to_list() == [is_valid_uscc(x) for x in df["c"]]
    assert got["o"].to_list() == [is_valid_org_code(x) for x in df["c"]]
