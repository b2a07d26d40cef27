"""Cleaning: raw enterprise rows -> comparable features, as Polars expressions (row-wise, so any
partition of the rows cleans to the same features).

Output columns of ``prepare``:
``row`` (1-based), ``name_norm`` (NFKC, simplified, upper, no punctuation, region brackets removed),
``core`` (字号+行业, region and legal form stripped), ``zh`` (字号, with the branch appended for a branch
and the name's region prefixed for a business without 字号), ``trade`` (行业), ``form`` (legal-form
class), ``branch`` (branch qualifier+marker, "" for a head office; regions in short form), ``county``/``pref`` (canonical, ""
unknown), ``uscc``/``org`` (valid codes only, "" otherwise), ``zh_py``/``branch_py`` (fuzzy pinyin of
字号 and branch), ``addr``,
``headcount``.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from linkage.codes import USCC_ALPHABET
from linkage.regions import alias_table, region_pattern, short_name
from linkage.vocab import BRANCH_MARKERS, COMPANY_FORMS, FORMS, GENERIC_WORDS, PARENT_MARKERS, TRADES, alternation

FEATURES: tuple[str, ...] = (
    "row",
    "name_norm",
    "core",
    "zh",
    "trade",
    "form",
    "branch",
    "county",
    "pref",
    "uscc",
    "org",
    "zh_py",
    "branch_py",
    "addr",
    "headcount",
)


@lru_cache(maxsize=1)
def t2s_phrases() -> dict[str, str]:
    """Traditional spellings of vocabulary words whose simplified form is not char-by-char
    (家俱 → 家具), so the trade and legal-form lists recognise them."""
    import opencc

    cc = opencc.OpenCC("s2t")
    tw = opencc.OpenCC("s2tw")
    out: dict[str, str] = {}
    for w in (*TRADES, *FORMS, *BRANCH_MARKERS, *PARENT_MARKERS, *GENERIC_WORDS):
        for conv in (cc, tw):
            t = conv.convert(w)
            simple = "".join(t2s_map().get(c, c) for c in t)
            if simple != w:
                out[simple] = w
    return out


@lru_cache(maxsize=1)
def t2s_map() -> dict[str, str]:
    """Traditional -> simplified, one character to one character (from OpenCC's t2s tables)."""
    import opencc

    cc = opencc.OpenCC("t2s")
    out: dict[str, str] = {}
    for i in range(0x3400, 0xA000):
        c = chr(i)
        s = cc.convert(c)
        if s != c and len(s) == 1:
            out[c] = s
    return out


_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))


def fuzzy_syllable(py: str) -> str:
    """Fold the distinctions Wu and other southern speakers blur (zh/z, ch/c, sh/s, -ng/-n), so
    that 鸿/宏, 顺/舜 and 成/陈 share a key."""
    for a, b in _FUZZY_INITIALS:
        if py.startswith(a):
            py = b + py[2:]
            break
    if py.endswith("ng") and len(py) > 2:
        py = py[:-1]
    return py


@lru_cache(maxsize=1)
def pinyin_map() -> dict[str, str]:
    """CJK character -> fuzzy toneless pinyin syllable (most common reading)."""
    from pypinyin import lazy_pinyin

    chars = [chr(i) for i in range(0x4E00, 0x9FA6)]
    out: dict[str, str] = {}
    for c in chars:
        py = lazy_pinyin(c)
        if py and py[0] != c:
            out[c] = fuzzy_syllable(py[0])
    return out


def _code_norm(col: str) -> pl.Expr:
    return pl.col(col).fill_null("").str.normalize("NFKC").str.replace_all(r"[\s\-_.·/]+", "").str.to_uppercase()


_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_VALUE = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_valid_expr(code: pl.Expr) -> pl.Expr:
    """Vectorised GB 32100 check (same answer as ``codes.is_valid_uscc`` on a normalised code)."""
    total = pl.lit(0, dtype=pl.Int64)
    for i, w in enumerate(_USCC_WEIGHTS):
        total = total + code.str.slice(i, 1).replace_strict(_USCC_VALUE, default=None, return_dtype=pl.Int64) * w
    check = code.str.slice(17, 1).replace_strict(_USCC_VALUE, default=None, return_dtype=pl.Int64)
    ok = (
        (code.str.len_chars() == 18)
        & code.str.contains(r"^[0-9A-HJ-NP-RT-UW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RT-UW-Y]{10}$")
        & (((31 - total % 31) % 31) == check)
    )
    return ok.fill_null(False)


