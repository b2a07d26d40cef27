"""A labelled generator of realistic registry / source list pairs for tests and benchmarks.

Every source row carries its truth (the registry row it is, or none) and a slice label naming the
variant it was built with, so quality can be reported per variant. Deterministic for a given seed.
Hard negatives are built on purpose: branches of registry firms, the same 字号 and trade in another
county, the same 字号 in another trade, and near-identical names with a different valid USCC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache, lru_cache

import polars as pl

from linkage.codes import USCC_ALPHABET, org_check_char, uscc_check_char
from linkage.regions import PREFECTURES, county_code, short_name
from linkage.vocab import LOOKALIKE

ZH_CHARS = (
    "宏鸿达华兴盛昌隆顺发祥瑞福利源鑫金永恒泰丰和通远新大天佳美嘉中正精诚信德立高安康乐凯创联宇星辉明东南"
    "海江龙凤飞腾伟光亚欧博豪威力科捷速万协益众合春晨阳洋林森山川晶辰旺荣润茂成晟昊俊杰雄锦宝玉王聚群友本"
    "未士人太贝日木休明晴佳住祥样富汇银鹏程航舟帆翔云峰岭湖泉溪石磊晓亮旭升浩瀚润泽泓洁清雅宁静雪梅兰竹菊"
)
TRADE_POOL = (
    "电子",
    "机械",
    "塑料制品",
    "模具",
    "汽车配件",
    "五金",
    "阀门",
    "服装",
    "鞋业",
    "眼镜",
    "家具",
    "建材",
    "贸易",
    "商贸",
    "物流",
    "快递",
    "餐饮",
    "食品",
    "水产",
    "医药",
    "化工",
    "包装",
    "印刷",
    "科技",
    "网络科技",
    "信息技术",
    "文化传媒",
    "装饰工程",
    "建筑工程",
    "物业管理",
    "劳务",
    "家政",
    "保安",
    "咨询",
    "广告",
    "超市",
    "汽修",
    "缝纫机",
    "卫浴",
    "管业",
    "工艺品",
    "水泵",
    "电器",
    "灯具",
    "茶叶",
    "农业",
    "机电",
    "纺织",
    "制衣",
)
COMPANY_FORMS = ("有限公司", "有限责任公司", "股份有限公司")
SHOP_FORMS = ("店", "经营部", "商行", "商店")
ROADS = "解放人民中山建设文化劳动新华东风青年光明和平胜利环城工业开发世纪迎宾府前江滨长江黄河"


@dataclass
class Firm:
    """One legal entity as the generator knows it."""

    pref: str
    county: str
    zh: str
    trade: str
    form: str
    uscc: str
    address: str
    headcount: int
    branch: str = ""


@dataclass
class Dataset:
    """A generated pair of lists and the truth: ``truth[i]`` is the registry row (1-based) of source row
    i+1 or None; ``slices[i]`` names the variant; ``code_slices[i]`` the code variant."""

    registry: pl.DataFrame
    source: pl.DataFrame
    truth: list[int | None]
    slices: list[str]
    code_slices: list[str]


@lru_cache(maxsize=1)
def _homophones() -> dict[str, list[str]]:
    from pypinyin import lazy_pinyin

    common = set(ZH_CHARS) | set("洪红虹弘泓舜顺瞬鑫新欣心馨信兴星杏幸华化桦骅达答大发法伐祥翔详想享")
    by_py: dict[str, list[str]] = {}
    for c in sorted(common):
        by_py.setdefault(lazy_pinyin(c)[0], []).append(c)
    return {c: [o for o in by_py[lazy_pinyin(c)[0]] if o != c] for c in ZH_CHARS}


@lru_cache(maxsize=1)
def _counties() -> tuple[tuple[str, str], ...]:
    return tuple((pref, county) for pref, (_c, counties) in PREFECTURES.items() for county in counties)


@cache
def _county_code(county: str) -> str:
    return county_code(county) or "330000"


@cache
def _short(full: str) -> str:
    return short_name(full)


class _Codes:
    def __init__(self, rng: random.Random) -> None:
        self.n = rng.randrange(10**7)

    def new(self, county: str, rng: random.Random) -> str:
        self.n += 1
        body = f"{(self.n * 48271 + 12345) % 10**8:08d}"
        if rng.random() < 0.2:  # some bodies carry letters, as MA-series codes do
            body = "MA" + "".join(rng.choice(USCC_ALPHABET[:10] + "ABCDEFGH") for _ in range(4)) + body[6:]
        org = body + org_check_char(body)
        first17 = "91" + _county_code(county) + org
        return first17 + uscc_check_char(first17)


def _zh(rng: random.Random) -> str:
    k = rng.choices((2, 3, 4), weights=(70, 25, 5))[0]
    # Zipf-like preference for the first characters of the pool, as real 字号 favour 华/达/兴
    return "".join(ZH_CHARS[int(len(ZH_CHARS) * rng.random() ** 1.6)] for _ in range(k))


def _form(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.62:
        return "有限公司"
    if r < 0.72:
        return "有限责任公司"
    if r < 0.76:
        return "股份有限公司"
    if r < 0.90:
        return rng.choice(SHOP_FORMS)
    if r < 0.97:
        return "厂"
    return "个人独资企业"


def _new_firm(rng: random.Random, codes: _Codes, place: tuple[str, str] | None = None) -> Firm:
    pref, county = place or rng.choice(_counties())
    trade = TRADE_POOL[int(len(TRADE_POOL) * rng.random() ** 1.8)]
    road = rng.randrange(0, len(ROADS) - 1, 2)
    address = f"{_short(county)}{rng.choice('东南西北中新')}{ROADS[road : road + 2]}路{rng.randrange(1, 999)}号"
    return Firm(
        pref,
        county,
        _zh(rng),
        trade,
        _form(rng),
        codes.new(county, rng),
        address,
        max(1, int(rng.lognormvariate(2.3, 1.1))),
    )


def _prefix(f: Firm, style: int) -> str:
    ps, cs = _short(f.pref), _short(f.county)
    return ("", f.pref + f.county, ps + cs, cs, f.pref, ps, "浙江", "浙江省" + f.pref)[style]


def render(f: Firm, style: int, form: str | None = None, bracket: str = "") -> str:
    """The name of ``f`` with region prefix ``style`` (0-7) and an optional bracketed region."""
    form = form or f.form
    inner = f.zh + f.trade + (bracket if bracket else "") + form
    name = _prefix(f, style) + inner
    return name + f.branch


_FULL = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz()"}


def _fullwidth(s: str, rng: random.Random) -> str:
    out = "".join(_FULL.get(c, c) for c in s)
    i = rng.randrange(1, max(2, len(out)))
    return out[:i] + "\u3000" + out[i:]


@lru_cache(maxsize=1)
def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2t")


def _traditional(s: str) -> str:
    conv = _s2t()
    return str(conv.convert(s))  # type: ignore[attr-defined]


def _typo(zh: str, rng: random.Random, kind: str) -> str:
    idx = list(range(len(zh)))
    rng.shuffle(idx)
    for i in idx:
        c = zh[i]
        if kind == "homophone":
            alts = _homophones().get(c, [])
            if alts:
                return zh[:i] + rng.choice(alts) + zh[i + 1 :]
        elif c in LOOKALIKE:
            return zh[:i] + LOOKALIKE[c] + zh[i + 1 :]
    return ""


def _code_variant(code: str, rng: random.Random) -> tuple[str, str, str]:
    """(uscc cell, org cell, label)"""
    r = rng.random()
    if r < 0.30:
        return code, "", "code_clean"
    if r < 0.40:
        return code.lower(), "", "code_lower"
    if r < 0.48:
        return "".join(_FULL.get(c, c) for c in code), "", "code_fullwidth"
    if r < 0.56:
        return f" {code[:6]} {code[6:12]} {code[12:]} ", "", "code_spaces"
    if r < 0.66:
        i = rng.randrange(18)
        bad = code[:i] + rng.choice([c for c in USCC_ALPHABET if c != code[i]]) + code[i + 1 :]
        return bad, "", "code_bad_check"
    if r < 0.72:
        return "", f"{code[8:16]}-{code[16]}", "code_org_only"
    return "", "", "code_missing"


def _county_cell(f: Firm, rng: random.Random, p_missing: float) -> str:
    if rng.random() < p_missing:
        return ""
    return rng.choice((f.county, f.pref + f.county, _short(f.county)))


NAME_VARIANTS = (
    "exact",
    "region_prefix",
    "legal_form",
    "brackets",
    "traditional",
    "fullwidth",
    "typo_homophone",
    "typo_lookalike",
    "shop_form",
)


def generate(n_registry: int, n_source: int, seed: int = 1) -> Dataset:
    """Generate a registry of ``n_registry`` rows and a source list of ``n_source`` rows.

    About 65 % of source rows are registry firms under a name variant, 20 % are new firms and 15 %
    are hard negatives. Guarantees: every label in ``slices`` is one of ``NAME_VARIANTS`` or a
    ``neg_*`` / ``new`` label; truths point at existing registry rows."""
    rng = random.Random(seed)
    codes = _Codes(rng)
    firms: list[Firm] = []
    while len(firms) < n_registry:
        r = rng.random()
        if firms and r < 0.04:  # same 字号 and trade in another county
            src = rng.choice(firms)
            f = _new_firm(rng, codes)
            f.zh, f.trade = src.zh, src.trade
        elif firms and r < 0.07:  # same 字号, another trade, same county
            src = rng.choice(firms)
            f = _new_firm(rng, codes, (src.pref, src.county))
            f.zh = src.zh
        elif firms and r < 0.11 and firms[-1].form in COMPANY_FORMS and not firms[-1].branch:
            src = firms[-1]  # a branch of the previous firm, registered separately
            place = rng.choice(_counties())
            f = _new_firm(rng, codes, place)
            f.zh, f.trade, f.form = src.zh, src.trade, src.form
            f.branch = _short(place[1]) + rng.choice(("分公司", "分公司", "分店", "营业部", "办事处"))
        else:
            f = _new_firm(rng, codes)
        firms.append(f)
    styles = [rng.choice((0, 0, 1, 2, 3, 4, 5)) for _ in firms]
    reg_rows = []
    with_uscc: list[int] = []
    for i, (f, st) in enumerate(zip(firms, styles, strict=True)):
        r = rng.random()
        if r < 0.85:
            with_uscc.append(i)
        uscc = f.uscc if r < 0.85 else ""
        org = f"{f.uscc[8:16]}-{f.uscc[16]}" if 0.85 <= r < 0.90 else ""
        reg_rows.append(
            {
                "单位名称": render(f, st),
                "统一社会信用代码": uscc,
                "组织机构代码": org,
                "所属区县": _county_cell(f, rng, 0.1),
                "单位地址": f.address if rng.random() < 0.7 else "",
                "职工人数": str(f.headcount) if rng.random() < 0.5 else "",
            }
        )
    registry = _frame(reg_rows)

    src_rows: list[dict[str, str]] = []
    truth: list[int | None] = []
    slices: list[str] = []
    code_slices: list[str] = []
    used: set[int] = set()
    candidates = list(range(len(firms)))
    rng.shuffle(candidates)
    cursor = 0
    while len(src_rows) < n_source:
        r = rng.random()
        if r < 0.65 and cursor < len(candidates):
            i = candidates[cursor]
            cursor += 1
            used.add(i)
            f = firms[i]
            name, label = _name_variant(f, styles[i], rng)
            if not name:
                continue
            uscc_cell, org_cell, clabel = _code_variant(f.uscc, rng)
            t: int | None = i + 1
            g = f
        elif r < 0.85:
            g = _new_firm(rng, codes)
            name, label, t = render(g, rng.randrange(8)), "new", None
            uscc_cell, org_cell, clabel = _code_variant(g.uscc, rng)
        else:
            src = firms[rng.randrange(len(firms))]
            # "different valid USCCs, similar names" needs a registry firm that shows its USCC
            neg, label = _hard_negative(src, firms[rng.choice(with_uscc)], rng, codes)
            if neg is None:
                continue
            g = neg
            name, t = render(g, rng.randrange(8)), None
            if label == "neg_typo_other_uscc":
                uscc_cell, org_cell, clabel = g.uscc, "", "code_clean"
            else:
                uscc_cell, org_cell, clabel = _code_variant(g.uscc, rng)
        addr = g.address if rng.random() < 0.8 else ""
        if addr and rng.random() < 0.3:
            addr = _prefix(g, rng.choice((1, 2))) + addr[len(_short(g.county)) :]
        head = g.headcount if rng.random() < 0.7 else max(1, g.headcount + rng.randint(-3, 3))
        src_rows.append(
            {
                "企业名称": name,
                "社会信用代码": uscc_cell,
                "组织机构代码": org_cell,
                "区县": _county_cell(g, rng, 0.15),
                "地址": addr,
                "参保人数": str(head),
            }
        )
        truth.append(t)
        slices.append(label)
        code_slices.append(clabel)
    source = _frame(src_rows)
    return Dataset(registry, source, truth, slices, code_slices)


def _frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    """All-text frame of ``rows`` built column by column (a list of millions of dicts is slow to convert)."""
    cols = list(rows[0])
    return pl.DataFrame({c: [r[c] for r in rows] for c in cols}, schema=dict.fromkeys(cols, pl.Utf8))


def _name_variant(f: Firm, style: int, rng: random.Random) -> tuple[str, str]:
    label = rng.choices(NAME_VARIANTS, weights=(24, 16, 12, 8, 8, 6, 7, 5, 10))[0]
    if label == "shop_form" and f.form not in SHOP_FORMS:
        label = "legal_form"
    if label == "legal_form" and f.form not in COMPANY_FORMS:
        label = "exact"
    other = rng.choice([s for s in range(8) if s != style])
    if label == "exact":
        return render(f, style), label
    if label == "region_prefix":
        return render(f, other), label
    if label == "legal_form":
        return render(f, style, form=rng.choice([x for x in COMPANY_FORMS if x != f.form])), label
    if label == "shop_form":
        return render(f, style, form=rng.choice([x for x in SHOP_FORMS if x != f.form])), label
    if label == "brackets":
        b = rng.choice(("（{}）", "({})", "【{}】")).format(_short(f.pref))
        return render(f, rng.choice((0, 3)), bracket=b), label
    if label == "traditional":
        return _traditional(render(f, style)), label
    if label == "fullwidth":
        return _fullwidth(render(f, style), rng), label
    kind = "homophone" if label == "typo_homophone" else "lookalike"
    zh = _typo(f.zh, rng, kind)
    if not zh:
        return render(f, style), "exact"
    g = Firm(f.pref, f.county, zh, f.trade, f.form, f.uscc, f.address, f.headcount, f.branch)
    return render(g, style), label


def _hard_negative(src: Firm, coded: Firm, rng: random.Random, codes: _Codes) -> tuple[Firm | None, str]:
    r = rng.random()
    if r < 0.3:
        if src.branch or src.form not in COMPANY_FORMS:
            return None, ""
        place = rng.choice(_counties())
        g = _new_firm(rng, codes, place)
        g.zh, g.trade, g.form = src.zh, src.trade, src.form
        g.branch = _short(place[1]) + rng.choice(("分公司", "分店", "营业部", "办事处"))
        return g, "neg_branch"
    if r < 0.55:
        g = _new_firm(rng, codes, rng.choice([c for c in _counties() if c[1] != src.county]))
        g.zh, g.trade, g.form = src.zh, src.trade, src.form
        return g, "neg_other_county"
    if r < 0.75:
        g = _new_firm(rng, codes, (src.pref, src.county))
        g.zh, g.form = src.zh, src.form
        if g.trade == src.trade:
            return None, ""
        return g, "neg_other_trade"
    zh = _typo(coded.zh, rng, rng.choice(("homophone", "lookalike")))
    if not zh:
        return None, ""
    g = _new_firm(rng, codes, (coded.pref, coded.county))
    g.zh, g.trade, g.form, g.branch = zh, coded.trade, coded.form, coded.branch
    return g, "neg_typo_other_uscc"
