from django.db import migrations


def create_tags(apps, schema_editor):
    from shanzhi.people.models import DEFAULT_CARE_TAGS

    CareTag = apps.get_model("people", "CareTag")
    for code, name, name_en in DEFAULT_CARE_TAGS:
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(create_tags, migrations.RunPython.noop)]
