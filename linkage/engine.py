"""The Polars matching engine: codes first, then blocked, Fellegi-Sunter-scored name matching with
hard vetoes. Every step is a pure function of its inputs so that the Spark backend can run the same
steps partition by partition and reach the same answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz.distance import JaroWinkler, Levenshtein

from linkage.clean import prepare
from linkage.schema import standardize

OUTPUT: tuple[str, ...] = ("right_row", "left_row", "score", "rule")
EXPLAIN: tuple[str, ...] = ("right_name", "left_name", "agreed", "vetoed")
KEY_TYPES: tuple[str, ...] = ("core", "zh", "pinyin", "head+trade", "tail+trade", "bigram", "county+name")


@dataclass(frozen=True)
class Options:
    """Matching options. ``threshold`` is the posterior probability a name match needs;
    ``max_block_pairs`` caps one block (prefecture, key) so a frequent key cannot explode."""

    threshold: float = 0.5
    max_block_pairs: int = 20_000
    explain: bool = False
    # m probabilities (P(level | same firm)); u probabilities come from the data (see Stats)
    m: dict[str, float] = field(default_factory=lambda: {
        "zh_exact": 0.84, "zh_pinyin": 0.08, "zh_edit1": 0.05, "zh_close": 0.02, "zh_other": 0.01,
        "trade_eq": 0.90, "trade_compat": 0.08, "trade_diff": 0.02,
        "county_eq": 0.97, "form_eq": 0.85, "form_diff": 0.10,
        "addr_eq": 0.75, "addr_close": 0.15, "addr_diff": 0.10,
        "head_eq": 0.80, "head_diff": 0.20,
    })


@dataclass(frozen=True)
class Stats:
    """Data-derived quantities the scores need; built from integer counts only, so two backends
    that count the same rows get bit-identical weights."""

    n_left: int
    n_right: int
    u_county: float
    u_trade: float
    u_form: float
    zh_count: dict[str, int]
    py_count: dict[str, int]


def _agreement_u(left_counts: dict[str, int], right_counts: dict[str, int]) -> float:
    nl = sum(left_counts.values())
    nr = sum(right_counts.values())
    if nl == 0 or nr == 0:
        return 1.0
    same = sum(c * right_counts.get(v, 0) for v, c in sorted(left_counts.items()))
    return max(same / (nl * nr), 1e-6)


def stats_from_counts(
    n_left: int, n_right: int, counts: dict[str, tuple[dict[str, int], dict[str, int]]],
    zh_count: dict[str, int], py_count: dict[str, int],
) -> Stats:
    """Build ``Stats`` from value counts per field: ``counts[field] = (left counts, right counts)``
    for field in county, trade, form (empty values excluded)."""
    return Stats(
        n_left=n_left, n_right=n_right,
        u_county=_agreement_u(*counts["county"]), u_trade=_agreement_u(*counts["trade"]),
        u_form=_agreement_u(*counts["form"]), zh_count=zh_count, py_count=py_count,
    )


def _value_counts(df: pl.DataFrame, col: str) -> dict[str, int]:
    vc = df.filter(pl.col(col) != "").group_by(col).len()
    return dict(zip(vc[col].to_list(), vc["len"].to_list(), strict=True))


def compute_stats(left: pl.DataFrame, right: pl.DataFrame) -> Stats:
    """``Stats`` of two prepared frames (see ``clean.prepare``)."""
    counts = {c: (_value_counts(left, c), _value_counts(right, c)) for c in ("county", "trade", "form")}
    return stats_from_counts(
        left.height, right.height, counts, _value_counts(left, "zh"), _value_counts(left, "zh_py")
    )


def code_matches(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Right rows decided by a code: ``right_row, left_row, rule`` with rule ``uscc`` (same valid
    USCC) or ``org_code`` (same organisation code, unless both sides carry different valid USCCs).
    The lowest matching left row wins."""
    by_uscc = (
        right.filter(pl.col("uscc") != "").select("row", "uscc")
        .join(left.filter(pl.col("uscc") != "").select(pl.col("row").alias("left_row"), "uscc"), on="uscc")
        .group_by("row").agg(pl.col("left_row").min()).with_columns(rule=pl.lit("uscc"))
    )
    by_org = (
        right.filter(pl.col("org") != "").select("row", "org", "uscc")
        .join(by_uscc.select("row"), on="row", how="anti")
        .join(left.filter(pl.col("org") != "").select(pl.col("row").alias("left_row"), "org",
                                                      pl.col("uscc").alias("uscc_l")), on="org")
        .filter(~((pl.col("uscc") != "") & (pl.col("uscc_l") != "") & (pl.col("uscc") != pl.col("uscc_l"))))
        .group_by("row").agg(pl.col("left_row").min()).with_columns(rule=pl.lit("org_code"))
    )
    return pl.concat([by_uscc, by_org]).rename({"row": "right_row"}).select("right_row", "left_row", "rule")


