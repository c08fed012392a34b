from django.db import migrations


def forwards(apps, schema_editor):
    from shanzhi.councils.defaults import ensure_types

    ensure_types(apps.get_model("councils", "CouncilType"))


class Migration(migrations.Migration):

    dependencies = [("councils", "0002_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
