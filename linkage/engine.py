"""The Polars matching engine: codes first, then blocked, Fellegi-Sunter-scored name matching with
hard vetoes. Every step is a pure function of its inputs so that the Spark backend can run the same
steps partition by partition and reach the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz.distance import JaroWinkler, Levenshtein

from linkage.clean import prepare
from linkage.schema import standardize

OUTPUT: tuple[str, ...] = ("right_row", "left_row", "score", "rule", "decision", "candidate_row")
EXPLAIN: tuple[str, ...] = ("right_name", "left_name", "agreed", "vetoed")
KEY_TYPES: tuple[str, ...] = ("core", "zh", "pinyin", "head+trade", "tail+trade", "bigram", "county+name")


@dataclass(frozen=True)
class Options:
    """Matching options. ``threshold`` is the posterior probability a name match needs;
    ``review_threshold`` the probability from which an unmatched best candidate is put up for review;
    ``max_block_pairs`` caps one block (prefecture, key) so a frequent key cannot explode (exact
    names never depend on it); ``max_block_left`` caps the registry rows of a block of any key but the
    core name, so that the pairs per source row stay bounded as the registry grows."""

    threshold: float = 0.8
    review_threshold: float = 0.5
    max_block_pairs: int = 2_000
    max_block_left: int = 100
    explain: bool = False
    # m probabilities (P(level | same firm)); u probabilities come from the data (see Stats)
    m: dict[str, float] = field(
        default_factory=lambda: {
            "zh_exact": 0.84,
            "zh_pinyin": 0.08,
            "name_homophone": 0.5,
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
    positions: dict[int, list[dict[str, int]]] = {n: [{} for _ in range(n)] for n in range(2, 7)}
    totals = dict.fromkeys(range(2, 7), 0)
    # one pass over the 字号 (integer sums, so the order of the pass does not matter)
    for z, c in zh_count.items():
        n = len(z)
        if 2 <= n <= 6:
            totals[n] += c
            for i, ch in enumerate(z):
                slot = positions[n][i]
                slot[ch] = slot.get(ch, 0) + c
    for n in range(2, 7):
        pos, total = positions[n], totals[n]
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


def names_disagree(zh_l: pl.Expr, zh_r: pl.Expr) -> pl.Expr:
    """True when two 字号 have nothing in common: under half of the shorter one's characters occur
    in the other (a code shared by such names is more likely a typo that happens to be valid)."""
    shared = zh_l.str.split("").list.set_intersection(zh_r.str.split("")).list.len()
    shorter = pl.min_horizontal(zh_l.str.len_chars(), zh_r.str.len_chars())
    return (2 * shared < shorter) & (zh_l != zh_r)


def pick_codes(pairs: pl.DataFrame) -> pl.DataFrame:
    """Decide code pairs ``row, left_row, name_l, rule, zh, zh_l`` (rule uscc or org_code): per right
    row the smallest cleaned left name (then row) of its best rule wins, so the choice does not depend on
    row order. An organisation-code pair whose names disagree (``names_disagree``) is a ``review``, not a
    match. Returns ``right_row, left_row, rule, decision``."""
    ranked = pairs.with_columns(
        decision=pl.when((pl.col("rule") == "org_code") & names_disagree(pl.col("zh_l"), pl.col("zh")))
        .then(pl.lit("review"))
        .otherwise(pl.lit("match")),
    ).with_columns(
        rank=pl.when(pl.col("rule") == "uscc").then(0).when(pl.col("decision") == "match").then(1).otherwise(2)
    )
    return (
        ranked.sort(["row", "rank", "name_l", "left_row"])
        .group_by("row", maintain_order=True)
        .first()
        .select(right_row="row", left_row="left_row", rule="rule", decision="decision")
    )


def code_pairs(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Every (right, left) pair sharing a valid USCC (rule ``uscc``) or an organisation code (rule
    ``org_code``, unless both sides carry different valid USCCs), with the names ``pick_codes`` needs."""
    lcols = left.select(pl.col("row").alias("left_row"), pl.col("name_norm").alias("name_l"), "uscc", "org", zh_l="zh")
    by_uscc = (
        right.filter(pl.col("uscc") != "")
        .select("row", "uscc", "zh")
        .join(lcols.filter(pl.col("uscc") != "").select("left_row", "name_l", "uscc", "zh_l"), on="uscc")
        .select("row", "left_row", "name_l", "zh", "zh_l", rule=pl.lit("uscc"))
    )
    by_org = (
        right.filter(pl.col("org") != "")
        .select("row", "org", "uscc", "zh")
        .join(lcols.filter(pl.col("org") != "").rename({"uscc": "uscc_l"}), on="org")
        .filter(~((pl.col("uscc") != "") & (pl.col("uscc_l") != "") & (pl.col("uscc") != pl.col("uscc_l"))))
        .select("row", "left_row", "name_l", "zh", "zh_l", rule=pl.lit("org_code"))
    )
    return pl.concat([by_uscc, by_org])


