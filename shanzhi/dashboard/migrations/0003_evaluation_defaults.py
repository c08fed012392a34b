"""The default grid evaluation scheme (shanzhi.dashboard.evaluation_defaults)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shanzhi.dashboard.evaluation_defaults import install

    install(apps)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0002_evaluation")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