def org_valid_expr(code: pl.Expr) -> pl.Expr:
    """Vectorised GB 11714 check (same answer as ``codes.is_valid_org_code`` on a normalised code)."""
    total = pl.lit(0, dtype=pl.Int64)
    for i, w in enumerate(_ORG_WEIGHTS):
        total = total + code.str.slice(i, 1).replace_strict(_ORG_VALUE, default=None, return_dtype=pl.Int64) * w
    chk = 11 - total % 11
    expected = pl.when(chk == 10).then(pl.lit("X")).when(chk == 11).then(pl.lit("0")).otherwise(chk.cast(pl.Utf8))
    ok = code.str.contains(r"^[0-9A-Z]{8}[0-9X]$") & (expected == code.str.slice(8, 1))
    return ok.fill_null(False)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, str]:
    reg = region_pattern()
    forms = alternation(list(FORMS))
    return {
        "reg": reg,
        "bracket_region": rf"\((?:{reg})+\)",
        "marker": rf"({alternation([*BRANCH_MARKERS, *PARENT_MARKERS])})$",
        "branch_only": rf"^(?:{alternation(BRANCH_MARKERS)})$",
        "parent_qual": rf"^(.*?(?:{alternation(COMPANY_FORMS)}))(.*)$",
        "trail_region": rf"^(.+?)((?:{reg})*)$",
        "lead_region": rf"^((?:{reg})+)",
        "form": rf"((?:{forms}))$",
        "group_form": r"集团$",
        "trade": rf"^(.+?)((?:{alternation(TRADES)})+)$",
        "generic": rf"^(?:{alternation([*TRADES, *GENERIC_WORDS])})+$",
    }


@lru_cache(maxsize=1)
def _region_short_forms() -> tuple[list[str], list[str]]:
    """Full division names and their short forms (台州市 → 台州), for comparing branch qualifiers."""
    full = sorted((a for a in alias_table() if short_name(a) != a), key=lambda a: (-len(a), a))
    return full, [short_name(a) for a in full]


def _resolve_regions(text: str) -> tuple[str, str]:
    """(county, prefecture) implied by a string of region aliases; the most specific wins."""
    import re

    table = alias_table()
    county = pref = ""
    for m in re.finditer(_patterns()["reg"], text):
        level, c, p = table[m.group(0)]
        if level == "county":
            county, pref = c, p
        elif level == "prefecture" and not county:
            pref = p
    return county, pref


def _region_lookup(values: pl.Series) -> tuple[dict[str, str], dict[str, str]]:
    counties: dict[str, str] = {}
    prefs: dict[str, str] = {}
    for v in values.unique().drop_nulls().to_list():
        counties[v], prefs[v] = _resolve_regions(v)
    return counties, prefs


def normalize_name_expr(col: pl.Expr) -> pl.Expr:
    """NFKC, traditional -> simplified, upper case, brackets of every width unified, punctuation
    and spaces removed, bracketed region names such as （台州） dropped, other brackets flattened."""
    t2s = t2s_map()
    phrases = t2s_phrases()
    pats = _patterns()
    return (
        col.fill_null("")
        .str.normalize("NFKC")
        .str.replace_many(list(t2s), list(t2s.values()))
        .str.replace_many(list(phrases), list(phrases.values()))
        .str.to_uppercase()
        .str.replace_all(r"[【〔［\[{〈《]", "(")
        .str.replace_all(r"[】〕］\]}〉》]", ")")
        .str.replace_all(r"[^\p{Han}A-Z0-9()]", "")
        .str.replace_all(pats["bracket_region"], "")
        .str.replace_all(r"[()]", "")
    )


