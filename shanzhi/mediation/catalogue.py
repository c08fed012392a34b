"""Default dispute types (configurable in the admin), each with the case category its case uses."""

DEFAULT_TYPES = [
    ("neighbour", "邻里纠纷", "neighbour", "village"),
    ("family", "婚姻家庭纠纷", "family", "village"),
    ("land", "土地房屋纠纷", "land", "town"),
    ("wages", "劳资纠纷", "wages", "town"),
    ("property_mgmt", "物业纠纷", "property_mgmt", "village"),
    ("consumer", "消费纠纷", "consumer", "town"),
    ("traffic", "交通事故纠纷", "traffic", "town"),
    ("medical", "医疗纠纷", "medical_dispute", "county"),
    ("other", "其他纠纷", "other_dispute", "village"),
]


def install(apps=None) -> int:
    if apps is None:
        from shanzhi.cases.models import Category
        from shanzhi.mediation.models import DisputeType
    else:
        Category = apps.get_model("cases", "Category")
        DisputeType = apps.get_model("mediation", "DisputeType")
    made = 0
    for i, (code, name, category, level) in enumerate(DEFAULT_TYPES):
        cat = Category.objects.filter(code=category).first()
        if cat is None:
            continue
        _, created = DisputeType.objects.get_or_create(code=code, defaults={
            "name": name, "category": cat, "default_level": level, "sort": i})
        made += created
    return made
