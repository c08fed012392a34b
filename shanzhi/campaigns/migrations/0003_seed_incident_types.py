"""Seed the default incident types and their measures (campaigns.catalogue); mark existing incidents as
epidemics (their measures were quarantine) and their quarantined households as checking in."""

from django.db import migrations


def seed(apps, schema_editor):
    from shanzhi.campaigns.catalogue import install

    install(apps)
    IncidentType = apps.get_model("campaigns", "IncidentType")
    Incident = apps.get_model("campaigns", "Incident")
    Target = apps.get_model("campaigns", "Target")
    epidemic = IncidentType.objects.get(code="epidemic")
    Incident.objects.filter(kind__isnull=True).update(kind=epidemic)
    Target.objects.exclude(measure="").update(checkin=True)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_incident_types")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
