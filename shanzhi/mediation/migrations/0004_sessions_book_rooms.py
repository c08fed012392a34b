# Mediation sessions book the shared rooms (shanzhi.rooms): each mediation room becomes a rooms.Room at its
# centre's unit (same name; an existing room of that name there is reused), each session a Booking of kind
# "mediation.session" for its time, with its mediators as the booking's people. Reversible.

from collections import defaultdict

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

KIND = "mediation.session"
BATCH = 2000


def _immediate(schema_editor):
    """PostgreSQL: check the deferred foreign keys now, so the same transaction may alter the table after the
    rows were written ("pending trigger events" otherwise)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    OldRoom = apps.get_model("mediation", "Room")
    Session = apps.get_model("mediation", "Session")
    Room = apps.get_model("rooms", "Room")
    Booking = apps.get_model("rooms", "Booking")
    rooms = {}
    for old in OldRoom.objects.using(db).select_related("centre").order_by("id"):
        name = old.name[:50]
        room = Room.objects.using(db).filter(unit_id=old.centre.unit_id, name=name).order_by("id").first()
        rooms[old.pk] = room or Room.objects.using(db).create(unit_id=old.centre.unit_id, name=name)
    mediators = defaultdict(list)
    for session_id, user_id in Session.mediators.through.objects.using(db).values_list("session_id", "user_id"):
        mediators[session_id].append(user_id)
    now = timezone.now()
    sessions = Session.objects.using(db).filter(booking__isnull=True).order_by("id")
    while True:
        batch = list(sessions.select_related("dispute__case")[:BATCH])
        if not batch:
            break
        bookings = [Booking(room=rooms[s.room_id], unit_id=rooms[s.room_id].unit_id, starts_at=s.starts_at,
                            ends_at=s.ends_at, purpose=f"纠纷调解 {s.dispute.case.number}", kind=KIND,
                            cancelled=s.cancelled, created_at=now) for s in batch]
        Booking.objects.using(db).bulk_create(bookings)
        people = []
        for s, b in zip(batch, bookings):
            s.booking_id = b.pk
            people += [Booking.people.through(booking_id=b.pk, user_id=u) for u in mediators[s.pk]]
        Session.objects.using(db).bulk_update(batch, ["booking"])
        Booking.people.through.objects.using(db).bulk_create(people)
    _immediate(schema_editor)


def backwards(apps, schema_editor):
    db = schema_editor.connection.alias
    OldRoom = apps.get_model("mediation", "Room")
    Centre = apps.get_model("mediation", "Centre")
    Session = apps.get_model("mediation", "Session")
    Room = apps.get_model("rooms", "Room")
    Booking = apps.get_model("rooms", "Booking")
    centres = dict(Centre.objects.using(db).values_list("unit_id", "id"))
    old = {}
    for room in Room.objects.using(db).filter(unit_id__in=list(centres)).order_by("id"):
        old[room.pk] = OldRoom.objects.using(db).create(centre_id=centres[room.unit_id], name=room.name)
    people = defaultdict(list)
    for booking_id, user_id in (Booking.people.through.objects.using(db).filter(booking__kind=KIND)
                                .values_list("booking_id", "user_id")):
        people[booking_id].append(user_id)
    links, booked = [], []
    for s in Session.objects.using(db).select_related("booking__room", "dispute").order_by("id").iterator():
        b = s.booking
        if b.room_id not in old:  # a room away from any centre (not made by this migration)
            old[b.room_id] = OldRoom.objects.using(db).create(centre_id=s.dispute.centre_id, name=b.room.name)
        s.room_id, s.starts_at, s.ends_at, s.cancelled = old[b.room_id].pk, b.starts_at, b.ends_at, b.cancelled
        s.booking_id = None
        s.save(update_fields=["room", "starts_at", "ends_at", "cancelled", "booking"])
        links += [Session.mediators.through(session_id=s.pk, user_id=u) for u in people[b.pk]]
        booked.append(b.pk)
    Session.mediators.through.objects.using(db).bulk_create(links, batch_size=BATCH)
    for i in range(0, len(booked), BATCH):
        Booking.objects.using(db).filter(pk__in=booked[i:i + BATCH]).delete()
    _immediate(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('mediation', '0003_dispute_reads_resolution_from_case'),
        ('rooms', '0002_booking_unit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='session',
            name='booking',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='mediation_session', to='rooms.booking'),
        ),
        # nullable while the rows move (and when this is undone, until they are back)
        migrations.AlterField(
            model_name='session',
            name='room',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sessions', to='mediation.room'),
        ),
        migrations.AlterField(
            model_name='session',
            name='starts_at',
            field=models.DateTimeField(db_index=True, null=True),
        ),
        migrations.AlterField(
            model_name='session',
            name='ends_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AlterModelOptions(
            name='session',
            options={'ordering': ['booking__starts_at']},
        ),
        migrations.RemoveField(
            model_name='session',
            name='cancelled',
        ),
        migrations.RemoveField(
            model_name='session',
            name='ends_at',
        ),
        migrations.RemoveField(
            model_name='session',
            name='mediators',
        ),
        migrations.RemoveField(
            model_name='session',
            name='room',
        ),
        migrations.RemoveField(
            model_name='session',
            name='starts_at',
        ),
        migrations.DeleteModel(
            name='Room',
        ),
        migrations.AlterField(
            model_name='session',
            name='booking',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='mediation_session', to='rooms.booking'),
        ),
    ]
