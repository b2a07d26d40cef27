"""A labelled test bed of real-world Chinese firm-name SHAPES (written from the naming rules, not taken
from any data set): branches of national and provincial firms at every level, province-level firms,
个体工商户 and 厂/店/经营部/商行 names, names without a 字号, names that begin with their 字号, 合伙 /
个人独资 / 股份合作制 forms, old-style 公司-only names and bracketed regions in the middle.

Source rows carry another department's usual variants: code present / absent / mistyped (check digit
fails) / organisation code only, county known / unknown, homophone slips inside the name, traditional
characters, full width, brackets, odd whitespace. Hard negatives are built per shape (a sibling branch,
the same generic business of another county, a 字号 one character off in another county or in the
firm's own county with no code, a valid organisation code shared with an unrelated firm).

``Dataset.slices`` holds the shape of each source row (``neg_*`` for negatives, ``new`` for firms
absent from the registry); ``Dataset.code_slices`` holds the variant, as ``<name variant>/<code
variant>/<county variant>``. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from linkage.clean import pinyin_map
from linkage.codes import USCC_ALPHABET, org_check_char, uscc_check_char
from linkage.regions import PREFECTURES, county_code, short_name
from linkage.synth import ZH_CHARS, Dataset, _homophones, _traditional
from linkage.vocab import LOOKALIKE

SHAPES: tuple[str, ...] = (
    "plain",
    "bank_branch",
    "petrol_station",
    "mobile_hall",
    "insurance_branch",
    "firm_branch",
    "province_firm",
    "individual",
    "no_zihao",
    "zihao_first",
    "partnership",
    "old_style",
    "bracket_middle",
)
NAME_VARIANTS: tuple[str, ...] = (
    "exact",
    "traditional",
    "fullwidth",
    "whitespace",
    "brackets",
    "homophone",
    "legal_form",
)
BANKS = ("中国工商银行股份有限公司", "中国农业银行股份有限公司", "中国建设银行股份有限公司", "中国银行股份有限公司")
TRADES = ("电子", "机械", "五金", "服饰", "塑料制品", "汽车配件", "贸易", "食品", "建材", "科技", "阀门", "眼镜")
SHOP_TRADES = ("五金", "服装", "日用品", "水果", "小吃", "建材", "烟酒", "家电", "汽修", "粮油", "茶叶", "百货")
GENERIC = (
    "保安服务",
    "自来水",
    "城市建设投资集团",
    "交通投资集团",
    "市政工程",
    "粮食收储",
    "公共交通",
    "国有资产经营",
    "旅游发展",
    "水利建设",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国文斌辉志红春梅海波"
_FULL = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz()"}
_FULL["（"] = "（"


@dataclass
class Shaped:
    """One registered firm: its registered name, the span of its 字号 inside the name (for homophone
    slips), where it is and its code."""

    shape: str
    name: str
    zh: str
    pref: str
    county: str
    uscc: str
    company: bool


def _places() -> list[tuple[str, str]]:
    return [(p, c) for p, (_code, cs) in PREFECTURES.items() for c in cs]


class _Codes:
    def __init__(self, rng: random.Random) -> None:
        self.n = rng.randrange(10**7)

    def new(self, county: str) -> str:
        self.n += 1
        body = f"{(self.n * 69621 + 7) % 10**8:08d}"
        return self.with_org(county, body + org_check_char(body))

    @staticmethod
    def with_org(county: str, org: str) -> str:
        first17 = "92" + (county_code(county) or "330000") + org
        return first17 + uscc_check_char(first17)


def _zh(rng: random.Random, k: int | None = None) -> str:
    k = k or rng.choices((2, 3, 4), weights=(70, 25, 5))[0]
    return "".join(ZH_CHARS[int(len(ZH_CHARS) * rng.random() ** 1.3)] for _ in range(k))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _build(shape: str, rng: random.Random, place: tuple[str, str]) -> tuple[str, str, bool, tuple[str, ...]]:
    """(registered name, 字号 inside it or "", whether the name carries a company form, identity)

    The identity is what registration keeps unique: two names with one identity are one firm written
    two ways (台州市黄岩区支行 / 黄岩支行), so the generator never registers both."""
    name, zh, company, key = _build_named(shape, rng, place)
    return name, zh, company, key


def _build_named(shape: str, rng: random.Random, place: tuple[str, str]) -> tuple[str, str, bool, tuple[str, ...]]:
    pref, county = place
    ps, cs = short_name(pref), short_name(county)
    zh = _zh(rng)
    trade = rng.choice(TRADES)
    co = ("co", zh + trade, pref)
    if shape == "plain":
        head = rng.choice((pref + county, ps + cs, cs, pref, ps))
        return f"{head}{zh}{trade}{rng.choice(('有限公司', '有限公司', '有限责任公司'))}", zh, True, co
    if shape == "bank_branch":
        bank = rng.choice(BANKS)
        level = rng.random()
        if level < 0.45:
            return f"{bank}{rng.choice((ps + cs, pref + county, cs))}支行", "", False, (bank, county)
        if level < 0.6:
            return f"{bank}{ps}分行", "", False, (bank, pref)
        spot, marker = _zh(rng, 2), rng.choice(("分理处", "支行", "营业部"))
        return f"{bank}{ps}{cs}{spot}{marker}", spot, False, (bank, county, spot)
    if shape == "petrol_station":
        spot = _zh(rng, 2)
        road = rng.choice(("", "路", "大道", "服务区"))
        name = f"中国石化销售股份有限公司浙江{ps}{rng.choice(('', cs))}{spot}{road}加油站"
        return name, spot, False, ("pet", pref, spot)
    if shape == "mobile_hall":
        spot = _zh(rng, 2)
        if rng.random() < 0.2:
            return f"中国移动通信集团浙江有限公司{ps}分公司", "", False, ("mob", pref)
        return f"中国移动通信集团浙江有限公司{ps}{cs}{spot}营业厅", spot, False, ("mob", county, spot)
    if shape == "insurance_branch":
        base = "中国人民财产保险股份有限公司"
        if rng.random() < 0.4:
            return f"{base}{ps}{cs}支公司", "", False, ("ins", county)
        spot = _zh(rng, 2)
        return f"{base}{ps}{cs}支公司{spot}营业部", spot, False, ("ins", county, spot)
    if shape == "firm_branch":
        marker = rng.choice(("分公司", "分公司", "分店", "经营部", "办事处", "代表处"))
        head = rng.choice((ps, pref, "浙江"))
        key = ("fb", "浙江" if head == "浙江" else pref, zh + trade, county, marker)
        return f"{head}{zh}{trade}有限公司{cs}{marker}", zh, True, key
    if shape == "province_firm":
        r = rng.random()
        if r < 0.5:
            return f"浙江{zh}{trade}有限公司", zh, True, ("co", zh + trade, "浙江")
        if r < 0.75:
            return f"浙江省{zh}集团有限公司", zh, True, ("co", zh + "集团", "浙江")
        return f"浙江省{zh}{trade}集团公司", zh, True, ("co", zh + trade, "浙江")
    if shape == "individual":
        st = rng.choice(SHOP_TRADES)
        r = rng.random()
        if r < 0.3:
            return f"{cs}{zh}{st}{rng.choice(('店', '商行', '经营部'))}", zh, False, ("shop", zh + st, county)
        if r < 0.55:
            who = _person(rng)
            return f"{pref}{county}{who}{st}经营部", "", False, ("shop", who + st, county)
        if r < 0.8:
            return f"{cs}{zh}{trade}厂", zh, False, ("fac", zh + trade, county)
        return f"{ps}{cs}{zh}{st}商行", zh, False, ("shop", zh + st, county)
    if shape == "no_zihao":
        g = rng.choice(GENERIC)
        r = rng.random()
        head = pref if r < 0.25 else rng.choice((county, pref + county))
        nz_key: tuple[str, ...] = ("nz", g, pref if r < 0.25 else county)
        return f"{head}{g}{rng.choice(('公司', '有限公司'))}", "", True, nz_key
    if shape == "zihao_first":
        r = rng.random()
        if r < 0.4:
            return f"{zh}{trade}股份有限公司", zh, True, ("co", zh + trade, "")
        if r < 0.7:
            return f"{zh}控股集团有限公司", zh, True, ("co", zh + "控股", "")
        return f"{zh}{trade}有限公司", zh, True, ("co", zh + trade, "")
    if shape == "partnership":
        r = rng.random()
        if r < 0.35:
            return f"{pref}{zh}{trade}合伙企业（普通合伙）", zh, False, ("pt", zh + trade, pref)
        if r < 0.6:
            return f"{ps}{cs}{zh}{trade}个人独资企业", zh, False, ("pt", zh + trade, pref)
        if r < 0.8:
            return f"{cs}{zh}{trade}厂（股份合作制）", zh, False, ("fac", zh + trade, county)
        return f"{cs}{zh}{trade}股份合作公司", zh, False, ("pt", zh + trade, pref)
    if shape == "old_style":
        name = f"{rng.choice((cs, pref, pref + county))}{zh}{trade}{rng.choice(('公司', '总公司'))}"
        return name, zh, False, co
    if shape == "bracket_middle":
        r = rng.random()
        if r < 0.4:
            return f"{zh}（{ps}）{trade}有限公司", zh, True, ("co", zh + trade, "")
        if r < 0.7:
            return f"{zh}{trade}（浙江）有限公司", zh, True, ("co", zh + trade, "")
        return f"{ps}{zh}（{cs}）{trade}有限公司", zh, True, co
    raise ValueError(shape)


def _pinyin_of(c: str) -> str:
    return pinyin_map().get(c, c)


def _spaces(s: str, rng: random.Random) -> str:
    ws = ("\u3000", " ", "\t", "\u00a0", "  ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(0, len(s) + 1)
        s = s[:i] + rng.choice(ws) + s[i:]
    return s


def _homophone(name: str, zh: str, rng: random.Random) -> str:
    if not zh or zh not in name:
        return ""
    idx = list(range(len(zh)))
    rng.shuffle(idx)
    for i in idx:
        alts = _homophones().get(zh[i], [])
        if alts:
            slipped = zh[:i] + rng.choice(alts) + zh[i + 1 :]
            return name.replace(zh, slipped, 1)
    return ""


def _name_variant(f: Shaped, rng: random.Random) -> tuple[str, str]:
    label = rng.choices(NAME_VARIANTS, weights=(40, 10, 10, 10, 10, 12, 8))[0]
    name = f.name
    if label == "traditional":
        return _traditional(name), label
    if label == "fullwidth":
        out = "".join(_FULL.get(c, c) for c in name)
        return out.replace("(", "（").replace(")", "）"), label
    if label == "whitespace":
        return _spaces(name, rng), label
    if label == "brackets":
        if "（" in name:
            o, c = rng.choice((("(", ")"), ("【", "】"), ("[", "]")))
            return name.replace("（", o).replace("）", c), label
        if f.company and "有限公司" in name and not name.endswith(("分公司", "分店", "经营部", "办事处", "代表处")):
            i = name.index("有限公司")
            return name[:i] + f"({short_name(f.pref)})" + name[i:], label
        return name, "exact"
    if label == "homophone":
        slipped = _homophone(name, f.zh, rng)
        return (slipped, label) if slipped else (name, "exact")
    if label == "legal_form":
        if name.endswith("有限公司") and not name.endswith("股份有限公司"):
            return name[: -len("有限公司")] + "有限责任公司", label
        if name.endswith("有限责任公司"):
            return name[: -len("有限责任公司")] + "有限公司", label
        return name, "exact"
    return name, "exact"


def _mistype(code: str, rng: random.Random) -> str:
    i = rng.randrange(len(code))
    return code[:i] + rng.choice([c for c in USCC_ALPHABET if c != code[i]]) + code[i + 1 :]


def _code_cells(code: str, rng: random.Random) -> tuple[str, str, str]:
    """(uscc cell, org cell, label)"""
    r = rng.random()
    if r < 0.35:
        return (code if rng.random() < 0.8 else code.lower()), "", "code"
    if r < 0.70:
        return "", "", "nocode"
    if r < 0.85:
        return _mistype(code, rng), "", "badcode"
    if r < 0.92:
        return "", f"{code[8:16]}-{code[16]}", "orgonly"
    return "".join(_FULL.get(c, c) for c in code), "", "code"


def _county_cell(f: Shaped, rng: random.Random, p_unknown: float) -> tuple[str, str]:
    if rng.random() < p_unknown:
        return "", "nocounty"
    return rng.choice((f.county, f.pref + f.county, short_name(f.county))), "county"


def generate_shapes(n_registry: int, n_source: int, seed: int = 1) -> Dataset:
    """A registry of about ``n_registry`` firms spread over every shape and a source list of
    ``n_source`` rows: about 72 % registry firms under one variant each, 10 % new firms, 18 % hard
    negatives. Registered names are unique."""
    rng = random.Random(seed)
    codes = _Codes(rng)
    places = _places()
    firms: list[Shaped] = []
    seen: set[str] = set()
    seen_keys: set[tuple[str, ...]] = set()
    weights = (10, 8, 8, 8, 8, 10, 8, 10, 6, 7, 6, 5, 6)
    attempts = 0
    while len(firms) < n_registry and attempts < n_registry * 20:
        attempts += 1
        shape = rng.choices(SHAPES, weights=weights)[0]
        place = rng.choice(places)
        name, zh, company, key = _build(shape, rng, place)
        if name in seen or key in seen_keys:
            continue
        seen.add(name)
        seen_keys.add(key)
        firms.append(Shaped(shape, name, zh, place[0], place[1], codes.new(place[1]), company))
    reg_rows = []
    for f in firms:
        r = rng.random()
        county, _ = _county_cell(f, rng, 0.1)
        reg_rows.append(
            {
                "单位名称": f.name,
                "统一社会信用代码": f.uscc if r < 0.85 else "",
                "组织机构代码": f"{f.uscc[8:16]}-{f.uscc[16]}" if 0.85 <= r < 0.9 else "",
                "所属区县": county,
            }
        )
    registry = pl.DataFrame(reg_rows, schema={k: pl.Utf8 for k in reg_rows[0]})

    src: list[dict[str, str]] = []
    truth: list[int | None] = []
    slices: list[str] = []
    variants: list[str] = []
    order = list(range(len(firms)))
    rng.shuffle(order)
    cursor = 0

    def add(name: str, uscc_cell: str, org_cell: str, county: str, t: int | None, shape: str, var: str) -> None:
        src.append({"企业名称": name, "社会信用代码": uscc_cell, "组织机构代码": org_cell, "区县": county})
        truth.append(t)
        slices.append(shape)
        variants.append(var)

    negatives: list[Callable[[], bool]] = []

    def neg_sibling() -> bool:
        """Another branch of a national firm's branch in the registry (not itself registered)."""
        f = firms[rng.randrange(len(firms))]
        if f.shape not in ("bank_branch", "petrol_station", "mobile_hall", "insurance_branch", "firm_branch"):
            return False
        for _ in range(10):
            place = rng.choice(places)
            name, _zh_, _c, key = _build(f.shape, rng, place)
            if name not in seen and key not in seen_keys:
                seen.add(name)
                seen_keys.add(key)
                g = Shaped(f.shape, name, "", place[0], place[1], codes.new(place[1]), False)
                county, cv = _county_cell(g, rng, 0.4)
                u, o, cl = _code_cells(g.uscc, rng)
                add(name, u, o, county, None, "neg_sibling_branch", f"exact/{cl}/{cv}")
                return True
        return False

    generic = [f for f in firms if f.shape == "no_zihao"]

    def neg_generic_other_county() -> bool:
        """The same generic business (no 字号) of another county, this side's county unknown."""
        if not generic:
            return False
        f = rng.choice(generic)
        g_word = next((g for g in GENERIC if g in f.name), "")
        place = rng.choice([p for p in places if p[1] != f.county])
        for head in (place[1], place[0] + place[1]):
            name = f"{head}{g_word}{'有限公司' if f.name.endswith('有限公司') else '公司'}"
            key = ("nz", g_word, place[1])
            if name not in seen and key not in seen_keys:
                seen.add(name)
                seen_keys.add(key)
                g = Shaped("no_zihao", name, "", place[0], place[1], codes.new(place[1]), True)
                u, o, cl = _code_cells(g.uscc, rng)
                add(name, u, o, "", None, "neg_generic_other_county", f"exact/{cl}/nocounty")
                return True
        return False

    def neg_one_char_other_county() -> bool:
        """The registry firm's name with its 字号 one character off, in another county."""
        f = firms[rng.randrange(len(firms))]
        if len(f.zh) < 2 or f.zh not in f.name or f.shape in ("zihao_first", "bracket_middle", "province_firm"):
            return False
        i = rng.randrange(len(f.zh))
        c = rng.choice([x for x in ZH_CHARS if x != f.zh[i] and x not in _homophones().get(f.zh[i], [])])
        name = f.name.replace(f.zh, f.zh[:i] + c + f.zh[i + 1 :], 1)
        place = rng.choice([p for p in places if p[1] != f.county])
        ps, cs = short_name(f.pref), short_name(f.county)
        nps, ncs = short_name(place[0]), short_name(place[1])
        name = name.replace(f.pref, place[0]).replace(f.county, place[1]).replace(ps, nps).replace(cs, ncs)
        if name in seen:
            return False
        seen.add(name)
        g = Shaped(f.shape, name, "", place[0], place[1], codes.new(place[1]), f.company)
        county, cv = _county_cell(g, rng, 0.5)
        u, o, cl = _code_cells(g.uscc, rng)
        add(name, u, o, county, None, "neg_one_char_other_county", f"exact/{cl}/{cv}")
        return True

    def neg_one_char_same_county() -> bool:
        """The registry firm's name with one 字号 character changed to another (no look-alike, no
        homophone), in the firm's own county and with no code: a near-namesake that the name cannot tell
        from a typo (never a link; the review band may put it up)."""
        f = firms[rng.randrange(len(firms))]
        if len(f.zh) < 2 or f.zh not in f.name:
            return False
        i = rng.randrange(len(f.zh))
        py = _pinyin_of(f.zh[i])
        pool = [x for x in ZH_CHARS if x != f.zh[i] and x not in _homophones().get(f.zh[i], []) and _pinyin_of(x) != py]
        c = rng.choice([x for x in pool if LOOKALIKE.get(x) != f.zh[i] and LOOKALIKE.get(f.zh[i]) != x])
        name = f.name.replace(f.zh, f.zh[:i] + c + f.zh[i + 1 :], 1)
        if name in seen:
            return False
        seen.add(name)
        county, cv = _county_cell(f, rng, 0.3)
        add(name, "", "", county, None, "neg_one_char_same_county", f"exact/nocode/{cv}")
        return True

    def neg_org_collision() -> bool:
        """An unrelated firm whose (valid) organisation code happens to equal a registry firm's."""
        f = firms[rng.randrange(len(firms))]
        place = rng.choice(places)
        name, _zh_, _c, key = _build("plain", rng, place)
        if name in seen or key in seen_keys:
            return False
        seen.add(name)
        seen_keys.add(key)
        county, cv = _county_cell(Shaped("plain", name, "", place[0], place[1], "", True), rng, 0.3)
        add(name, "", f"{f.uscc[8:16]}-{f.uscc[16]}", county, None, "neg_org_collision", f"exact/orgonly/{cv}")
        return True

    negatives = [
        neg_sibling,
        neg_generic_other_county,
        neg_one_char_other_county,
        neg_one_char_same_county,
        neg_org_collision,
    ]
    while len(src) < n_source:
        r = rng.random()
        if r < 0.72 and cursor < len(order):
            i = order[cursor]
            cursor += 1
            f = firms[i]
            name, nv = _name_variant(f, rng)
            u, o, cl = _code_cells(f.uscc, rng)
            county, cv = _county_cell(f, rng, 0.3)
            add(name, u, o, county, i + 1, f.shape, f"{nv}/{cl}/{cv}")
        elif r < 0.82:
            shape = rng.choice(SHAPES)
            place = rng.choice(places)
            name, zh, company, key = _build(shape, rng, place)
            if name in seen or key in seen_keys:
                continue
            seen.add(name)
            seen_keys.add(key)
            g = Shaped(shape, name, zh, place[0], place[1], codes.new(place[1]), company)
            u, o, cl = _code_cells(g.uscc, rng)
            county, cv = _county_cell(g, rng, 0.3)
            add(name, u, o, county, None, "new", f"exact/{cl}/{cv}")
        else:
            rng.choice(negatives)()
    source = pl.DataFrame(src, schema={k: pl.Utf8 for k in src[0]})
    return Dataset(registry, source, truth, slices, variants)
