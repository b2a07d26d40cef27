"""Word lists for splitting a cleaned Chinese firm name into 字号 (trade name), 行业 (trade) and 组织形式
(legal form). Longest alternatives are tried first; extend the tuples, not the regexes."""

from __future__ import annotations

import re

TRADES: tuple[str, ...] = (
    "电子科技", "信息技术", "网络科技", "文化传媒", "建筑工程", "装饰工程", "机械设备", "汽车配件", "汽车零部件",
    "塑料制品", "五金制品", "工艺品", "医疗器械", "物业管理", "人力资源", "汽车维修", "体育用品", "农产品",
    "副食品", "日用品", "化妆品", "进出口", "摩托车", "缝纫机", "钢结构", "混凝土", "新材料", "服装", "服饰",
    "鞋业", "制衣", "针织", "纺织", "印染", "电子", "电器", "电机", "机电", "机械", "模具", "塑料", "塑胶",
    "橡胶", "五金", "阀门", "泵业", "水泵", "汽配", "汽车", "眼镜", "家具", "家居", "建材", "建筑", "工程",
    "装饰", "装修", "贸易", "商贸", "工贸", "物流", "快递", "运输", "货运", "仓储", "餐饮", "酒店", "食品",
    "饮料", "茶叶", "水产", "农业", "养殖", "种植", "医药", "化工", "材料", "包装", "印刷", "纸业", "彩印",
    "科技", "技术", "信息", "网络", "软件", "通信", "电力", "能源", "光伏", "环保", "物业", "房地产", "置业",
    "劳务", "家政", "保安", "咨询", "文化", "传媒", "广告", "教育", "培训", "健身", "美容", "美发", "超市",
    "药房", "汽修", "修理", "加工", "制造", "制品", "设备", "配件", "实业", "投资", "控股", "发展", "服务",
    "管理", "灯具", "照明", "卫浴", "洁具", "水暖", "管业", "钢管", "铝业", "金属", "铸造", "锻造", "轴承",
    "齿轮", "工具", "刀具", "玩具", "文具", "水果", "蔬菜", "粮油", "烟酒", "建设", "市政", "园林", "绿化",
    "水泥", "小吃", "面馆", "酒业", "电商", "百货", "日化",
)

# legal form -> class; the class, not the spelling, is compared
FORMS: dict[str, str] = {
    "股份有限公司": "company", "有限责任公司": "company", "有限公司": "company", "股份公司": "company",
    "总公司": "company", "公司": "company",
    "商店": "shop", "经营部": "shop", "商行": "shop", "门市部": "shop", "店": "shop", "铺": "shop",
    "服务部": "shop",
    "厂": "factory",
    "个人独资企业": "partnership", "普通合伙企业": "partnership", "有限合伙企业": "partnership",
    "合伙企业": "partnership", "普通合伙": "partnership", "有限合伙": "partnership",
    "专业合作社": "coop", "股份经济合作社": "coop", "合作社": "coop",
}

BRANCH_MARKERS: tuple[str, ...] = (
    "分公司", "分店", "分厂", "分部", "营业部", "办事处", "分行", "支行", "分所", "分社", "分中心", "分院",
    "分理处",
)


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """Regex alternation of ``words``, longest first so the longest spelling wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))
