"""Village and community committee elections (村社换届选举).

A county `Round` (换届) holds one `Election` per village or community. Each election has its election
committee, a voter roll made from the registry, candidates nominated by the voters, polling stations and
mobile ballot boxes (a box's route is a household campaign), proxies, check-in, tallies and results.

**Ballot secrecy by construction**: `Participation` records that a voter took part (and where), and the
tallies (`Tally`, `TallyLine`) hold counts per station only. No table links a voter to a choice, and the
audit rows of a tally hold counts only. Every write goes through the services and the gate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Rules(models.Model):
    """The county's election rules (one row per round, copied from the national law's defaults and editable,
    since provinces differ). Days are calendar days counted back from election day or forward from an
    event, as `elections.rules` computes them."""

    roll_days_before = models.PositiveSmallIntegerField("选民名单至少提前公布（日）", default=20)
    objection_days = models.PositiveSmallIntegerField("公布后提出异议期限（日）", default=5)
    answer_days = models.PositiveSmallIntegerField("异议答复期限（日）", default=3)
    candidates_days_before = models.PositiveSmallIntegerField("正式候选人至少提前公布（日）", default=5)
    voting_age = models.PositiveSmallIntegerField("选民年龄（周岁）", default=18)
    residence_years = models.PositiveSmallIntegerField("非户籍居住满（年）可申请登记", default=1)
    min_women = models.PositiveSmallIntegerField("当选成员中至少妇女名额", default=1)
    proxy_limit = models.PositiveSmallIntegerField("每人最多接受委托（人）", default=3)
    proxy_close_relative_only = models.BooleanField("只能委托近亲属", default=False)
    min_scrutineers = models.PositiveSmallIntegerField("每个投票站（票箱）至少监票计票人员", default=3)
    service_record_consent = models.BooleanField("候选人履职记录须本人同意方可公开", default=True)

    class Meta:
        verbose_name = "选举规则"
        verbose_name_plural = "选举规则"


class Round(models.Model):
    """A county's round of elections (换届), with its schedule."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="election_rounds",
                             verbose_name="县（市、区）")
    name = models.CharField("名称", max_length=100)  # 2026年村社组织换届选举
    election_day = models.DateField("统一选举日")
    rules = models.OneToOneField(Rules, on_delete=models.PROTECT, related_name="round")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-election_day", "-id"]
        verbose_name = "换届"
        verbose_name_plural = "换届"

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    SETUP = "setup", "筹备"
    ROLL = "roll", "选民登记"
    ROLL_PUBLISHED = "roll_published", "选民名单已公布"
    NOMINATION = "nomination", "提名候选人"
    CANDIDATES_PUBLISHED = "candidates", "正式候选人已公布"
    VOTING = "voting", "投票中"
    COUNTED = "counted", "计票完成"
    FURTHER = "further", "另行选举"
    CERTIFIED = "certified", "结果已公告"
    VOID = "void", "选举无效"


class Election(models.Model):
    """One village committee (村民委员会) or community residents' committee (居民委员会) election."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="elections")
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="elections",
                             verbose_name="村（社区）")
    election_day = models.DateField("选举日")
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, default=Stage.SETUP)
    # seats: one chair (主任), vice-chairs (副主任) and members (委员); 3 to 7 in all
    vice_chairs = models.PositiveSmallIntegerField("副主任名额", default=1)
    members = models.PositiveSmallIntegerField("委员名额", default=3)
    min_women = models.PositiveSmallIntegerField("妇女名额", default=1)
    venue = models.CharField("中心会场", max_length=200, blank=True)
    roll_published_at = models.DateTimeField("选民名单公布时间", null=True, blank=True)
    candidates_published_at = models.DateTimeField("正式候选人公布时间", null=True, blank=True)
    voting_opened_at = models.DateTimeField(null=True, blank=True)
    voting_closed_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField("无效原因", max_length=200, blank=True)
    certified_on = models.DateField("结果公告日期", null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["unit__path"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="one_election_per_unit_round")]
        verbose_name = "选举"
        verbose_name_plural = "选举"

    def __str__(self) -> str:
        return f"{self.unit.name} {self.round.name}"

    @property
    def seats(self) -> int:
        return 1 + self.vice_chairs + self.members


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", "主任"
    VICE_CHAIR = "vice_chair", "副主任"
    MEMBER = "member", "委员"


class CommitteeMember(models.Model):
    """A member of the village election committee (村民选举委员会). One nominated as a candidate leaves the
    committee (`left_on`, `left_reason`)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="committee")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="election_committees")
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("职务", max_length=12, choices=CommitteeRole.choices, default=CommitteeRole.MEMBER)
    joined_on = models.DateField("任职日期")
    left_on = models.DateField("离任日期", null=True, blank=True)
    left_reason = models.CharField("离任原因", max_length=200, blank=True)

    class Meta:
        ordering = ["election", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "resident"], condition=Q(left_on__isnull=True),
                                               name="one_seat_on_committee")]
        verbose_name = "选举委员会成员"
        verbose_name_plural = "选举委员会成员"


