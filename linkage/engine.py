"""The Polars matching engine: codes first, then blocked, Fellegi-Sunter-scored name matching with
hard vetoes. Every step is a pure function of its inputs so that the Spark backend can run the same
steps partition by partition and reach the same answer.

The local backend visits one prefecture block at a time on integer keys and drops, before scoring,
the pairs a bound proves can be neither a match nor a review (``match_blocks``); it must give exactly
what scoring every candidate pair gives (``match_prepared_simple``, the reference the tests hold it to).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz.distance import JaroWinkler, Levenshtein

from linkage.clean import pinyin_map, prepare
from linkage.schema import standardize
from linkage.vocab import lookalike_classes

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


def _u_one_substitution_frame(left: pl.DataFrame) -> dict[int, float]:
    """``_u_one_substitution`` of the registry's 字号 counted by Polars (the same integer sums, so the
    same floats; a Python pass over millions of 字号 takes seconds)."""
    z = (
        left.filter(pl.col("zh") != "")
        .select("zh", n=pl.col("zh").str.len_chars())
        .filter(pl.col("n").is_between(2, 6))
    )
    totals = dict(z.group_by("n").len().iter_rows())
    chars = (
        z.select("n", ch=pl.col("zh").str.split(""))
        .with_columns(i=pl.int_ranges(0, pl.col("n")))
        .explode("ch", "i")
        .group_by("n", "i", "ch")
        .len()
        .group_by("n", "i")
        .agg(sq=(pl.col("len").cast(pl.Int64) ** 2).sum())
    )
    squares = {(n, i): sq for n, i, sq in chars.iter_rows()}
    out: dict[int, float] = {}
    for n in range(2, 7):
        total = totals.get(n, 0)
        if total < 50:
            out[n] = 0.02 if n == 2 else 1e-3
            continue
        same = [squares.get((n, i), 0) / (total * total) for i in range(n)]
        u = 0.0
        for i in range(n):
            others = 1.0
            for j in range(n):
                if j != i:
                    others *= same[j]
            u += others * (1 - same[i])
        out[n] = max(u, 1e-7)
    return out


def compute_stats(left: pl.DataFrame, right: pl.DataFrame, term_counts: bool = True) -> Stats:
    """``Stats`` of two prepared frames (see ``clean.prepare``). Without ``term_counts`` the 字号 and
    pinyin counts are left empty: the province path brings them to ``score_pairs`` as columns."""
    counts = {c: (_value_counts(left, c), _value_counts(right, c)) for c in ("county", "pref", "trade", "form")}
    return Stats(
        n_left=left.height,
        n_right=right.height,
        u_county=_agreement_u(*counts["county"]),
        u_pref=_agreement_u(*counts["pref"]),
        u_trade=min(_agreement_u(*counts["trade"]), 0.2),
        u_form=_agreement_u(*counts["form"]),
        zh_count=_value_counts(left, "zh") if term_counts else {},
        py_count=_value_counts(left, "zh_py") if term_counts else {},
        u_edit1=_u_one_substitution_frame(left),
    )


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


def block_ok(nl: pl.Expr, nr: pl.Expr, bounded: pl.Expr, opts: Options) -> pl.Expr:
    """Whether a block of ``nl`` registry and ``nr`` source rows is compared; ``bounded`` is true for
    every key type but the core name (see ``BOUNDED_KEY``)."""
    return (nl * nr <= opts.max_block_pairs) & ((nl <= opts.max_block_left) | ~bounded)


def candidate_pairs(
    lkeys: pl.DataFrame, rkeys: pl.DataFrame, opts: Options, both_unknown: bool, counties_agree: bool = False
) -> pl.DataFrame:
    """Distinct ``l, r`` pairs sharing a key whose block (left × right rows with the key) holds at
    most ``max_block_pairs`` pairs (see ``block_ok``). The frames are one prefecture's block (its rows plus every row of
    unknown prefecture); a pair of two unknown-prefecture rows is kept only when ``both_unknown``
    (the block of unknowns), so every pair meets in exactly one block.

    Key frames are ``row, pref, key`` (``row_keys``: text keys) or ``row, known, key, bounded, county``
    (``key_rows``: integer keys); the answer is the same. With ``counties_agree`` (integer keys only)
    the pairs of two different known counties, which a veto decides, are left out (the blocks and
    their caps are still counted on every row)."""
    if "bounded" not in lkeys.columns:
        lkeys, rkeys = (
            k.select("row", "key", known=pl.col("pref") != "", bounded=pl.col("key").str.contains(BOUNDED_KEY))
            for k in (lkeys, rkeys)
        )
    ln = lkeys.group_by("key").agg(nl=pl.len(), bounded=pl.col("bounded").first())
    rn = rkeys.group_by("key").len("nr")
    ok = ln.join(rn, on="key").filter(block_ok(pl.col("nl"), pl.col("nr"), pl.col("bounded"), opts)).select("key")
    lk = lkeys.join(ok, on="key").rename({"row": "l", "known": "kl"})
    rk = rkeys.rename({"row": "r", "known": "kr"})
    if counties_agree:
        lc, rc = pl.col("county") != 0, pl.col("county") != 0
        parts = [
            lk.filter(lc).join(rk.filter(rc), on=["key", "county"]),
            lk.filter(~lc).join(rk.drop("county"), on="key"),
            lk.filter(lc).drop("county").join(rk.filter(~rc).drop("county"), on="key"),
        ]
    else:
        parts = [lk.join(rk, on="key")]
    pairs = pl.concat([p.select("l", "r", "kl", "kr") for p in parts])
    if not both_unknown:
        pairs = pairs.filter(pl.col("kl") | pl.col("kr"))
    return pairs.select("l", "r").unique()


def block_prefectures(lpref: pl.Series, rpref: pl.Series) -> list[str]:
    """The prefectures whose block is visited (see ``blocks``), in order; "" (the block of unknowns)
    last when both sides have unknown rows."""
    lcount: dict[str, int] = dict(lpref.value_counts().iter_rows())
    rcount: dict[str, int] = dict(rpref.value_counts().iter_rows())
    lu, ru = lcount.get("", 0), rcount.get("", 0)
    out = []
    for p in sorted((set(lcount) | set(rcount)) - {""}):
        nl, nr = lcount.get(p, 0), rcount.get(p, 0)
        if (nl or lu) and (nr or ru) and (nl or nr):
            out.append(p)
    if lu and ru:
        out.append("")
    return out


def blocks(left: pl.DataFrame, right: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame, pl.DataFrame]]:
    """The prefecture blocks ``(prefecture, left rows, right rows)``, one at a time: each known
    prefecture's rows plus the rows of unknown prefecture, then ("", unknowns, unknowns). Sorted, so
    any backend that visits the same blocks meets the same pairs; only one block is held at a time."""
    lu, ru = left.filter(pl.col("pref") == ""), right.filter(pl.col("pref") == "")
    for p in block_prefectures(left["pref"], right["pref"]):
        if p == "":
            yield "", lu, ru
        else:
            yield (
                p,
                pl.concat([left.filter(pl.col("pref") == p), lu]),
                pl.concat([right.filter(pl.col("pref") == p), ru]),
            )


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
    # (the province path brings them as columns ``zh_n``, ``py_n``: a dict of millions of 字号 costs
    # seconds to turn into a mapping)
    if "zh_n" in pairs.columns:
        zh_n, py_n = pairs["zh_n"], pairs["py_n"]
    else:
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
    head_w = _head_w(pl.col("headcount_l"), pl.col("headcount_r"), m)
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
    # "unsure" (a cadre looks at it, see the review band in DESIGN-NOTES): the 字号 differ and
    # - by a slip (a homophone or look-alike character), both sides are placed, and nothing outside the
    #   name speaks for the pair (county, address and head count weigh nothing or against: in a one-county
    #   registry a shared county says nothing; a name with no place at all is left to its score);
    # - by one other character (康胜 / 康达): another firm as likely as a typo, whatever else agrees;
    # - by more, with neither a shared known county nor the address to back them;
    # or the whole names differ in one character that is no slip (checked below, on would-be matches).
    zh_l, zh_r = pl.col("zh_l"), pl.col("zh_r")
    la_from, la_to = lookalike_classes()
    slip = (zh_l != zh_r) & (
        (pl.col("zh_py_l") == pl.col("zh_py_r"))
        | (zh_l.str.replace_many(la_from, la_to) == zh_r.str.replace_many(la_from, la_to))
    )
    backed = (pl.col("county_w") > 0) | (pl.col("addr_w") > 0) | (pl.col("head_w") > 0)
    placed = ((pl.col("county_l") != "") & (pl.col("county_r") != "")) | (
        (pl.col("pref_l") != "") & (pl.col("pref_r") != "")
    )
    same_county = (pl.col("county_l") != "") & (pl.col("county_l") == pl.col("county_r"))
    other = (zh_l != zh_r) & ~slip
    unsure = (
        (slip & placed & ~backed) | (other & (pl.col("dist") == 1)) | (other & ~same_county & (pl.col("addr_w") <= 0))
    )
    df = df.with_columns(
        would_match=(pl.col("veto") == "") & (pl.col("prob") >= opts.threshold) & ~unsure,
        unsure=unsure,
        agreed=pl.concat_str(parts, separator=";"),
    )
    df = df.with_columns(unsure=pl.col("unsure") | _one_char_off(df))
    cls = (
        pl.when(pl.col("veto") != "")
        .then(pl.lit("vetoed"))
        .when((pl.col("prob") >= opts.threshold) & ~pl.col("unsure"))
        .then(pl.lit("match"))
        .when((pl.col("prob") >= opts.threshold) | (pl.col("prob") >= opts.review_threshold))
        .then(pl.lit("review"))
        .otherwise(pl.lit("none"))
    )
    return df.with_columns(cls=cls).drop("would_match", "unsure")


def _slip_chars(a: str, b: str) -> bool:
    """Whether character ``b`` written for ``a`` is a slip: a look-alike or the same fuzzy pinyin."""
    la_from, la_to = lookalike_classes()
    canon = dict(zip(la_from, la_to, strict=True))
    if canon.get(a, a) == canon.get(b, b):
        return True
    py = pinyin_map()
    return py.get(a, a) == py.get(b, b)


def one_char_off(a: str, b: str) -> tuple[bool, bool]:
    """(the two texts have the same length and differ in exactly one position, that difference is a slip)."""
    if len(a) != len(b) or a == b:
        return False, False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(diff) != 1:
        return False, False
    return True, _slip_chars(*diff[0])


def _one_char_off(df: pl.DataFrame) -> pl.Series:
    """Per pair, whether the whole cleaned names differ in one character that is no slip and their cores
    differ (台州市黄岩通德… / 台州市黄恒通德…): near-identical names that nothing but a code could decide.
    Asked only of the pairs in ``would_match`` (about one per matched row)."""
    # only a difference in the core (字号 + trade, as parsed): a region written another way (金华 / 金东) or
    # another shop form (商店 / 商行) is for the county and form weights to judge
    ask = (
        df["would_match"]
        & (df["core_l"] != df["core_r"])
        & (df["name_norm_l"].str.len_chars() == df["name_norm_r"].str.len_chars())
    )
    sub = df.select("name_norm_l", "name_norm_r").filter(ask)
    got = [off and not slipped for off, slipped in (one_char_off(a, b) for a, b in sub.iter_rows())]
    out = pl.Series("one_char_off", [False] * df.height, dtype=pl.Boolean)
    if got:
        out = out.scatter(ask.arg_true(), pl.Series(got, dtype=pl.Boolean))
    return out


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
    near: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One output row per right row, in right-row order. Precedence: a code match, an exact name, a
    scored match; else a review (a code whose names disagree, then a whole name one character off
    (``near_reviews``), then a scored candidate); else none."""
    if near is None:
        near = pl.DataFrame(schema={"right_row": pl.Int64, "left_row": pl.Int64})
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
        (near, "review", col("left_row"), lit(0.5), lit("fuzzy"), lit("name:one_char_off")),
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


