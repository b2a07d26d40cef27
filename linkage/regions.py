"""Administrative-division names used to strip region prefixes and to place a firm in a county.

Coverage: every province-level division by full and short name, and Zhejiang down to county level
(the project's home province; extend ``PREFECTURES`` to add more). Counties are keyed by their
canonical full name; ``prefecture_of`` maps a county or prefecture to its prefecture.
"""

from __future__ import annotations

import re
from functools import lru_cache

PROVINCES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "香港特别行政区",
    "澳门特别行政区",
    "台湾省",
)

# prefecture -> (6-digit code, counties)
PREFECTURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "杭州市": (
        "330100",
        (
            "上城区",
            "拱墅区",
            "西湖区",
            "滨江区",
            "萧山区",
            "余杭区",
            "临平区",
            "钱塘区",
            "富阳区",
            "临安区",
            "桐庐县",
            "淳安县",
            "建德市",
        ),
    ),
    "宁波市": (
        "330200",
        ("海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "象山县", "宁海县", "余姚市", "慈溪市"),
    ),
    "温州市": (
        "330300",
        (
            "鹿城区",
            "龙湾区",
            "瓯海区",
            "洞头区",
            "永嘉县",
            "平阳县",
            "苍南县",
            "文成县",
            "泰顺县",
            "瑞安市",
            "乐清市",
            "龙港市",
        ),
    ),
    "嘉兴市": ("330400", ("南湖区", "秀洲区", "嘉善县", "海盐县", "海宁市", "平湖市", "桐乡市")),
    "湖州市": ("330500", ("吴兴区", "南浔区", "德清县", "长兴县", "安吉县")),
    "绍兴市": ("330600", ("越城区", "柯桥区", "上虞区", "新昌县", "诸暨市", "嵊州市")),
    "金华市": (
        "330700",
        ("婺城区", "金东区", "武义县", "浦江县", "磐安县", "兰溪市", "义乌市", "东阳市", "永康市"),
    ),
    "衢州市": ("330800", ("柯城区", "衢江区", "常山县", "开化县", "龙游县", "江山市")),
    "舟山市": ("330900", ("定海区", "普陀区", "岱山县", "嵊泗县")),
    "台州市": (
        "331000",
        ("椒江区", "黄岩区", "路桥区", "三门县", "天台县", "仙居县", "温岭市", "临海市", "玉环市"),
    ),
    "丽水市": (
        "331100",
        ("莲都区", "青田县", "缙云县", "遂昌县", "松阳县", "云和县", "庆元县", "景宁畲族自治县", "龙泉市"),
    ),
}

_SUFFIX = re.compile(r"(?:畲族自治县|自治县|特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|省|市|区|县)$")


def short_name(full: str) -> str:
    """Return the customary short form of a division name (台州市 → 台州, 景宁畲族自治县 → 景宁); a name
    whose short form would be a single character is returned unchanged."""
    short = _SUFFIX.sub("", full)
    return short if len(short) >= 2 else full


def county_code(county: str) -> str:
    """Return a stable synthetic 6-digit code for a known county (prefecture code + index), or ""."""
    for pref, (code, counties) in PREFECTURES.items():
        if county in counties:
            return code[:4] + f"{counties.index(county) + 1:02d}"
        if county == pref:
            return code
    return ""


@lru_cache(maxsize=1)
def alias_table() -> dict[str, tuple[str, str, str]]:
    """Map every full and short division name to ``(level, canonical county, canonical prefecture)``;
    ``level`` is "province", "prefecture" or "county"; county/prefecture are "" when not implied."""
    table: dict[str, tuple[str, str, str]] = {}
    for prov in PROVINCES:
        for alias in {prov, short_name(prov)}:
            table[alias] = ("province", "", "")
    for pref, (_code, counties) in PREFECTURES.items():
        for alias in {pref, short_name(pref)}:
            table[alias] = ("prefecture", "", pref)
        for county in counties:
            for alias in {county, short_name(county)}:
                # a county-level name never overrides a prefecture of the same short form
                table.setdefault(alias, ("county", county, pref))
    return table


def region_pattern() -> str:
    """A regex alternation of every known alias, longest first (so 黄岩区 wins over 黄岩)."""
    aliases = sorted(alias_table(), key=lambda a: (-len(a), a))
    return "|".join(re.escape(a) for a in aliases)


def prefecture_of(name: str) -> str:
    """Canonical prefecture for a county or prefecture alias, or ""."""
    entry = alias_table().get(name)
    return entry[2] if entry else ""