class RightsSuspension(models.Model):
    """A resident without political rights (被剥夺政治权利), with the reason and the period; such a resident
    is never put on a roll while it lasts."""

    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="rights_suspensions")
    reason = models.CharField("原因", max_length=200)
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "无政治权利记录"
        verbose_name_plural = "无政治权利记录"


class Basis(models.TextChoices):
    HUKOU = "hukou", "户籍在本村（社区）并居住"
    HUKOU_AWAY = "hukou_away", "户籍在本村（社区）不在本村居住（本人申请）"
    RESIDENT = "resident", "居住一年以上非户籍（本人申请）"


class Voter(models.Model):
    """An entry on an election's roll. Removed entries stay with the reason (`removed_at`). The roll's
    uniqueness across the county is the constraint on (round, resident) among entries not removed."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="voters")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")  # copied, for the constraint
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="voter_entries")
    number = models.CharField("选民证号", max_length=24)  # 330421112201-0001
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1)
    micro_grid = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="微网格")
    basis = models.CharField("登记依据", max_length=12, choices=Basis.choices, default=Basis.HUKOU)
    card_token = models.CharField(max_length=32, unique=True)  # in the voter card's QR code
    added_at = models.DateTimeField()
    added_reason = models.CharField("登记说明", max_length=200, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField("除名原因", max_length=200, blank=True)

    class Meta:
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "resident"], condition=Q(removed_at__isnull=True),
                                    name="one_roll_per_round"),
            models.UniqueConstraint(fields=["election", "number"], name="voter_number_unique"),
        ]
        indexes = [models.Index(fields=["election", "micro_grid"]),
                   # counting a roll (the overview, turnout) reads the entries not removed only
                   models.Index(fields=["election"], condition=Q(removed_at__isnull=True), name="voter_on_roll")]
        verbose_name = "选民"
        verbose_name_plural = "选民"

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Objection(models.Model):
    """An objection to the published roll (someone missing, someone who should not be on it), recorded
    within the window and answered within its own."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", "异议成立，已更正"
        REJECTED = "rejected", "异议不成立"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="objections")
    raised_by_name = models.CharField("异议人", max_length=50)
    raised_by = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    about = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name="涉及居民")
    text = models.TextField("异议内容")
    raised_at = models.DateTimeField("提出时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answer = models.TextField("答复", blank=True)
    outcome = models.CharField("结论", max_length=10, choices=Outcome.choices, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        verbose_name = "选民名单异议"
        verbose_name_plural = "选民名单异议"


class CandidateStatus(models.TextChoices):
    NOMINATED = "nominated", "初步候选人"
    OFFICIAL = "official", "正式候选人"
    NOT_SELECTED = "not_selected", "未列为正式候选人"
    WITHDRAWN = "withdrawn", "已退出"


class Candidate(models.Model):
    """A person nominated by the voters (海选) for a position; `nominations` is the sum of the station
    tallies of nomination ballots."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    voter = models.ForeignKey(Voter, on_delete=models.PROTECT, related_name="candidacies")
    position = models.CharField("职位", max_length=12, choices=CommitteeRole.choices)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1)
    nominations = models.PositiveIntegerField("提名票数", default=0)
    status = models.CharField("状态", max_length=14, choices=CandidateStatus.choices,
                              default=CandidateStatus.NOMINATED)
    withdraw_reason = models.CharField("退出原因", max_length=200, blank=True)
    consent_record = models.BooleanField("同意公开履职记录", default=False)
    statement = models.TextField("治村设想", blank=True)

    class Meta:
        ordering = ["election", "position", "-nominations", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "voter", "position"],
                                               name="one_candidacy_per_position")]
        verbose_name = "候选人"
        verbose_name_plural = "候选人"

    def __str__(self) -> str:
        return self.name


class StationKind(models.TextChoices):
    CENTRAL = "central", "中心会场"
    STATION = "station", "投票站"
    MOBILE = "mobile", "流动票箱"


class Station(models.Model):
    """The central venue, a polling station, or a mobile ballot box (whose route is a household campaign)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="stations")
    kind = models.CharField("类型", max_length=8, choices=StationKind.choices)
    name = models.CharField("名称", max_length=100)
    place = models.CharField("地点", max_length=200, blank=True)
    # the grids (or micro-grids) whose voters vote here by default; a mobile box's area
    units = models.ManyToManyField("org.OrgUnit", blank=True, related_name="+", verbose_name="覆盖网格")
    campaign = models.OneToOneField("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="ballot_box", verbose_name="流动票箱路线")

    class Meta:
        ordering = ["election", "kind", "id"]
        verbose_name = "投票站"
        verbose_name_plural = "投票站"

    def __str__(self) -> str:
        return self.name


class StaffRole(models.TextChoices):
    SCRUTINEER = "scrutineer", "监票人"
    TELLER = "teller", "计票人"
    CLERK = "clerk", "发票登记员"


class StationStaff(models.Model):
    """Who works at a station: scrutineers and tellers (voters, none a candidate nor a candidate's close
    relative) and clerks (a user who checks voters in on the phone; the object-level grant `elections.clerk`)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField("职责", max_length=12, choices=StaffRole.choices)
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="election_stations")
    name = models.CharField("姓名", max_length=50)

    class Meta:
        ordering = ["station", "role", "id"]
        constraints = [models.CheckConstraint(condition=Q(resident__isnull=False) | Q(user__isnull=False),
                                              name="station_staff_is_someone")]
        verbose_name = "投票站工作人员"
        verbose_name_plural = "投票站工作人员"


class Proxy(models.Model):
    """A written entrustment (委托投票) from a voter to another voter of the same election, approved by the
    committee and published. A proxy holds at most `Rules.proxy_limit` approved entrustments."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="proxies")
    grantor = models.OneToOneField(Voter, on_delete=models.PROTECT, related_name="entrustment")
    proxy = models.ForeignKey(Voter, on_delete=models.PROTECT, related_name="entrusted")
    reason = models.CharField("委托原因", max_length=200)
    recorded_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["election", "id"]
        verbose_name = "委托投票"
        verbose_name_plural = "委托投票"


class Participation(models.Model):
    """That a voter took part (a ballot was issued to them or to their proxy) at a station, and when.
    It never records how they voted: nothing else about the ballot is kept."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="participations")
    voter = models.ForeignKey(Voter, on_delete=models.PROTECT, related_name="participations")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="participations")
    ballot_round = models.PositiveSmallIntegerField(default=1)  # 1 the election, 2 a further round (另行选举)
    by_proxy = models.ForeignKey(Voter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["voter", "ballot_round"], name="one_ballot_per_voter")]
        indexes = [models.Index(fields=["election", "ballot_round", "station"])]


class Tally(models.Model):
    """A station's (or box's) count for a ballot round: counts only."""

    class Kind(models.TextChoices):
        NOMINATION = "nomination", "提名票"
        ELECTION = "election", "选举票"

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="tallies")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ELECTION)
    ballot_round = models.PositiveSmallIntegerField(default=1)
    issued = models.PositiveIntegerField("发出选票")
    returned = models.PositiveIntegerField("收回选票")
    valid = models.PositiveIntegerField("有效票")
    invalid = models.PositiveIntegerField("无效票")
    blank = models.PositiveIntegerField("空白票", default=0)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "kind", "ballot_round"], name="one_tally")]


class TallyLine(models.Model):
    """Votes for one person (a candidate, or a write-in by name) for one position in a tally."""

    tally = models.ForeignKey(Tally, on_delete=models.CASCADE, related_name="lines")
    position = models.CharField(max_length=12, choices=CommitteeRole.choices)
    candidate = models.ForeignKey(Candidate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    write_in = models.ForeignKey(Voter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    write_in_name = models.CharField(max_length=50, blank=True)
    votes = models.PositiveIntegerField()


class Result(models.Model):
    """A computed result line: who got how many votes for which position in which ballot round, and whether
    they were elected. Published with the scrutineers' names; the winners get their posts when certified."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="results")
    ballot_round = models.PositiveSmallIntegerField(default=1)
    position = models.CharField(max_length=12, choices=CommitteeRole.choices)
    candidate = models.ForeignKey(Candidate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    voter = models.ForeignKey(Voter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=50)
    sex = models.CharField(max_length=1, blank=True)
    votes = models.PositiveIntegerField()
    elected = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)  # 票数相等, 未过半数, 妇女名额...
    post = models.ForeignKey("org.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["election", "ballot_round", "position", "-votes", "id"]
