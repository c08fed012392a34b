"""Household campaigns: one engine for night visits and emergency mobilisation.

A campaign puts every household of a scope in the hands of one responsible person and records each
household's outcomes until it is reached; grids sign off; emergencies add measures, sites and check-ins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    NIGHT_VISIT = "night_visit", "网格夜访"
    EMERGENCY = "emergency", "应急动员"
    SURVEY = "survey", "入户排查"


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", "进行中"
    CLOSED = "closed", "已结束"


class Rule(models.TextChoices):
    CENTRAL_HOUSEHOLD = "central_household", "党员中心户"
    CADRE = "cadre", "进村报到党员干部"
    GRID_WORKER = "grid_worker", "网格员"


class Campaign(models.Model):
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    name = models.CharField("名称", max_length=100)
    status = models.CharField("状态", max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE)
    # The lowest unit holding the whole scope: who may see and run the campaign.
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="campaigns")
    scope = models.JSONField("范围", default=dict)  # how it was chosen: units, polygon, radius, list, tags
    rule = models.CharField("责任人规则", max_length=20, choices=Rule.choices)
    capacity = models.PositiveSmallIntegerField("每人户数上限", default=10)
    done_outcomes = models.JSONField("完成的结果", default=list)
    starts_at = models.DateTimeField("开始")
    ends_at = models.DateTimeField("结束", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    assigned_at = models.DateTimeField("全部分配完成", null=True, blank=True)
    all_notified_at = models.DateTimeField("全部通知到位", null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = "走访/动员任务"
        verbose_name_plural = "走访/动员任务"

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    VISITED = "visited", "已走访"
    NOT_HOME = "not_home", "不在家"
    REFUSED = "refused", "拒绝"
    VACANT = "vacant", "空置"
    MOVED = "moved", "已搬离"
    NOTIFIED = "notified", "已通知"
    IN_PLACE = "in_place", "已落实管控"


class Measure(models.TextChoices):
    """The epidemic's declared measures (the seeded codes); other types configure their own."""

    NONE = "", "无"
    HOME = "home", "居家隔离"
    CENTRALISED = "centralised", "集中隔离"


class IncidentType(models.Model):
    """A kind of emergency the county configures, with its measures and its words (epidemic, evacuation...)."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=30)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    has_checkins = models.BooleanField("有健康打卡", default=False)
    period_days = models.PositiveSmallIntegerField("默认措施天数（0为不限）", default=0)
    measures_label = models.CharField("措施的叫法", max_length=20, default="处置措施")
    in_place_label = models.CharField("落实的叫法", max_length=20, default="已落实")
    index_label = models.CharField("当事户的叫法", max_length=20, default="当事户")
    person_label = models.CharField("当事人的叫法（空为不问）", max_length=20, blank=True)
    contacts_label = models.CharField("相关户的叫法", max_length=20, default="相关户")
    site_label = models.CharField("集中点的叫法", max_length=20, blank=True)

    class Meta:
        ordering = ["sort", "id"]
        verbose_name = "应急事件类型"
        verbose_name_plural = "应急事件类型"

    def __str__(self) -> str:
        return self.name


class IncidentMeasure(models.Model):
    """A measure of an incident type: chosen when declaring (居家隔离) or recorded per household (已转移)."""

    type = models.ForeignKey(IncidentType, on_delete=models.CASCADE, related_name="measures", verbose_name="类型")
    code = models.SlugField("编码", max_length=12)
    name = models.CharField("名称", max_length=30)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    at_declaration = models.BooleanField("宣布时为全部户选定", default=False)
    in_field = models.BooleanField("现场逐户一键记录", default=False)
    needs_reason = models.BooleanField("须说明原因", default=False)
    checkins = models.BooleanField("需要健康打卡", default=False)
    uses_site = models.BooleanField("入住集中点", default=False)

    class Meta:
        ordering = ["type", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["type", "code"], name="measure_code_once_per_type")]
        verbose_name = "措施"
        verbose_name_plural = "措施"

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One household in a campaign, with its responsible person and where it stands."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="campaign_targets")
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")  # the micro-grid
    central = models.ForeignKey("people.CentralHousehold", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="campaign_targets")
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="campaign_targets")  # the responsible party member / leader
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="campaign_targets")  # a grid worker, or the leader's account
    unassigned_reason = models.CharField(max_length=100, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True, db_index=True)
    met_cadre = models.BooleanField(default=False)
    revisit_due = models.DateTimeField(null=True, blank=True)
    pending_reason = models.CharField(max_length=200, blank=True)
    route_order = models.PositiveIntegerField(default=0)
    measure = models.CharField(max_length=12, blank=True, default="")  # a code of the incident type's measures
    checkin = models.BooleanField(default=False)  # health check-ins apply (the measure has them)
    measure_start = models.DateField(null=True, blank=True)
    measure_end = models.DateField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    in_place_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="household_once_per_campaign")]
        indexes = [models.Index(fields=["campaign", "reached_at"]), models.Index(fields=["campaign", "central"]),
                   models.Index(fields=["campaign", "user"])]


class Visit(models.Model):
    """An outcome recorded for a household: who, when, where, whom they met."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="visits")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_cadre = models.BooleanField(default=False)
    met_whom = models.CharField(max_length=100, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    photo = models.FileField(upload_to="visits/%Y/%m/", blank=True)
    note = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]


class SignOff(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signoffs")
    grid = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "grid"], name="one_signoff_per_grid")]


class Incident(models.Model):
    """An emergency: what happened, where, the index household or person, and the contacts."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="incident")
    kind = models.ForeignKey(IncidentType, null=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="事件类型")
    type = models.CharField("事件名称", max_length=50)
    occurred_at = models.DateTimeField("发生时间")
    place = models.CharField("地点", max_length=200)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    index_household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    index_person = models.CharField("指示病例/当事人", max_length=50, blank=True)
    contacts = models.JSONField("密切接触者", default=list, blank=True)


class Site(models.Model):
    """A site people are checked into, with rooms: a quarantine site, a shelter (安置点)..."""

    name = models.CharField("名称", max_length=100)
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=200, blank=True)
    rooms = models.PositiveIntegerField("房间数")
    capacity = models.PositiveIntegerField("容量（人）")
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class Stay(models.Model):
    """A resident in a centralised site: room, check-in and check-out."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="stays")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="stays")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    room = models.CharField(max_length=20)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)


class CheckIn(models.Model):
    """A daily health check-in of a person under a measure."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="checkins")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="checkins")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    at = models.DateTimeField()
    temperature = models.DecimalField(max_digits=3, decimal_places=1)
    symptoms = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    self_reported = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "resident", "day"], name="one_checkin_a_day")]
