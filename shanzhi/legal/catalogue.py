"""Default categories of legal questions (the county edits them in the admin)."""

DEFAULT_CATEGORIES = [("marriage", "婚姻家庭"), ("land", "土地承包"), ("labour", "劳动争议"), ("loan", "借贷"),
                      ("neighbour", "邻里"), ("other", "其他")]


def install(apps=None) -> int:
    """Create the default categories that are missing (a migration, or a test after a flush)."""
    Category = apps.get_model("legal", "Category") if apps is not None else None
    if Category is None:
        from shanzhi.legal.models import Category
    made = 0
    for i, (code, name) in enumerate(DEFAULT_CATEGORIES):
        _, created = Category.objects.get_or_create(code=code, defaults={"name": name, "sort": i * 10})
        made += created
    return made
