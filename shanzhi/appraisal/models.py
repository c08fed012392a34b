"""The moral-appraisal panel 道德评判团: nominations of good deeds for the village's honour roll (红榜),
conduct complaints with their hearing (评议) and decision, and the county's public criticism list (黑榜).

The panel is a council of type "moral" at a village; its work rides on the council engine: each
nomination and complaint is a `councils.Topic` (kind nomination / complaint) that the panel takes to a
meeting and decides. These rows hold what is particular to the panel, one per topic. Every write goes
through `services`; pages and the API read through `selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DeedKind(models.TextChoices):
    GOOD_DEED = "good_deed", "好人好事"
    FAMILY = "family", "最美家庭"
    FILIAL = "filial", "孝老爱亲"
    BRAVE = "brave", "见义勇为"
    OTHER = "other", "其他"


class Outcome(models.TextChoices):
    PENDING = "", "待评议"
    ADOPTED = "adopted", "通过"
    REJECTED = "rejected", "未通过"
    REFERRED = "referred", "转交办理"


class Nomination(models.Model):
    """A good deed nominated for the honour roll (one per topic of kind nomination)."""

    topic = models.OneToOneField("councils.Topic", on_delete=models.CASCADE, related_name="nomination")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="nominations")
    kind = models.CharField("类别", max_length=12, choices=DeedKind.choices)
    nominee_name = models.CharField("被推荐人", max_length=50)
    deed = models.TextField("事迹")
    outcome = models.CharField("评议结果", max_length=10, choices=Outcome.choices, default=Outcome.PENDING,
                               blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["village", "-created_at"])]
        verbose_name = "好人好事推荐"
        verbose_name_plural = "好人好事推荐"

    def __str__(self) -> str:
        return f"{self.nominee_name}（{self.get_kind_display()}）"


class HonourEntry(models.Model):
    """A line of a village's honour roll 红榜: what residents and the public page show (no ID, no phone)."""

    nomination = models.OneToOneField(Nomination, on_delete=models.PROTECT, related_name="honour")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="honour_entries")
    nominee_name = models.CharField("姓名", max_length=50)
    kind = models.CharField("类别", max_length=12, choices=DeedKind.choices)
    citation = models.TextField("事迹")
    honoured_on = models.DateField("上榜日期", db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-honoured_on", "-id"]
        indexes = [models.Index(fields=["village", "-honoured_on"])]
        verbose_name = "红榜"
        verbose_name_plural = "红榜"

    def __str__(self) -> str:
        return self.nominee_name


class ConductKind(models.TextChoices):
    UNCIVIL = "uncivil", "不文明行为"
    ELDERS = "elders", "不赡养老人"
    DUMPING = "dumping", "乱扔乱倒垃圾"
    OTHER = "other", "其他"


class Remedy(models.TextChoices):
    """What the panel decides on a complaint (the council's decision maps to one of these)."""

    EDUCATE = "educate", "批评教育"
    CORRECT = "correct", "责令改正"
    NOT_UPHELD = "not_upheld", "不予认定"
    REFERRED = "referred", "转交有关部门"


UPHELD = (Remedy.EDUCATE, Remedy.CORRECT)


class Complaint(models.Model):
    """A conduct complaint heard by the panel (one per topic of kind complaint).

    `subject_name` is who the complaint is about: shown to the panel and staff in scope, on the public
    criticism list only where the county allows names."""

    topic = models.OneToOneField("councils.Topic", on_delete=models.CASCADE, related_name="complaint")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="conduct_complaints")
    kind = models.CharField("类别", max_length=12, choices=ConductKind.choices)
    subject_name = models.CharField("被反映人", max_length=50, blank=True)
    act = models.TextField("行为经过")
    occurred_on = models.DateField("发生日期", null=True, blank=True)
    # the hearing 评议
    heard_on = models.DateField("评议日期", null=True, blank=True)
    heard = models.TextField("听取意见的人员", blank=True)  # names only, as text
    findings = models.TextField("评议意见", blank=True)
    proposed = models.CharField("建议处理", max_length=12, choices=Remedy.choices[:2], blank=True)
    public_text = models.CharField("公示内容", max_length=200, blank=True)
    heard_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    # the decision (from the council's decision on the topic) and what followed
    decision = models.CharField("处理决定", max_length=12, choices=Remedy.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    follow_up = models.TextField("跟踪回访", blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    corrected = models.BooleanField("已改正", default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["village", "decision", "-decided_at"])]
        verbose_name = "不文明行为评议"
        verbose_name_plural = "不文明行为评议"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.topic.number}）"


class AppraisalSettings(models.Model):
    """A county's settings of the panel: the public criticism list 黑榜 is off until the county turns it
    on, and shows only what the county allows (by default: the act, the village and the date)."""

    county = models.OneToOneField("org.OrgUnit", on_delete=models.CASCADE, related_name="appraisal_settings")
    blacklist_enabled = models.BooleanField("公开曝光台（黑榜）", default=False)
    show_names = models.BooleanField("公示姓名", default=False)
    show_text = models.BooleanField("公示说明", default=False)
    show_decision = models.BooleanField("公示处理决定", default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "道德评判设置"
        verbose_name_plural = "道德评判设置"

    def __str__(self) -> str:
        return f"道德评判设置（{self.county}）"
