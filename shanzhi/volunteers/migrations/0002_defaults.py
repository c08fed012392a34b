from django.db import migrations


def forwards(apps, schema_editor):
    from shanzhi.volunteers.models import DEFAULT_CIVIC_ACTS, DEFAULT_SKILLS

    Skill = apps.get_model("volunteers", "Skill")
    have = set(Skill.objects.values_list("code", flat=True))
    Skill.objects.bulk_create([Skill(code=c, name=n, name_en=e, sort=i) for i, (c, n, e) in enumerate(DEFAULT_SKILLS)
                               if c not in have])
    CivicAct = apps.get_model("volunteers", "CivicAct")
    have = set(CivicAct.objects.values_list("code", flat=True))
    CivicAct.objects.bulk_create([CivicAct(code=c, name=n, points=p) for c, n, p in DEFAULT_CIVIC_ACTS if c not in have])
    PointsRule = apps.get_model("volunteers", "PointsRule")
    if not PointsRule.objects.exists():
        PointsRule.objects.create(points_per_hour=10)


class Migration(migrations.Migration):
    """The default skills, civic acts and the county's points rule (1 hour = 10 points)."""

    dependencies = [("volunteers", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