def block_keys(df: pl.DataFrame, prefectures: list[str]) -> pl.DataFrame:
    """Blocking keys ``row, p, key`` of a prepared frame. A row whose prefecture is unknown is
    repeated under every prefecture in ``prefectures`` and under "" so that the blocks of one
    prefecture hold every row that could match in it."""
    zh_len = pl.col("zh").str.len_chars()
    keys = [
        pl.concat_str(pl.lit("c|"), pl.col("core")),
        pl.concat_str(pl.lit("z|"), pl.col("zh")),
        pl.concat_str(pl.lit("p|"), pl.col("zh_py")),
        pl.when(pl.col("trade") != "").then(
            pl.concat_str(pl.lit("a|"), pl.col("zh").str.slice(0, 1), pl.lit("|"), pl.col("trade"))),
        pl.when(pl.col("trade") != "").then(
            pl.concat_str(pl.lit("b|"), pl.col("zh").str.slice(-1, 1), pl.lit("|"), pl.col("trade"))),
        pl.when(zh_len >= 3).then(pl.concat_str(pl.lit("g|"), pl.col("zh").str.slice(0, 2))),
        pl.when(zh_len >= 3).then(pl.concat_str(pl.lit("g|"), pl.col("zh").str.slice(-2, 2))),
        pl.when(pl.col("county") != "").then(pl.concat_str(pl.lit("n|"), pl.col("county"), pl.col("name_norm"))),
    ]
    base = df.select("row", "pref", key=pl.concat_list(keys)).explode("key").drop_nulls("key").unique()
    every = pl.DataFrame({"p": [*prefectures, ""]}, schema={"p": pl.Utf8})
    known = base.filter(pl.col("pref") != "").with_columns(p=pl.col("pref"))
    unknown = base.filter(pl.col("pref") == "").join(every, how="cross")
    return pl.concat([known.select("row", "p", "key"), unknown.select("row", "p", "key")])


def candidate_pairs(lkeys: pl.DataFrame, rkeys: pl.DataFrame, lpref: pl.DataFrame, rpref: pl.DataFrame,
                    max_block_pairs: int) -> pl.DataFrame:
    """Distinct ``l, r`` pairs sharing a block (prefecture, key) whose size (left × right) is at most
    ``max_block_pairs``; a pair of two prefecture-unknown rows only meets in block prefecture ""."""
    ln = lkeys.group_by("p", "key").len("nl")
    rn = rkeys.group_by("p", "key").len("nr")
    ok = ln.join(rn, on=["p", "key"]).filter(pl.col("nl") * pl.col("nr") <= max_block_pairs).select("p", "key")
    pairs = (
        lkeys.join(ok, on=["p", "key"]).rename({"row": "l"})
        .join(rkeys.rename({"row": "r"}), on=["p", "key"])
        .join(lpref.rename({"row": "l", "pref": "pl"}), on="l")
        .join(rpref.rename({"row": "r", "pref": "pr"}), on="r")
        .filter((pl.col("p") == "") | (pl.col("pl") != "") | (pl.col("pr") != ""))
    )
    return pairs.select("l", "r").unique()


