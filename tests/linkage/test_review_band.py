"""The review band's "a 字号 one character off with nothing else to decide" and "near-identical names with no
code" (issue 11): hand-written cases in a one-district registry (the campaign's: every firm in 黄岩, so a
shared county says nothing), and ``near_pairs`` against a brute force."""

from __future__ import annotations

import random

import polars as pl

from linkage.codes import org_check_char, uscc_check_char
from linkage.engine import match, near_pairs, one_char_off, prepare_chunked, with_rows
from linkage.shapes import TRADES
from linkage.synth import ZH_CHARS, generate

_COLS = ("单位名称", "统一社会信用代码", "单位地址")
FIRM = "台州市黄岩康胜机械有限公司"
ADDR = "台州市黄岩区新前街道康宁路88号"


def _uscc(n: int) -> str:
    body = f"{n:08d}"
    first17 = "91331003" + body + org_check_char(body)
    return first17 + uscc_check_char(first17)


def _frame(rows: list[tuple[str, ...]]) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(_COLS, r, strict=False)) for r in rows], schema={c: pl.Utf8 for c in _COLS})


def _district(n: int = 300, seed: int = 5) -> list[tuple[str, ...]]:
    """``n`` firms of the district, none within one character of the firms written by hand below."""
    rng = random.Random(seed)
    out: list[tuple[str, ...]] = []
    names = {FIRM, "台州市黄岩永胜机械有限公司"}
    while len(out) < n:
        name = f"台州市黄岩{''.join(rng.choice(ZH_CHARS) for _ in range(2))}{rng.choice(TRADES)}有限公司"
        if name in names or any(one_char_off(name, f)[0] for f in (FIRM, "台州市黄岩永胜机械有限公司")):
            continue
        names.add(name)
        out.append((name, _uscc(1000 + len(out)), f"台州市黄岩区{rng.choice('东西南北')}城街道{rng.randint(1, 999)}号"))
    return out


REGISTRY = _frame(
    [(FIRM, _uscc(41), ADDR), ("台州市黄岩永胜机械有限公司", _uscc(42), "台州市黄岩区院桥镇工业园7号"), *_district()]
)


def _one(*row: str) -> dict[str, object]:
    return match(REGISTRY, _frame([row]), explain=True).row(0, named=True)


def test_zihao_one_homophone_off_with_no_code_is_review_with_that_firm() -> None:
    got = _one("台州市黄岩康盛机械有限公司", "", "")
    assert (got["decision"], got["left_row"], got["candidate_row"]) == ("review", None, 1)


def test_the_same_with_a_conflicting_valid_code_of_its_own_is_none() -> None:
    got = _one("台州市黄岩康盛机械有限公司", _uscc(77), "")
    assert (got["decision"], got["left_row"], got["candidate_row"]) == ("none", None, None)


def test_a_lookalike_with_the_firms_valid_code_is_a_match() -> None:
    got = _one("台州市黄岩水胜机械有限公司", _uscc(42), "")  # 永 → 水
    assert (got["decision"], got["left_row"], got["rule"]) == ("match", 2, "uscc")


def test_a_lookalike_is_decided_by_the_address_and_else_reviewed() -> None:
    got = _one("台州市黄岩水胜机械有限公司", "", "台州市黄岩区院桥镇工业园7号")
    assert (got["decision"], got["left_row"]) == ("match", 2)
    got = _one("台州市黄岩水胜机械有限公司", "", "")
    assert (got["decision"], got["candidate_row"]) == ("review", 2)


def test_zihao_one_other_character_off_is_review_even_at_the_same_address() -> None:
    # 康胜 → 康达: another firm as likely as a typo; the address does not decide it
    got = _one("台州市黄岩康达机械有限公司", "", ADDR)
    assert (got["decision"], got["left_row"], got["candidate_row"]) == ("review", None, 1)
    got = _one("台州市黄岩康达机械有限公司", "", "")
    assert (got["decision"], got["candidate_row"]) == ("review", 1)


def test_whole_name_one_character_off_outside_the_zihao_is_review() -> None:
    # the region mistyped (黄岩 → 黄恒): the 字号 agree, the names still differ in one character
    got = _one("台州市黄恒康胜机械有限公司", "", ADDR)
    assert (got["decision"], got["candidate_row"]) == ("review", 1)
    # the trade mistyped (机械 → 丰械): scored as nothing, put up for review as near-identical
    got = _one("台州市黄岩康胜丰械有限公司", "", "")
    assert (got["decision"], got["candidate_row"], got["agreed"]) == ("review", 1, "name:one_char_off")


def test_a_homophone_backed_by_the_county_of_a_wider_registry_still_matches() -> None:
    left = pl.concat(
        [pl.DataFrame({"单位名称": [FIRM], "所属区县": ["黄岩区"]}), generate(400, 10, seed=3).registry], how="diagonal"
    )
    got = match(left, pl.DataFrame({"单位名称": ["台州市黄岩康盛机械有限公司"]}), explain=True).row(0, named=True)
    assert (got["decision"], got["left_row"]) == ("match", 1)


def test_near_pairs_equal_a_brute_force() -> None:
    data = generate(600, 300, seed=11)
    rng = random.Random(2)
    reg = data.registry
    # plant one-character variants of registry names (some with codes that conflict)
    names = reg["单位名称"].to_list()
    planted = []
    for name in rng.sample(names, 120):
        i = rng.randrange(len(name))
        planted.append(name[:i] + rng.choice(ZH_CHARS) + name[i + 1 :])
    src = pl.concat([data.source, pl.DataFrame({"企业名称": planted})], how="diagonal")
    lp, rp = prepare_chunked(with_rows(reg)), prepare_chunked(with_rows(src))
    got = {(a, b) for a, b in near_pairs(lp, rp).select("row", "left_row").iter_rows()}

    def differ(a: str, b: str) -> bool:
        return a != "" and b != "" and a != b

    want = set()
    lrows = lp.select("row", "name_norm", "uscc", "org", "county", "pref", "branch_py").rows()
    for r in rp.select("row", "name_norm", "uscc", "org", "county", "pref", "branch_py").iter_rows():
        if len(r[1]) < 6:
            continue
        for lr in lrows:
            if not one_char_off(r[1], lr[1])[0]:
                continue
            if any(differ(r[k], lr[k]) for k in (2, 3, 4, 5)) or r[6] != lr[6]:
                continue
            want.add((r[0], lr[0]))
    assert len(want) > 50
    assert got == want
