"""The four default council types with Zhejiang's usual rules (浙江村级议事协商), made once and then
edited in the admin. `ensure_types` is idempotent: it adds what is missing and never overwrites a rule an
administrator changed."""

from __future__ import annotations

VILLAGE = ["village"]

# quorum_percent 50 means "more than half of the members" (see the meetings service); supports_needed 0
# means no number of supports accepts a topic by itself.
DEFAULTS: list[dict] = [
    {"code": "residents", "name": "百姓议事会", "name_en": "Residents' deliberation council", "sort": 1,
     "purpose": "村（社区）重大事项和群众关心的问题由居民代表议事协商，“由民做主”。",
     "membership": "residents", "levels": VILLAGE, "quorum_percent": 50, "majority": "half_present",
     "raisers": "residents", "supports_needed": 10, "flags_to_hide": 3, "public_meetings": True,
     "secret_ballot": False},
    {"code": "worthies", "name": "乡贤参事会", "name_en": "Council of local worthies", "sort": 2,
     "purpose": "乡贤为村庄发展建言献策，参与公益事业和矛盾调处。",
     "membership": "residents_staff", "levels": VILLAGE, "quorum_percent": 50, "majority": "half_present",
     "raisers": "members", "supports_needed": 0, "flags_to_hide": 3, "public_meetings": True,
     "secret_ballot": False},
    {"code": "legal", "name": "法律服务团", "name_en": "Legal service team", "sort": 3,
     "purpose": "一村一法律顾问：法律咨询、法治宣传，协助调处纠纷。",
     "membership": "staff", "levels": VILLAGE, "quorum_percent": 50, "majority": "half_present",
     "raisers": "members", "supports_needed": 0, "flags_to_hide": 3, "public_meetings": False,
     "secret_ballot": False},
    {"code": "moral", "name": "道德评判团", "name_en": "Moral appraisal panel", "sort": 4,
     "purpose": "评议好人好事和不文明行为，弘扬正气，树立文明乡风。",
     "membership": "residents_staff", "levels": VILLAGE, "quorum_percent": 50, "majority": "two_thirds_present",
     "raisers": "residents", "supports_needed": 5, "flags_to_hide": 3, "public_meetings": True,
     "secret_ballot": False},
    # the fifth: the all-matters service team; its members are the volunteers, its chair the team leader
    # (shanzhi.volunteers); a village's team and a town's
    {"code": "service", "name": "百事服务团", "name_en": "All-matters service team", "sort": 5,
     "purpose": "志愿者为邻里提供维修、陪诊、助老、理发、代办等服务，“百事有人帮”。",
     "membership": "residents_staff", "levels": ["village", "town"], "quorum_percent": 50,
     "majority": "half_present", "raisers": "members", "supports_needed": 0, "flags_to_hide": 3,
     "public_meetings": True, "secret_ballot": False},
]


def ensure_types(model=None) -> int:
    """Create the default council types that do not exist yet (by code); return how many were made.

    `model` is the CouncilType class (a data migration passes its historical model)."""
    if model is None:
        from shanzhi.councils.models import CouncilType as model
    have = set(model.objects.values_list("code", flat=True))
    made = [model(**row) for row in DEFAULTS if row["code"] not in have]
    model.objects.bulk_create(made)
    return len(made)
