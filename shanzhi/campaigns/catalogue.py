"""The default incident types and their measures (the county edits them in the admin).

A measure is either chosen when declaring, for every household (the epidemic's 居家隔离 / 集中隔离, with
health check-ins), or recorded per household in the field (the evacuation's 已转移 / 留守 / 已安置到安置点).
"""

# code, name, has_checkins, period_days, measures_label, in_place_label, index_label, person_label,
# contacts_label, site_label, measures: (code, name, at_declaration, in_field, needs_reason, checkins, uses_site)
TYPES = [
    ("epidemic", "疫情隔离", True, 14, "管控措施", "已落实管控", "指示病例", "指示病例", "密切接触者", "隔离点",
     [("home", "居家隔离", True, False, False, True, False),
      ("centralised", "集中隔离", True, False, False, True, True)]),
    ("evacuation", "转移安置", False, 0, "转移安置", "已转移安置", "受影响户", "", "需转移户", "安置点",
     [("transferred", "已转移", False, True, False, False, False),
      ("stayed", "留守（说明原因）", False, True, True, False, False),
      ("sheltered", "已安置到安置点", False, True, False, False, True)]),
    ("fire", "火灾", False, 0, "疏散措施", "已疏散", "起火户", "当事人", "周边户", "临时安置点",
     [("evacuated", "已疏散", False, True, False, False, False),
      ("safe", "已确认安全", False, True, False, False, False)]),
    ("missing", "寻人", False, 0, "寻人措施", "已排查", "走失人员", "走失人员", "需排查户", "",
     [("asked", "已询问未见", False, True, False, False, False),
      ("lead", "有线索（说明）", False, True, True, False, False)]),
    ("supplies", "物资保障", False, 0, "保障措施", "已保障", "需保障户", "", "需保障户", "物资发放点",
     [("delivered", "已送达", False, True, False, False, False),
      ("not_needed", "无需保障", False, True, False, False, False)]),
]



def install(apps=None) -> int:
    """Create the default types that are missing (with their measures); return how many were made."""
    if apps is None:
        from shanzhi.campaigns.models import IncidentMeasure, IncidentType
    else:
        IncidentType = apps.get_model("campaigns", "IncidentType")
        IncidentMeasure = apps.get_model("campaigns", "IncidentMeasure")
    made = 0
    for sort, (code, name, checkins, days, measures_label, in_place, index, person, contacts, site,
               measures) in enumerate(TYPES, 1):
        t, created = IncidentType.objects.get_or_create(code=code, defaults=dict(
            name=name, sort=sort * 10, has_checkins=checkins, period_days=days, measures_label=measures_label,
            in_place_label=in_place, index_label=index, person_label=person, contacts_label=contacts,
            site_label=site))
        if not created:
            continue
        made += 1
        for n, (mcode, mname, at_decl, in_field, reason, m_checkins, uses_site) in enumerate(measures, 1):
            IncidentMeasure.objects.create(type=t, code=mcode, name=mname, sort=n * 10, at_declaration=at_decl,
                                           in_field=in_field, needs_reason=reason, checkins=m_checkins,
                                           uses_site=uses_site)
    return made
