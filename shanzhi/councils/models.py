"""Councils on the grid (百姓议事会, 乡贤参事会, 法律服务团, 道德评判团): one engine of council types, councils
per unit, members with terms, topics residents raise and support, meetings with agendas, attendance and
votes, and decisions followed through to the end.

Every write goes through `services` (and the gate in accounts/scopes.py); pages and the API only read
through `selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CouncilType(models.Model):
    """A kind of council with its rules; the four defaults are made by `defaults.ensure_types()`."""

    class Membership(models.TextChoices):
        RESIDENTS = "residents", "本村（社区）居民"
        RESIDENTS_AND_STAFF = "residents_staff", "居民和工作人员"
        STAFF = "staff", "工作人员"

    class Raisers(models.TextChoices):
        RESIDENTS = "residents", "本村（社区）居民"
        MEMBERS = "members", "成员"
        CADRES = "cadres", "村社干部"

    class Majority(models.TextChoices):
        HALF_PRESENT = "half_present", "超过到会成员半数"
        HALF_MEMBERS = "half_members", "超过全体成员半数"
        TWO_THIRDS_PRESENT = "two_thirds_present", "到会成员三分之二以上"
        TWO_THIRDS_MEMBERS = "two_thirds_members", "全体成员三分之二以上"

    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=50)
    name_en = models.CharField("英文名称", max_length=80, blank=True)
    purpose = models.TextField("职责", blank=True)
    membership = models.CharField("成员来源", max_length=20, choices=Membership.choices,
                                  default=Membership.RESIDENTS)
    # levels (org.Level values) that have one such council, e.g. ["village"] or ["village", "town"]
    levels = models.JSONField("设立层级", default=list)
    # share of members that must be present before any vote, in percent (e.g. 50 means more than half: see
    # services.quorum_met for the exact rule)
    quorum_percent = models.PositiveSmallIntegerField("法定人数（%）", default=50)
    majority = models.CharField("表决规则", max_length=20, choices=Majority.choices, default=Majority.HALF_PRESENT)
    raisers = models.CharField("谁可提出议题", max_length=12, choices=Raisers.choices, default=Raisers.RESIDENTS)
    supports_needed = models.PositiveSmallIntegerField("列入议程所需附议数", default=10)
    flags_to_hide = models.PositiveSmallIntegerField("自动隐藏所需举报数", default=3)
    public_meetings = models.BooleanField("会议公开", default=True)
    secret_ballot = models.BooleanField("无记名表决", default=False)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "议事组织类型"
        verbose_name_plural = "议事组织类型"

    def __str__(self) -> str:
        return self.name


class Council(models.Model):
    """One council of a type at one unit (a village's 百姓议事会)."""

    type = models.ForeignKey(CouncilType, on_delete=models.PROTECT, related_name="councils")
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="councils")
    name = models.CharField("名称", max_length=100)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "type__sort"]
        constraints = [models.UniqueConstraint(fields=["type", "unit"], name="council_one_per_type_unit")]
        verbose_name = "议事组织"
        verbose_name_plural = "议事组织"

    def __str__(self) -> str:
        return self.name


class Position(models.TextChoices):
    CHAIR = "chair", "主任"
    VICE_CHAIR = "vice_chair", "副主任"
    SECRETARY = "secretary", "秘书"
    MEMBER = "member", "成员"


class ChosenBy(models.TextChoices):
    ELECTED = "elected", "推选"
    APPOINTED = "appointed", "聘任"
    EX_OFFICIO = "ex_officio", "当然成员"
    VOLUNTEERED = "volunteered", "自荐"


class Member(models.Model):
    """A term of membership: a resident from the registry or a staff user. Leaving ends the term
    (`ended_on`); the row stays as history. A current member has ended_on null or in the future."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="members")
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="council_terms")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="council_terms")
    name = models.CharField("姓名", max_length=50)  # copied for display; never an ID number or phone
    position = models.CharField("职务", max_length=12, choices=Position.choices, default=Position.MEMBER)
    chosen_by = models.CharField("产生方式", max_length=12, choices=ChosenBy.choices, default=ChosenBy.ELECTED)
    started_on = models.DateField("任期开始")
    term_ends_on = models.DateField("任期届满", null=True, blank=True)
    ended_on = models.DateField("离任日期", null=True, blank=True)
    end_reason = models.CharField("离任原因", max_length=200, blank=True)

    class Meta:
        ordering = ["council", "position", "started_on"]
        constraints = [models.CheckConstraint(condition=models.Q(resident__isnull=False) | models.Q(user__isnull=False),
                                              name="member_is_someone")]
        indexes = [models.Index(fields=["council", "ended_on"])]
        verbose_name = "成员"
        verbose_name_plural = "成员"

    def __str__(self) -> str:
        return self.name


class TopicStatus(models.TextChoices):
    RAISED = "raised", "已提出"
    ACCEPTED = "accepted", "已受理"
    DECLINED = "declined", "不予受理"
    SCHEDULED = "scheduled", "已列入议程"
    DELIBERATED = "deliberated", "已审议"
    DECIDED = "decided", "已决定"
    IN_PROGRESS = "in_progress", "办理中"
    DONE = "done", "已办结"


class TopicKind(models.TextChoices):
    """What a topic is: a matter for deliberation, or the legal and moral panels' own work brought to a
    meeting (a good deed nominated for the honour roll, a conduct complaint heard)."""

    MATTER = "matter", "议题"
    NOMINATION = "nomination", "好人好事推荐"
    COMPLAINT = "complaint", "不文明行为评议"


class Topic(models.Model):
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="topics")
    kind = models.CharField("类别", max_length=12, choices=TopicKind.choices, default=TopicKind.MATTER)
    number = models.CharField("编号", max_length=32, unique=True)
    title = models.CharField("标题", max_length=100)
    text = models.TextField("内容")
    category = models.ForeignKey("cases.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name="分类")
    status = models.CharField("状态", max_length=12, choices=TopicStatus.choices, default=TopicStatus.RAISED)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="council_topics")
    author_resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="council_topics")
    author_name = models.CharField("提出人", max_length=50, blank=True)  # never shown when anonymous
    anonymous = models.BooleanField("对公众匿名", default=False)
    # a grid worker or micro-grid head who raised it for a resident without a phone (audited)
    proxy = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="council_topics", verbose_name="来源诉求")
    support_count = models.PositiveIntegerField("附议数", default=0)
    decline_reason = models.TextField("不予受理理由", blank=True)
    hidden = models.BooleanField("已隐藏", default=False)
    hidden_reason = models.CharField("隐藏理由", max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["council", "status", "-created_at"]),
                   models.Index(fields=["status", "-created_at"])]
        verbose_name = "议题"
        verbose_name_plural = "议题"

    def __str__(self) -> str:
        return self.title


class TopicPhoto(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="councils/%Y/%m/")
    created_at = models.DateTimeField()


class TopicEvent(models.Model):
    """The topic's timeline: every step, who took it (and for whom, when by proxy), with a public note."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]


