"""Property tests: the ID rule accepts every valid number in every spelling and refuses any changed digit;
parse_date round-trips every accepted format; find_header finds a roster's header under any title rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gonghui.core.excel import EXCEL_EPOCH, find_header, parse_date
from gonghui.core.identifiers import make_id_number, parse_id_number
from gonghui.members.imports import IMPORT_COLUMNS

AREAS = ("331003", "331083", "110103", "110101", "310104", "522101", "650102", "331021", "440103", "510105")
TODAY = dt.date.today()
births = st.dates(min_value=TODAY.replace(year=TODAY.year - 99), max_value=TODAY.replace(year=TODAY.year - 17))
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "ｘ"}


@st.composite
def id_numbers(draw: Any) -> str:
    return make_id_number(draw(st.sampled_from(AREAS)), draw(births), draw(st.integers(0, 999)))


@settings(max_examples=200, deadline=None)
@given(number=id_numbers(), style=st.sampled_from(["plain", "spaced", "full", "lower", "dashed"]),
       seps=st.lists(st.integers(1, 17), max_size=4))
def test_every_valid_id_in_every_spelling_is_accepted(number: str, style: str, seps: list[int]) -> None:
    text = number
    if style == "spaced":
        for i in sorted(set(seps), reverse=True):
            text = text[:i] + " " + text[i:]
        text = f" {text}\t"
    elif style == "full":
        text = "".join(FULL_WIDTH.get(c, c) for c in number)
    elif style == "lower":
        text = number.lower()
    elif style == "dashed":
        text = f"{number[:6]}-{number[6:14]}-{number[14:]}"
    ident = parse_id_number(text)
    assert ident.number == number and ident.birth_date == dt.date(int(number[6:10]), int(number[10:12]),
                                                                   int(number[12:14]))


@settings(max_examples=200, deadline=None)
@given(number=id_numbers(), position=st.integers(0, 17), delta=st.integers(1, 9))
def test_a_changed_character_is_rejected(number: str, position: int, delta: int) -> None:
    old = number[position]
    if old == "X":
        new = str(delta)
    else:
        new = str((int(old) + delta) % 10) if position < 17 or delta < 9 else "X"
        if position == 17 and new == old:
            new = "X"
    changed = number[:position] + new + number[position + 1:]
    try:
        parse_id_number(changed)
    except ValueError:
        return
    raise AssertionError(f"{changed} (from {number}) was accepted")


dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31))


@settings(max_examples=300, deadline=None)
@given(day=dates, fmt=st.sampled_from(["serial", "iso", "slash", "dot", "cn", "compact", "compact_int",
                                       "datetime", "date", "serial_float", "iso_time", "fullwidth"]))
def test_parse_date_round_trips_every_format(day: dt.date, fmt: str) -> None:
    value: Any = {
        "serial": (day - EXCEL_EPOCH).days,
        "serial_float": float((day - EXCEL_EPOCH).days),
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": f"{day.year}.{day.month}.{day.day}",
        "cn": f"{day.year}年{day.month}月{day.day}日",
        "compact": f"{day:%Y%m%d}",
        "compact_int": int(f"{day:%Y%m%d}"),
        "datetime": dt.datetime(day.year, day.month, day.day, 8, 30),
        "date": day,
        "iso_time": f"{day.isoformat()} 00:00:00",
        "fullwidth": "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in f"{day.year}年{day.month}月{day.day}日"),
    }[fmt]
    assert parse_date(value) == day


SYNONYMS = {c.key: (c.label, *c.synonyms) for c in IMPORT_COLUMNS}
title_cells = st.text(alphabet="黄岩区会员名单年月日填报单位盖章说明：（）0123456789 ", min_size=0, max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    titles=st.lists(st.lists(st.one_of(st.none(), title_cells), min_size=1, max_size=3), max_size=12),
    picks=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in SYNONYMS.items()}),
    breaks=st.lists(st.integers(0, 5), min_size=len(SYNONYMS), max_size=len(SYNONYMS)),
    order=st.permutations(list(SYNONYMS)),
    lead=st.integers(0, 2),
)
def test_find_header_under_random_title_rows(titles: list[list[Any]], picks: dict[str, str], breaks: list[int],
                                             order: list[str], lead: int) -> None:
    header: list[Any] = [None] * lead
    for key, cut in zip(order, breaks, strict=True):
        text = picks[key]
        cut = min(cut, len(text))
        header.append(text[:cut] + ("\n" if 0 < cut < len(text) else "") + text[cut:])
    grid = [*titles, header, ["1", "张三", "330102199001011234"]]
    index, mapping = find_header(grid, IMPORT_COLUMNS)
    assert index == len(titles)
    assert {k: mapping[k] for k in SYNONYMS} == {k: lead + order.index(k) for k in SYNONYMS}
