"""法律服务团: one legal adviser per village (一村一法律顾问) on a schedule, residents' legal questions answered in
writing, consultation slots residents book, the outcome of each consultation (advice, a referral to the
mediation centre as a dispute, or to legal aid), talks given, and the adviser's monthly work log.

Every write goes through `services` (which ask the gate in accounts/scopes.py, with the adviser's
appointment as an object-level grant); pages and the API read through `selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Category(models.Model):
    """A kind of legal question (婚姻家庭, 土地承包, ...): a small list the county edits in the admin."""

    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=50)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "法律咨询类别"
        verbose_name_plural = "法律咨询类别"

    def __str__(self) -> str:
        return self.name


class Appointment(models.Model):
    """An adviser appointed to a village for a term. Ending it keeps the row (the history)."""

    adviser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_appointments")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="legal_appointments")
    started_on = models.DateField("聘任开始")
    term_ends_on = models.DateField("聘期届满")
    ended_on = models.DateField("提前解聘", null=True, blank=True)
    end_reason = models.CharField("解聘原因", max_length=200, blank=True)
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["village__path", "-started_on", "-id"]
        indexes = [models.Index(fields=["village", "started_on"]), models.Index(fields=["adviser", "started_on"])]
        verbose_name = "法律顾问聘任"
        verbose_name_plural = "法律顾问聘任"

    def __str__(self) -> str:
        return f"{self.adviser} · {self.village}"

    @property
    def last_day(self):
        """The last day the appointment holds (the term's end, or the day before it was ended)."""
        import datetime as dt

        if self.ended_on is not None:
            return min(self.term_ends_on, self.ended_on - dt.timedelta(days=1))
        return self.term_ends_on


class Duty(models.Model):
    """When the adviser sits at the village: every week on a weekday, or on one date; cut into slots."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="duties")
    weekday = models.PositiveSmallIntegerField("星期", null=True, blank=True)  # 0 = Monday
    on_date = models.DateField("日期", null=True, blank=True)
    starts = models.TimeField("开始")
    ends = models.TimeField("结束")
    place = models.CharField("地点", max_length=100)
    slot_minutes = models.PositiveSmallIntegerField("每段分钟", default=30)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "on_date", "starts"]
        constraints = [models.CheckConstraint(
            condition=(Q(weekday__isnull=False, on_date__isnull=True) | Q(weekday__isnull=True, on_date__isnull=False)),
            name="legal_duty_weekday_or_date")]


class Slot(models.Model):
    """A consultation slot cut from a duty (e.g. 30 minutes); residents of the village book it."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="slots")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    duty = models.ForeignKey(Duty, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    place = models.CharField("地点", max_length=100)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["appointment", "starts_at"], name="legal_slot_once")]


class Booking(models.Model):
    """A resident's booking of a slot; at most one live booking per slot (a partial unique index)."""

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_bookings")
    topic = models.CharField("咨询事项", max_length=200, blank=True)
    booked_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["slot"], condition=Q(cancelled_at__isnull=True),
                                               name="legal_one_booking_per_slot")]


class Outcome(models.TextChoices):
    ADVICE = "advice", "当场解答"
    MEDIATION = "mediation", "转矛调中心调解"
    LEGAL_AID = "legal_aid", "转法律援助"


class Consultation(models.Model):
    """What came of a booked consultation. A referral to mediation waits at the centre's window until it is
    registered there as a dispute (at once when the adviser may register at that window themself)."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="consultation")
    adviser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    held_at = models.DateTimeField(db_index=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    advice = models.TextField("咨询意见")
    # referral to the mediation centre: what the adviser entered, then the dispute registered from it
    dispute_type = models.ForeignKey("mediation.DisputeType", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    dispute_summary = models.CharField("纠纷事由", max_length=200, blank=True)
    parties = models.JSONField("当事人", default=list, blank=True)  # phones and ID numbers encrypted, masked copies
    dispute = models.OneToOneField("mediation.Dispute", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="legal_consultation")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # referral to legal aid
    aid_office = models.CharField("法律援助机构", max_length=100, blank=True)
    aid_note = models.TextField("转介说明", blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_at", "-id"]


class Question(models.Model):
    """A resident's legal question to their village's adviser, answered in writing; public ones (once
    answered) are shown to the village's residents without the asker's name."""

    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="legal_questions")
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_questions")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="questions")
    text = models.TextField("问题")
    is_public = models.BooleanField("公开", default=True)
    asked_at = models.DateTimeField(db_index=True)
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="legal_answers")

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [models.Index(fields=["village", "answered_at"])]
        verbose_name = "法律咨询"
        verbose_name_plural = "法律咨询"

    def __str__(self) -> str:
        return f"法律咨询 {self.pk}"


class Talk(models.Model):
    """A legal talk (法治讲座) the adviser gave in a village."""

    adviser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField("日期", db_index=True)
    topic = models.CharField("主题", max_length=200)
    audience = models.PositiveIntegerField("听众人数")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-id"]