# --- the local backend at province scale ------------------------------------------------------
# Blocking keys and the features the bound below needs are turned into integers once (64-bit hashes,
# checked one-to-one where a collision could lose a pair); each prefecture block is then joined on
# integers, and every pair whose best possible weight cannot reach the review threshold (or that a
# hard veto decides) is dropped before the text features are gathered and the pair is scored.
# Loss-free: the pairs dropped are ones ``score_pairs`` would class ``none`` (or ``vetoed``, which
# only ``--explain`` shows, and which is therefore kept then). The Spark backend keeps the plain way.

# text features the bound compares by identity; a hash collision among them could only raise the
# bound or hide a veto (keep a pair), except for 字号 and pinyin, whose identities are checked exact
_IDS: tuple[str, ...] = ("trade", "county", "pref", "form", "uscc", "org", "branch_py", "addr")
_EXACT_IDS: tuple[str, ...] = ("zh", "zh_py")
_SEED = 20261202


def hash_ids(x: pl.Series) -> pl.Series:
    """UInt64 hash of a text column, 0 for "" and odd otherwise (never 0)."""
    return pl.select(pl.when(x != "").then(x.hash(_SEED) | 1).otherwise(pl.lit(0, pl.UInt64))).to_series().alias(x.name)


def exact_ids(*cols: pl.Series, tag: int | None = None) -> list[pl.Series]:
    """UInt64 identities of text columns sharing one namespace: equal iff the texts are equal, 0 for "".
    A 64-bit hash, checked to be one-to-one on the values present; on a collision (vanishingly rare)
    dense ranks instead. With ``tag`` (0-7) the identity carries it in its top 3 bits (and "" is not
    special), so the identities of several namespaces can share one column."""

    def ids(x: pl.Series) -> pl.Series:
        if tag is None:
            return hash_ids(x)
        return pl.select((x.hash(_SEED) // 8) | pl.lit(tag << 61, pl.UInt64)).to_series()

    values = pl.concat([c.unique() for c in cols]).unique()
    if ids(values).n_unique() == values.len():
        return [ids(c).alias(c.name) for c in cols]
    table = pl.DataFrame({"v": values.sort()}).with_row_index("id").with_columns(pl.col("id").cast(pl.UInt64))
    if tag is None:
        table = table.with_columns(id=pl.when(pl.col("v") != "").then(pl.col("id") + 1).otherwise(0))
    else:
        table = table.with_columns(id=pl.col("id") | pl.lit(tag << 61, pl.UInt64))
    return [c.to_frame("v").join(table, on="v", how="left", maintain_order="left")["id"].alias(c.name) for c in cols]


def pref_codes(left: pl.DataFrame, right: pl.DataFrame) -> dict[str, int]:
    """A small integer per prefecture of either list, 0 for unknown."""
    known = sorted((set(left["pref"].unique()) | set(right["pref"].unique())) - {""})
    return {"": 0, **{p: i + 1 for i, p in enumerate(known)}}


# blocking key types, as ``key_list`` writes them: c| core, z| 字号, p| pinyin, a|/b| first/last character
# of the 字号 with the trade (when there is a trade), g| first/last two characters (字号 of 3 or more)
def key_rows(left: pl.DataFrame, right: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``row_keys`` of both lists with integer keys: ``row`` (UInt32), ``pref`` (as ``pref_codes``),
    ``known`` (prefecture known), ``key`` (UInt64, equal iff the key texts are equal; its type in the top
    bits), ``bounded`` (every type but the core name, see ``BOUNDED_KEY``), ``county`` (``hash_ids``)."""
    zh = pl.col("zh")
    has_trade, long = pl.col("trade") != "", zh.str.len_chars() >= 3
    types: list[tuple[pl.Expr, pl.Expr | None]] = [
        (pl.col("core"), None),
        (zh, None),
        (pl.col("zh_py"), None),
        (pl.concat_str(zh.str.slice(0, 1), pl.lit("|"), pl.col("trade")), has_trade),
        (pl.concat_str(zh.str.slice(-1, 1), pl.lit("|"), pl.col("trade")), has_trade),
        (zh.str.slice(0, 2), long),
        # the last two characters, unless they are the first two (one key per row and text)
        (zh.str.slice(-2, 2), long & (zh.str.slice(-2, 2) != zh.str.slice(0, 2))),
    ]
    out: dict[str, list[pl.DataFrame]] = {"l": [], "r": []}
    prefs = pref_codes(left, right)
    # one key type at a time, so that only one type's key texts are alive at once
    for t, members in enumerate((types[0:1], types[1:2], types[2:3], types[3:4], types[4:5], types[5:7])):
        frames = [
            (
                side,
                df.select(
                    pl.col("row").cast(pl.UInt32),
                    "pref",
                    "county",
                    key=text,
                    keep=pl.lit(True) if when is None else when,
                )
                .filter(pl.col("keep"))
                .drop("keep")
                .drop_nulls("key"),
            )
            for text, when in members
            for side, df in (("l", left), ("r", right))
        ]
        ids = exact_ids(*[f["key"] for _, f in frames], tag=t)
        for (side, f), key in zip(frames, ids, strict=True):
            out[side].append(
                f.select(
                    "row",
                    pref=pl.col("pref").replace_strict(prefs, return_dtype=pl.UInt16),
                    known=pl.col("pref") != "",
                    key=key,
                    bounded=pl.lit(t != 0),
                    county=hash_ids(f["county"]),
                )
            )
        del frames, ids
    return pl.concat(out["l"]), pl.concat(out["r"])


def narrow(df: pl.DataFrame, ids: dict[str, pl.Series], zh_n: pl.Expr, py_n: pl.Expr) -> pl.DataFrame:
    """Per row of a prepared frame (in its order) the integer features ``prune`` reads."""
    return df.select(
        zh_len=pl.col("zh").str.len_chars().cast(pl.Int32),
        headcount="headcount",
        zh_n=zh_n,
        py_n=py_n,
    ).with_columns(*ids.values())


def _positions(rows: pl.Series) -> pl.Series:
    """``pos[row]`` = position of ``row`` in its frame (rows are positive integers)."""
    top = rows.max()
    pos = pl.Series("pos", [None] * ((top if isinstance(top, int) else 0) + 1), dtype=pl.UInt32)
    return pos.scatter(rows.cast(pl.Int64), pl.int_range(rows.len(), dtype=pl.UInt32, eager=True))


def _gather(frame: pl.DataFrame, pos: pl.Series, rows: pl.Series, suffix: str) -> pl.DataFrame:
    idx = pos.gather(rows.cast(pl.Int64))
    return frame.select(pl.all().gather(idx).name.suffix(suffix))


def _head_w(hl: pl.Expr, hr: pl.Expr, m: dict[str, float]) -> pl.Expr:
    # head counts drift between lists (社保 vs 登记) and most firms are tiny, so a head count only
    # speaks for firms of 10 or more, and only gross disagreement counts against
    big = pl.max_horizontal(hl, hr) >= 10
    return (
        pl.when(hl.is_null() | hr.is_null() | ~big)
        .then(pl.lit(0.0))
        .when((hl - hr).abs() <= pl.max_horizontal(hl, hr) * 15 // 100 + 1)
        .then(pl.lit(_lg(m["head_eq"] / 0.25)))
        .when(pl.max_horizontal(hl, hr) > 3 * pl.min_horizontal(hl, hr) + 5)
        .then(pl.lit(_lg(m["head_diff"] / 0.6)))
        .otherwise(pl.lit(0.0))
    )


def _min_weight(opts: Options) -> float:
    """The weight below which a pair can be neither a match nor a review: its probability, rounded
    to 4 decimals (``score_pairs``), stays under both thresholds (less a margin for the rounding of
    the weight to 6 decimals and for the order of the float sums)."""
    t = min(opts.threshold, opts.review_threshold) - 5e-5
    if t <= 0:
        return -math.inf
    if t >= 1:
        return math.inf
    return math.log2(t / (1 - t)) - 1e-4


def prune(pairs: pl.DataFrame, nl_: pl.DataFrame, nr_: pl.DataFrame, stats: Stats, opts: Options) -> pl.DataFrame:
    """The ``l, r`` pairs that ``score_pairs`` could class match or review (and, with ``explain``,
    vetoed), from an upper bound of each weight term on integer features (``narrow`` frames, already
    gathered to the pairs' order as ``nl_`` / ``nr_``)."""
    m = opts.m
    d = pl.concat([pairs, nl_.rename(lambda c: c + "_l"), nr_.rename(lambda c: c + "_r")], how="horizontal")
    c = pl.col
    nl = max(stats.n_left, 1)
    zh_w = (m["zh_exact"] * nl / c("zh_n_l").cast(pl.Int64)).log(2)
    py_w = (m["zh_pinyin"] * nl / c("py_n_r").cast(pl.Int64)).log(2)
    zlen = pl.max_horizontal(c("zh_len_l"), c("zh_len_r"))
    dlen = (c("zh_len_l") - c("zh_len_r")).abs()
    neg = -1e9
    edit = pl.max_horizontal(
        pl.when((dlen <= 1) & (zlen == 2)).then(pl.lit(_lg(m["zh_edit1"] / stats.u_edit1[2]))).otherwise(neg),
        pl.when((dlen <= 1) & (zlen == 3)).then(pl.lit(_lg(m["zh_edit1"] / stats.u_edit1[3]))).otherwise(neg),
        pl.when((dlen <= 1) & (zlen >= 4)).then(pl.lit(_lg(m["zh_edit1"] / stats.u_edit1[4]))).otherwise(neg),
        pl.when((dlen <= 2) & (zlen >= 4)).then(pl.lit(_lg(m["zh_close"] / 1e-3))).otherwise(neg),
        pl.lit(_lg(m["zh_other"] / 0.97)),
    )
    name_ub = (
        pl.when(c("zh_l") == c("zh_r"))
        .then(zh_w)
        .when(c("zh_py_l") == c("zh_py_r"))
        .then(py_w + max(0.0, _lg(m["name_homophone"] / m["zh_pinyin"])))
        .otherwise(edit)
    )
    tl, tr = c("trade_l"), c("trade_r")
    compat, diff = _lg(m["trade_compat"] / 0.1), _lg(m["trade_diff"] / (1 - stats.u_trade))
    trade_ub = (
        pl.when((tl == tr) & (tl != 0))
        .then(pl.lit(max(_lg(m["trade_eq"] / stats.u_trade), compat, diff)))
        .when((tl == 0) | (tr == 0))
        .then(pl.lit(compat))
        .otherwise(pl.lit(max(compat, diff)))
    )
    # each "equal" branch is at least every branch the same texts could take on a hash collision
    county_eq = max(_lg(m["county_eq"] / stats.u_county), 0.0)
    county_ub = (
        pl.when((c("county_l") != 0) & (c("county_l") == c("county_r")))
        .then(pl.lit(county_eq))
        .when((c("county_l") != 0) & (c("county_r") != 0))
        .then(pl.lit(0.0))
        .when((c("pref_l") != 0) & (c("pref_l") == c("pref_r")))
        .then(pl.lit(max(_lg(m["county_eq"] / stats.u_pref), 0.0)))
        .otherwise(pl.lit(0.0))
    )
    form_eq, form_diff = _lg(m["form_eq"] / stats.u_form), _lg(m["form_diff"] / (1 - stats.u_form))
    form_ub = (
        pl.when((c("form_l") == 0) | (c("form_r") == 0))
        .then(pl.lit(0.0))
        .when(c("form_l") == c("form_r"))
        .then(pl.lit(max(form_eq, form_diff)))
        .otherwise(pl.lit(form_diff))
    )
    addr_any = max(_lg(m["addr_eq"] / 1e-4), _lg(m["addr_close"] / 0.02), _lg(m["addr_diff"] / 0.98))
    addr_ub = pl.when((c("addr_l") == 0) | (c("addr_r") == 0)).then(pl.lit(0.0)).otherwise(pl.lit(addr_any))
    ub = name_ub + trade_ub + county_ub + form_ub + addr_ub + _head_w(c("headcount_l"), c("headcount_r"), m)
    ub = ub + _lg(0.8 / nl)

    def differ(col: str) -> pl.Expr:
        return (c(f"{col}_l") != 0) & (c(f"{col}_r") != 0) & (c(f"{col}_l") != c(f"{col}_r"))

    vetoed = differ("uscc") | differ("org") | (c("branch_py_l") != c("branch_py_r")) | differ("county") | differ("pref")
    low = ub < _min_weight(opts)
    if opts.explain:
        # a vetoed pair is shown by --explain: drop only pairs sure to be neither vetoed nor close
        may_clash = (tl != 0) & (tr != 0) & (tl != tr)
        drop = ~vetoed & ~may_clash & low
    else:
        drop = vetoed | low
    return d.filter(~drop).select("l", "r")


PRUNE_CHUNK = 2_000_000


def block_pairs(
    left: pl.DataFrame, right: pl.DataFrame, todo: pl.DataFrame, stats: Stats, opts: Options
) -> Iterator[tuple[str, pl.DataFrame, pl.DataFrame]]:
    """Per prefecture block of ``left`` × ``todo`` (``todo`` ⊆ ``right``; blocks as ``blocks``, in its
    order) ``(prefecture, candidate pairs, kept pairs)``: the candidates (``l, r``, UInt32; the same as
    ``candidate_pairs`` on text keys) and those ``prune`` keeps. One block's pairs are alive at a time."""
    lk, rk = key_rows(left, todo)
    codes = pref_codes(left, todo)
    lparts = lk.partition_by("pref", as_dict=True, include_key=False)
    rparts = rk.partition_by("pref", as_dict=True, include_key=False)
    del lk, rk
    empty_keys = pl.DataFrame(
        schema={"row": pl.UInt32, "known": pl.Boolean, "key": pl.UInt64, "bounded": pl.Boolean, "county": pl.UInt64}
    )
    zh_n = pl.len().over("zh").cast(pl.Int64)
    zh_n = pl.when(pl.col("zh") != "").then(zh_n).otherwise(1)
    py_counts = left.filter(pl.col("zh_py") != "").group_by("zh_py").len("py_n")
    lids: dict[str, pl.Series] = {}
    rids: dict[str, pl.Series] = {}
    for col in _IDS:
        lids[col], rids[col] = hash_ids(left[col]), hash_ids(right[col])
    for col in _EXACT_IDS:
        lids[col], rids[col] = exact_ids(left[col], right[col])
    lnarrow = narrow(left, lids, zh_n, pl.lit(1))
    rnarrow = narrow(
        right.join(py_counts, on="zh_py", how="left", maintain_order="left"),
        rids,
        pl.lit(1),
        pl.col("py_n").fill_null(1),
    )
    del lids, rids
    lpos, rpos = _positions(left["row"]), _positions(right["row"])
    for pref in block_prefectures(left["pref"], todo["pref"]):
        # the prefecture's rows and the rows of unknown prefecture (once: "" is its own block)
        here = [codes[pref]] if pref == "" else [codes[pref], 0]
        lb = pl.concat([lparts.get((c,), empty_keys) for c in here])
        rb = pl.concat([rparts.get((c,), empty_keys) for c in here])
        # the pairs of two known, different counties are vetoed: only --explain shows them
        pairs = candidate_pairs(lb, rb, opts, both_unknown=pref == "", counties_agree=not opts.explain)
        del lb, rb
        kept = [pl.DataFrame(schema={"l": pl.UInt32, "r": pl.UInt32})]
        for i in range(0, pairs.height, PRUNE_CHUNK):
            chunk = pairs.slice(i, PRUNE_CHUNK)
            kept.append(
                prune(
                    chunk, _gather(lnarrow, lpos, chunk["l"], ""), _gather(rnarrow, rpos, chunk["r"], ""), stats, opts
                )
            )
        yield pref, pairs, pl.concat(kept)
        del pairs, kept


def match_blocks(
    left: pl.DataFrame, right: pl.DataFrame, todo: pl.DataFrame, stats: Stats, opts: Options
) -> pl.DataFrame:
    """The ``winners`` of every prefecture block (``block_pairs``), its kept pairs scored
    ``SCORE_CHUNK`` at a time with their features gathered by row position. Equal to scoring every
    candidate pair of ``blocks`` (see ``match_prepared_simple``)."""
    lpos, rpos = _positions(left["row"]), _positions(right["row"])
    zh_n = pl.when(pl.col("zh") != "").then(pl.len().over("zh").cast(pl.Int64)).otherwise(1)
    py_counts = left.filter(pl.col("zh_py") != "").group_by("zh_py").len("py_n")
    lfeat = left.drop("row").with_columns(zh_n=zh_n)
    rfeat = right.drop("row").join(py_counts, on="zh_py", how="left", maintain_order="left")
    rfeat = rfeat.with_columns(py_n=pl.col("py_n").fill_null(1).cast(pl.Int64))
    won = [empty_winners()]
    for _pref, _pairs, kept in block_pairs(left, right, todo, stats, opts):
        del _pairs
        for i in range(0, kept.height, SCORE_CHUNK):
            chunk = kept.slice(i, SCORE_CHUNK)
            feats = pl.concat(
                [
                    chunk.select(pl.col("l").cast(pl.Int64), pl.col("r").cast(pl.Int64)),
                    _gather(lfeat, lpos, chunk["l"], "_l").rename({"zh_n_l": "zh_n"}),
                    _gather(rfeat, rpos, chunk["r"], "_r").rename({"py_n_r": "py_n"}),
                ],
                how="horizontal",
            )
            won.append(winners(score_pairs(feats, stats, opts)))
    return pl.concat(won)


# a whole name one character off from a registry name is put up for review from this many characters on
NEAR_MIN_CHARS = 6
NEAR_COLUMNS: tuple[str, ...] = ("row", "name_norm", "uscc", "org", "county", "pref", "branch_py", "addr")


def near_pairs(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Pairs whose cleaned names have the same length (at least ``NEAR_MIN_CHARS``) and differ in exactly
    one position, with no conflicting valid code, known county, prefecture or branch: ``row, left_row,
    name_l, slip, addr_sim, same_county`` (``slip``: the differing characters are look-alikes or homophones;
    ``addr_sim``: Jaro-Winkler similarity of the addresses, 0 when one is missing).

    Exact and loss-free at any scale: such names share the half the difference is not in, so a row is
    keyed by a position of its second half only when it shares its first half (of a name of the same
    length) with a row of the other side, and likewise for the first half; a key is the 64-bit hash of
    the name less that position, and each pair found is checked on its texts."""
    n = pl.col("name_norm").str.len_chars()
    r = right.select(NEAR_COLUMNS).with_columns(n=n).filter(pl.col("n") >= NEAR_MIN_CHARS)
    empty = pl.DataFrame(
        schema={
            "row": pl.Int64,
            "left_row": pl.Int64,
            "name_l": pl.Utf8,
            "slip": pl.Boolean,
            "addr_sim": pl.Float64,
            "same_county": pl.Boolean,
        }
    )
    if r.height == 0:
        return empty
    reg = left.select(NEAR_COLUMNS).with_columns(n=n).join(r.select(pl.col("n").unique()), on="n", how="semi")
    half = pl.col("n") // 2
    name = pl.col("name_norm")
    halves = {"a": name.str.slice(0, half).hash(_SEED), "b": name.str.slice(half).hash(_SEED)}

    def sharing(df: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
        # sa: shares its first half with a row of ``other`` (so a difference is in the second half), sb: the second
        h = df.select("row", "n", **halves)
        o = other.select("n", **halves)
        flags = {s: h.join(o.select("n", s).unique(), on=["n", s], how="semi")["row"] for s in halves}
        return df.with_columns(sa=pl.col("row").is_in(flags["a"]), sb=pl.col("row").is_in(flags["b"])).filter(
            pl.col("sa") | pl.col("sb")
        )

    r, reg = sharing(r, reg), sharing(reg, r)
    found = []
    top = r["n"].max()
    for i in range(top if isinstance(top, int) else 0):

        def key(df: pl.DataFrame, i: int = i) -> pl.DataFrame:
            # a difference at position i lies in the second half (i >= n // 2) or the first
            here = pl.when(pl.lit(i) >= half).then(pl.col("sa")).otherwise(pl.col("sb"))
            return df.filter((pl.col("n") > i) & here).select(
                "row", "n", k=pl.concat_str(name.str.slice(0, i), name.str.slice(i + 1)).hash(_SEED)
            )

        found.append(key(r).join(key(reg).rename({"row": "left_row"}), on=["n", "k"]).select("row", "left_row"))
    if not found:
        return empty
    pairs = pl.concat(found).unique()
    lf = reg.drop("n").rename(lambda c: "left_row" if c == "row" else f"{c}_l")
    pairs = pairs.join(r.drop("n"), on="row").join(lf, on="left_row")

    def differ(c: str) -> pl.Expr:
        return (pl.col(c) != "") & (pl.col(f"{c}_l") != "") & (pl.col(c) != pl.col(f"{c}_l"))

    pairs = pairs.filter(
        ~differ("uscc")
        & ~differ("org")
        & ~differ("county")
        & ~differ("pref")
        & (pl.col("branch_py") == pl.col("branch_py_l"))
    )
    checked = [one_char_off(a, b) for a, b in pairs.select("name_norm", "name_norm_l").iter_rows()]
    sims = [
        JaroWinkler.normalized_similarity(a, b) if a and b else 0.0
        for a, b in pairs.select("addr", "addr_l").iter_rows()
    ]
    return (
        pairs.with_columns(
            off=pl.Series([c[0] for c in checked], dtype=pl.Boolean),
            slip=pl.Series([c[1] for c in checked], dtype=pl.Boolean),
            addr_sim=pl.Series(sims, dtype=pl.Float64),
        )
        .filter("off")
        .select(
            pl.col("row").cast(pl.Int64),
            pl.col("left_row").cast(pl.Int64),
            name_l="name_norm_l",
            slip="slip",
            addr_sim="addr_sim",
            same_county=(pl.col("county") != "") & (pl.col("county") == pl.col("county_l")),
        )
    )


def near_reviews(
    left: pl.DataFrame, right: pl.DataFrame, codes: pl.DataFrame, exact: pl.DataFrame, names: pl.DataFrame
) -> pl.DataFrame:
    """The review band's "near-identical names with no code": per right row that no code, exact name or
    score matched, its registry name one character off (``near_pairs``), best first: the row's scored
    review candidate, a slip, the closer address, a shared county, then the smaller name and row.
    ``right_row, left_row``; a row whose best is its scored review candidate is left to that review
    (it carries the weights)."""
    done = pl.concat(
        [
            codes.select(row="right_row"),
            exact.select(row="right_row"),
            names.filter(pl.col("left_row").is_not_null()).select(row="right_row"),
        ]
    ).with_columns(pl.col("row").cast(pl.Int64))
    rest = right.join(done, on="row", how="anti")
    scored = names.filter(pl.col("review_row").is_not_null()).select(
        row=pl.col("right_row").cast(pl.Int64), left_row=pl.col("review_row").cast(pl.Int64), scored=pl.lit(True)
    )
    keys = ["row", "scored", "slip", "addr_sim", "same_county", "name_l", "left_row"]
    return (
        near_pairs(left, rest)
        .join(scored, on=["row", "left_row"], how="left")
        .with_columns(pl.col("scored").fill_null(False))
        .sort(keys, descending=[False, True, True, True, True, False, False])
        .group_by("row", maintain_order=True)
        .first()
        .filter(~pl.col("scored"))
        .select(right_row="row", left_row="left_row")
    )


def with_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Standardize columns and number rows 1..n."""
    return standardize(df).with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))


SCORE_CHUNK = 1_000_000


def _codes_and_exact(left: pl.DataFrame, right: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    codes = code_matches(left, right)
    rest = right.join(codes.filter(pl.col("decision") == "match").select(row="right_row"), on="row", how="anti")
    exact = pick_exact(exact_pairs(left, rest))
    todo = rest.join(exact.select(row="right_row"), on="row", how="anti")
    return codes, exact, todo


def match_prepared(left: pl.DataFrame, right: pl.DataFrame, opts: Options) -> pl.DataFrame:
    """``match`` on frames already passed through ``clean.prepare``."""
    codes, exact, todo = _codes_and_exact(left, right)
    stats = compute_stats(left, right, term_counts=False)
    names = decide(match_blocks(left, right, todo, stats, opts))
    near = near_reviews(left, right, codes, exact, names)
    return assemble(right, codes, exact, names, left, opts.explain, near)


def match_prepared_simple(left: pl.DataFrame, right: pl.DataFrame, opts: Options) -> pl.DataFrame:
    """``match_prepared`` the plain way, the reference the province-scale path must equal: every
    candidate pair of every block (``blocks``, text keys) joined to its features and scored."""
    codes, exact, todo = _codes_and_exact(left, right)
    stats = compute_stats(left, right)
    won = [empty_winners()]
    for pref, lb, rb in blocks(left, todo):
        pairs = candidate_pairs(row_keys(lb), row_keys(rb), opts, both_unknown=pref == "")
        for i in range(0, pairs.height, SCORE_CHUNK):
            won.append(winners(score_pairs(join_features(pairs.slice(i, SCORE_CHUNK), lb, rb), stats, opts)))
    names = decide(pl.concat(won))
    near = near_reviews(left, right, codes, exact, names)
    return assemble(right, codes, exact, names, left, opts.explain, near)


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
