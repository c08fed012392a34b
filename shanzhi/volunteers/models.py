"""百事服务团: volunteers, service requests, activities, the time bank and the village points store.

A village's service team is a `councils.Council` of the fifth type (`service`), so its members, leader
(chair) and terms are the councils engine's; a `Volunteer` is the person's profile (skills, availability,
villages served) approved by the village. Every write goes through `services` (requests, volunteers,
teams), `activities`, `ledger` and `store`, each through the gate in accounts/scopes.py.

The ledger is append-only: a balance is the sum of an account's entries, a correction is a new entry with
a reason pointing at the one it corrects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Skill(models.Model):
    """A configurable skill (维修, 理发, 陪诊, 助老, 法律, 心理, 文体, ...), seeded by a migration."""

    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=30)
    name_en = models.CharField("英文名称", max_length=40, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "服务技能"
        verbose_name_plural = "服务技能"

    def __str__(self) -> str:
        return self.name


DEFAULT_SKILLS = [
    ("repair", "维修", "Repairs"), ("haircut", "理发", "Haircuts"), ("escort", "陪诊", "Hospital escort"),
    ("elder_care", "助老", "Elder care"), ("legal", "法律", "Legal help"), ("counselling", "心理", "Counselling"),
    ("culture", "文体", "Culture and sport"), ("ride", "接送", "Lifts"), ("errands", "代办", "Paperwork and errands"),
    ("cleaning", "保洁", "Cleaning"),
]


class VolunteerStatus(models.TextChoices):
    APPLIED = "applied", "待审核"
    ACTIVE = "active", "在岗"
    PAUSED = "paused", "暂停"
    LEFT = "left", "已退出"
    REFUSED = "refused", "未通过"


class Volunteer(models.Model):
    """A person who serves: a resident (logged in by phone) or a staff user. `village` is the village that
    approves them (their own); `villages` are the villages they serve (their own included)."""

    resident = models.OneToOneField("people.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="volunteer")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="volunteer")
    name = models.CharField("姓名", max_length=50)  # copied for display; never an ID number or phone
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="volunteers",
                                verbose_name="所属村社")
    villages = models.ManyToManyField("org.OrgUnit", related_name="served_by", verbose_name="服务村社")
    skills = models.ManyToManyField(Skill, related_name="volunteers", verbose_name="技能")
    # [{"weekday": 0..6 (Monday 0), "start": "08:00", "end": "12:00"}, ...]; empty means "any time"
    availability = models.JSONField("可服务时间", default=list, blank=True)
    intro = models.CharField("个人简介", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=VolunteerStatus.choices,
                              default=VolunteerStatus.APPLIED)
    status_reason = models.CharField("状态说明", max_length=200, blank=True)
    applied_at = models.DateTimeField("申请时间")
    approved_at = models.DateTimeField("审核通过时间", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["village_id", "name", "id"]
        constraints = [models.CheckConstraint(condition=Q(resident__isnull=False) | Q(user__isnull=False),
                                              name="volunteer_is_someone")]
        indexes = [models.Index(fields=["village", "status"])]
        verbose_name = "志愿者"
        verbose_name_plural = "志愿者"

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", "待派单"
    ASSIGNED = "assigned", "已派单"
    ACCEPTED = "accepted", "已接单"
    SERVING = "serving", "服务中"
    SERVED = "served", "待确认"
    CONFIRMED = "confirmed", "已完成"
    CANCELLED = "cancelled", "已取消"


class ServiceRequest(models.Model):
    """A resident's request for a service, or a 求助 case handed to the service team (then `case` is set and
    every step also goes on the case's timeline: one case, one timeline)."""

    number = models.CharField("编号", max_length=32, unique=True)  # BS20261207-0001
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="service_requests",
                                verbose_name="村社")
    team = models.ForeignKey("councils.Council", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="service_requests", verbose_name="服务团")
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="service_requests", verbose_name="求助居民")
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    requester_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="service_requests")
    requester_name = models.CharField("求助人", max_length=50, blank=True)  # surname + 某 on public pages
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="requests", verbose_name="服务类别")
    text = models.TextField("需求说明")
    wanted_from = models.DateTimeField("希望服务时间", null=True, blank=True)
    wanted_to = models.DateTimeField("最晚服务时间", null=True, blank=True)
    case = models.OneToOneField("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="service_request", verbose_name="来源求助")
    status = models.CharField("状态", max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.REQUESTED)
    volunteer = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="requests", verbose_name="志愿者")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    checkin_at = models.DateTimeField(null=True, blank=True)
    checkin_lat = models.FloatField(null=True, blank=True)
    checkin_lon = models.FloatField(null=True, blank=True)
    checkout_at = models.DateTimeField(null=True, blank=True)
    checkout_lat = models.FloatField(null=True, blank=True)
    checkout_lon = models.FloatField(null=True, blank=True)
    service_note = models.TextField("服务记录", blank=True)
    photo = models.ImageField(upload_to="volunteers/%Y/%m/", blank=True)
    hours = models.DecimalField("服务时长（小时）", max_digits=6, decimal_places=2, null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField("满意度", null=True, blank=True)  # 1..5
    rating_comment = models.CharField("评价", max_length=200, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["village", "status", "-created_at"]),
                   models.Index(fields=["volunteer", "status"])]
        verbose_name = "服务需求"
        verbose_name_plural = "服务需求"

    def __str__(self) -> str:
        return self.number