def _lg(x: float) -> float:
    return math.log2(max(x, 1e-12))


def score_pairs(pairs: pl.DataFrame, stats: Stats, opts: Options) -> pl.DataFrame:
    """Score joined candidate pairs (columns ``l, r`` and every feature with suffixes ``_l``/``_r``).

    Adds ``weight`` (log2 Bayes factor plus prior), ``prob``, ``veto`` ("" when none), ``agreed``.
    Row-wise: the result for a pair depends only on the pair and ``stats``."""
    if pairs.height == 0:
        return pairs.with_columns(weight=pl.lit(0.0), prob=pl.lit(0.0), veto=pl.lit(""), agreed=pl.lit(""))
    m = opts.m
    zl, zr = pairs["zh_l"].to_list(), pairs["zh_r"].to_list()
    # rapidfuzz.process.cpdist needs numpy, which this project does not ship; map() is close enough
    dist = list(map(Levenshtein.distance, zl, zr))
    addr_sim = list(map(JaroWinkler.normalized_similarity, pairs["addr_l"].to_list(), pairs["addr_r"].to_list()))
    nl = max(stats.n_left, 1)
    zh_w = pl.Series("zh_w", [_lg(m["zh_exact"] * nl / max(stats.zh_count.get(z, 1), 1)) for z in zl])
    py_w = pl.Series(
        "py_w", [_lg(m["zh_pinyin"] * nl / max(stats.py_count.get(p, 1), 1)) for p in pairs["zh_py_r"].to_list()]
    )
    df = pairs.with_columns(dist=pl.Series(dist, dtype=pl.Int64), addr_sim=pl.Series(addr_sim, dtype=pl.Float64), zh_w=zh_w, py_w=py_w)
    zlen = pl.max_horizontal(pl.col("zh_l").str.len_chars(), pl.col("zh_r").str.len_chars())
    name_w = (
        pl.when(pl.col("zh_l") == pl.col("zh_r")).then(pl.col("zh_w"))
        .when(pl.col("zh_py_l") == pl.col("zh_py_r")).then(pl.col("py_w"))
        .when((pl.col("dist") == 1) & (zlen >= 2)).then(pl.lit(_lg(m["zh_edit1"] / 0.01)))
        .when((pl.col("dist") <= 2) & (zlen >= 4)).then(pl.lit(_lg(m["zh_close"] / 0.01)))
        .otherwise(pl.lit(_lg(m["zh_other"] / 0.97)))
    )
    tl, tr = pl.col("trade_l"), pl.col("trade_r")
    trade_w = (
        pl.when((tl == tr) & (tl != "")).then(pl.lit(_lg(m["trade_eq"] / stats.u_trade)))
        .when((tl == "") | (tr == "") | tl.str.contains(tr, literal=True) | tr.str.contains(tl, literal=True))
        .then(pl.lit(_lg(m["trade_compat"] / 0.1)))
        .otherwise(pl.lit(_lg(m["trade_diff"] / (1 - stats.u_trade))))
    )
    county_w = (
        pl.when((pl.col("county_l") != "") & (pl.col("county_l") == pl.col("county_r")))
        .then(pl.lit(_lg(m["county_eq"] / stats.u_county))).otherwise(pl.lit(0.0))
    )
    form_w = (
        pl.when((pl.col("form_l") == "") | (pl.col("form_r") == "")).then(pl.lit(0.0))
        .when(pl.col("form_l") == pl.col("form_r")).then(pl.lit(_lg(m["form_eq"] / stats.u_form)))
        .otherwise(pl.lit(_lg(m["form_diff"] / (1 - stats.u_form))))
    )
    both_addr = (pl.col("addr_l") != "") & (pl.col("addr_r") != "")
    addr_w = (
        pl.when(~both_addr).then(pl.lit(0.0))
        .when(pl.col("addr_sim") >= 0.93).then(pl.lit(_lg(m["addr_eq"] / 1e-4)))
        .when(pl.col("addr_sim") >= 0.8).then(pl.lit(_lg(m["addr_close"] / 0.02)))
        .otherwise(pl.lit(_lg(m["addr_diff"] / 0.98)))
    )
    hl, hr = pl.col("headcount_l"), pl.col("headcount_r")
    head_w = (
        pl.when(hl.is_null() | hr.is_null()).then(pl.lit(0.0))
        .when((hl - hr).abs() <= pl.max_horizontal(pl.lit(2), pl.max_horizontal(hl, hr) // 5))
        .then(pl.lit(_lg(m["head_eq"] / 0.15)))
        .otherwise(pl.lit(_lg(m["head_diff"] / 0.85)))
    )
    prior = _lg(0.8 / nl)
    veto = pl.concat_str(
        pl.when((pl.col("uscc_l") != "") & (pl.col("uscc_r") != "") & (pl.col("uscc_l") != pl.col("uscc_r")))
        .then(pl.lit("uscc≠;")).otherwise(pl.lit("")),
        pl.when((pl.col("org_l") != "") & (pl.col("org_r") != "") & (pl.col("org_l") != pl.col("org_r")))
        .then(pl.lit("org≠;")).otherwise(pl.lit("")),
        pl.when(pl.col("branch_l") != pl.col("branch_r")).then(pl.lit("branch≠;")).otherwise(pl.lit("")),
        pl.when((pl.col("county_l") != "") & (pl.col("county_r") != "") & (pl.col("county_l") != pl.col("county_r")))
        .then(pl.lit("county≠;")).otherwise(pl.lit("")),
        pl.when((pl.col("pref_l") != "") & (pl.col("pref_r") != "") & (pl.col("pref_l") != pl.col("pref_r")))
        .then(pl.lit("pref≠;")).otherwise(pl.lit("")),
    )
    df = df.with_columns(
        name_w=name_w, trade_w=trade_w, county_w=county_w, form_w=form_w, addr_w=addr_w, head_w=head_w, veto=veto
    )
    df = df.with_columns(
        weight=(pl.col("name_w") + pl.col("trade_w") + pl.col("county_w") + pl.col("form_w") + pl.col("addr_w")
                + pl.col("head_w") + prior).round(6)
    )
    df = df.with_columns(prob=(1.0 / (1.0 + (2.0 ** (-pl.col("weight").clip(-60, 60))))).round(4))
    parts = [
        pl.concat_str(pl.lit(f"{label}:"), pl.col(c).round(1).cast(pl.Utf8))
        for label, c in (("name", "name_w"), ("trade", "trade_w"), ("county", "county_w"), ("form", "form_w"),
                         ("addr", "addr_w"), ("headcount", "head_w"))
    ]
    return df.with_columns(agreed=pl.concat_str(parts, separator=";"))


def join_features(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Attach left features (suffix ``_l``) and right features (suffix ``_r``) to ``l, r`` pairs."""
    lf = left.rename({c: f"{c}_l" for c in left.columns if c != "row"}).rename({"row": "l"})
    rf = right.rename({c: f"{c}_r" for c in right.columns if c != "row"}).rename({"row": "r"})
    return pairs.join(lf, on="l").join(rf, on="r")


def decide(scored: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Per right row, the best non-vetoed pair (highest weight, then lowest left row) when its
    probability reaches ``threshold``: ``right_row, left_row, score, rule, agreed, vetoed, left_name``.
    The rule is ``name`` when the cleaned names are equal, else ``fuzzy``."""
    ok = scored.filter((pl.col("veto") == "") & (pl.col("prob") >= threshold))
    best = (
        ok.sort(["r", "weight", "l"], descending=[False, True, False]).group_by("r", maintain_order=True).first()
        .select(
            right_row="r", left_row="l", score="prob",
            rule=pl.when(pl.col("core_l") == pl.col("core_r")).then(pl.lit("name")).otherwise(pl.lit("fuzzy")),
            agreed="agreed", left_name="name_norm_l",
        )
    )
    vetoed = (
        scored.filter(pl.col("veto") != "").sort(["r", "weight", "l"], descending=[False, True, False])
        .group_by("r", maintain_order=True).first()
        .select(right_row="r", vetoed=pl.format("left {}: {}", pl.col("l"), pl.col("veto")))
    )
    return best.join(vetoed, on="right_row", how="full", coalesce=True)


def assemble(right: pl.DataFrame, codes: pl.DataFrame, names: pl.DataFrame, left: pl.DataFrame,
             explain: bool) -> pl.DataFrame:
    """One output row per right row, in right-row order (codes win over names)."""
    codes = codes.with_columns(score=pl.lit(1.0), agreed=pl.col("rule"))
    named = names.filter(pl.col("left_row").is_not_null()).join(codes.select("right_row"), on="right_row", how="anti")
    decided = pl.concat([
        codes.select("right_row", "left_row", "score", "rule", "agreed"),
        named.select("right_row", "left_row", "score", "rule", "agreed"),
    ])
    out = (
        right.select(right_row="row", right_name="name_norm")
        .join(decided, on="right_row", how="left")
        .join(names.select("right_row", "vetoed"), on="right_row", how="left")
        .join(left.select(left_row="row", left_name="name_norm"), on="left_row", how="left")
        .with_columns(
            rule=pl.col("rule").fill_null("none"), score=pl.col("score").fill_null(0.0),
            left_row=pl.col("left_row").cast(pl.Int64), vetoed=pl.col("vetoed").fill_null(""),
            agreed=pl.col("agreed").fill_null(""), left_name=pl.col("left_name").fill_null(""),
        )
        .sort("right_row")
    )
    return out.select(*OUTPUT, *EXPLAIN) if explain else out.select(*OUTPUT)


def with_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Standardize columns and number rows 1..n."""
    return standardize(df).with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))


def match_prepared(left: pl.DataFrame, right: pl.DataFrame, opts: Options) -> pl.DataFrame:
    """``match`` on frames already passed through ``clean.prepare``."""
    codes = code_matches(left, right)
    todo = right.join(codes.select(row="right_row"), on="row", how="anti")
    stats = compute_stats(left, right)
    prefs = sorted(set(left["pref"].unique().to_list()) | set(right["pref"].unique().to_list()) - {""})
    pairs = candidate_pairs(block_keys(left, prefs), block_keys(todo, prefs), left.select("row", "pref"),
                            todo.select("row", "pref"), opts.max_block_pairs)
    scored = score_pairs(join_features(pairs, left, todo), stats, opts)
    names = decide(scored, opts.threshold)
    return assemble(right, codes, names, left, opts.explain)


def match(left: pl.DataFrame, right: pl.DataFrame, **options: object) -> pl.DataFrame:
    """Match every row of ``right`` (a source list) against ``left`` (the registry).

    Columns are found by header synonyms (see ``schema.SYNONYMS``); a missing name column raises
    ``schema.InputError``. Returns one row per right row, in order, with ``right_row, left_row,
    score, rule`` (1-based rows; ``left_row`` null when unmatched; ``rule`` in uscc, org_code, name,
    fuzzy, none), plus ``right_name, left_name, agreed, vetoed`` when ``explain=True``.
    Deterministic and independent of the order of rows. Options: see ``Options``."""
    opts = Options(**options)  # type: ignore[arg-type]
    return match_prepared(prepare(with_rows(left)), prepare(with_rows(right)), opts)
