"""Cases: every request from raising to rating, with one timeline, deadlines and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    PROBLEM = "problem", "反映问题"
    HELP = "help", "求助"


class HandlingLevel(models.TextChoices):
    GRID = "grid", "网格"
    VILLAGE = "village", "村/社区"
    TOWN = "town", "镇/街道"
    COUNTY = "county", "县"


LEVEL_ORDER = [HandlingLevel.GRID, HandlingLevel.VILLAGE, HandlingLevel.TOWN, HandlingLevel.COUNTY]


class DeadlineUnit(models.TextChoices):
    WORKING_HOURS = "hours", "工作小时"
    WORKING_DAYS = "days", "工作日"


class Category(models.Model):
    """A case category (also the Open311 service code); a short tree of groups and leaves."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50)
    name_en = models.CharField("英文名", max_length=80, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.CharField("说明", max_length=200, blank=True)
    keywords = models.CharField("关键词", max_length=200, blank=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.PROBLEM)
    default_level = models.CharField("默认处置层级", max_length=10, choices=HandlingLevel.choices,
                                     default=HandlingLevel.GRID)
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   verbose_name="默认部门")
    is_dispute = models.BooleanField("矛盾纠纷类", default=False)
    is_active = models.BooleanField(default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "诉求类别"
        verbose_name_plural = "诉求类别"

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    CRITICAL = "critical", "特急"


class DeadlineRule(models.Model):
    """How long a category may take at a priority, in working hours or working days."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="deadline_rules")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    amount = models.PositiveSmallIntegerField("时限")
    unit = models.CharField(max_length=6, choices=DeadlineUnit.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "priority"], name="one_rule_per_priority")]


class Status(models.TextChoices):
    REPORTED = "reported", "已上报"
    ACCEPTED = "accepted", "已受理"
    DISPATCHED = "dispatched", "已派遣"
    HANDLING = "handling", "处置中"
    HANDLED = "handled", "已处置"
    VERIFIED = "verified", "已核查"
    CLOSED = "closed", "已结案"
    RATED = "rated", "已评价"
    PARKED = "parked", "挂账"
    VOID = "void", "作废"
    DUPLICATE = "duplicate", "重复"


CLOSED_STATUSES = (Status.CLOSED, Status.RATED)
OPEN_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED,
                 Status.VERIFIED)


class Channel(models.TextChoices):
    RESIDENT = "resident", "居民上报"
    PATROL = "patrol", "网格巡查"
    NIGHT_VISIT = "night_visit", "网格夜访"
    HOTLINE = "hotline", "热线"
    WALK_IN = "walk_in", "来访"
    OPEN311 = "open311", "Open311"
    COUNCIL = "council", "议事会"


class Supervision(models.TextChoices):
    NONE = "", "无"
    NORMAL = "normal", "督办"
    YELLOW = "yellow", "黄牌督办"
    RED = "red", "红牌督办"


class Case(models.Model):
    number = models.CharField("编号", max_length=24, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", verbose_name="类别")
    priority = models.CharField("紧急程度", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField("来源", max_length=12, choices=Channel.choices)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.REPORTED, db_index=True)
    description = models.TextField("描述")
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # Where it happened (micro-grid, or the county for triage) and who holds it now.
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="cases", verbose_name="发生地")
    handling_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="handled_cases",
                                      verbose_name="承办单位")
    handling_level = models.CharField("承办层级", max_length=10, choices=HandlingLevel.choices)
    first_level = models.CharField("首次承办层级", max_length=10, choices=HandlingLevel.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_cases", verbose_name="承办人")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="cases", verbose_name="承办部门")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reported_cases")
    reporter_name = models.CharField("报告人", max_length=50, blank=True)
    reporter_phone_enc = models.TextField(blank=True)
    reporter_phone_masked = models.CharField(max_length=11, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    is_public = models.BooleanField("公开", default=True)
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="entered_cases")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    open311_client = models.ForeignKey("ApiKey", null=True, blank=True, on_delete=models.SET_NULL)
    reported_at = models.DateTimeField("上报时间", db_index=True)
    first_response_at = models.DateTimeField("首次响应", null=True, blank=True)
    deadline_at = models.DateTimeField("办结时限", null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField("预警时间", null=True, blank=True)
    extension_requested_until = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=200, blank=True)
    supervision = models.CharField("督办", max_length=8, choices=Supervision.choices, blank=True, default="")
    escalations = models.PositiveSmallIntegerField("上报次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("返工次数", default=0)
    overdue_escalated_level = models.CharField(max_length=10, blank=True)
    warned_for = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True, db_index=True)
    closed_level = models.CharField(max_length=10, choices=HandlingLevel.choices, blank=True)
    closed_on_time = models.BooleanField(null=True)
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    satisfied = models.BooleanField("满意", null=True)
    rating_comment = models.CharField(max_length=500, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    followers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="followed_cases")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        indexes = [
            models.Index(fields=["handling_unit", "status", "deadline_at"]),
            models.Index(fields=["assignee", "status", "deadline_at"]),
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["category", "reported_at"]),
            # The case lists walk this newest first; it holds what visibility and the common filters test,
            # so a page reads the index only (cases.selectors.case_list_page).
            models.Index(fields=["reported_at", "id", "status", "category", "unit", "handling_unit"],
                         name="case_list_walk"),
            # Cases a user reported: most cases have no reporting user, so an index of all rows looks
            # useless to a planner with statistics (one NULL key); this one holds only the set ones.
            models.Index(fields=["reporter", "reported_at"], condition=models.Q(reporter__isnull=False),
                         name="case_reporter_set"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Event(models.Model):
    """One step on a case's timeline: actor, time, action, note, attachments."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=100)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField()


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=300)
    # where a notification of no case opens (a council topic, a meeting): a path on this site
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # One notification per (user, case, kind, key): sweeps may run twice without sending twice.
    dedupe_key = models.CharField(max_length=100)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once")]


class CaseNumber(models.Model):
    """Daily counter for readable case numbers (county-date-sequence)."""

    prefix = models.CharField(max_length=16, unique=True)
    last = models.PositiveIntegerField(default=0)


class ApiKey(models.Model):
    """An Open311 client's api_key; stored hashed, shown once."""

    name = models.CharField("名称", max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class PendingUpload(models.Model):
    """A photo uploaded on its own before its form is sent: checked and re-encoded already, owned by
    one user, claimed once by the form that sends its token, gone after PENDING_HOURS."""

    token = models.CharField(max_length=48, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_uploads")
    data = models.BinaryField()
    thumb = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)


class RatingLink(models.Model):
    """A short link in the rating SMS: rates one case, once, until it expires. Only the token's hash is
    stored, so the table gives no link away; a newer link of the same case replaces the older."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="rating_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
