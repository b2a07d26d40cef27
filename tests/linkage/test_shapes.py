"""Real-world name shapes (linkage.shapes): the targets hold overall and on every shape, and each
fix of issue 11 has a scenario that failed before it."""

from __future__ import annotations

import math
from collections import defaultdict

import polars as pl
import pytest

from linkage.codes import org_check_char, uscc_check_char
from linkage.engine import match
from linkage.shapes import SHAPES, generate_shapes
from linkage.synth import generate

BED = generate_shapes(6000, 3000, seed=7)
OUT = match(BED.registry, BED.source, explain=True)


def _pr(labels: list[str]) -> dict[str, tuple[float, float]]:
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p, t, lab in zip(OUT["left_row"].to_list(), BED.truth, labels, strict=True):
        for key in ("overall", lab):
            a = acc[key]
            if p is not None and p == t:
                a[0] += 1
            else:
                a[1] += p is not None
                a[2] += t is not None
    return {k: (tp / max(tp + fp, 1), tp / max(tp + fn, 1)) for k, (tp, fp, fn) in acc.items()}


def test_targets_overall_and_by_shape() -> None:
    got = _pr(BED.slices)
    precision, recall = got["overall"]
    assert precision >= 0.995, got
    assert recall >= 0.99, got
    for shape in SHAPES:
        assert got[shape][1] >= 0.97, (shape, got[shape])


def test_explained_weights_add_up_to_the_score() -> None:
    scored = OUT.filter(pl.col("agreed").str.contains("prior:"))
    assert scored.height > 100
    for agreed, score in zip(scored["agreed"].to_list(), scored["score"].to_list(), strict=True):
        total = sum(float(part.split(":")[1]) for part in agreed.split(";"))
        assert abs(1 / (1 + 2 ** (-total)) - score) < 0.002, (agreed, score)


def test_review_rows_carry_a_candidate_and_no_link() -> None:
    review = OUT.filter(pl.col("decision") == "review")
    assert review.height > 0
    assert review["left_row"].null_count() == review.height
    assert review["candidate_row"].null_count() == 0
    matched = OUT.filter(pl.col("decision") == "match")
    assert (matched["left_row"] == matched["candidate_row"]).all()


def _uscc(n: int, region: str = "331003") -> str:
    body = f"{n:08d}"
    first17 = "91" + region + body + org_check_char(body)
    return first17 + uscc_check_char(first17)


_COLS = ("单位名称", "统一社会信用代码", "组织机构代码", "所属区县")


def _frame(rows: list[tuple[str, ...]]) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(_COLS, r, strict=False)) for r in rows], schema={c: pl.Utf8 for c in _COLS})


# a registry with enough firms that term frequencies mean something
BACKGROUND = generate(400, 10, seed=3).registry


def _registry(*rows: tuple[str, ...]) -> pl.DataFrame:
    return pl.concat([_frame(list(rows)), BACKGROUND], how="diagonal")


def _one(left: pl.DataFrame, *row: str) -> dict[str, object]:
    return match(left, _frame([row]), explain=True).row(0, named=True)


@pytest.mark.parametrize(
    "name",
    [
        "中国工商银行股份有限公司台州黄岩支行",
        "中国石化销售股份有限公司浙江台州东城加油站",
        "中国移动通信集团浙江有限公司台州黄岩城东营业厅",
        "中国人民财产保险股份有限公司台州黄岩支公司城东营业部",
        "浙江省宏泰集团有限公司",
    ],
)
def test_exact_name_without_county_is_a_match_whatever_the_prefecture(name: str) -> None:
    left = _registry((name, "", "", "黄岩区"))
    got = _one(left, name, "", "", "")
    assert (got["left_row"], got["decision"], got["rule"]) == (1, "match", "name")


def test_exact_name_whose_code_fails_its_check_digit_is_a_match() -> None:
    code = _uscc(41)
    bad = code[:5] + ("1" if code[5] != "1" else "2") + code[6:]
    left = _registry(("浙江省宏泰集团有限公司", code, "", "黄岩区"))
    assert _one(left, "浙江省宏泰集团有限公司", bad, "", "")["left_row"] == 1


