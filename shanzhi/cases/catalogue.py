"""The default category tree (a county can edit it in the admin). Codes are Open311 service codes."""

# (group code, group name, group name_en, [(code, name, name_en, kind, level, is_dispute, keywords)])
DEFAULT_CATEGORIES = [
    ("environment", "环境卫生", "Environment", [
        ("garbage", "垃圾堆放", "Garbage dumping", "problem", "grid", False, "垃圾 卫生 脏"),
        ("river", "河道污染", "River pollution", "problem", "village", False, "河 水 污染 鱼"),
        ("illegal_building", "违章搭建", "Illegal construction", "problem", "town", False, "违建 搭建"),
        ("noise", "噪声扰民", "Noise", "problem", "grid", False, "噪音 吵"),
    ]),
    ("infrastructure", "市政设施", "Public facilities", [
        ("street_light", "路灯损坏", "Broken street light", "problem", "village", False, "路灯 灯"),
        ("road", "道路破损", "Damaged road", "problem", "town", False, "路 坑"),
        ("manhole", "井盖缺失", "Missing manhole cover", "problem", "village", False, "井盖"),
        ("water_supply", "供水问题", "Water supply", "problem", "county", False, "停水 水管"),
    ]),
    ("safety", "平安建设", "Safety", [
        ("hazard", "安全隐患", "Safety hazard", "problem", "grid", False, "隐患 危险"),
        ("fire", "消防隐患", "Fire hazard", "problem", "town", False, "消防 火"),
        ("rental", "出租房管理", "Rental housing", "problem", "grid", False, "出租 租客"),
    ]),
    ("dispute", "矛盾纠纷", "Disputes", [
        ("neighbour", "邻里纠纷", "Neighbour dispute", "problem", "grid", True, "邻居 纠纷"),
        ("family", "婚姻家庭纠纷", "Family dispute", "problem", "village", True, "家庭 婚姻"),
        ("land", "土地房屋纠纷", "Land and housing dispute", "problem", "town", True, "土地 宅基地 房屋"),
        ("wages", "劳资纠纷", "Wage dispute", "problem", "town", True, "工资 欠薪"),
        ("property_mgmt", "物业纠纷", "Property management dispute", "problem", "village", True, "物业"),
        ("consumer", "消费纠纷", "Consumer dispute", "problem", "town", True, "消费 退货 商家"),
        ("traffic", "交通事故纠纷", "Traffic accident dispute", "problem", "town", True, "交通 事故 赔偿"),
        ("medical_dispute", "医疗纠纷", "Medical dispute", "problem", "county", True, "医疗 医院"),
        ("other_dispute", "其他纠纷", "Other dispute", "problem", "village", True, "纠纷"),
    ]),
    ("help", "民生求助", "Help", [
        ("hardship", "生活困难求助", "Hardship", "help", "village", False, "困难 救助"),
        ("elderly_care", "老人照护", "Elderly care", "help", "grid", False, "老人 照护"),
        ("medical", "就医帮助", "Medical help", "help", "grid", False, "看病 就医"),
        ("policy", "政策咨询", "Policy question", "help", "village", False, "政策 咨询 社保"),
    ]),
    ("other", "其他", "Other", [
        ("other_issue", "其他问题", "Other issue", "problem", "grid", False, ""),
    ]),
]

# category code -> {priority: (amount, unit)}
DEFAULT_DEADLINES = {
    "garbage": {"normal": (2, "days"), "urgent": (8, "hours"), "critical": (2, "hours")},
    "manhole": {"normal": (1, "days"), "urgent": (4, "hours"), "critical": (1, "hours")},
    "fire": {"normal": (2, "days"), "urgent": (4, "hours"), "critical": (1, "hours")},
    "hazard": {"normal": (2, "days"), "urgent": (4, "hours"), "critical": (1, "hours")},
    "elderly_care": {"normal": (1, "days"), "urgent": (4, "hours"), "critical": (1, "hours")},
    "medical": {"normal": (1, "days"), "urgent": (2, "hours"), "critical": (1, "hours")},
    "illegal_building": {"normal": (10, "days"), "urgent": (3, "days"), "critical": (1, "days")},
    "land": {"normal": (15, "days"), "urgent": (5, "days"), "critical": (2, "days")},
}


def install(apps=None) -> int:
    """Create the default categories and deadline rules that do not exist yet; return how many."""
    if apps is None:
        from shanzhi.cases.models import Category, DeadlineRule
    else:
        Category = apps.get_model("cases", "Category")
        DeadlineRule = apps.get_model("cases", "DeadlineRule")
    made = 0
    for gi, (gcode, gname, gname_en, leaves) in enumerate(DEFAULT_CATEGORIES):
        group, created = Category.objects.get_or_create(code=gcode, defaults={
            "name": gname, "name_en": gname_en, "sort": gi * 100})
        made += created
        for li, (code, name, name_en, kind, level, dispute, keywords) in enumerate(leaves):
            leaf, created = Category.objects.get_or_create(code=code, defaults={
                "name": name, "name_en": name_en, "parent": group, "kind": kind, "default_level": level,
                "is_dispute": dispute, "keywords": keywords, "sort": gi * 100 + li + 1})
            made += created
            for priority, (amount, unit) in DEFAULT_DEADLINES.get(code, {}).items():
                DeadlineRule.objects.get_or_create(category=leaf, priority=priority,
                                                   defaults={"amount": amount, "unit": unit})
    return made