class Support(models.Model):
    """附议: one per resident per topic (a proxy support names the resident and the worker)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="supports")
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="council_supports")
    proxy = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "resident"], name="support_once")]


class Follow(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="council_follows")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="topic_follow_once")]


class Comment(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_name = models.CharField(max_length=50)
    text = models.TextField()
    flag_count = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")  # null and hidden: hidden automatically after N flags
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]


class CommentFlag(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_flag_once")]


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "已安排"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"
    CANCELLED = "cancelled", "已取消"


class Meeting(models.Model):
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField("会议名称", max_length=100)
    starts_at = models.DateTimeField("开始时间", db_index=True)
    ends_at = models.DateTimeField("结束时间")
    # the bookable room (shanzhi.rooms) or a free-text place when the meeting is held elsewhere
    booking = models.OneToOneField("rooms.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="council_meeting")
    place = models.CharField("地点", max_length=100, blank=True)
    is_public = models.BooleanField("公开", default=True)
    status = models.CharField("状态", max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    # secret used in the check-in QR code shown at the venue (members scan it on their phone)
    checkin_token = models.CharField(max_length=32, blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = "会议"
        verbose_name_plural = "会议"

    def __str__(self) -> str:
        return self.title


class MeetingFile(models.Model):
    """A file kept with a meeting's record (the signed minutes, the attendance sheet, a plan discussed): a
    photo (re-encoded) or a PDF; shown to staff in scope and members, never to the public."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="councils/meetings/%Y/%m/")
    name = models.CharField("名称", max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="agenda_items")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "topic"], name="agenda_topic_once")]


class Attendance(models.Model):
    class How(models.TextChoices):
        QR = "qr", "扫码签到"
        SECRETARY = "secretary", "秘书登记"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendance")
    how = models.CharField(max_length=10, choices=How.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attend_once")]


class MotionResult(models.TextChoices):
    PENDING = "", "未表决"
    PASSED = "passed", "通过"
    FAILED = "failed", "未通过"


class Motion(models.Model):
    """A question put to the vote at a meeting, usually on an agenda topic."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="motions")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="motions")
    text = models.TextField("表决事项")
    secret = models.BooleanField("无记名", default=False)
    # counts are stored for every vote (per-member ballots add up to them; a show of hands is counts only)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)  # members present when the vote was taken
    members = models.PositiveIntegerField(default=0)  # current members when the vote was taken
    by_show_of_hands = models.BooleanField(default=False)
    result = models.CharField(max_length=8, choices=MotionResult.choices, default=MotionResult.PENDING, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class Ballot(models.Model):
    """One member's vote on a motion; on a secret motion only the fact that they voted is kept
    (`choice` is blank) and the counts on the motion carry the result."""

    class Choice(models.TextChoices):
        YES = "yes", "赞成"
        NO = "no", "反对"
        ABSTAIN = "abstain", "弃权"

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="ballots")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ballots")
    choice = models.CharField(max_length=8, choices=Choice.choices, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["motion", "member"], name="ballot_once")]


class DecisionOutcome(models.TextChoices):
    ADOPTED = "adopted", "通过"
    REJECTED = "rejected", "否决"
    REFERRED = "referred", "转交办理"


class Decision(models.Model):
    """What a council decided on a topic; published on the village feed and followed through: the topic
    is done when every case and task it opened is."""

    topic = models.OneToOneField(Topic, on_delete=models.PROTECT, related_name="decision")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions")
    motion = models.OneToOneField(Motion, null=True, blank=True, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField("结果", max_length=10, choices=DecisionOutcome.choices)
    text = models.TextField("决定内容")
    referred_to = models.CharField("转交至", max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]


class DecisionCase(models.Model):
    """A case (channel 议事会) the decision opened."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="council_decision_link")


class Task(models.Model):
    """A follow-through task with an owner and a deadline."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField("任务", max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="council_tasks")
    due_on = models.DateField("完成期限")
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]


class ProgressNote(models.Model):
    """A public progress update on a decision (0–100 %)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="progress_notes")
    percent = models.PositiveSmallIntegerField()
    note = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