def test_exact_name_with_a_conflicting_valid_code_is_not_a_match() -> None:
    left = _registry(("浙江省宏泰集团有限公司", _uscc(42), "", "黄岩区"))
    assert _one(left, "浙江省宏泰集团有限公司", _uscc(43), "", "")["decision"] == "none"


def test_homophone_slip_inside_a_longer_name_matches() -> None:
    left = _registry(("浙江康胜电子有限公司", "", "", "黄岩区"), ("台州市黄岩区康胜电子有限公司", "", "", "黄岩区"))
    assert _one(left, "浙江康盛电子有限公司", "", "", "黄岩")["left_row"] == 1
    assert _one(left, "台州市黄岩区康盛电子有限公司", "", "", "")["left_row"] == 2
    # with nothing but the name (no county, a small registry) it is put up for review, not dropped
    got = _one(left, "浙江康盛电子有限公司", "", "", "")
    assert got["decision"] in {"match", "review"} and got["candidate_row"] == 1


def test_generic_business_of_another_county_is_not_linked() -> None:
    left = _registry(("台州市黄岩区保安服务公司", "", "", "黄岩区"))
    got = _one(left, "台州市路桥区保安服务公司", "", "", "")
    assert got["left_row"] is None


def test_sibling_branch_is_not_linked() -> None:
    left = _registry(("中国工商银行股份有限公司台州黄岩支行", "", "", "黄岩区"))
    assert _one(left, "中国工商银行股份有限公司台州路桥支行", "", "", "")["decision"] == "none"


def test_one_character_off_in_another_county_is_not_a_link() -> None:
    left = _registry(("台州黄岩宏达电子有限公司", "", "", "黄岩区"))
    assert _one(left, "温州鹿城宏远电子有限公司", "", "", "")["left_row"] is None


def test_org_code_against_a_total_name_disagreement_is_review() -> None:
    code = _uscc(44)
    left = _registry(("台州黄岩宏达电子有限公司", code, "", "黄岩区"))
    got = _one(left, "温州市鹿城区青山食品有限公司", "", f"{code[8:16]}-{code[16]}", "")
    assert (got["left_row"], got["decision"], got["candidate_row"], got["rule"]) == (None, "review", 1, "org_code")


def test_one_character_off_with_nothing_else_to_decide_is_review() -> None:
    left = _registry(("台州黄岩宏达瑞电子有限公司", "", "", "黄岩区"))
    got = _one(left, "台州黄岩宏达锐电子有限公司", "", "", "")
    assert got["decision"] in {"review", "match"}
    got = _one(left, "宏达睿电子有限公司", "", "", "")
    assert got["left_row"] is None


def test_unknown_prefecture_rows_meet_every_block_once() -> None:
    # many unknown-prefecture rows under one 字号: before the fix the "" block held them twice and
    # the pair cap dropped the block; the exact pair must survive any cap
    name = "宏泰电子有限公司"
    left = _registry(*[(name if i == 0 else f"宏泰电子有限公司{i}号店", "", "", "") for i in range(60)])
    right = _frame([(name, "", "", "")] * 40)
    out = match(left, right, max_block_pairs=10)
    assert out["left_row"].to_list() == [1] * 40
    assert math.isclose(out["score"].sum(), 40.0)


def test_every_pair_meets_in_exactly_one_block() -> None:
    from collections import Counter

    from linkage.engine import blocks, prepare_chunked, with_rows

    lp = prepare_chunked(with_rows(BED.registry))
    rp = prepare_chunked(with_rows(BED.source))
    assert (lp["pref"] == "").any() and (rp["pref"] == "").any()
    seen: Counter[tuple[int, int]] = Counter()
    for pref, lb, rb in blocks(lp, rp):
        lrows = dict(zip(lb["row"].to_list(), lb["pref"].to_list(), strict=True))
        rrows = dict(zip(rb["row"].to_list(), rb["pref"].to_list(), strict=True))
        assert len(lrows) == lb.height and len(rrows) == rb.height  # no row twice in a block
        for l_row, lpref in list(lrows.items())[::50]:
            for r_row, rpref in list(rrows.items())[::50]:
                if pref == "" or lpref or rpref:
                    seen[(l_row, r_row)] += 1
    assert seen and set(seen.values()) == {1}
