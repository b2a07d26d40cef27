"""The province-scale path of the local backend (``engine.match_blocks``): integer keys per prefecture
block and a bound that drops pairs before scoring must give exactly what the plain path gives
(``match_prepared_simple``: every candidate pair of every block scored)."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from linkage import engine
from linkage.engine import Options, match
from linkage.shapes import generate_shapes
from linkage.synth import generate

MID = generate(24_000, 8_000, seed=17)
BED = generate_shapes(6000, 3000, seed=7)


def _prepared(data: object) -> tuple[pl.DataFrame, pl.DataFrame]:
    reg, src = data.registry, data.source  # type: ignore[attr-defined]
    return engine.prepare_chunked(engine.with_rows(reg)), engine.prepare_chunked(engine.with_rows(src))


@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize("which", ["generated", "shapes"])
def test_province_path_equals_the_plain_path(which: str, explain: bool) -> None:
    lp, rp = _prepared(MID if which == "generated" else BED)
    opts = Options(explain=explain)
    fast = engine.match_prepared(lp, rp, opts)
    plain = engine.match_prepared_simple(lp, rp, opts)
    assert fast.equals(plain)
    assert (fast["decision"] == "match").sum() > rp.height // 2


def test_small_chunks_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    lp, rp = _prepared(BED)
    whole = engine.match_prepared(lp, rp, Options(explain=True))
    monkeypatch.setattr(engine, "PRUNE_CHUNK", 997)
    monkeypatch.setattr(engine, "SCORE_CHUNK", 101)
    assert engine.match_prepared(lp, rp, Options(explain=True)).equals(whole)


def _candidates_and_kept(
    lp: pl.DataFrame, rp: pl.DataFrame, opts: Options
) -> tuple[Counter[tuple[int, int]], set[tuple[int, int]], pl.DataFrame]:
    codes, exact, todo = engine._codes_and_exact(lp, rp)
    stats = engine.compute_stats(lp, rp)
    seen: Counter[tuple[int, int]] = Counter()
    kept: set[tuple[int, int]] = set()
    for _pref, pairs, k in engine.block_pairs(lp, rp, todo, stats, opts):
        seen.update(zip(pairs["l"].to_list(), pairs["r"].to_list(), strict=True))
        kept |= set(zip(k["l"].to_list(), k["r"].to_list(), strict=True))
    return seen, kept, todo


def test_integer_keys_meet_the_same_pairs_once_each() -> None:
    lp, rp = _prepared(BED)
    assert (lp["pref"] == "").any() and (rp["pref"] == "").any()
    seen, _kept, todo = _candidates_and_kept(lp, rp, Options(explain=True))
    plain: set[tuple[int, int]] = set()
    for pref, lb, rb in engine.blocks(lp, todo):
        p = engine.candidate_pairs(engine.row_keys(lb), engine.row_keys(rb), Options(), both_unknown=pref == "")
        plain |= set(zip(p["l"].to_list(), p["r"].to_list(), strict=True))
    # every pair in exactly one block, unknown-prefecture rows included
    assert set(seen.values()) == {1}
    assert set(seen) == plain
    lunknown = set(lp.filter(pl.col("pref") == "")["row"].to_list())
    runknown = set(todo.filter(pl.col("pref") == "")["row"].to_list())
    assert any(lrow in lunknown for lrow, _ in seen) and any(r in runknown for _, r in seen)
    # without --explain the pairs of two different known counties (vetoed) are never joined
    quick, _kept, _todo = _candidates_and_kept(lp, rp, Options())
    assert set(quick.values()) == {1} and set(quick) <= plain
    lcounty = dict(zip(lp["row"].to_list(), lp["county"].to_list(), strict=True))
    rcounty = dict(zip(rp["row"].to_list(), rp["county"].to_list(), strict=True))
    for lrow, r in plain - set(quick):
        assert lcounty[lrow] and rcounty[r] and lcounty[lrow] != rcounty[r]
    assert len(quick) < len(plain)


@pytest.mark.parametrize("explain", [False, True])
def test_the_bound_drops_only_pairs_that_cannot_count(explain: bool) -> None:
    lp, rp = _prepared(BED)
    opts = Options(explain=explain)
    seen, kept, _todo = _candidates_and_kept(lp, rp, opts)
    assert 0 < len(kept) <= len(seen)
    if not explain:
        assert len(kept) < len(seen) // 2  # it does prune
    dropped = pl.DataFrame([(lrow, r) for lrow, r in seen if (lrow, r) not in kept], schema=["l", "r"], orient="row")
    scored = engine.score_pairs(engine.join_features(dropped, lp, rp), engine.compute_stats(lp, rp), opts)
    allowed = {"none"} if explain else {"none", "vetoed"}
    assert set(scored["cls"].unique().to_list()) <= allowed


def test_exact_name_pair_is_never_lost_to_a_cap() -> None:
    # one name, many registry rows in several prefectures and none, tiny caps: the exact pair is
    # joined outside the blocks, so no cap can hide it
    name = "浙江宏泰电子有限公司"
    counties = ["黄岩区", "鹿城区", "", "西湖区", ""]
    reg = pl.DataFrame(
        {
            "单位名称": [name if i == 7 else f"浙江宏泰电子有限公司{i}号店" for i in range(40)],
            "所属区县": [counties[i % len(counties)] for i in range(40)],
        }
    )
    src = pl.DataFrame({"企业名称": [name] * 5, "区县": ["", "", "黄岩区", "", ""]})
    out = match(reg, src, max_block_pairs=1, max_block_left=1)
    assert out["left_row"].to_list() == [8, 8, None, 8, 8] or out["left_row"].to_list() == [8] * 5
    assert set(out["rule"].drop_nulls().to_list()) <= {"name", "none"}


def test_exact_ids_equal_iff_the_texts_are_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    a = pl.Series("a", ["台州", "", "黄岩", "台州", "x"])
    b = pl.Series("b", ["黄岩", "y", "", "台州"])

    def check(ids: list[pl.Series]) -> None:
        texts = [*a.to_list(), *b.to_list()]
        got = [*ids[0].to_list(), *ids[1].to_list()]
        for i, ti in enumerate(texts):
            assert (got[i] == 0) == (ti == "")
            for j, tj in enumerate(texts):
                assert (got[i] == got[j]) == (ti == tj)

    check(engine.exact_ids(a, b))
    # a hash collision falls back to dense ranks
    monkeypatch.setattr(pl.Series, "n_unique", lambda self: -1)
    check(engine.exact_ids(a, b))


@pytest.mark.parametrize(("threshold", "review"), [(0.9999, 0.999), (0.6, 0.05), (0.8, 0.0)])
def test_province_path_equals_the_plain_path_at_other_thresholds(threshold: float, review: float) -> None:
    lp, rp = _prepared(BED)
    opts = Options(threshold=threshold, review_threshold=review)
    assert engine.match_prepared(lp, rp, opts).equals(engine.match_prepared_simple(lp, rp, opts))
