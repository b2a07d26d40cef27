"""One table per cleaning rule, with the Chinese forms cadres actually meet."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.clean import prepare
from linkage.engine import with_rows


def clean_one(name: str, county: str = "", address: str = "", uscc: str = "", org: str = "") -> dict[str, object]:
    df = pl.DataFrame(
        {
            "单位名称": [name],
            "所属区县": [county],
            "单位地址": [address],
            "统一社会信用代码": [uscc],
            "组织机构代码": [org],
        }
    )
    return prepare(with_rows(df)).row(0, named=True)


@pytest.mark.parametrize(
    "name",
    [
        "台州市黄岩区宏达电子有限公司",
        "台州黄岩宏达电子有限公司",
        "黄岩宏达电子有限公司",
        "（台州）宏达电子有限公司",
        "宏达电子（台州）有限公司",
        "浙江宏达电子有限公司",
        "浙江省台州市宏达电子有限公司",
        "宏达电子有限公司",
    ],
)
def test_region_prefixes_in_every_form_are_stripped(name: str) -> None:
    assert clean_one(name)["core"] == "宏达电子"


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("宏达电子有限公司", "company"),
        ("宏达电子有限责任公司", "company"),
        ("宏达电子股份有限公司", "company"),
        ("宏达电子集团有限公司", "company"),
        ("宏达五金店", "shop"),
        ("宏达五金经营部", "shop"),
        ("宏达五金商行", "shop"),
        ("宏达塑料厂", "factory"),
        ("宏达五金", ""),
    ],
)
def test_legal_and_shop_forms_are_stripped_and_classed(name: str, form: str) -> None:
    got = clean_one(name)
    assert got["form"] == form
    assert str(got["core"]).startswith("宏达")
    assert not str(got["core"]).endswith(("公司", "店", "部", "行", "厂"))


@pytest.mark.parametrize(
    "name",
    [
        "宏达电子(台州)有限公司",
        "宏达电子（台州）有限公司",
        "宏达电子【台州】有限公司",
        "宏达电子〔台州〕有限公司",
        "宏达电子［台州］有限公司",
    ],
)
def test_brackets_of_both_widths(name: str) -> None:
    assert clean_one(name)["core"] == "宏达电子"


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("臺州黃巖鴻達電子有限公司", "鸿达电子"),
        ("台州宏達家俱有限公司", "宏达家具"),
        ("廣興機械廠", "广兴机械"),
    ],
)
def test_traditional_characters_become_simplified(name: str, core: str) -> None:
    assert clean_one(name)["core"] == core


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("ＡＢＣ　电子有限公司", "ABC电子"),
        ("abc 电子有限公司", "ABC电子"),
        ("台州　宏达　电子有限公司", "宏达电子"),
    ],
)
def test_full_width_letters_and_spaces(name: str, core: str) -> None:
    assert clean_one(name)["core"] == core


@pytest.mark.parametrize(
    ("name", "branch"),
    [
        ("台州宏达电子有限公司黄岩分公司", "黄岩分公司"),
        ("宏达电子有限公司(黄岩分公司)", "黄岩分公司"),
        ("宏达超市有限公司东城分店", "东城分店"),
        ("宏达电子有限公司杭州办事处", "杭州办事处"),
        ("宏达证券有限公司路桥营业部", "路桥营业部"),
        ("宏达电子有限公司", ""),
    ],
)
def test_branches_keep_their_qualifier(name: str, branch: str) -> None:
    got = clean_one(name)
    assert got["branch"] == branch
    assert got["zh"] == "宏达" + branch  # the branch joins the 字号 (issue 11)


@pytest.mark.parametrize(
    ("name", "zh", "trade"),
    [
        ("宏达电子有限公司", "宏达", "电子"),
        ("宏达机械设备制造有限公司", "宏达", "机械设备制造"),
        ("新华电子科技有限公司", "新华", "电子科技"),
        ("宏达有限公司", "宏达", ""),
        # no 字号 at all: the region is what tells it apart, so it joins the 字号 (issue 11)
        ("黄岩电子有限公司", "黄岩区电子", ""),
    ],
)
def test_trade_name_and_trade_are_split(name: str, zh: str, trade: str) -> None:
    got = clean_one(name)
    assert (got["zh"], got["trade"]) == (zh, trade)


@pytest.mark.parametrize(
    ("pair",),
    [(("宏达电子", "鸿达电子"),), (("顺发五金", "舜发五金"),), (("成功机械", "陈功机械"),)],
)
def test_homophones_share_a_pinyin_key(pair: tuple[str, str]) -> None:
    a, b = (clean_one(n + "有限公司") for n in pair)
    assert a["zh_py"] == b["zh_py"]
    assert a["zh"] != b["zh"]


@pytest.mark.parametrize(
    ("name", "county", "address", "want_county", "want_pref"),
    [
        ("宏达电子有限公司", "黄岩区", "", "黄岩区", "台州市"),
        ("宏达电子有限公司", "台州市黄岩区", "", "黄岩区", "台州市"),
        ("宏达电子有限公司", "黄岩", "", "黄岩区", "台州市"),
        ("台州市黄岩区宏达电子有限公司", "", "", "黄岩区", "台州市"),
        ("宏达电子有限公司", "", "台州市路桥区南官大道1号", "路桥区", "台州市"),
        ("台州宏达电子有限公司", "", "", "", "台州市"),
        ("宏达电子有限公司", "", "", "", ""),
    ],
)
def test_county_from_column_then_address_then_name(
    name: str, county: str, address: str, want_county: str, want_pref: str
) -> None:
    got = clean_one(name, county, address)
    assert (got["county"], got["pref"]) == (want_county, want_pref)


def test_codes_are_validated_and_bad_ones_blanked() -> None:
    from tests.linkage.test_codes import GOOD

    assert clean_one("宏达电子有限公司", uscc=GOOD.lower())["uscc"] == GOOD
    assert clean_one("宏达电子有限公司", uscc=" ".join(GOOD))["org"] == GOOD[8:17]
    bad = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    assert clean_one("宏达电子有限公司", uscc=bad)["uscc"] == ""
    assert clean_one("宏达电子有限公司", org=f"{GOOD[8:16]}-{GOOD[16]}")["org"] == GOOD[8:17]
    assert clean_one("宏达电子有限公司", org=GOOD)["uscc"] == GOOD  # a USCC typed in the org column
