"""The moral-appraisal panels in the demo county: a year of good deeds nominated and appraised (the adopted
ones on each village's honour roll) and a few conduct complaints heard and decided.

Runs after councils.demo (it needs each village's 道德评判团 and its meetings). Rows are written directly, one
transaction and one audit row per village, as the services would write them: the topic with its timeline
and decision, the nomination or complaint, and the honour-roll line. Deterministic per seed; nothing is
dated after the moment it runs."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from shanzhi.appraisal.models import (
    Complaint,
    ConductKind,
    DeedKind,
    HonourEntry,
    Nomination,
    Outcome,
    Remedy,
)
from shanzhi.audit.services import audit_record
from shanzhi.councils.models import (
    Council,
    Decision,
    DecisionOutcome,
    Meeting,
    MeetingStatus,
    Topic,
    TopicEvent,
    TopicKind,
    TopicStatus,
)
from shanzhi.councils.services import topic_number
from shanzhi.lib import clock
from shanzhi.people.models import Resident

DEEDS = {
    DeedKind.GOOD_DEED: ["拾到装有现金的钱包，原封不动交还失主", "义务为村里老人理发五年", "自费修补村口坑洼路面"],
    DeedKind.FAMILY: ["三代同堂和睦相处，家风淳朴，热心邻里事务", "夫妻二人坚持垃圾分类，带动整个组"],
    DeedKind.FILIAL: ["悉心照料瘫痪在床的婆婆十余年", "放弃外地工作回乡照顾年迈父母"],
    DeedKind.BRAVE: ["跳入河中救起落水儿童", "深夜发现邻居家起火，第一时间报警并协助疏散"],
}
ACTS = {
    ConductKind.UNCIVIL: "在公共区域长期堆放杂物，影响通行",
    ConductKind.ELDERS: "子女对独居老人不闻不问，拒绝分担赡养费用",
    ConductKind.DUMPING: "多次向河道倾倒生活垃圾",
}
HEARING = {Remedy.EDUCATE: "经评议，行为属实，予以批评教育，当事人表示改正。",
           Remedy.CORRECT: "经评议，行为属实，责令限期改正，由网格员跟踪回访。",
           Remedy.NOT_UPHELD: "经评议，反映情况与事实不符，不予认定。"}


def generate_appraisals(*, seed: int = 1) -> dict[str, int]:
    """Nominations and complaints for every village's moral panel that has none yet; returns counts."""
    now = clock.now()
    counts = {"nominations": 0, "honours": 0, "complaints": 0}
    panels = (Council.objects.filter(type__code="moral").exclude(topics__kind__in=[TopicKind.NOMINATION,
                                                                                  TopicKind.COMPLAINT])
              .select_related("unit").distinct().order_by("unit__path"))
    for council in panels:
        rng = random.Random(f"appraisal:{seed}:{council.unit.code}")
        meetings = list(Meeting.objects.filter(council=council, status=MeetingStatus.CLOSED)
                        .order_by("starts_at").values_list("id", "starts_at"))
        people = list(Resident.objects.filter(household__micro_grid__path__startswith=council.unit.path,
                                              status="active").order_by("id").values_list("name", flat=True)[:300])
        if not meetings or not people:
            continue
        with transaction.atomic():
            made = _panel(rng, council, meetings, people, now)
            audit_record(actor=None, action="demo.appraisal", object_type="councils.council",
                         object_id=str(council.pk), object_repr=council.name, unit_path=council.unit.path, after=made)
        for k, v in made.items():
            counts[k] += v
    return counts


