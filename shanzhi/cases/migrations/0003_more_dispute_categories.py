from django.db import migrations


def forwards(apps, schema_editor):
    from shanzhi.cases.catalogue import install

    install(apps)  # adds only what is missing: the consumer, traffic, medical and other dispute categories


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_default_categories")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
