"""The default grid evaluation scheme, after common Zhejiang practice: on-time closure 30, satisfaction 30,
visit coverage 20, rework 20 (lower is better); A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else E."""

import datetime as dt

from django.db import migrations

DEFAULT_WEIGHTS = [
    ("cases.on_time_rate", 30, "share"),
    ("cases.satisfaction_rate", 30, "share"),
    ("campaigns.visit_coverage", 20, "share"),
    ("cases.rework_rate", 20, "share_inverse"),
]


def forwards(apps, schema_editor):
    Scheme = apps.get_model("dashboard", "EvaluationScheme")
    Weight = apps.get_model("dashboard", "EvaluationWeight")
    if Scheme.objects.exists():
        return
    scheme = Scheme.objects.create(name="网格考核（默认方案）", active=True, effective_from=dt.date(2020, 1, 1),
                                   grade_a=90, grade_b=80, grade_c=70, grade_d=60)
    for position, (key, weight, mapping) in enumerate(DEFAULT_WEIGHTS):
        Weight.objects.create(scheme=scheme, indicator_key=key, weight=weight, mapping=mapping, position=position)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_evaluation")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
