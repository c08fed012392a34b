"""Disputes at the conflict mediation centre (矛调中心): a dispute is a case with parties, sessions and
agreements; it shares the case's number, timeline, deadline and escalation."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class Centre(models.Model):
    """A mediation centre at county, town or village level, with teams and rooms."""

    unit = models.OneToOneField("org.OrgUnit", on_delete=models.PROTECT, related_name="mediation_centre")
    name = models.CharField("名称", max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["unit__path"]
        verbose_name = "矛调中心"
        verbose_name_plural = "矛调中心"

    def __str__(self) -> str:
        return self.name

    @property
    def rooms(self):
        """The centre's mediation rooms: the active bookable rooms (shanzhi.rooms) at its unit."""
        from shanzhi.rooms.models import Room

        return Room.objects.filter(unit_id=self.unit_id, is_active=True)


class Team(models.Model):
    """A mediation team or a department's window inside a centre (joint reception 联合接访)."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField("名称", max_length=100)
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.SET_NULL)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class DisputeType(models.Model):
    """Configurable dispute types, each tied to the case category its case uses."""

    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=50)
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    default_level = models.CharField("默认层级", max_length=10, default="village")
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    DISPUTE = "dispute", "矛盾纠纷"
    PETITION = "petition", "信访"


class Result(models.TextChoices):
    AGREEMENT = "agreement", "达成协议"
    PARTIAL = "partial", "部分达成"
    FAILED = "failed", "调解不成"
    WITHDRAWN = "withdrawn", "撤回"
    REFERRED = "referred", "转办"


RESOLVED = (Result.AGREEMENT, Result.WITHDRAWN)


class Dispute(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="dispute")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.DISPUTE)
    type = models.ForeignKey(DisputeType, on_delete=models.PROTECT, related_name="disputes")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="disputes")
    first_centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="disputes")
    summary = models.CharField("事由", max_length=200)
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats")
    escalations = models.PositiveSmallIntegerField(default=0)
    result = models.CharField("结果", max_length=10, choices=Result.choices, blank=True)
    referred_to = models.CharField("转办去向", max_length=100, blank=True)
    first_time = models.BooleanField("一次化解", null=True)
    # When the centre received it (a case escalated to a centre arrives later than it was reported).
    registered_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = "矛盾纠纷"
        verbose_name_plural = "矛盾纠纷"

    # Read from the case (one state, one timeline): when, at which level and whether on time it closed.
    @property
    def resolved_at(self) -> dt.datetime | None:
        return self.case.closed_at if self.result else None

    @property
    def resolved_level(self) -> str:
        return self.case.closed_level if self.result else ""

    @property
    def resolved_on_time(self) -> bool | None:
        return self.case.closed_on_time if self.result else None


class Role(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    RESPONDENT = "respondent", "被申请人"


class Party(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=10, choices=Role.choices)
    name = models.CharField("姓名/名称", max_length=100)
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(max_length=18, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_masked = models.CharField(max_length=11, blank=True)
    representative = models.CharField("代理人", max_length=100, blank=True)
    claim = models.TextField("诉求", blank=True)


SESSION_KIND = "mediation.session"


class Session(models.Model):
    """A mediation session: a room booking (shanzhi.rooms, kind "mediation.session") whose people are its
    mediators; the booking holds the room, the time and whether it was cancelled."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    booking = models.OneToOneField("rooms.Booking", on_delete=models.PROTECT, related_name="mediation_session")
    attended = models.JSONField("到场", default=list, blank=True)  # party ids
    minutes = models.TextField("笔录", blank=True)
    held = models.BooleanField(default=False)

    class Meta:
        ordering = ["booking__starts_at"]

    # Read from the booking (one record of who holds which room when).
    @property
    def starts_at(self) -> dt.datetime:
        return self.booking.starts_at

    @property
    def ends_at(self) -> dt.datetime:
        return self.booking.ends_at

    @property
    def room(self):
        return self.booking.room

    @property
    def room_id(self) -> int:
        return self.booking.room_id

    @property
    def cancelled(self) -> bool:
        return self.booking.cancelled

    @property
    def mediators(self):
        """The booking's people (a related manager: `.all()` uses a `booking__people` prefetch)."""
        return self.booking.people


class Agreement(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="agreements")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("协议内容")
    created_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)


class Performance(models.TextChoices):
    PERFORMED = "performed", "已履行"
    PARTLY = "partly", "部分履行"
    NOT_PERFORMED = "not_performed", "未履行"


class FollowUp(models.Model):
    """A return visit on how an agreement is being performed (履行回访)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="followups")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    result = models.CharField(max_length=14, choices=Performance.choices)
    note = models.TextField(blank=True)
