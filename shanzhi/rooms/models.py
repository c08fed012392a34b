"""Bookable rooms shared by the mediation centre, the councils and anyone else who meets: one room
booking at a time, checked for clashes in one place (`services.clashes`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Room(models.Model):
    """A room at a unit (a village's meeting room, a mediation centre's mediation room)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField("名称", max_length=50)
    capacity = models.PositiveSmallIntegerField("容纳人数", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = "会议室"
        verbose_name_plural = "会议室"

    def __str__(self) -> str:
        return self.name


class Booking(models.Model):
    """A room held from `starts_at` to `ends_at` for one purpose (a mediation session, a council
    meeting); `people` are those who must be there, checked for clashes too."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    # The unit the booking was made from (the room's own, or for a room above, the booker's unit under it):
    # those who may act there move or cancel it. Empty means the room's unit.
    unit = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    purpose = models.CharField("用途", max_length=200)
    kind = models.CharField(max_length=30, blank=True)  # "mediation.session", "councils.meeting"
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="room_bookings")
    cancelled = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["room", "starts_at"])]