def code_matches(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Right rows decided by a code: ``right_row, left_row, rule, decision`` (see ``pick_codes``)."""
    return pick_codes(code_pairs(left, right))


def exact_pairs(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Pairs whose cleaned names are equal and whose codes and counties do not conflict:
    ``row, left_row, same_county`` (whatever the prefecture; no block and no cap)."""
    lcols = left.filter(pl.col("name_norm") != "").select(
        "name_norm", left_row="row", uscc_l="uscc", org_l="org", county_l="county"
    )
    return (
        right.filter(pl.col("name_norm") != "")
        .select("row", "name_norm", "uscc", "org", "county")
        .join(lcols, on="name_norm")
        .filter(
            ~((pl.col("uscc") != "") & (pl.col("uscc_l") != "") & (pl.col("uscc") != pl.col("uscc_l")))
            & ~((pl.col("org") != "") & (pl.col("org_l") != "") & (pl.col("org") != pl.col("org_l")))
            & ~((pl.col("county") != "") & (pl.col("county_l") != "") & (pl.col("county") != pl.col("county_l")))
        )
        .select("row", "left_row", same_county=(pl.col("county") != "") & (pl.col("county") == pl.col("county_l")))
    )


def pick_exact(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per right row the exact-name pair agreeing on county first, then the lowest left row:
    ``right_row, left_row``."""
    return (
        pairs.sort(["row", "same_county", "left_row"], descending=[False, True, False])
        .group_by("row", maintain_order=True)
        .first()
        .select(right_row="row", left_row="left_row")
    )


def key_list(df: pl.DataFrame) -> pl.Series:
    """Per row of a prepared frame, its distinct blocking keys (a list column named ``keys``):
    the core name, the 字号, its fuzzy pinyin, first or last character of the 字号 with the trade,
    2-grams of a long 字号 (equal cleaned names need no key: ``exact_pairs`` joins them)."""
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
    ]
    return df.select(keys=pl.concat_list(keys).list.drop_nulls().list.unique(maintain_order=True))["keys"]


def row_keys(df: pl.DataFrame) -> pl.DataFrame:
    """Blocking keys ``row, pref, key`` of a prepared frame, one row per (row, key)."""
    return df.select("row", "pref").with_columns(key=key_list(df)).explode("key").drop_nulls("key")


# keys whose blocks are also capped by their registry rows: all but the core name (字号+行业)
BOUNDED_KEY = r"^[^c]\|"


def block_ok(nl: pl.Expr, nr: pl.Expr, key: pl.Expr, opts: Options) -> pl.Expr:
    """Whether a block of ``nl`` registry and ``nr`` source rows under ``key`` is compared."""
    return (nl * nr <= opts.max_block_pairs) & ((nl <= opts.max_block_left) | ~key.str.contains(BOUNDED_KEY))


def candidate_pairs(lkeys: pl.DataFrame, rkeys: pl.DataFrame, opts: Options, both_unknown: bool) -> pl.DataFrame:
    """Distinct ``l, r`` pairs sharing a key whose block (left × right rows with the key) holds at
    most ``max_block_pairs`` pairs (see ``block_ok``). The frames are one prefecture's block (its rows plus every row of
    unknown prefecture); a pair of two unknown-prefecture rows is kept only when ``both_unknown``
    (the block of unknowns), so every pair meets in exactly one block."""
    ln = lkeys.group_by("key").len("nl")
    rn = rkeys.group_by("key").len("nr")
    ok = ln.join(rn, on="key").filter(block_ok(pl.col("nl"), pl.col("nr"), pl.col("key"), opts)).select("key")
    pairs = (
        lkeys.join(ok, on="key")
        .rename({"row": "l", "pref": "pl"})
        .join(rkeys.rename({"row": "r", "pref": "pr"}), on="key")
    )
    if not both_unknown:
        pairs = pairs.filter((pl.col("pl") != "") | (pl.col("pr") != ""))
    return pairs.select("l", "r").unique()


def blocks(left: pl.DataFrame, right: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame, pl.DataFrame]]:
    """The prefecture blocks ``(prefecture, left rows, right rows)``, one at a time: each known
    prefecture's rows plus the rows of unknown prefecture, then ("", unknowns, unknowns). Sorted, so
    any backend that visits the same blocks meets the same pairs; only one block is held at a time."""
    lu, ru = left.filter(pl.col("pref") == ""), right.filter(pl.col("pref") == "")
    prefs = sorted((set(left["pref"].unique().to_list()) | set(right["pref"].unique().to_list())) - {""})
    lcount = dict(left.group_by("pref").len().iter_rows())
    rcount = dict(right.group_by("pref").len().iter_rows())
    for p in prefs:
        nl, nr = lcount.get(p, 0), rcount.get(p, 0)
        if (nl or lu.height) and (nr or ru.height) and (nl or nr):
            yield (
                p,
                pl.concat([left.filter(pl.col("pref") == p), lu]),
                pl.concat([right.filter(pl.col("pref") == p), ru]),
            )
    if lu.height and ru.height:
        yield "", lu, ru


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
    # term frequencies looked up in Polars (a Python dict lookup per pair costs more than the scoring)
    zh_n = pairs["zh_l"].replace_strict(stats.zh_count, default=1, return_dtype=pl.Int64).clip(lower_bound=1)
    py_n = pairs["zh_py_r"].replace_strict(stats.py_count, default=1, return_dtype=pl.Int64).clip(lower_bound=1)
    # the name outside its 字号, trade and branch (region, form) written the same on both sides; only
    # asked of homophone pairs, the only ones it can change
    homophone = (
        (pairs["zh_py_l"] == pairs["zh_py_r"])
        & (pairs["zh_l"] != pairs["zh_r"])
        & (pairs["trade_l"] == pairs["trade_r"])
    )
    sub = pairs.select("name_norm_l", "core_l", "branch_l", "name_norm_r", "core_r", "branch_r").filter(homophone)
    same = [
        a.replace(ca, "", 1).replace(ba, "", 1) == b.replace(cb, "", 1).replace(bb, "", 1)
        for a, ca, ba, b, cb, bb in sub.iter_rows()
    ]
    rest = pl.Series("rest_same", [False] * pairs.height, dtype=pl.Boolean)
    if same:
        rest = rest.scatter(homophone.arg_true(), pl.Series(same, dtype=pl.Boolean))
    df = pairs.with_columns(
        rest_same=rest,
        dist=pl.Series(dist, dtype=pl.Int64),
        addr_sim=pl.Series(addr_sim, dtype=pl.Float64),
        zh_w=(m["zh_exact"] * nl / zh_n).log(2),
        py_w=(m["zh_pinyin"] * nl / py_n).log(2),
    )
    zlen = pl.max_horizontal(pl.col("zh_l").str.len_chars(), pl.col("zh_r").str.len_chars())
    # a slip of the ear inside an otherwise identical name (浙江康胜… / 浙江康盛…): the region, the trade,
    # the form and the branch are all written the same
    rest_same = pl.col("rest_same")
    whole_homophone = (pl.col("trade_l") == pl.col("trade_r")) & rest_same
    name_w = (
        pl.when(pl.col("zh_l") == pl.col("zh_r"))
        .then(pl.col("zh_w"))
        .when((pl.col("zh_py_l") == pl.col("zh_py_r")) & whole_homophone)
        .then(pl.col("py_w") + _lg(m["name_homophone"] / m["zh_pinyin"]))
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
        # a homophone slip inside a branch's qualifier is still that branch
        pl.when(pl.col("branch_py_l") != pl.col("branch_py_r")).then(pl.lit("branch≠;")).otherwise(pl.lit("")),
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
        pl.concat_str(pl.lit(f"{label}:"), pl.col(c).round(3).cast(pl.Utf8))
        for label, c in (
            ("name", "name_w"),
            ("trade", "trade_w"),
            ("county", "county_w"),
            ("form", "form_w"),
            ("addr", "addr_w"),
            ("headcount", "head_w"),
        )
    ]
    parts.append(pl.lit(f"prior:{round(prior, 3)}"))
    # a name that is neither equal nor a homophone, with neither the county nor the address to back it,
    # is "one character off with nothing else to decide": a cadre looks at it
    same_county = (pl.col("county_l") != "") & (pl.col("county_l") == pl.col("county_r"))
    unsure = (pl.col("zh_py_l") != pl.col("zh_py_r")) & ~same_county & (pl.col("addr_w") <= 0)
    cls = (
        pl.when(pl.col("veto") != "")
        .then(pl.lit("vetoed"))
        .when((pl.col("prob") >= opts.threshold) & ~unsure)
        .then(pl.lit("match"))
        .when((pl.col("prob") >= opts.threshold) | (pl.col("prob") >= opts.review_threshold))
        .then(pl.lit("review"))
        .otherwise(pl.lit("none"))
    )
    return df.with_columns(agreed=pl.concat_str(parts, separator=";"), cls=cls)


def join_features(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Attach left features (suffix ``_l``) and right features (suffix ``_r``) to ``l, r`` pairs."""
    lf = left.rename({c: f"{c}_l" for c in left.columns if c != "row"}).rename({"row": "l"})
    rf = right.rename({c: f"{c}_r" for c in right.columns if c != "row"}).rename({"row": "r"})
    return pairs.join(lf, on="l").join(rf, on="r")


_ORDER = ["r", "weight", "name_norm_l", "l"]
_DESC = [False, True, False, False]
WINNER_COLUMNS: tuple[str, ...] = ("l", "r", "weight", "prob", "veto", "agreed", "name_norm_l", "same_core", "cls")


def winners(scored: pl.DataFrame) -> pl.DataFrame:
    """Per right row and class (match, review, vetoed; see ``score_pairs``) the best pair by weight
    (ties: smaller cleaned left name, then lower left row): a loss-free reduction, so blocks can be
    decided piecewise and backends agree."""
    keep = scored.filter(pl.col("cls") != "none").select(
        *WINNER_COLUMNS[:-2], same_core=pl.col("core_l") == pl.col("core_r"), cls="cls"
    )
    return keep.sort(_ORDER, descending=_DESC).group_by("r", "cls", maintain_order=True).first().select(WINNER_COLUMNS)


def decide(won: pl.DataFrame) -> pl.DataFrame:
    """From ``winners`` (of every block): per right row the best ``match`` pair, the best ``review``
    pair and the best vetoed pair. Columns ``right_row, left_row, score, rule, agreed`` (match),
    ``review_row, review_score, review_rule, review_agreed`` and ``vetoed``."""
    best = won.sort(_ORDER, descending=_DESC).group_by("r", "cls", maintain_order=True).first()
    rule = pl.when(pl.col("same_core")).then(pl.lit("name")).otherwise(pl.lit("fuzzy"))
    m = best.filter(pl.col("cls") == "match").select(
        right_row="r", left_row="l", score="prob", rule=rule, agreed="agreed"
    )
    rv = best.filter(pl.col("cls") == "review").select(
        right_row="r", review_row="l", review_score="prob", review_rule=rule, review_agreed="agreed"
    )
    vetoed = best.filter(pl.col("cls") == "vetoed").select(
        right_row="r", vetoed=pl.format("left {}: {}", pl.col("l"), pl.col("veto"))
    )
    return m.join(rv, on="right_row", how="full", coalesce=True).join(vetoed, on="right_row", how="full", coalesce=True)


def assemble(
    right: pl.DataFrame,
    codes: pl.DataFrame,
    exact: pl.DataFrame,
    names: pl.DataFrame,
    left: pl.DataFrame,
    explain: bool,
) -> pl.DataFrame:
    """One output row per right row, in right-row order. Precedence: a code match, an exact name, a
    scored match; else a review (a code whose names disagree, then a scored candidate); else none."""
    f64, i64, utf = pl.Float64, pl.Int64, pl.Utf8

    col, lit = pl.col, pl.lit
    # (frame, decision, candidate, score, rule, agreed), in precedence order: the index is the priority
    sources = [
        (codes.filter(col("decision") == "match"), "match", col("left_row"), lit(1.0), col("rule"), col("rule")),
        (exact, "match", col("left_row"), lit(1.0), lit("name"), lit("name:exact")),
        (
            names.filter(col("left_row").is_not_null()),
            "match",
            col("left_row"),
            col("score"),
            col("rule"),
            col("agreed"),
        ),
        (
            codes.filter(col("decision") == "review"),
            "review",
            col("left_row"),
            lit(0.5),
            col("rule"),
            lit("org_code:agree;name:disagree"),
        ),
        (
            names.filter(col("review_row").is_not_null()),
            "review",
            col("review_row"),
            col("review_score"),
            col("review_rule"),
            col("review_agreed"),
        ),
    ]
    decided = pl.concat(
        [
            df.select(
                right_row=col("right_row").cast(i64),
                candidate_row=candidate.cast(i64),
                score=score.cast(f64),
                rule=rule.cast(utf),
                agreed=agreed.cast(utf),
                decision=lit(decision),
                prio=lit(prio),
            )
            for prio, (df, decision, candidate, score, rule, agreed) in enumerate(sources)
        ]
    )
    decided = decided.sort("right_row", "prio").group_by("right_row", maintain_order=True).first()
    out = (
        right.select(right_row="row", right_name="name_norm")
        .join(decided, on="right_row", how="left")
        .join(names.select("right_row", "vetoed"), on="right_row", how="left")
        .join(left.select(candidate_row="row", left_name="name_norm"), on="candidate_row", how="left")
        .with_columns(
            left_row=pl.when(pl.col("decision") == "match").then(pl.col("candidate_row")).cast(i64),
            rule=pl.col("rule").fill_null("none"),
            score=pl.col("score").fill_null(0.0),
            decision=pl.col("decision").fill_null("none"),
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


SCORE_CHUNK = 1_000_000


def match_prepared(left: pl.DataFrame, right: pl.DataFrame, opts: Options) -> pl.DataFrame:
    """``match`` on frames already passed through ``clean.prepare``."""
    codes = code_matches(left, right)
    rest = right.join(codes.filter(pl.col("decision") == "match").select(row="right_row"), on="row", how="anti")
    exact = pick_exact(exact_pairs(left, rest))
    todo = rest.join(exact.select(row="right_row"), on="row", how="anti")
    stats = compute_stats(left, right)
    # one prefecture block at a time (never all candidate pairs at once); every pair meets in
    # exactly one block, so the best of the blocks' winners is the global winner
    won = [empty_winners()]
    for pref, lb, rb in blocks(left, todo):
        pairs = candidate_pairs(row_keys(lb), row_keys(rb), opts, both_unknown=pref == "")
        # a block's pairs are scored in slices: only ``SCORE_CHUNK`` pairs carry their features at once
        for i in range(0, pairs.height, SCORE_CHUNK):
            won.append(winners(score_pairs(join_features(pairs.slice(i, SCORE_CHUNK), lb, rb), stats, opts)))
    names = decide(pl.concat(won))
    return assemble(right, codes, exact, names, left, opts.explain)


def empty_winners() -> pl.DataFrame:
    """A ``winners`` frame with no rows."""
    return pl.DataFrame(
        schema={
            "l": pl.Int64,
            "r": pl.Int64,
            "weight": pl.Float64,
            "prob": pl.Float64,
            "veto": pl.Utf8,
            "agreed": pl.Utf8,
            "name_norm_l": pl.Utf8,
            "same_core": pl.Boolean,
            "cls": pl.Utf8,
        }
    )


def match(left: pl.DataFrame, right: pl.DataFrame, **options: object) -> pl.DataFrame:
    """Match every row of ``right`` (a source list) against ``left`` (the registry).

    Columns are found by header synonyms (see ``schema.SYNONYMS``); a missing name column raises
    ``schema.InputError``. Returns one row per right row, in order, with ``right_row, left_row,
    score, rule, decision, candidate_row`` (1-based rows; ``decision`` is match, review or none;
    ``left_row`` is set only for a match; ``candidate_row`` is the matched row or the candidate a
    cadre should review; ``rule`` in uscc, org_code, name, fuzzy, none), plus ``right_name,
    left_name, agreed, vetoed`` when ``explain=True``. Deterministic and independent of the order of
    rows. Options: see ``Options``."""
    opts = Options(**options)  # type: ignore[arg-type]
    return match_prepared(prepare_chunked(with_rows(left)), prepare_chunked(with_rows(right)), opts)


PREPARE_CHUNK = 250_000


def prepare_chunked(df: pl.DataFrame, chunk: int = PREPARE_CHUNK) -> pl.DataFrame:
    """``clean.prepare`` in slices of ``chunk`` rows (it is row-wise, so the result is the same):
    its intermediate columns then live for one slice only, which bounds peak memory."""
    if df.height <= chunk:
        return prepare(df)
    return pl.concat([prepare(df.slice(i, chunk)) for i in range(0, df.height, chunk)], rechunk=True)
