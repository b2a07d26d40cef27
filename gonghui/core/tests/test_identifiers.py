"""Table-driven tests of the code rules every import, form and API call relies on."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gonghui.core.identifiers import (
    USCC_ALPHABET,
    is_valid_uscc,
    make_id_number,
    make_uscc,
    mask_id,
    normalize_code,
    org_code_of,
    parse_id_number,
    uscc_error,
)

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91331003 3296 4477 0F", "913310033296447​70F".replace("\u200b", "")),
        ("９１３３１００３３２９６４４７７０Ｆ", "91331003329644770F"),
        ("91331003-329644770f", "91331003329644770F"),
        (None, ""),
    ],
)
def test_normalize_code_folds_width_case_and_spaces(raw, expected):
    assert normalize_code(raw) == expected


def test_uscc_check_digit_accepts_valid_and_names_the_expected_character():
    code = make_uscc("91331003329644770")
    assert is_valid_uscc(code)
    wrong = code[:17] + next(c for c in USCC_ALPHABET if c != code[17])
    assert not is_valid_uscc(wrong)
    assert f"应为{code[17]}" in (uscc_error(wrong) or "")
    assert uscc_error("") == "统一社会信用代码不能为空"
    assert "18位" in (uscc_error("9133") or "")
    assert "非法字符" in (uscc_error("91331003329644770I") or "")
    assert org_code_of(code) == "32964477" + code[16]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("3.31003199001011E+17", "设置为“文本”"),
        ("330102199013011234", "出生日期不存在"),
        ("33010219900101123", "应为18位"),
        ("33010219900101123A", "格式错误"),
        ("990000199001011239", None),  # area code that never existed (check digit made right below)
    ],
)
def test_id_rule_rejects_with_a_reason(raw, message):
    if message is None:
        body = raw[:17]
        from gonghui.core.identifiers import id_check_digit

        raw = body + id_check_digit(body)
        message = "地区码"
    with pytest.raises(ValueError, match=message):
        parse_id_number(raw, today=TODAY)


def test_id_rule_age_bounds_and_future_birth():
    with pytest.raises(ValueError, match="16–100"):
        parse_id_number(make_id_number("330102", dt.date(2015, 1, 1), 1), today=TODAY)
    with pytest.raises(ValueError, match="16–100"):
        parse_id_number(make_id_number("330102", dt.date(1920, 1, 1), 1), today=TODAY)
    with pytest.raises(ValueError, match="未来"):
        parse_id_number(make_id_number("330102", dt.date(2027, 1, 1), 1), today=TODAY)


def test_area_codes_of_any_era_are_accepted():
    # 崇文区 (110103) was abolished in 2010; 玉环市 (331083) created in 2017, after this holder's birth.
    assert parse_id_number(make_id_number("110103", dt.date(2000, 5, 1), 7), today=TODAY).area_code == "110103"
    assert parse_id_number(make_id_number("331083", dt.date(1960, 5, 1), 7), today=TODAY).sex == "男"


def test_fifteen_digit_id_is_upgraded_with_a_note():
    ident = parse_id_number("330102900101123", today=TODAY)
    assert ident.number == "330102199001011234" and "15位" in ident.note
    assert ident.masked == "330102********1234" == mask_id(ident.number)


@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2008, 1, 1)),
    seq=st.integers(min_value=0, max_value=999),
    area=st.sampled_from(["330102", "331003", "331083", "110103", "440305", "510104", "230102"]),
    spaces=st.booleans(),
    full_width=st.booleans(),
)
def test_every_spelling_of_a_valid_id_parses_to_the_same_number(birth, seq, area, spaces, full_width):
    number = make_id_number(area, birth, seq)
    spelled = number.lower()
    if spaces:
        spelled = f" {spelled[:6]} {spelled[6:14]} {spelled[14:]} "
    if full_width:
        spelled = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in spelled)
    ident = parse_id_number(spelled, today=TODAY)
    assert ident.number == number
    assert ident.birth_date == birth
    assert ident.sex == ("男" if int(number[16]) % 2 else "女")


@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2008, 1, 1)),
    seq=st.integers(min_value=0, max_value=999),
    pos=st.integers(min_value=14, max_value=17),
    delta=st.integers(min_value=1, max_value=9),
)
def test_a_changed_digit_is_caught(birth, seq, pos, delta):
    number = make_id_number("330102", birth, seq)
    ch = number[pos]
    changed = str((int(ch) + delta) % 10) if ch.isdigit() else str(delta)
    mutated = number[:pos] + changed + number[pos + 1 :]
    with pytest.raises(ValueError):
        parse_id_number(mutated, today=TODAY)