def _topic(council: Council, *, kind: str, title: str, text: str, raised: dt.datetime, meeting: tuple,
           outcome: str, decision_text: str) -> tuple[Topic, Decision]:
    decided = meeting[1] + dt.timedelta(hours=2)
    topic = Topic.objects.create(council=council, kind=kind, number=topic_number(raised), title=title[:100],
                                 text=text, status=TopicStatus.DONE, author_name="村民", anonymous=True,
                                 created_at=raised, updated_at=decided)
    steps = [("raise", "", TopicStatus.RAISED, raised), ("accept", TopicStatus.RAISED, TopicStatus.ACCEPTED,
             raised + dt.timedelta(days=1)), ("schedule", TopicStatus.ACCEPTED, TopicStatus.SCHEDULED,
             meeting[1] - dt.timedelta(days=3)), ("decide", TopicStatus.SCHEDULED, TopicStatus.DECIDED, decided),
             ("finish", TopicStatus.DECIDED, TopicStatus.DONE, decided)]
    TopicEvent.objects.bulk_create([TopicEvent(topic=topic, action=a, from_status=f, to_status=t, created_at=at)
                                    for a, f, t, at in steps])
    decision = Decision.objects.create(topic=topic, meeting_id=meeting[0], outcome=outcome, text=decision_text,
                                       progress=100, published_at=decided, done_at=decided, created_at=decided)
    return topic, decision


def _panel(rng: random.Random, council: Council, meetings: list[tuple], people: list[str],
           now: dt.datetime) -> dict[str, int]:
    made = {"nominations": 0, "honours": 0, "complaints": 0}
    for _ in range(rng.randint(2, 5)):
        index = rng.randrange(len(meetings))
        meeting = meetings[index]
        raised = meeting[1] - dt.timedelta(days=rng.randint(8, 40))
        kind = rng.choice(list(DEEDS))
        nominee, deed = rng.choice(people), rng.choice(DEEDS[kind])
        adopted = rng.random() < 0.85
        topic, decision = _topic(council, kind=TopicKind.NOMINATION, title=f"推荐{nominee}（{kind.label}）", text=deed,
                                 raised=raised, meeting=meeting,
                                 outcome=DecisionOutcome.ADOPTED if adopted else DecisionOutcome.REJECTED,
                                 decision_text="经评判团评议，同意列入红榜。" if adopted else "经评议，暂不列入红榜。")
        nomination = Nomination.objects.create(topic=topic, village=council.unit, kind=kind, nominee_name=nominee,
                                               deed=deed, outcome=Outcome.ADOPTED if adopted else Outcome.REJECTED,
                                               decided_at=decision.created_at, created_at=raised)
        made["nominations"] += 1
        if adopted:
            HonourEntry.objects.create(nomination=nomination, village=council.unit, nominee_name=nominee, kind=kind,
                                       citation=deed, honoured_on=timezone.localtime(decision.created_at).date(),
                                       created_at=decision.created_at)
            made["honours"] += 1
    if rng.random() < 0.5:
        meeting = meetings[rng.randrange(len(meetings))]
        raised = meeting[1] - dt.timedelta(days=rng.randint(8, 30))
        kind = rng.choice(list(ACTS))
        remedy = rng.choice([Remedy.EDUCATE, Remedy.EDUCATE, Remedy.CORRECT, Remedy.NOT_UPHELD])
        topic, decision = _topic(council, kind=TopicKind.COMPLAINT, title=f"不文明行为评议：{kind.label}",
                                 text=f"村民反映的{kind.label}，由道德评判团听取各方意见后评议。具体情况不公开。",
                                 raised=raised, meeting=meeting,
                                 outcome=DecisionOutcome.REJECTED if remedy == Remedy.NOT_UPHELD
                                 else DecisionOutcome.ADOPTED, decision_text=remedy.label)
        Complaint.objects.create(topic=topic, village=council.unit, kind=kind, subject_name=rng.choice(people),
                                 act=ACTS[kind], occurred_on=timezone.localtime(raised).date(),
                                 heard_on=timezone.localtime(meeting[1]).date(), heard="当事人、反映人、网格员",
                                 findings=HEARING[remedy], proposed=remedy if remedy != Remedy.NOT_UPHELD else "",
                                 decision=remedy, decided_at=decision.created_at, created_at=raised)
        made["complaints"] += 1
    return made
