from django.db import migrations


def forwards(apps, schema_editor):
    from shanzhi.councils.defaults import ensure_types

    ensure_types(apps.get_model("councils", "CouncilType"))


class Migration(migrations.Migration):
    """The fifth council type, 百事服务团 (the volunteers' service teams)."""

    dependencies = [("councils", "0004_meeting_files")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
