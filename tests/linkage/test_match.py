"""What "same firm" means, scenario by scenario, and the invariances the engine promises."""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.codes import org_check_char, uscc_check_char
from linkage.engine import match
from linkage.schema import InputError
from linkage.synth import generate


def uscc(n: int, region: str = "331003") -> str:
    body = f"{n:08d}"
    first17 = "91" + region + body + org_check_char(body)
    return first17 + uscc_check_char(first17)


# a registry with enough firms that term frequencies mean something
BACKGROUND = generate(400, 10, seed=3).registry


def registry(*rows: dict[str, str]) -> pl.DataFrame:
    extra = pl.DataFrame(list(rows), schema={c: pl.Utf8 for c in BACKGROUND.columns})
    return pl.concat([extra, BACKGROUND], how="diagonal")


def row(name: str, code: str = "", county: str = "", org: str = "", address: str = "") -> dict[str, str]:
    return {
        "单位名称": name,
        "统一社会信用代码": code,
        "组织机构代码": org,
        "所属区县": county,
        "单位地址": address,
        "职工人数": "",
    }


def link(left: pl.DataFrame, *rows: dict[str, str]) -> list[tuple[int | None, str]]:
    right = pl.DataFrame(list(rows), schema={c: pl.Utf8 for c in BACKGROUND.columns})
    out = match(left, right)
    return list(zip(out["left_row"].to_list(), out["rule"].to_list(), strict=True))


def test_same_valid_uscc_is_the_same_firm_whatever_the_name() -> None:
    left = registry(row("台州市黄岩区宏达电子有限公司", uscc(1)))
    assert link(left, row("完全不同的名字贸易商行", uscc(1).lower())) == [(1, "uscc")]


def test_same_org_code_is_the_same_firm() -> None:
    code = uscc(2)
    left = registry(row("宏达电子有限公司", "", org=f"{code[8:16]}-{code[16]}"))
    assert link(left, row("黄岩宏达电子有限公司", code)) == [(1, "org_code")]


def test_two_different_valid_usccs_never_match() -> None:
    left = registry(row("台州市黄岩区宏达电子有限公司", uscc(3), "黄岩区"))
    assert link(left, row("台州市黄岩区宏达电子有限公司", uscc(4), "黄岩区")) == [(None, "none")]


def test_bad_check_digit_falls_back_to_the_name() -> None:
    code = uscc(5)
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    left = registry(row("台州市黄岩区宏达电子有限公司", code, "黄岩区"))
    assert link(left, row("黄岩宏达电子有限责任公司", bad, "黄岩区")) == [(1, "name")]


def test_branch_is_not_its_parent() -> None:
    left = registry(row("台州宏达电子有限公司", "", "黄岩区"))
    assert link(
        left,
        row("台州宏达电子有限公司路桥分公司", "", "路桥区"),
        row("台州宏达电子有限公司(黄岩分公司)", "", "黄岩区"),
    ) == [(None, "none"), (None, "none")]


def test_same_trade_name_in_another_county_or_trade_is_another_firm() -> None:
    left = registry(row("台州市黄岩区宏达电子有限公司", "", "黄岩区"))
    assert link(left, row("宏达电子有限公司", "", "椒江区"), row("黄岩宏达机械有限公司", "", "黄岩区")) == [
        (None, "none"),
        (None, "none"),
    ]


@pytest.mark.parametrize(
    "variant",
    [
        "臺州黃巖宏達電子有限公司",
        "（台州）宏达电子有限责任公司",
        "浙江宏达电子股份有限公司",
        "台州黄岩鸿达电子有限公司",
        "宏达电子（台州）有限公司",
    ],
)
def test_name_variants_of_one_firm_match(variant: str) -> None:
    left = registry(row("台州市黄岩区宏达电子有限公司", "", "黄岩区", address="黄岩区劳动北路118号"))
    got = link(left, row(variant, "", "黄岩", address="台州市黄岩区劳动北路118号"))
    assert got[0][0] == 1


def test_shop_forms_are_one_firm() -> None:
    left = registry(row("黄岩顺发五金店", "", "黄岩区"))
    assert link(left, row("台州市黄岩区顺发五金经营部", "", "黄岩区"))[0][0] == 1


def test_missing_name_column_is_an_input_error() -> None:
    with pytest.raises(InputError):
        match(pl.DataFrame({"地址": ["x"]}), pl.DataFrame({"单位名称": ["x"]}))


# ---- properties -------------------------------------------------------------------------------

SMALL = generate(300, 120, seed=11)
BASE = match(SMALL.registry, SMALL.source)


def _as_content(out: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> set[tuple[str, str | None]]:
    lnames = left["单位名称"].to_list()
    rnames = right["企业名称"].to_list()
    return {
        (rnames[r - 1] + "|" + str(r_code), None if lr is None else lnames[lr - 1])
        for r, lr, r_code in zip(out["right_row"], out["left_row"], right["社会信用代码"], strict=True)
    }


@settings(max_examples=6, deadline=None)
@given(st.randoms(use_true_random=False))
def test_matching_is_invariant_to_row_order(rnd: random.Random) -> None:
    lp = list(range(SMALL.registry.height))
    rp = list(range(SMALL.source.height))
    rnd.shuffle(lp)
    rnd.shuffle(rp)
    left, right = SMALL.registry[lp], SMALL.source[rp]
    got = match(left, right)
    assert _as_content(got, left, right) == _as_content(BASE, SMALL.registry, SMALL.source)


_FULL = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"}


@settings(max_examples=6, deadline=None)
@given(st.lists(st.sampled_from(["lower", "full", "space", "tab", "keep"]), min_size=120, max_size=120))
def test_matching_is_invariant_to_width_case_and_spacing_of_codes(how: list[str]) -> None:
    def mangle(code: str, kind: str) -> str:
        if kind == "lower":
            return code.lower()
        if kind == "full":
            return "".join(_FULL.get(c, c) for c in code.upper())
        if kind == "space":
            return " " + " ".join(code[i : i + 4] for i in range(0, len(code), 4)) + " "
        if kind == "tab":
            return "\t" + code + "\u3000"
        return code

    codes = SMALL.source["社会信用代码"].to_list()
    right = SMALL.source.with_columns(
        pl.Series("社会信用代码", [mangle(c, k) for c, k in zip(codes, how, strict=True)], dtype=pl.Utf8)
    )
    assert match(SMALL.registry, right).equals(BASE)


def test_quality_floor_on_a_generated_city() -> None:
    data = generate(6000, 2000, seed=21)
    out = match(data.registry, data.source)
    pred = out["left_row"].to_list()
    tp = sum(1 for p, t in zip(pred, data.truth, strict=True) if p is not None and p == t)
    fp = sum(1 for p, t in zip(pred, data.truth, strict=True) if p is not None and p != t)
    fn = sum(1 for p, t in zip(pred, data.truth, strict=True) if t is not None and p != t)
    assert tp / (tp + fp) >= 0.99
    assert tp / (tp + fn) >= 0.97