class RequestEvent(models.Model):
    """The request's timeline (assigned, declined, accepted, check-in, check-out, confirmed, rated...)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    volunteer = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class ActivityStatus(models.TextChoices):
    OPEN = "open", "报名中"
    CLOSED = "closed", "报名截止"
    DONE = "done", "已结束"
    CANCELLED = "cancelled", "已取消"


class Activity(models.Model):
    """An organised event (a clean-up day, a free clinic) of a team, with sign-up, capacity and QR check-in
    and check-out; hours are credited per volunteer times the multiplier."""

    team = models.ForeignKey("councils.Council", on_delete=models.PROTECT, related_name="activities",
                             verbose_name="服务团")
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="activities",
                             verbose_name="村社")  # the team's unit, copied for scoped lists
    title = models.CharField("名称", max_length=100)
    text = models.TextField("内容", blank=True)
    place = models.CharField("地点", max_length=200)
    skill = models.ForeignKey(Skill, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name="类别")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额")
    multiplier = models.DecimalField("积分倍数", max_digits=4, decimal_places=2, default=1)
    status = models.CharField("状态", max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.OPEN)
    checkin_secret = models.CharField(max_length=32)  # in the QR code shown at the venue
    checkin_code = models.CharField(max_length=6)  # typed when the phone cannot scan
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["unit", "-starts_at"])]
        verbose_name = "志愿活动"
        verbose_name_plural = "志愿活动"

    def __str__(self) -> str:
        return self.title


class ActivitySignup(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="signups")
    signed_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checkin_at = models.DateTimeField(null=True, blank=True)
    checkout_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "volunteer"], name="one_signup_per_activity")]


class Account(models.Model):
    """A time-bank account: one per person (a resident or a staff user), with the code staff scan at the
    store's counter. The balance is never stored: it is the sum of the entries."""

    resident = models.OneToOneField("people.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="points_account")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="points_account")
    name = models.CharField("姓名", max_length=50)
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="points_accounts",
                                verbose_name="所属村社")
    code = models.CharField("积分码", max_length=32, unique=True)  # random; shown as a QR on the phone
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["village_id", "name", "id"]
        constraints = [models.CheckConstraint(condition=Q(resident__isnull=False) | Q(user__isnull=False),
                                              name="account_is_someone")]
        verbose_name = "积分账户"
        verbose_name_plural = "积分账户"

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    SERVICE = "service", "志愿服务"
    ACTIVITY = "activity", "志愿活动"
    CIVIC = "civic", "文明行为"
    REDEEM = "redeem", "积分兑换"
    CORRECTION = "correction", "更正"


class AppendOnly(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the time-bank ledger is append-only: write a correction")

    def delete(self):
        raise TypeError("the time-bank ledger is append-only: write a correction")


class Entry(models.Model):
    """One line of the time bank. Never edited or deleted (the model and its queryset refuse); a correction
    is a new entry with a reason and `corrects` set. `source` makes a credit happen once per thing credited
    (``request:12``, ``signup:34``, ``civic:topic:56:7``...)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    hours = models.DecimalField("时长（小时）", max_digits=8, decimal_places=2, default=0)
    points = models.IntegerField("积分")  # positive credits, negative redemptions; corrections either way
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+",
                                verbose_name="村社")  # where it was earned or spent (rankings, reports)
    at = models.DateTimeField("时间")
    source = models.CharField(max_length=60, null=True, blank=True, unique=True)
    request = models.ForeignKey(ServiceRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signup = models.ForeignKey(ActivitySignup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("StoreItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    note = models.CharField("说明", max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField()

    objects = AppendOnly.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # (account, at, points, hours) covers a balance, an account's hours and its list (no table reads)
        indexes = [models.Index(fields=["account", "at", "points", "hours"], name="entry_account_covering"),
                   models.Index(fields=["village", "at"]),
                   models.Index(fields=["kind", "at"])]
        verbose_name = "积分流水"
        verbose_name_plural = "积分流水"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise TypeError("the time-bank ledger is append-only: write a correction")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the time-bank ledger is append-only: write a correction")


class PointsRule(models.Model):
    """The county's conversion rule (one row, edited in the admin): hours → points."""

    points_per_hour = models.PositiveIntegerField("每小时积分", default=10)
    max_hours_per_service = models.DecimalField("单次服务最多计时（小时）", max_digits=4, decimal_places=1,
                                                default=8)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"


class CivicAct(models.Model):
    """A civic act the county rewards with points (垃圾分类检查合格, 议事会决定落实...)."""

    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=50)
    points = models.PositiveIntegerField("积分")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "文明积分项目"
        verbose_name_plural = "文明积分项目"

    def __str__(self) -> str:
        return self.name


DEFAULT_CIVIC_ACTS = [
    ("waste_sorting", "垃圾分类检查合格", 5),
    ("council_topic_done", "议事会议题落实", 20),
    ("good_deed", "好人好事上红榜", 30),
]


class StoreItem(models.Model):
    """An item in a village's points store (积分超市) with its price in points and its stock."""

    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="store_items",
                                verbose_name="村社")
    name = models.CharField("名称", max_length=50)
    price = models.PositiveIntegerField("所需积分")
    stock = models.PositiveIntegerField("库存")
    is_active = models.BooleanField("上架", default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["village_id", "price", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="store_item_price_positive")]
        verbose_name = "积分超市商品"
        verbose_name_plural = "积分超市商品"

    def __str__(self) -> str:
        return self.name
