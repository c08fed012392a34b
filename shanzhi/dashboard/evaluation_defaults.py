"""The default grid evaluation scheme, after common Zhejiang practice: on-time closure 30, satisfaction 30,
visit coverage 20, rework 20 (lower is better); A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else E.

Installed by a data migration (with the historical models) and by tests that flushed it away."""

from __future__ import annotations

import datetime as dt

NAME = "网格考核（默认方案）"
START = dt.date(2020, 1, 1)
GRADES = (90, 80, 70, 60)
WEIGHTS = [
    ("cases.on_time_rate", 30, "share"),
    ("cases.satisfaction_rate", 30, "share"),
    ("campaigns.visit_coverage", 20, "share"),
    ("cases.rework_rate", 20, "share_inverse"),
]


def install(apps=None) -> None:
    """Create the default scheme when there is no scheme at all (running it again changes nothing)."""
    if apps is None:
        from shanzhi.dashboard.evaluation_models import EvaluationScheme as Scheme
        from shanzhi.dashboard.evaluation_models import EvaluationWeight as Weight
    else:
        Scheme = apps.get_model("dashboard", "EvaluationScheme")  # noqa: N806
        Weight = apps.get_model("dashboard", "EvaluationWeight")  # noqa: N806
    if Scheme.objects.exists():
        return
    a, b, c, d = GRADES
    scheme = Scheme.objects.create(name=NAME, active=True, effective_from=START, grade_a=a, grade_b=b, grade_c=c,
                                   grade_d=d)
    for position, (key, weight, mapping) in enumerate(WEIGHTS):
        Weight.objects.create(scheme=scheme, indicator_key=key, weight=weight, mapping=mapping, position=position)