def prepare(df: pl.DataFrame) -> pl.DataFrame:
    """Clean a standardized frame (canonical columns, see ``schema.standardize``) plus an integer
    ``row`` column into the ``FEATURES`` columns. Row-wise and deterministic."""
    pats = _patterns()
    pmap = pinyin_map()
    out = df.lazy().with_columns(name_norm=normalize_name_expr(pl.col("name")))
    # branch: "<parent with legal form><qualifier><marker>"; the qualifier (often a county) is kept
    out = out.with_columns(marker=pl.col("name_norm").str.extract(pats["marker"], 1).fill_null(""))
    # a parent marker (经营部, 加油站, 营业厅 …) names a branch only after a company form
    head = pl.col("name_norm").str.slice(0, pl.col("name_norm").str.len_chars() - pl.col("marker").str.len_chars())
    out = out.with_columns(
        marker=pl.when(pl.col("marker").str.contains(pats["branch_only"]) | head.str.contains(pats["parent_qual"]))
        .then(pl.col("marker"))
        .otherwise(pl.lit(""))
    )
    out = out.with_columns(
        body=pl.when(pl.col("marker") != "")
        .then(pl.col("name_norm").str.slice(0, pl.col("name_norm").str.len_chars() - pl.col("marker").str.len_chars()))
        .otherwise(pl.col("name_norm"))
    )
    # each regex runs once, into a struct column, however many fields are read from it
    out = out.with_columns(
        pq=pl.col("body").str.extract_groups(pats["parent_qual"]),
        tr=pl.col("body").str.extract_groups(pats["trail_region"]),
    )
    pq, tr = pl.col("pq"), pl.col("tr")
    out = out.with_columns(
        parent=pl.when(pl.col("marker") == "")
        .then(pl.col("body"))
        .when(pq.struct.field("1").is_not_null())
        .then(pq.struct.field("1"))
        .otherwise(tr.struct.field("1").fill_null(pl.col("body"))),
        qual=pl.when(pl.col("marker") == "")
        .then(pl.lit(""))
        .when(pq.struct.field("1").is_not_null())
        .then(pq.struct.field("2"))
        .otherwise(tr.struct.field("2").fill_null("")),
    )
    full, short = _region_short_forms()
    out = out.with_columns(
        branch=pl.when(pl.col("marker") == "")
        .then(pl.lit(""))
        .otherwise(
            pl.col("qual").str.replace_many(full, short, leftmost=True).str.replace(r"(?:市|区|县)$", "")
            + pl.col("marker")
        ),
        # the branch qualifier places a branch (…有限公司黄岩分公司 is in 黄岩)
        name_region=pl.col("parent").str.extract(pats["lead_region"], 1).fill_null("")
        + pl.col("qual").str.extract(pats["lead_region"], 1).fill_null(""),
        p1=pl.col("parent").str.replace(pats["lead_region"], ""),
    )
    out = out.with_columns(p1=pl.when(pl.col("p1") == "").then(pl.col("parent")).otherwise(pl.col("p1")))
    out = out.with_columns(form_raw=pl.col("p1").str.extract(pats["form"], 1).fill_null(""))
    out = out.with_columns(
        p2=pl.col("p1")
        .str.slice(0, pl.col("p1").str.len_chars() - pl.col("form_raw").str.len_chars())
        .str.replace(pats["group_form"], "")
    )
    out = out.with_columns(p2=pl.when(pl.col("p2") == "").then(pl.col("p1")).otherwise(pl.col("p2")))
    # region words between 字号 and legal form: 宏达电子台州有限公司
    tr2 = pl.col("p2").str.extract_groups(pats["trail_region"])
    out = out.with_columns(core=tr2.struct.field("1").fill_null(pl.col("p2")))
    td = pl.col("core").str.extract_groups(pats["trade"])
    out = out.with_columns(
        zh=td.struct.field("1").fill_null(pl.col("core")),
        trade=td.struct.field("2").fill_null(""),
        form=pl.col("form_raw").replace_strict(FORMS, default=""),
    )
    # codes: either column may hold a USCC or a 9-character organisation code
    out = out.with_columns(u1=_code_norm("uscc"), o1=_code_norm("org_code"))
    out = out.with_columns(
        addr_norm=normalize_name_expr(pl.col("address")),
    ).with_columns(addr_region=pl.col("addr_norm").str.extract(pats["lead_region"], 1).fill_null(""))
    collected = out.collect()
    # codes: each distinct code is checked once (a check reads its code 18 times)
    u1, o1 = pl.col("u1"), pl.col("o1")
    codes = pl.concat([collected["u1"], collected["o1"]]).unique().to_frame("v").filter(pl.col("v") != "")
    checked = codes.with_columns(us=uscc_valid_expr(pl.col("v")), og=org_valid_expr(pl.col("v")))
    good_uscc, good_org = checked.filter("us")["v"], checked.filter("og")["v"]
    collected = collected.with_columns(
        uscc=pl.when(u1.is_in(good_uscc)).then(u1).when(o1.is_in(good_uscc)).then(o1).otherwise(pl.lit("")),
        org_alt=pl.when(u1.is_in(good_org)).then(u1).when(o1.is_in(good_org)).then(o1).otherwise(pl.lit("")),
    )
    collected = collected.with_columns(
        org=pl.when(pl.col("uscc") != "").then(pl.col("uscc").str.slice(8, 9)).otherwise(pl.col("org_alt"))
    )
    county_src = collected["county"].fill_null("").str.normalize("NFKC").str.replace_all(r"\s", "")
    c_map, p_map = _region_lookup(pl.concat([county_src, collected["name_region"], collected["addr_region"]]))
    collected = collected.with_columns(
        c_col=county_src.replace_strict(c_map, default=""),
        p_col=county_src.replace_strict(p_map, default=""),
        c_addr=pl.col("addr_region").replace_strict(c_map, default=""),
        p_addr=pl.col("addr_region").replace_strict(p_map, default=""),
        c_name=pl.col("name_region").replace_strict(c_map, default=""),
        p_name=pl.col("name_region").replace_strict(p_map, default=""),
    )
    # where the firm is: the county column, else the address, else the name's region prefix
    collected = collected.with_columns(
        county=pl.when(pl.col("c_col") != "")
        .then(pl.col("c_col"))
        .when(pl.col("p_col") != "")
        .then(
            pl.when(pl.col("p_addr") == pl.col("p_col"))
            .then(pl.col("c_addr"))
            .when(pl.col("p_name") == pl.col("p_col"))
            .then(pl.col("c_name"))
            .otherwise(pl.lit(""))
        )
        .when(pl.col("c_addr") != "")
        .then(pl.col("c_addr"))
        .when((pl.col("p_addr") == "") | (pl.col("p_name") == pl.col("p_addr")))
        .then(pl.col("c_name"))
        .otherwise(pl.lit("")),
        pref=pl.when(pl.col("p_col") != "")
        .then(pl.col("p_col"))
        .when(pl.col("p_addr") != "")
        .then(pl.col("p_addr"))
        .otherwise(pl.col("p_name")),
    )
    # a business without 字号 (台州市保安服务公司) is told apart by its region only: the region joins the 字号;
    # a branch is told apart from its parent and siblings by its qualifier: the branch joins the 字号
    region_key = (
        pl.when(pl.col("c_name") != "")
        .then(pl.col("c_name"))
        .when(pl.col("p_name") != "")
        .then(pl.col("p_name"))
        .otherwise(pl.col("name_region").str.replace_many(full, short, leftmost=True))
    )
    collected = collected.with_columns(
        zh=pl.when(pl.col("core").str.contains(pats["generic"])).then(region_key + pl.col("zh")).otherwise(pl.col("zh"))
        + pl.col("branch")
    )
    # pinyin per distinct 字号 through a dict: cheaper than an automaton over 20k characters
    values = pl.concat([collected["zh"], collected["branch"]]).unique().to_list()
    py = {z: "".join(pmap.get(c, c) for c in z) for z in values}
    collected = collected.with_columns(
        zh_py=pl.col("zh").replace_strict(py, return_dtype=pl.Utf8),
        branch_py=pl.col("branch").replace_strict(py, return_dtype=pl.Utf8),
    )
    # every feature but the first (row) and the last two (addr, headcount), which are finished here
    return collected.select(
        pl.col("row").cast(pl.Int64),
        *FEATURES[1:-2],
        addr=pl.col("addr_norm").str.replace(pats["lead_region"], ""),
        headcount=pl.col("headcount").str.strip_chars().str.replace(r"\.0+$", "").cast(pl.Int64, strict=False),
    )
