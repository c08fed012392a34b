from django.db import migrations


def forwards(apps, schema_editor):
    from shanzhi.mediation.catalogue import install

    install(apps)


class Migration(migrations.Migration):
    dependencies = [("mediation", "0001_initial"), ("cases", "0003_more_dispute_categories")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
