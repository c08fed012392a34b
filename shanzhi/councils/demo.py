"""Councils and a year of council work for the demo county (and for benchmarks).

Every village and community gets its four councils (百姓议事会, 乡贤参事会, 法律服务团, 道德评判团) with
members drawn from its own adult residents and a village cadre as secretary. Over the year the residents'
council meets monthly and the others quarterly: residents raise topics and support them, cadres accept or
decline them, meetings put them on the agenda, take attendance and a show of hands, and adopted decisions
get tasks and progress notes until they are done. Like demo.casegen this writes rows directly (one audit
row per village batch): the rows are what the services would write. Deterministic per seed; nothing is
dated after the moment it runs.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from shanzhi.audit.services import audit_record
from shanzhi.cases.models import CaseNumber
from shanzhi.councils.models import (
    AgendaItem,
    Attendance,
    ChosenBy,
    Comment,
    Council,
    CouncilType,
    Decision,
    DecisionOutcome,
    Meeting,
    MeetingStatus,
    Member,
    Motion,
    MotionResult,
    Position,
    ProgressNote,
    Support,
    Task,
    Topic,
    TopicEvent,
    TopicStatus,
)
from shanzhi.lib import clock, workclock
from shanzhi.org.models import Level, OrgUnit, Post, Role
from shanzhi.people.models import Resident

PREFIX = "YS"  # as councils.services.topic_number
# (title, text) per council type; residents raise the first kind, members and cadres the others.
MATTERS = {
    "residents": [
        ("村道路灯不亮，夜间出行不便", "村东主干道有六盏路灯损坏，老人晚上散步看不清路，建议尽快修复并定期巡查。"),
        ("建议在村口增设垃圾分类亭", "现有垃圾桶离住户较远，分类不到位，建议在村口和小区入口各设一个分类亭。"),
        ("老年食堂用餐时间调整", "不少老人反映午餐开饭太早，建议调整为十一点半，并增加一份软食。"),
        ("河道清淤与保洁", "村前小河水草多、有异味，建议组织清淤，落实河道保洁责任人。"),
        ("文化礼堂开放时间", "建议文化礼堂晚上和周末开放，方便村民开展文体活动。"),
        ("停车位规划", "村里私家车越来越多，道路两侧乱停影响通行，建议规划集中停车场。"),
        ("电动车充电棚建设", "楼道里充电有火灾隐患，建议建设集中充电棚并安装智能充电桩。"),
        ("健身器材维修", "小广场的健身器材有几件松动生锈，存在安全隐患，建议维修更换。"),
        ("广场舞音量约定", "晚上广场舞音量较大，影响附近住户休息，建议商定时间和音量。"),
        ("村规民约修订", "建议把垃圾分类、文明养犬、红白喜事简办写进村规民约，请大家讨论。"),
        ("农田灌溉渠修缮", "北片农田灌溉渠多处渗漏，春耕前需要修缮。"),
        ("公交站台加装遮雨棚", "村口公交站没有遮雨棚，下雨天老人孩子候车不便。"),
        ("快递代收点设置", "快递经常放在门口丢失，建议在便民服务中心设代收点。"),
        ("闲置农房盘活利用", "村里有十多处闲置农房，建议研究统一流转用于民宿或养老。"),
        ("小区监控补盲", "小区后门和车棚没有监控，近期有电动车电瓶被盗，建议补装。"),
        ("桥梁护栏加固", "村西小桥护栏低矮且有松动，孩子上学经过很危险。"),
        ("集体经济收益分配方案", "请议事会讨论今年村集体经济收益的分配和使用方案。"),
        ("饮用水管网改造", "老村区自来水水压低，高峰期二楼没水，建议改造管网。"),
    ],
    "worthies": [
        ("乡贤助力村庄规划", "请乡贤参事会就村庄整体规划和美丽乡村建设提出意见建议。"),
        ("设立乡贤助学金", "建议由乡贤发起设立助学金，资助村里考上大学的困难家庭学生。"),
        ("引进农业产业项目", "有乡贤联系了一家果蔬合作社，建议研究在村里建设示范基地。"),
        ("修缮古桥与村史馆", "古桥年久失修，建议乡贤牵头募资修缮，并筹建村史馆。"),
    ],
    "legal": [
        ("土地承包合同到期续签指引", "多户村民的土地承包合同明年到期，请法律服务团研究续签指引。"),
        ("农村建房纠纷法律宣讲", "近期建房相邻纠纷较多，建议开展一次法律宣讲。"),
    ],
    "moral": [
        ("文明家庭评选办法", "请道德评判团讨论今年文明家庭评选的标准和程序。"),
        ("整治乱堆乱放不文明行为", "部分农户在公共区域堆放杂物，建议评议并开展劝导。"),
    ],
}
# the secretary's replies under a topic (residents of the demo county have no accounts to comment with)
REPLIES = ["感谢反映，已登记，将提交议事会讨论。", "已到现场查看，情况属实。", "已联系相关负责人，正在了解情况。",
           "请大家继续补充意见，会前汇总。"]
TASKS = ["制定实施方案", "联系施工单位", "公示实施结果", "组织现场查看", "落实资金来源"]
# members per type: (min, max)
SIZES = {"residents": (7, 11), "worthies": (5, 7), "legal": (3, 5), "moral": (5, 7)}
MEETINGS_PER_YEAR = {"residents": 12, "worthies": 4, "legal": 2, "moral": 4}
TOPICS_PER_MONTH = {"full": {"residents": 2.5, "worthies": 0.3, "legal": 0.15, "moral": 0.3},
                    "small": {"residents": 2.0, "worthies": 0.3, "legal": 0.2, "moral": 0.3}}


class _Rows:
    """Rows gathered for one bulk insert, per model."""

    def __init__(self) -> None:
        self.by_model: dict[type, list] = defaultdict(list)

    def add(self, obj) -> None:
        self.by_model[type(obj)].append(obj)


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_current_timezone())


def _workday_on_or_after(day: dt.date) -> dt.date:
    for _ in range(14):
        if workclock.is_workday(day):
            return day
        day += dt.timedelta(days=1)
    return day


def generate_councils(*, days: int = 365, seed: int = 1, scale: str = "full", progress: bool = False,
                      villages: list[OrgUnit] | None = None) -> dict[str, int]:
    """Councils for every village (or the given ones) and `days` of their work up to now; returns counts.

    Refuses nothing: villages that already have councils are left as they are (a second run adds none)."""
    from shanzhi.councils.defaults import ensure_types

    ensure_types()
    types = {t.code: t for t in CouncilType.objects.filter(code__in=list(MATTERS))}
    now = clock.now()
    end = timezone.localtime(now).date()
    start = end - dt.timedelta(days=days)
    if villages is None:
        villages = list(OrgUnit.objects.filter(level=Level.VILLAGE).order_by("path"))
    done = set(Council.objects.filter(unit__in=villages).values_list("unit_id", flat=True))
    villages = [v for v in villages if v.id not in done]
    cadres: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in (Post.objects.filter(Post.current_q(), role=Role.VILLAGE_CADRE, user__isnull=False,
                                                 unit__in=villages).values_list("unit_id", "user_id")):
        cadres[unit_id].append(user_id)
    counts: dict[str, int] = defaultdict(int)
    # topic numbers share services.topic_number's per-day counter rows ("YS-20261207"), so a topic raised
    # later through the service continues the day's sequence
    seq: dict[str, int] = defaultdict(int)
    for prefix, last in CaseNumber.objects.filter(prefix__startswith=f"{PREFIX}-").values_list("prefix", "last"):
        seq[prefix.rsplit("-", 1)[1]] = last
    rate = TOPICS_PER_MONTH.get(scale, TOPICS_PER_MONTH["full"])
    adult_before = end - dt.timedelta(days=18 * 366)
    for index, village in enumerate(tqdm(villages, desc="议事会", unit="村", disable=not progress)):
        rng = random.Random(f"{seed}:{village.code}")
        people = list(Resident.objects.filter(household__micro_grid__path__startswith=village.path,
                                              status="active", birth_date__lte=adult_before)
                      .values_list("id", "name"))
        if len(people) < 3:  # too few adults to seat a council
            continue
        with transaction.atomic():
            before = dict(seq)
            village_counts = _village(rng, village, types, people, cadres.get(village.id, []), start, end, now,
                                      rate, seq)
            _save_counters({day: last for day, last in seq.items() if before.get(day) != last})
            audit_record(actor=None, action="demo.councils", object_type="org.orgunit", object_id=str(village.pk),
                         object_repr=village.name, unit_path=village.path, after=dict(village_counts))
        for k, v in village_counts.items():
            counts[k] += v
        counts["villages"] = index + 1
    return dict(counts)


def _village(rng: random.Random, village: OrgUnit, types: dict[str, CouncilType], people: list[tuple[int, str]],
             cadre_ids: list[int], start: dt.date, end: dt.date, now: dt.datetime, rate: dict[str, float],
             seq: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    founded = start - dt.timedelta(days=rng.randint(200, 900))
    for code, kind in types.items():
        council = Council.objects.create(type=kind, unit=village, name=f"{village.name}{kind.name}",
                                         founded_on=founded)
        counts["councils"] += 1
        members = _members(rng, council, code, people, cadre_ids, founded, start, end)
        counts["members"] += len(members)
        counts.update({k: counts[k] + v for k, v in _year(rng, council, code, members, people, cadre_ids, start,
                                                         end, now, rate[code], seq).items()})
    return counts


def _members(rng: random.Random, council: Council, code: str, people: list[tuple[int, str]],
             cadre_ids: list[int], founded: dt.date, start: dt.date, end: dt.date) -> list[Member]:
    low, high = SIZES[code]
    chosen = rng.sample(people, min(len(people), rng.randint(low, high)))
    rows = []
    for i, (rid, name) in enumerate(chosen):
        position = Position.CHAIR if i == 0 else Position.VICE_CHAIR if i == 1 else Position.MEMBER
        rows.append(Member(council=council, resident_id=rid, name=name, position=position,
                           chosen_by=ChosenBy.ELECTED, started_on=founded,
                           term_ends_on=founded + dt.timedelta(days=5 * 365)))
    if rng.random() < 0.15 and len(rows) > 3:  # someone left mid-year and was replaced
        gone = rows[-1]
        left = start + dt.timedelta(days=rng.randint(60, 300))
        gone.ended_on, gone.end_reason = left, "本人申请辞去"
        spare = [p for p in people if p[0] not in {m.resident_id for m in rows}]
        if spare:
            rid, name = rng.choice(spare)
            rows.append(Member(council=council, resident_id=rid, name=name, position=Position.MEMBER,
                               chosen_by=ChosenBy.ELECTED, started_on=left, term_ends_on=founded
                               + dt.timedelta(days=5 * 365)))
    if cadre_ids:
        from shanzhi.accounts.models import User

        uid = cadre_ids[0]  # the same cadre acts for the council in _year
        user = User.objects.get(pk=uid)
        rows.append(Member(council=council, user_id=uid, name=user.display_name or user.username,
                           position=Position.SECRETARY, chosen_by=ChosenBy.EX_OFFICIO, started_on=founded))
    return Member.objects.bulk_create(rows)


def _number(seq: dict[str, int], at: dt.datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    seq[day] += 1
    return f"{PREFIX}{day}-{seq[day]:04d}"


def _save_counters(days: dict[str, int]) -> None:
    """Advance the per-day topic counters to what this batch used."""
    have = {c.prefix: c for c in CaseNumber.objects.filter(prefix__in=[f"{PREFIX}-{d}" for d in days])}
    new = []
    for day, last in days.items():
        row = have.get(f"{PREFIX}-{day}")
        if row is None:
            new.append(CaseNumber(prefix=f"{PREFIX}-{day}", last=last))
        elif row.last < last:
            row.last = last
    CaseNumber.objects.bulk_create(new)
    CaseNumber.objects.bulk_update([r for r in have.values()], ["last"])


def _year(rng: random.Random, council: Council, code: str, members: list[Member], people: list[tuple[int, str]],
          cadre_ids: list[int], start: dt.date, end: dt.date, now: dt.datetime, per_month: float,
          seq: dict[str, int]) -> dict[str, int]:
    """A year of topics and meetings of one council, written in a few bulk inserts."""
    counts: dict[str, int] = defaultdict(int)
    kind = council.type
    cadre = cadre_ids[0] if cadre_ids else None
    cadre_name = next((m.name for m in members if m.user_id == cadre), "村干部")
    n_meetings = MEETINGS_PER_YEAR[code]
    step = (end - start).days // n_meetings
    meeting_days = [_workday_on_or_after(start + dt.timedelta(days=step * (i + 1) - rng.randint(0, 5)))
                    for i in range(n_meetings)]
    meeting_days = [d for d in meeting_days if _aware(d, 16) < now]
    # topics raised over the year, each waiting for the first meeting at least a week after it
    topics: list[Topic] = []
    n_topics = max(0, int(round(per_month * (end - start).days / 30 + rng.uniform(-1, 1))))
    for _ in range(n_topics):
        day = start + dt.timedelta(days=rng.randrange((end - start).days))
        at = _aware(day, rng.randint(8, 20), rng.randint(0, 59))
        if at >= now:
            continue
        title, text = rng.choice(MATTERS[code])
        by_resident = code == "residents" and rng.random() < 0.8
        rid, name = rng.choice(people) if by_resident else (None, "")
        if not by_resident:
            m = rng.choice(members)
            rid, name = m.resident_id, m.name
        topics.append(Topic(council=council, number=_number(seq, at), title=title, text=text, status=TopicStatus.RAISED,
                            author_resident_id=rid, author_name=name, anonymous=by_resident and rng.random() < 0.1,
                            created_at=at, updated_at=at))
    topics.sort(key=lambda t: t.created_at)
    Topic.objects.bulk_create(topics)
    counts["topics"] += len(topics)
    rows = _Rows()

    def event(topic, action, frm, to, at, note="", actor=None):
        rows.add(TopicEvent(topic=topic, action=action, from_status=frm, to_status=to, actor_id=actor, note=note,
                            created_at=at))
        topic.status, topic.updated_at = to, at

    meetings: list[tuple[Meeting, list[Topic]]] = []
    queue: list[Topic] = []
    pending = list(topics)
    for day in meeting_days:
        starts = _aware(day, 14, 30)
        while pending and pending[0].created_at < starts - dt.timedelta(days=7):
            t = pending.pop(0)
            event(t, "raise", "", TopicStatus.RAISED, t.created_at, actor=None)
            if t.author_resident_id and code == "residents":
                for rid, _name in rng.sample(people, min(len(people), rng.randint(3, 25))):
                    rows.add(Support(topic=t, resident_id=rid,
                                     created_at=t.created_at + dt.timedelta(hours=rng.randint(1, 120))))
                    t.support_count += 1
            if cadre and rng.random() < 0.6:
                rows.add(Comment(topic=t, author_id=cadre, author_name=cadre_name, text=rng.choice(REPLIES),
                                 created_at=t.created_at + dt.timedelta(hours=rng.randint(2, 72))))
            if rng.random() < 0.08:
                t.decline_reason = "该事项已列入镇级统一实施计划，不再单独议事，请关注镇公告。"
                event(t, "decline", TopicStatus.RAISED, TopicStatus.DECLINED, t.created_at + dt.timedelta(days=2),
                      note=t.decline_reason, actor=cadre)
                continue
            event(t, "accept", TopicStatus.RAISED, TopicStatus.ACCEPTED, t.created_at + dt.timedelta(days=1),
                  actor=cadre)
            queue.append(t)
        agenda, queue = queue[:4], queue[4:]
        meeting = Meeting(council=council, title=f"{day:%-m}月{kind.name}会议", starts_at=starts,
                          ends_at=starts + dt.timedelta(hours=2), place=f"{council.unit.name}文化礼堂",
                          is_public=kind.public_meetings, status=MeetingStatus.CLOSED, created_by_id=cadre,
                          created_at=starts - dt.timedelta(days=7), notified_at=starts - dt.timedelta(days=5),
                          closed_at=starts + dt.timedelta(hours=2),
                          minutes=f"会议审议议题{len(agenda)}项，形成决定{len(agenda)}项。")
        meetings.append((meeting, agenda))
        for t in agenda:
            event(t, "schedule", TopicStatus.ACCEPTED, TopicStatus.SCHEDULED, meeting.created_at, actor=cadre)
    for t in pending:  # raised in the last week or waiting for a later meeting
        event(t, "raise", "", TopicStatus.RAISED, t.created_at)
    Meeting.objects.bulk_create([m for m, _ in meetings])
    counts["meetings"] += len(meetings)
    decisions: list[tuple[Decision, Topic, list[Task], list[ProgressNote]]] = []
    for meeting, agenda in meetings:
        in_office = [m for m in members if m.started_on <= meeting.starts_at.date()
                     and (m.ended_on is None or m.ended_on > meeting.starts_at.date())]
        came = [m for m in in_office if rng.random() < 0.85]
        for order, t in enumerate(agenda):
            rows.add(AgendaItem(meeting=meeting, topic=t, order=order))
        for m in came:
            rows.add(Attendance(meeting=meeting, member=m, how=Attendance.How.QR if m.resident_id else
                                Attendance.How.SECRETARY, recorded_by_id=cadre, at=meeting.starts_at))
        counts["attendance"] += len(came)
        for t in agenda:
            outcome = DecisionOutcome.ADOPTED if rng.random() < 0.78 else (
                DecisionOutcome.REJECTED if rng.random() < 0.5 else DecisionOutcome.REFERRED)
            yes = len(came) if outcome != DecisionOutcome.REJECTED else len(came) // 3
            motion = Motion(meeting=meeting, topic=t, text=f"关于“{t.title}”的决定", yes=yes,
                            no=len(came) - yes, present=len(came), members=len(in_office), by_show_of_hands=True,
                            result=MotionResult.PASSED if outcome != DecisionOutcome.REJECTED else MotionResult.FAILED,
                            opened_at=meeting.starts_at, closed_at=meeting.starts_at + dt.timedelta(minutes=20))
            rows.add(motion)
            at = meeting.ends_at
            event(t, "decide", TopicStatus.SCHEDULED, TopicStatus.DECIDED, at, actor=cadre)
            decision = Decision(topic=t, meeting=meeting, motion=motion, outcome=outcome, created_at=at,
                                published_at=at + dt.timedelta(hours=2),
                                text={DecisionOutcome.ADOPTED: f"同意实施“{t.title}”，由村委会牵头落实。",
                                      DecisionOutcome.REJECTED: "经表决未获通过，由村委会向提出人说明理由。",
                                      DecisionOutcome.REFERRED: "超出本村权限，转交镇相关部门办理。"}[outcome],
                                referred_to="镇综合信息指挥室" if outcome == DecisionOutcome.REFERRED else "")
            tasks, notes = [], []
            if outcome == DecisionOutcome.ADOPTED and cadre:
                due = at.date() + dt.timedelta(days=rng.randint(14, 60))
                finished = at + dt.timedelta(days=rng.randint(10, 70))
                finished = finished if finished < now else None
                for title in rng.sample(TASKS, rng.randint(1, 2)):
                    tasks.append(Task(decision=decision, title=title, owner_id=cadre, due_on=due, done_at=finished,
                                      created_at=at))
                halfway = at + dt.timedelta(days=7)
                if halfway < now:
                    notes.append(ProgressNote(decision=decision, percent=50, note="方案已制定，正在实施。",
                                              actor_id=cadre, created_at=halfway))
                if finished:
                    notes.append(ProgressNote(decision=decision, percent=100, note="已全部落实，结果已公示。",
                                              actor_id=cadre, created_at=finished))
                    decision.progress, decision.done_at = 100, finished
                    event(t, "start", TopicStatus.DECIDED, TopicStatus.IN_PROGRESS, at + dt.timedelta(days=1),
                          actor=cadre)
                    event(t, "finish", TopicStatus.IN_PROGRESS, TopicStatus.DONE, finished, actor=cadre)
                elif notes:
                    decision.progress = 50
                    event(t, "start", TopicStatus.DECIDED, TopicStatus.IN_PROGRESS, at + dt.timedelta(days=1),
                          actor=cadre)
            else:
                decision.progress, decision.done_at = 100, at
                event(t, "finish", TopicStatus.DECIDED, TopicStatus.DONE, at, actor=cadre)
            decisions.append((decision, t, tasks, notes))
    Motion.objects.bulk_create(rows.by_model.pop(Motion, []))
    Decision.objects.bulk_create([d for d, *_ in decisions])
    counts["decisions"] += len(decisions)
    for d, _t, tasks, notes in decisions:
        for x in [*tasks, *notes]:
            x.decision = d
            rows.add(x)
    for model in (AgendaItem, Attendance, Support, Comment, TopicEvent, Task, ProgressNote):
        objs = rows.by_model.get(model, [])
        model.objects.bulk_create(objs, batch_size=2000)
        if model in (Support, Comment):
            counts[model.__name__.lower() + "s"] += len(objs)
    Topic.objects.bulk_update(topics, ["status", "updated_at", "support_count", "decline_reason"], batch_size=2000)
    return counts
