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

    threshold: float = 0.8
    max_block_pairs: int = 2_000
    explain: bool = False
    # m probabilities (P(level | same firm)); u probabilities come from the data (see Stats)
    m: dict[str, float] = field(
        default_factory=lambda: {
            "zh_exact": 0.84,
            "zh_pinyin": 0.08,
            "zh_edit1": 0.05,
            "zh_close": 0.02,
            "zh_other": 0.01,
            "trade_eq": 0.90,
            "trade_compat": 0.08,
            "trade_diff": 0.02,
            "county_eq": 0.97,
            "form_eq": 0.85,
            "form_diff": 0.10,
            "addr_eq": 0.75,
            "addr_close": 0.15,
            "addr_diff": 0.10,
            "head_eq": 0.85,
            "head_diff": 0.05,
        }
    )


@dataclass(frozen=True)
class Stats:
    """Data-derived quantities the scores need; built from integer counts only, so two backends
    that count the same rows get bit-identical weights."""

    n_left: int
    n_right: int
    u_county: float
    u_pref: float
    u_trade: float
    u_form: float
    zh_count: dict[str, int]
    py_count: dict[str, int]
    u_edit1: dict[int, float]


def _u_one_substitution(zh_count: dict[str, int]) -> dict[int, float]:
    """P(two random registry 字号 of length n differ in exactly one position), per n in 2..6, from
    the positional character frequencies (the u of the "one character off" level)."""
    out: dict[int, float] = {}
    for n in range(2, 7):
        pos: list[dict[str, int]] = [{} for _ in range(n)]
        total = 0
        for z, c in sorted(zh_count.items()):
            if len(z) == n:
                total += c
                for i, ch in enumerate(z):
                    pos[i][ch] = pos[i].get(ch, 0) + c
        if total < 50:
            out[n] = 0.02 if n == 2 else 1e-3
            continue
        same = [sum(v * v for v in p.values()) / (total * total) for p in pos]
        u = 0.0
        for i in range(n):
            others = 1.0
            for j in range(n):
                if j != i:
                    others *= same[j]
            u += others * (1 - same[i])
        out[n] = max(u, 1e-7)
    return out


def _agreement_u(left_counts: dict[str, int], right_counts: dict[str, int]) -> float:
    nl = sum(left_counts.values())
    nr = sum(right_counts.values())
    if nl == 0 or nr == 0:
        return 0.5  # nothing to learn from: agreement says little either way
    same = sum(c * right_counts.get(v, 0) for v, c in sorted(left_counts.items()))
    return min(max(same / (nl * nr), 1e-6), 0.99)


def stats_from_counts(
    n_left: int,
    n_right: int,
    counts: dict[str, tuple[dict[str, int], dict[str, int]]],
    zh_count: dict[str, int],
    py_count: dict[str, int],
) -> Stats:
    """Build ``Stats`` from value counts per field: ``counts[field] = (left counts, right counts)``
    for field in county, pref, trade, form (empty values excluded)."""
    return Stats(
        n_left=n_left,
        n_right=n_right,
        u_county=_agreement_u(*counts["county"]),
        u_pref=_agreement_u(*counts["pref"]),
        u_trade=min(_agreement_u(*counts["trade"]), 0.2),
        u_form=_agreement_u(*counts["form"]),
        zh_count=zh_count,
        py_count=py_count,
        u_edit1=_u_one_substitution(zh_count),
    )


def _value_counts(df: pl.DataFrame, col: str) -> dict[str, int]:
    vc = df.filter(pl.col(col) != "").group_by(col).len()
    return dict(zip(vc[col].to_list(), vc["len"].to_list(), strict=True))


def compute_stats(left: pl.DataFrame, right: pl.DataFrame) -> Stats:
    """``Stats`` of two prepared frames (see ``clean.prepare``)."""
    counts = {c: (_value_counts(left, c), _value_counts(right, c)) for c in ("county", "pref", "trade", "form")}
    return stats_from_counts(left.height, right.height, counts, _value_counts(left, "zh"), _value_counts(left, "zh_py"))


