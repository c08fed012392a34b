"""Word lists for the synthetic county: people's names, place names, departments, ID area codes.

Everything here is plain data; the generator draws from it with a seeded random.Random, so the
same seed gives the same names.
"""

from __future__ import annotations

# Surnames common around Jiashan (locals) and across China (people from other provinces), with weights.
LOCAL_SURNAMES = (
    "沈" * 9 + "钱" * 5 + "顾" * 6 + "陆" * 6 + "张" * 8 + "王" * 8 + "朱" * 6 + "徐" * 6 + "周" * 6
    + "吴" * 5 + "陈" * 6 + "李" * 5 + "孙" * 4 + "姚" * 4 + "蒋" * 3 + "杨" * 4 + "金" * 4 + "胡" * 3
    + "许" * 3 + "曹" * 3 + "潘" * 3 + "范" * 2 + "戴" * 2 + "俞" * 3 + "冯" * 2 + "邱" * 2 + "褚" * 2
    + "郁" * 2 + "费" * 2 + "盛" * 2 + "吕" * 2 + "陶" * 2 + "严" * 2 + "汤" * 2 + "倪" + "屠" + "柏"
)
OTHER_SURNAMES = (
    "王" * 9 + "李" * 9 + "张" * 8 + "刘" * 7 + "陈" * 6 + "杨" * 5 + "黄" * 4 + "赵" * 4 + "周" * 3
    + "吴" * 3 + "徐" * 3 + "孙" * 3 + "马" * 3 + "朱" * 3 + "胡" * 3 + "郭" * 3 + "何" * 3 + "高" * 3
    + "林" * 2 + "罗" * 2 + "郑" * 2 + "梁" * 2 + "谢" * 2 + "宋" * 2 + "唐" * 2 + "韩" * 2 + "冯" * 2
    + "邓" * 2 + "曹" * 2 + "彭" * 2 + "曾" + "肖" + "田" + "董" + "袁" + "潘" + "蒋" + "蔡" + "余"
    + "杜" + "叶" + "程" + "苏" + "魏" + "吕" + "丁" + "任" + "沈" + "姚" + "卢" + "姜" + "崔" + "钟"
)
MALE_CHARS = (
    "伟强军杰磊涛斌超明勇建华国平林峰辉鹏刚海波宇浩俊文东志新荣福庆春金根宝兴龙飞亮成旭晨阳"
    "鑫凯博昊轩然睿泽宏德良忠民生永祥荣家佳嘉子一天云振晓锋"
)
FEMALE_CHARS = (
    "芳娟敏静丽艳霞燕玲萍红梅英兰琴凤洁雪婷颖慧佳怡欣悦琳秀珍莉倩雯菲蓉月桂美晶露诗涵萱"
    "梓婉瑶琪思彤妍馨可欢小晓雅文嘉丹亚"
)

# Town-level layout on the map: (code, column 0..2 west to east, row 0..2 north to south).
TOWN_LAYOUT = {
    "330421107": (0, 0), "330421112": (0, 1), "330421105": (0, 2),  # 陶庄 天凝 干窑
    "330421103": (1, 0), "330421001": (1, 1), "330421003": (1, 2),  # 西塘 魏塘 惠民
    "330421111": (2, 0), "330421002": (2, 1), "330421102": (2, 2),  # 姚庄 罗星 大云
}
# Relative area of each town inside its column (subdistricts are smaller and denser).
TOWN_AREA = {
    "330421107": 1.1, "330421112": 1.3, "330421105": 1.0,
    "330421103": 1.2, "330421001": 0.8, "330421003": 0.8,
    "330421111": 1.3, "330421002": 0.8, "330421102": 1.0,
}
# Villages and communities per town at full scale: (communities 0xx/1xx, villages 2xx); 166 in all.
TOWN_UNITS_FULL = {
    "330421001": (20, 6), "330421002": (12, 8), "330421003": (10, 6), "330421102": (2, 10),
    "330421103": (4, 18), "330421105": (2, 12), "330421107": (2, 12), "330421111": (4, 18),
    "330421112": (3, 17),
}
TOWN_UNITS_SMALL = dict.fromkeys(TOWN_UNITS_FULL, (1, 1))

