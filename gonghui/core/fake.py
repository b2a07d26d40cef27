"""Deterministic, realistic Chinese test and demo values (names, firms, codes).

Used by `load_demo`, the factories in tests and the benchmarks, so all of them speak the same language.
"""

from __future__ import annotations

import random

from .identifiers import make_org_body, make_uscc

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国林波斌宇浩凯俊峰琳晶雪婷慧颖佳欣怡"
    "海燕飞志坤亮成龙云春梅晓东子涵梓轩宏博文彬鑫锋旭阳立新永利世昌德"
)
TRADE_NAMES = (
    "鸿日成辉宏达永兴恒通顺发华联金桥东方新星长江天宇汇丰瑞祥嘉禾盛泰和信安达富康利民万隆中盛海天"
    "锦程鼎盛友谊协力兴旺腾飞卓越精工博远创新凯达振华启明荣昌隆泰德邦宝利"
)
INDUSTRIES = (
    ("模具", "制造业"),
    ("塑料制品", "制造业"),
    ("机械", "制造业"),
    ("汽车零部件", "制造业"),
    ("工艺品", "制造业"),
    ("食品", "制造业"),
    ("医药", "制造业"),
    ("电子科技", "信息技术"),
    ("运输", "交通运输"),
    ("物流", "交通运输"),
    ("快递服务", "交通运输"),
    ("建筑工程", "建筑业"),
    ("装饰工程", "建筑业"),
    ("商贸", "批发零售"),
    ("电子商务", "批发零售"),
    ("餐饮管理", "住宿餐饮"),
    ("物业管理", "房地产"),
    ("房产中介", "房地产"),
    ("家政服务", "居民服务"),
    ("保安服务", "租赁和商务服务"),
)
LEGAL_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")
ROADS = ("劳动北路", "环城东路", "青年西路", "西城路", "北院大道", "东浦路", "江北路", "永高路", "双江路", "新江路", "焦坑路", "九峰路")


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def trade_name(rng: random.Random) -> str:
    return rng.choice(TRADE_NAMES) + rng.choice(TRADE_NAMES)


def enterprise_name(rng: random.Random, *, prefix: str = "台州市黄岩") -> tuple[str, str]:
    """(name, industry category), e.g. ('台州市黄岩鸿日模具有限公司', '制造业')."""
    trade, category = rng.choice(INDUSTRIES)
    return f"{prefix}{trade_name(rng)}{trade}{rng.choice(LEGAL_FORMS)}", category


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def address(rng: random.Random, township: str) -> str:
    return f"台州市黄岩区{township}{rng.choice(ROADS)}{rng.randint(1, 999)}号"


_ORG_CHARS = "0123456789"


def uscc(rng: random.Random, *, region: str = "331003", authority: str = "91") -> str:
    """A valid 18-character USCC: authority+type, region code, a valid 组织机构代码, check character."""
    org = make_org_body("".join(rng.choice(_ORG_CHARS) for _ in range(8)))
    return make_uscc(authority + region + org)