def code_matches(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Right rows decided by a code: ``right_row, left_row, rule`` with rule ``uscc`` (same valid
    USCC) or ``org_code`` (same organisation code, unless both sides carry different valid USCCs).
    Among several left rows with the code, the smallest cleaned name (then row) wins, so the choice
    does not depend on row order."""
    lcols = left.select(pl.col("row").alias("left_row"), pl.col("name_norm").alias("name_l"), "uscc", "org")

    def first(pairs: pl.DataFrame, rule: str) -> pl.DataFrame:
        return (
            pairs.sort(["row", "name_l", "left_row"])
            .group_by("row", maintain_order=True)
            .first()
            .select("row", "left_row", rule=pl.lit(rule))
        )

    by_uscc = first(
        right.filter(pl.col("uscc") != "")
        .select("row", "uscc")
        .join(lcols.filter(pl.col("uscc") != "").select("left_row", "name_l", "uscc"), on="uscc"),
        "uscc",
    )
    by_org = first(
        right.filter(pl.col("org") != "")
        .select("row", "org", "uscc")
        .join(by_uscc.select("row"), on="row", how="anti")
        .join(lcols.filter(pl.col("org") != "").rename({"uscc": "uscc_l"}), on="org")
        .filter(~((pl.col("uscc") != "") & (pl.col("uscc_l") != "") & (pl.col("uscc") != pl.col("uscc_l")))),
        "org_code",
    )
    return pl.concat([by_uscc, by_org]).rename({"row": "right_row"}).select("right_row", "left_row", "rule")


def key_list(df: pl.DataFrame) -> pl.Series:
    """Per row of a prepared frame, its distinct blocking keys (a list column named ``keys``):
    the core name, the 字号, its fuzzy pinyin, first or last character of the 字号 with the trade,
    2-grams of a long 字号, and county + full cleaned name."""
    zh_len = pl.col("zh").str.len_chars()
    keys = [
        pl.concat_str(pl.lit("c|"), pl.col("core")),
        pl.concat_str(pl.lit("z|"), pl.col("zh")),
        pl.concat_str(pl.lit("p|"), pl.col("zh_py")),
        pl.when(pl.col("trade") != "").then(
            pl.concat_str(pl.lit("a|"), pl.col("zh").str.slice(0, 1), pl.lit("|"), pl.col("trade"))
        ),
        pl.when(pl.col("trade") != "").then(
            pl.concat_str(pl.lit("b|"), pl.col("zh").str.slice(-1, 1), pl.lit("|"), pl.col("trade"))
        ),
        pl.when(zh_len >= 3).then(pl.concat_str(pl.lit("g|"), pl.col("zh").str.slice(0, 2))),
        pl.when(zh_len >= 3).then(pl.concat_str(pl.lit("g|"), pl.col("zh").str.slice(-2, 2))),
        pl.when(pl.col("county") != "").then(pl.concat_str(pl.lit("n|"), pl.col("county"), pl.col("name_norm"))),
    ]
    return df.select(keys=pl.concat_list(keys).list.drop_nulls().list.unique(maintain_order=True))["keys"]


def block_keys(df: pl.DataFrame, prefectures: list[str]) -> pl.DataFrame:
    """Blocking keys ``row, p, key`` of a prepared frame. A row whose prefecture is unknown is
    repeated under every prefecture in ``prefectures`` and under "" so that the blocks of one
    prefecture hold every row that could match in it."""
    base = df.select("row", "pref").with_columns(key=key_list(df)).explode("key").drop_nulls("key")
    every = pl.DataFrame({"p": [*prefectures, ""]}, schema={"p": pl.Utf8})
    known = base.filter(pl.col("pref") != "").with_columns(p=pl.col("pref"))
    unknown = base.filter(pl.col("pref") == "").join(every, how="cross")
    return pl.concat([known.select("row", "p", "key"), unknown.select("row", "p", "key")])


def candidate_pairs(
    lkeys: pl.DataFrame, rkeys: pl.DataFrame, lpref: pl.DataFrame, rpref: pl.DataFrame, max_block_pairs: int
) -> pl.DataFrame:
    """Distinct ``l, r`` pairs sharing a block (prefecture, key) whose size (left × right) is at most
    ``max_block_pairs``; a pair of two prefecture-unknown rows only meets in block prefecture ""."""
    ln = lkeys.group_by("p", "key").len("nl")
    rn = rkeys.group_by("p", "key").len("nr")
    ok = ln.join(rn, on=["p", "key"]).filter(pl.col("nl") * pl.col("nr") <= max_block_pairs).select("p", "key")
    pairs = (
        lkeys.join(ok, on=["p", "key"])
        .rename({"row": "l"})
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
        "py_w",
        [_lg(m["zh_pinyin"] * nl / max(stats.py_count.get(p, 1), 1)) for p in pairs["zh_py_r"].to_list()],
    )
    df = pairs.with_columns(
        dist=pl.Series(dist, dtype=pl.Int64),
        addr_sim=pl.Series(addr_sim, dtype=pl.Float64),
        zh_w=zh_w,
        py_w=py_w,
    )
    zlen = pl.max_horizontal(pl.col("zh_l").str.len_chars(), pl.col("zh_r").str.len_chars())
    name_w = (
        pl.when(pl.col("zh_l") == pl.col("zh_r"))
        .then(pl.col("zh_w"))
        .when(pl.col("zh_py_l") == pl.col("zh_py_r"))
        .then(pl.col("py_w"))
        # u of "one character off" falls steeply with length; estimated from the registry
        .when((pl.col("dist") == 1) & (zlen == 2))
        .then(pl.lit(_lg(m["zh_edit1"] / stats.u_edit1[2])))
        .when((pl.col("dist") == 1) & (zlen == 3))
        .then(pl.lit(_lg(m["zh_edit1"] / stats.u_edit1[3])))
        .when((pl.col("dist") == 1) & (zlen >= 4))
        .then(pl.lit(_lg(m["zh_edit1"] / stats.u_edit1[4])))
        .when((pl.col("dist") == 2) & (zlen >= 4))
        .then(pl.lit(_lg(m["zh_close"] / 1e-3)))
        .otherwise(pl.lit(_lg(m["zh_other"] / 0.97)))
    )
    tl, tr = pl.col("trade_l"), pl.col("trade_r")
    trade_w = (
        pl.when((tl == tr) & (tl != ""))
        .then(pl.lit(_lg(m["trade_eq"] / stats.u_trade)))
        .when((tl == "") | (tr == "") | tl.str.contains(tr, literal=True) | tr.str.contains(tl, literal=True))
        .then(pl.lit(_lg(m["trade_compat"] / 0.1)))
        .otherwise(pl.lit(_lg(m["trade_diff"] / (1 - stats.u_trade))))
    )
    trade_clash = (tl != "") & (tr != "") & ~tl.str.contains(tr, literal=True) & ~tr.str.contains(tl, literal=True)
    county_w = (
        pl.when((pl.col("county_l") != "") & (pl.col("county_l") == pl.col("county_r")))
        .then(pl.lit(_lg(m["county_eq"] / stats.u_county)))
        .when((pl.col("county_l") != "") & (pl.col("county_r") != ""))
        .then(pl.lit(0.0))
        .when((pl.col("pref_l") != "") & (pl.col("pref_l") == pl.col("pref_r")))
        .then(pl.lit(_lg(m["county_eq"] / stats.u_pref)))
        .otherwise(pl.lit(0.0))
    )
    form_w = (
        pl.when((pl.col("form_l") == "") | (pl.col("form_r") == ""))
        .then(pl.lit(0.0))
        .when(pl.col("form_l") == pl.col("form_r"))
        .then(pl.lit(_lg(m["form_eq"] / stats.u_form)))
        .otherwise(pl.lit(_lg(m["form_diff"] / (1 - stats.u_form))))
    )
    both_addr = (pl.col("addr_l") != "") & (pl.col("addr_r") != "")
    addr_w = (
        pl.when(~both_addr)
        .then(pl.lit(0.0))
        .when(pl.col("addr_sim") >= 0.93)
        .then(pl.lit(_lg(m["addr_eq"] / 1e-4)))
        .when(pl.col("addr_sim") >= 0.8)
        .then(pl.lit(_lg(m["addr_close"] / 0.02)))
        .otherwise(pl.lit(_lg(m["addr_diff"] / 0.98)))
    )
    hl, hr = pl.col("headcount_l"), pl.col("headcount_r")
    # head counts drift between lists (社保 vs 登记) and most firms are tiny, so a head count only
    # speaks for firms of 10 or more, and only gross disagreement counts against
    big = pl.max_horizontal(hl, hr) >= 10
    head_w = (
        pl.when(hl.is_null() | hr.is_null() | ~big)
        .then(pl.lit(0.0))
        .when((hl - hr).abs() <= pl.max_horizontal(hl, hr) * 15 // 100 + 1)
        .then(pl.lit(_lg(m["head_eq"] / 0.25)))
        .when(pl.max_horizontal(hl, hr) > 3 * pl.min_horizontal(hl, hr) + 5)
        .then(pl.lit(_lg(m["head_diff"] / 0.6)))
        .otherwise(pl.lit(0.0))
    )
    prior = _lg(0.8 / nl)
    veto = pl.concat_str(
        pl.when((pl.col("uscc_l") != "") & (pl.col("uscc_r") != "") & (pl.col("uscc_l") != pl.col("uscc_r")))
        .then(pl.lit("uscc≠;"))
        .otherwise(pl.lit("")),
        pl.when((pl.col("org_l") != "") & (pl.col("org_r") != "") & (pl.col("org_l") != pl.col("org_r")))
        .then(pl.lit("org≠;"))
        .otherwise(pl.lit("")),
        pl.when(pl.col("branch_l") != pl.col("branch_r")).then(pl.lit("branch≠;")).otherwise(pl.lit("")),
        pl.when(trade_clash).then(pl.lit("trade≠;")).otherwise(pl.lit("")),
        pl.when((pl.col("county_l") != "") & (pl.col("county_r") != "") & (pl.col("county_l") != pl.col("county_r")))
        .then(pl.lit("county≠;"))
        .otherwise(pl.lit("")),
        pl.when((pl.col("pref_l") != "") & (pl.col("pref_r") != "") & (pl.col("pref_l") != pl.col("pref_r")))
        .then(pl.lit("pref≠;"))
        .otherwise(pl.lit("")),
    )
    df = df.with_columns(
        name_w=name_w,
        trade_w=trade_w,
        county_w=county_w,
        form_w=form_w,
        addr_w=addr_w,
        head_w=head_w,
        veto=veto,
    )
    df = df.with_columns(
        weight=(
            pl.col("name_w")
            + pl.col("trade_w")
            + pl.col("county_w")
            + pl.col("form_w")
            + pl.col("addr_w")
            + pl.col("head_w")
            + prior
        ).round(6)
    )
    df = df.with_columns(prob=(1.0 / (1.0 + (2.0 ** (-pl.col("weight").clip(-60, 60))))).round(4))
    parts = [
        pl.concat_str(pl.lit(f"{label}:"), pl.col(c).round(1).cast(pl.Utf8))
        for label, c in (
            ("name", "name_w"),
            ("trade", "trade_w"),
            ("county", "county_w"),
            ("form", "form_w"),
            ("addr", "addr_w"),
            ("headcount", "head_w"),
        )
    ]
    return df.with_columns(agreed=pl.concat_str(parts, separator=";"))


def join_features(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Attach left features (suffix ``_l``) and right features (suffix ``_r``) to ``l, r`` pairs."""
    lf = left.rename({c: f"{c}_l" for c in left.columns if c != "row"}).rename({"row": "l"})
    rf = right.rename({c: f"{c}_r" for c in right.columns if c != "row"}).rename({"row": "r"})
    return pairs.join(lf, on="l").join(rf, on="r")


def decide(scored: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Per right row, the best non-vetoed pair (highest weight, then smallest cleaned left name, then
    lowest left row, so ties do not depend on row order) when its
    probability reaches ``threshold``: ``right_row, left_row, score, rule, agreed, vetoed, left_name``.
    The rule is ``name`` when the cleaned names are equal, else ``fuzzy``."""
    ok = scored.filter((pl.col("veto") == "") & (pl.col("prob") >= threshold))
    best = (
        ok.sort(["r", "weight", "name_norm_l", "l"], descending=[False, True, False, False])
        .group_by("r", maintain_order=True)
        .first()
        .select(
            right_row="r",
            left_row="l",
            score="prob",
            rule=pl.when(pl.col("core_l") == pl.col("core_r")).then(pl.lit("name")).otherwise(pl.lit("fuzzy")),
            agreed="agreed",
            left_name="name_norm_l",
        )
    )
    vetoed = (
        scored.filter(pl.col("veto") != "")
        .sort(["r", "weight", "name_norm_l", "l"], descending=[False, True, False, False])
        .group_by("r", maintain_order=True)
        .first()
        .select(right_row="r", vetoed=pl.format("left {}: {}", pl.col("l"), pl.col("veto")))
    )
    return best.join(vetoed, on="right_row", how="full", coalesce=True)


def assemble(
    right: pl.DataFrame, codes: pl.DataFrame, names: pl.DataFrame, left: pl.DataFrame, explain: bool
) -> pl.DataFrame:
    """One output row per right row, in right-row order (codes win over names)."""
    codes = codes.with_columns(score=pl.lit(1.0), agreed=pl.col("rule"))
    named = names.filter(pl.col("left_row").is_not_null()).join(codes.select("right_row"), on="right_row", how="anti")
    decided = pl.concat(
        [
            codes.select("right_row", "left_row", "score", "rule", "agreed"),
            named.select("right_row", "left_row", "score", "rule", "agreed"),
        ]
    )
    out = (
        right.select(right_row="row", right_name="name_norm")
        .join(decided, on="right_row", how="left")
        .join(names.select("right_row", "vetoed"), on="right_row", how="left")
        .join(left.select(left_row="row", left_name="name_norm"), on="left_row", how="left")
        .with_columns(
            rule=pl.col("rule").fill_null("none"),
            score=pl.col("score").fill_null(0.0),
            left_row=pl.col("left_row").cast(pl.Int64),
            vetoed=pl.col("vetoed").fill_null(""),
            agreed=pl.col("agreed").fill_null(""),
            left_name=pl.col("left_name").fill_null(""),
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
    lkeys = block_keys(left, prefs).partition_by("p", as_dict=True)
    rkeys = block_keys(todo, prefs).partition_by("p", as_dict=True)
    lpref, rpref = left.select("row", "pref"), todo.select("row", "pref")
    # one prefecture at a time, as the Spark backend partitions: a pair meets in exactly one block
    # prefecture, so the best of each prefecture's winners is the global winner
    winners = []
    for key in sorted(set(lkeys) & set(rkeys)):
        pairs = candidate_pairs(lkeys[key], rkeys[key], lpref, rpref, opts.max_block_pairs)
        if pairs.height:
            winners.append(_winners(score_pairs(join_features(pairs, left, todo), stats, opts), opts.threshold))
    scored = (
        pl.concat(winners)
        if winners
        else _winners(
            score_pairs(join_features(pl.DataFrame(schema={"l": pl.Int64, "r": pl.Int64}), left, todo), stats, opts),
            opts.threshold,
        )
    )
    names = decide(scored, opts.threshold)
    return assemble(right, codes, names, left, opts.explain)


def _winners(scored: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """The pairs ``decide`` could pick from ``scored``: per right row the best acceptable pair and the
    best vetoed pair (a loss-free reduction, so partitions can be decided piecewise)."""
    keep = scored.select("l", "r", "weight", "prob", "veto", "agreed", "name_norm_l", "core_l", "core_r")
    order = ["r", "weight", "name_norm_l", "l"]
    desc = [False, True, False, False]
    ok = keep.filter((pl.col("veto") == "") & (pl.col("prob") >= threshold))
    bad = keep.filter(pl.col("veto") != "")
    return pl.concat(
        [
            ok.sort(order, descending=desc).group_by("r", maintain_order=True).first(),
            bad.sort(order, descending=desc).group_by("r", maintain_order=True).first(),
        ]
    )


def match(left: pl.DataFrame, right: pl.DataFrame, **options: object) -> pl.DataFrame:
    """Match every row of ``right`` (a source list) against ``left`` (the registry).

    Columns are found by header synonyms (see ``schema.SYNONYMS``); a missing name column raises
    ``schema.InputError``. Returns one row per right row, in order, with ``right_row, left_row,
    score, rule`` (1-based rows; ``left_row`` null when unmatched; ``rule`` in uscc, org_code, name,
    fuzzy, none), plus ``right_name, left_name, agreed, vetoed`` when ``explain=True``.
    Deterministic and independent of the order of rows. Options: see ``Options``."""
    opts = Options(**options)  # type: ignore[arg-type]
    return match_prepared(prepare(with_rows(left)), prepare(with_rows(right)), opts)