# The places named in the seed article: (town, code suffix, name, kind).
NAMED_PLACES = [
    ("330421112", "201", "新联村", "village"),
    ("330421102", "201", "洋桥村", "village"),
    ("330421111", "001", "桃源新邨", "community"),
]

# Syllables for village and community names (two of them, then 村 or 社区).
PLACE_FIRST = "东西南北新长大小红金银福和永兴联丰洪杨姚泾塘桥港湖河庄湾天云星光明胜利建民华横清凤鸣双花茂"
PLACE_SECOND = "浜港荡湖河庄湾桥塘泾村园林田溪圩坊里舍浦墩家亭渡山星光华丰盛安宁和平乐康"
COMMUNITY_SUFFIXES = ["社区", "社区", "社区", "新村", "苑社区", "新邨"]
COMPOUND_FIRST = ["阳光", "锦绣", "金色", "翠苑", "东方", "嘉和", "银湖", "滨河", "丽都", "春江", "香樟",
                  "梧桐", "桂花", "玉兰", "紫荆", "碧水", "明珠", "新城", "世纪", "康城", "枫叶", "晴湾"]
COMPOUND_SECOND = ["花园", "家园", "小区", "苑", "公寓", "名邸", "新村", "嘉苑", "府", "湾"]
ROAD_NAMES = ["中山路", "解放路", "人民大道", "施家南路", "谈公路", "健康路", "罗星路", "亭桥路", "花园路",
              "体育路", "晋阳路", "车站路", "枫泾路", "嘉善大道", "世纪大道", "东升路", "归谷路", "环南路"]

# County departments joined to the conflict mediation centre (矛调中心); (code suffix, name).
DEPARTMENTS = [
    ("01", "县委政法委"), ("02", "县信访局"), ("03", "公安局"), ("04", "民政局"), ("05", "司法局"),
    ("06", "人力资源和社会保障局"), ("07", "自然资源和规划局"), ("08", "住房和城乡建设局"),
    ("09", "交通运输局"), ("10", "水利局"), ("11", "农业农村局"), ("12", "商务局"),
    ("13", "文化广电旅游体育局"), ("14", "卫生健康局"), ("15", "应急管理局"), ("16", "市场监督管理局"),
    ("17", "综合行政执法局"), ("18", "医疗保障局"), ("19", "退役军人事务局"), ("20", "教育局"),
    ("21", "生态环境分局"), ("22", "财政局"), ("23", "总工会"), ("24", "妇联"),
]
# Where party members who register with their village work (进村报到的工作单位).
WORK_UNITS = [name for _, name in DEPARTMENTS] + [
    "县人民医院", "县第一中学", "魏塘街道办事处", "县供电公司", "县人民法院", "县人民检察院", "县农商银行",
    "县融媒体中心", "县中医医院", "县实验小学",
]

# Area codes (first 6 ID digits). Locals are 330421; others from provinces that send many workers.
LOCAL_AREAS = ["330421"] * 18 + ["330402", "330411"]
OTHER_AREAS = [
    "341221", "341222", "341226", "342221", "342222", "340321",  # 安徽
    "511321", "511322", "513721", "510922",  # 四川
    "411421", "412721", "411522", "411323",  # 河南
    "522121", "520221",  # 贵州
    "430521", "431021",  # 湖南
    "420921", "421123",  # 湖北
    "360321", "362321",  # 江西
    "371321", "321323", "500233", "450821", "610125", "230221",
]

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """Write 1..99 in Chinese numerals (十二, 二十, 三十五)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else CHINESE_DIGITS[tens] + "十"
    return head + (CHINESE_DIGITS[ones] if ones else "")
