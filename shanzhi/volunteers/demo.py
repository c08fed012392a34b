"""百事服务团 for the demo county (and for benchmarks): volunteers, teams and a year of their work.

About 2% of each village's adult residents volunteer (most active; some waiting for approval, paused or
gone), with skills, availability and the villages they serve. Each village and each town gets its service
team (a `councils.Council` of type `service`, the volunteers as members and a leader as chair). Over the
year residents ask for help and the team's volunteers serve them (assigned, sometimes declined, accepted,
checked in and out, confirmed and rated; a few cancelled), the teams hold activities with sign-ups and
check-ins, the time bank credits every confirmed service and activity (and some civic acts), and residents
spend points in their village's store, in time order so no balance ever goes below zero and no item below
zero stock. Like councils.demo this writes rows directly, one audit row per village: the rows are what the
services would write. Deterministic per seed; nothing is dated after the moment it runs; villages that
already have a service team are left as they are, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from shanzhi.audit.services import audit_record
from shanzhi.cases.models import CaseNumber
from shanzhi.councils.models import ChosenBy, Council, CouncilType, Member, Position
from shanzhi.lib import clock
from shanzhi.org.models import Level, OrgUnit, Post, Role
from shanzhi.people.models import Resident
from shanzhi.volunteers import ledger
from shanzhi.volunteers.models import (
    Account,
    Activity,
    ActivitySignup,
    ActivityStatus,
    CivicAct,
    Entry,
    EntryKind,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    Skill,
    StoreItem,
    Volunteer,
    VolunteerStatus,
)

PREFIX = "BS"  # request numbers BS20261207-0001, on the cases' per-day counter rows ("BS-20261207")
SERVICE_TYPE = "service"
SHARE = 0.02  # of a village's adult residents
REQUESTS_PER_VOLUNTEER_MONTH = {"full": 0.8, "small": 1.0}
ACTIVITIES_PER_MONTH = 1.0
CIVIC_PER_MONTH = 3.0
# what residents ask for, per skill
ASKS = {
    "repair": ["厨房水龙头漏水，请帮忙修一下", "家里电灯不亮了，想请人看看线路", "门锁坏了关不上", "抽水马桶一直漏水"],
    "haircut": ["老人行动不便，想请志愿者上门理发", "卧床老人需要上门理发"],
    "escort": ["下周要去县医院复查，子女在外地，想请人陪同", "需要陪同去镇卫生院配药"],
    "elder_care": ["独居老人，想请志愿者每周上门看看", "帮忙给老人打扫房间、晒被子"],
    "legal": ["土地承包合同有疑问，想咨询一下", "工资被拖欠，不知道怎么维权"],
    "counselling": ["孩子中考压力大，想找人聊聊", "老伴去世后心情低落"],
    "culture": ["想学广场舞，请志愿者教一教", "村里老年合唱队需要伴奏"],
    "ride": ["明天要去县城办事，没有车", "腿脚不便，需要接送去卫生院"],
    "errands": ["帮忙代办医保报销材料", "不会用手机缴电费，请帮忙"],
    "cleaning": ["家里杂物太多，请帮忙清理", "院子里的落叶和杂草需要清扫"],
}
NOTES = ["已完成，居民满意。", "已处理好，留了联系方式，有问题再找我。", "顺利完成，老人身体状况良好。",
         "已按约定时间上门服务。"]
COMMENTS = {5: "非常满意，谢谢志愿者！", 4: "服务很好。", 3: "还可以。", 2: "来得有点晚。", 1: "没有解决问题。"}
ACTIVITIES = [("河道清洁志愿活动", "cleaning", "村前河道"), ("爱心义诊", "elder_care", "村卫生室"),
              ("垃圾分类宣传", "culture", "村文化礼堂"), ("免费理发进村", "haircut", "村便民服务中心"),
              ("法律知识讲座", "legal", "村文化礼堂"), ("关爱独居老人走访", "elder_care", "各村民小组"),
              ("环境卫生大扫除", "cleaning", "村主干道")]
ITEMS = [("抽纸一提", 20), ("毛巾", 30), ("牙膏", 40), ("洗衣液", 50), ("理发券", 60), ("大米5公斤", 120),
         ("食用油", 150), ("保温杯", 200)]
RATINGS = [(5, 60), (4, 28), (3, 8), (2, 3), (1, 1)]


def _weighted(rng: random.Random, items: list[tuple[object, float]]):
    x = rng.random() * sum(w for _, w in items)
    for item, w in items:
        x -= w
        if x <= 0:
            return item
    return items[-1][0]


def _aware(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)),
                               timezone.get_current_timezone())


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.randint(int(low * 3600), int(high * 3600)))


def generate_volunteers(*, days: int = 365, seed: int = 1, scale: str = "full", progress: bool = False,
                        villages: list[OrgUnit] | None = None, share: float = SHARE) -> dict[str, int]:
    """Volunteers, teams and `days` of their work for every village (or the given ones); returns counts.

    Villages that already have a service team are left as they are, and so are towns (a second run adds
    nothing). `share` is the part of the adult residents who volunteer (at least two where there are three
    adults or more)."""
    from shanzhi.councils.defaults import ensure_types

    ensure_types()
    kind = CouncilType.objects.get(code=SERVICE_TYPE)
    now = clock.now()
    end = timezone.localtime(now).date()
    start = end - dt.timedelta(days=days)
    if villages is None:
        villages = list(OrgUnit.objects.filter(level=Level.VILLAGE).order_by("path"))
    done = set(Council.objects.filter(type=kind, unit__in=villages).values_list("unit_id", flat=True))
    villages = [v for v in villages if v.id not in done]
    cadres: dict[int, int] = {}
    for unit_id, user_id in (Post.objects.filter(Post.current_q(), role=Role.VILLAGE_CADRE, user__isnull=False,
                                                 unit__in=villages).order_by("start_date", "id")
                             .values_list("unit_id", "user_id")):
        cadres.setdefault(unit_id, user_id)
    seq: dict[str, int] = defaultdict(int)
    for prefix, last in CaseNumber.objects.filter(prefix__startswith=f"{PREFIX}-").values_list("prefix", "last"):
        seq[prefix.rsplit("-", 1)[1]] = last
    world = _World(
        skills=list(Skill.objects.filter(is_active=True).order_by("sort", "code")),
        civic=list(CivicAct.objects.filter(is_active=True).order_by("code")),
        rule=ledger.points_rule(), kind=kind, now=now, start=start, end=end, seq=seq,
        per_volunteer=REQUESTS_PER_VOLUNTEER_MONTH.get(scale, REQUESTS_PER_VOLUNTEER_MONTH["full"]))
    counts: dict[str, int] = defaultdict(int)
    adult_before = end - dt.timedelta(days=18 * 366)
    for village in tqdm(villages, desc="百事服务团", unit="村", disable=not progress):
        rng = random.Random(f"{seed}:volunteers:{village.code}")
        people = list(Resident.objects.filter(household__micro_grid__path__startswith=village.path,
                                              status="active", birth_date__lte=adult_before)
                      .order_by("id").values_list("id", "name", "household_id", "household__lat", "household__lon"))
        if len(people) < 3:  # too few adults for a team
            continue
        with transaction.atomic():
            before = dict(seq)
            made = _village(rng, world, village, people, cadres.get(village.id), share)
            _save_counters({day: last for day, last in seq.items() if before.get(day) != last})
            audit_record(actor=None, action="demo.volunteers", object_type="org.orgunit", object_id=str(village.pk),
                         object_repr=village.name, unit_path=village.path, after=dict(made))
        for k, v in made.items():
            counts[k] += v
        counts["villages"] += 1
    counts["teams"] += _town_teams(kind, seed, start)
    return dict(counts)


class _World:
    def __init__(self, **kw) -> None:
        self.__dict__.update(kw)


def _save_counters(days: dict[str, int]) -> None:
    """Advance the per-day request counters to what this batch used."""
    have = {c.prefix: c for c in CaseNumber.objects.filter(prefix__in=[f"{PREFIX}-{d}" for d in days])}
    new = []
    for day, last in days.items():
        row = have.get(f"{PREFIX}-{day}")
        if row is None:
            new.append(CaseNumber(prefix=f"{PREFIX}-{day}", last=last))
        elif row.last < last:
            row.last = last
    CaseNumber.objects.bulk_create(new)
    CaseNumber.objects.bulk_update(list(have.values()), ["last"])


def _number(seq: dict[str, int], at: dt.datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    seq[day] += 1
    return f"{PREFIX}{day}-{seq[day]:04d}"


def _code(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _village(rng: random.Random, w: _World, village: OrgUnit, people: list[tuple[int, str, int]],
             cadre: int | None, share: float) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    now, start, end = w.now, w.start, w.end
    founded = start - dt.timedelta(days=rng.randint(60, 400))
    team = Council.objects.create(type=w.kind, unit=village, name=f"{village.name}{w.kind.name}", founded_on=founded)
    counts["teams"] += 1
    # volunteers: the first (the leader) active; the rest mostly active
    taken = set(Volunteer.objects.filter(resident_id__in=[p[0] for p in people]).values_list("resident_id",
                                                                                             flat=True))
    pool = [p for p in people if p[0] not in taken]
    n = min(len(pool), max(2, round(len(people) * share)))
    chosen = rng.sample(pool, n)
    vols: list[Volunteer] = []
    for i, (rid, name, *_) in enumerate(chosen):
        status = VolunteerStatus.ACTIVE if i == 0 else _weighted(rng, [
            (VolunteerStatus.ACTIVE, 82), (VolunteerStatus.APPLIED, 6), (VolunteerStatus.PAUSED, 6),
            (VolunteerStatus.LEFT, 6)])
        if status == VolunteerStatus.APPLIED:
            applied = _aware(end - dt.timedelta(days=rng.randint(1, 20)), rng.randint(8, 20), rng.randint(0, 59))
            applied = min(applied, now - dt.timedelta(hours=1))
            v = Volunteer(resident_id=rid, name=name, village=village, status=status, applied_at=applied,
                          updated_at=applied)
        else:
            applied = _aware(founded + dt.timedelta(days=rng.randint(0, max(1, (end - founded).days - 90))),
                             rng.randint(8, 20), rng.randint(0, 59))
            approved = applied + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 5))
            updated = approved
            reason = ""
            if status in (VolunteerStatus.PAUSED, VolunteerStatus.LEFT):
                lo = max(approved + dt.timedelta(days=10), _aware(start, 9))
                span = max(1, int((now - lo).total_seconds() // 86400) - 2)
                updated = lo + dt.timedelta(days=rng.randint(0, span))
                reason = "近期外出务工" if status == VolunteerStatus.PAUSED else "本人申请退出"
            v = Volunteer(resident_id=rid, name=name, village=village, status=status, applied_at=applied,
                          approved_at=approved, approved_by_id=cadre, updated_at=updated, status_reason=reason)
        v.availability = [{"weekday": d, "start": s, "end": e}
                          for d, (s, e) in zip(sorted(rng.sample(range(7), rng.randint(1, 3))),
                                               [rng.choice([("08:00", "12:00"), ("13:30", "17:30"),
                                                            ("18:30", "21:00")]) for _ in range(3)], strict=False)]
        v.intro = "热心公益，愿意为邻里服务。"
        vols.append(v)
    Volunteer.objects.bulk_create(vols)
    counts["volunteers"] += len(vols)
    skills_of: dict[int, list[Skill]] = {}
    through_s, through_v = Volunteer.skills.through, Volunteer.villages.through
    s_rows, v_rows = [], []
    for v in vols:
        mine = rng.sample(w.skills, rng.randint(1, min(3, len(w.skills))))
        skills_of[v.pk] = mine
        s_rows += [through_s(volunteer_id=v.pk, skill_id=s.pk) for s in mine]
        v_rows.append(through_v(volunteer_id=v.pk, orgunit_id=village.pk))
    through_s.objects.bulk_create(s_rows)
    through_v.objects.bulk_create(v_rows)
    # the team: serving volunteers are members (those gone have ended), the leader chairs
    served = [v for v in vols if v.approved_at is not None]
    members = []
    for i, v in enumerate(served):
        members.append(Member(council=team, resident_id=v.resident_id, name=v.name,
                              position=Position.CHAIR if i == 0 else Position.MEMBER,
                              chosen_by=ChosenBy.APPOINTED if i == 0 else ChosenBy.VOLUNTEERED,
                              started_on=timezone.localtime(v.approved_at).date(),
                              ended_on=timezone.localtime(v.updated_at).date() if v.status == VolunteerStatus.LEFT
                              else None, end_reason=v.status_reason if v.status == VolunteerStatus.LEFT else ""))
    Member.objects.bulk_create(members)
    counts["members"] += len(members)
    # accounts: every approved volunteer's, and the residents' who earn civic points (made on first use)
    accounts = _Accounts(rng, village, {a.resident_id: a for a in Account.objects.filter(
        resident_id__in=[p[0] for p in people])})
    for v in served:
        accounts.want(v.resident_id, v.name, v.approved_at)
    items = [StoreItem(village=village, name=name, price=price, stock=rng.randint(5, 40),
                       created_at=_aware(start - dt.timedelta(days=30), 9)) for name, price in
             sorted(rng.sample(ITEMS, rng.randint(5, len(ITEMS))), key=lambda x: x[1])]
    StoreItem.objects.bulk_create(items)
    counts["store_items"] += len(items)
    credits: list[Entry] = []
    requests, events = _requests(rng, w, village, team, people, served, skills_of, cadre)
    ServiceRequest.objects.bulk_create(requests, batch_size=2000)
    for e in events:
        e.request_id = e.request.pk
    RequestEvent.objects.bulk_create(events, batch_size=2000)
    counts["requests"] += len(requests)
    counts["request_events"] += len(events)
    by_id = {v.pk: v for v in served}
    for r in requests:
        if r.status == RequestStatus.CONFIRMED:
            v = by_id[r.volunteer_id]
            credits.append(Entry(account=accounts.want(v.resident_id, v.name, v.approved_at), kind=EntryKind.SERVICE,
                                 hours=r.hours, points=ledger.points_for(r.hours, rule=w.rule), village=village,
                                 at=r.confirmed_at, source=f"request:{r.pk}", request=r, actor_id=None,
                                 created_at=r.confirmed_at))
    counts["confirmed"] += sum(1 for r in requests if r.status == RequestStatus.CONFIRMED)
    activities, signups = _activities(rng, w, village, team, served, cadre)
    Activity.objects.bulk_create(activities)
    for s in signups:
        s.activity_id = s.activity.pk
    ActivitySignup.objects.bulk_create(signups, batch_size=2000)
    counts["activities"] += len(activities)
    counts["signups"] += len(signups)
    for s in signups:
        if s.hours is not None:
            v = by_id[s.volunteer_id]
            at = s.checkout_at + dt.timedelta(minutes=rng.randint(5, 50))
            credits.append(Entry(account=accounts.want(v.resident_id, v.name, v.approved_at),
                                 kind=EntryKind.ACTIVITY, hours=s.hours,
                                 points=ledger.points_for(s.hours, s.activity.multiplier, rule=w.rule),
                                 village=village, at=at, source=f"signup:{s.pk}", signup=s, created_at=at))
    # civic acts of residents (volunteers or not), counted on campaign visits and council decisions
    n_civic = int(round(CIVIC_PER_MONTH * (end - start).days / 30 * rng.uniform(0.7, 1.3))) if w.civic else 0
    for i in range(n_civic):
        rid, name, *_ = rng.choice(people)
        at = _aware(start + dt.timedelta(days=rng.randrange((end - start).days)), rng.randint(9, 17),
                    rng.randint(0, 59), rng.randint(0, 59))
        if at >= now:
            continue
        act = _weighted(rng, [(a, 6 if a.code == "waste_sorting" else 1) for a in w.civic])
        credits.append(Entry(account=accounts.want(rid, name, at - dt.timedelta(minutes=1)), kind=EntryKind.CIVIC,
                             hours=Decimal(0), points=act.points, village=village, at=at,
                             source=f"civic:demo:{village.code}:{i}", note=act.name, actor_id=cadre, created_at=at))
    accounts.save()
    for e in credits:
        e.account_id = e.account.pk
    redemptions = _redemptions(rng, now, village, credits, items, cadre)
    Entry.objects.bulk_create(credits + redemptions, batch_size=2000)
    StoreItem.objects.bulk_update(items, ["stock"])
    counts["accounts"] += accounts.made
    counts["credits"] += len(credits)
    counts["redemptions"] += len(redemptions)
    return counts


class _Accounts:
    """The village's accounts: existing ones reused, new ones made (dated at first use) and saved at once."""

    def __init__(self, rng: random.Random, village: OrgUnit, have: dict[int, Account]) -> None:
        self.rng, self.village, self.by_resident, self.new = rng, village, dict(have), []
        self.made = 0

    def want(self, resident_id: int, name: str, at: dt.datetime) -> Account:
        acc = self.by_resident.get(resident_id)
        if acc is None:
            acc = Account(resident_id=resident_id, name=name, village=self.village, code=_code(self.rng),
                          created_at=at)
            self.by_resident[resident_id] = acc
            self.new.append(acc)
        elif acc.pk is None and at < acc.created_at:
            acc.created_at = at
        return acc

    def save(self) -> None:
        Account.objects.bulk_create(self.new)
        self.made = len(self.new)


def _eligible(v: Volunteer, at: dt.datetime, until: dt.datetime) -> bool:
    """Approved before `at`, and still serving (not paused or gone) until `until`."""
    if v.approved_at is None or v.approved_at >= at:
        return False
    return v.status == VolunteerStatus.ACTIVE or v.updated_at > until


def _requests(rng: random.Random, w: _World, village: OrgUnit, team: Council, people, served: list[Volunteer],
              skills_of: dict[int, list[Skill]], cadre: int | None) -> tuple[list[ServiceRequest], list[RequestEvent]]:
    now, start, end = w.now, w.start, w.end
    active = sum(1 for v in served if v.status == VolunteerStatus.ACTIVE)
    n = int(round(w.per_volunteer * active * (end - start).days / 30 * rng.uniform(0.8, 1.2)))
    cap = w.rule.max_hours_per_service
    times = sorted(_aware(start + dt.timedelta(days=rng.randrange((end - start).days + 1)), rng.randint(7, 20),
                          rng.randint(0, 59), rng.randint(0, 59)) for _ in range(n))
    requests: list[ServiceRequest] = []
    events: list[RequestEvent] = []
    for created in times:
        if created >= now:
            continue
        rid, name, hh, lat, lon = rng.choice(people)
        skill = rng.choice(w.skills)
        r = ServiceRequest(number=_number(w.seq, created), village=village, team=team, resident_id=rid,
                           household_id=hh, requester_name=name, skill=skill,
                           text=rng.choice(ASKS.get(skill.code, ["需要志愿者帮忙"])), status=RequestStatus.REQUESTED,
                           wanted_from=created + dt.timedelta(hours=rng.randint(4, 48)), created_at=created,
                           updated_at=created)
        r.wanted_to = r.wanted_from + dt.timedelta(days=rng.randint(1, 5))
        requests.append(r)

        def event(action, frm, to, at, volunteer=None, note="", actor=None, r=r):
            events.append(RequestEvent(request=r, action=action, from_status=frm, to_status=to, actor_id=actor,
                                       volunteer=volunteer, note=note, at=at))
            r.status, r.updated_at = to, at

        event("create", "", RequestStatus.REQUESTED, created)
        cancel_late = rng.random() < 0.04
        # who could serve: skilled first, else anyone serving then; not the requester
        assigned = created + _hours(rng, 0.3, 6)
        horizon = assigned + dt.timedelta(days=3)
        able = [v for v in served if v.resident_id != rid and _eligible(v, assigned, horizon)]
        skilled = [v for v in able if skill in skills_of[v.pk]] or able
        if not skilled or assigned >= now:
            if not skilled and created < now - dt.timedelta(days=7):
                event("cancel", RequestStatus.REQUESTED, RequestStatus.CANCELLED, created + dt.timedelta(days=7),
                      note="暂无可提供该服务的志愿者，已电话告知居民", actor=cadre)
                r.cancel_reason = "暂无可提供该服务的志愿者"
            continue
        first = rng.choice(skilled)
        if rng.random() < 0.1 and len(able) > 1:  # declined, then someone else
            event("assign", RequestStatus.REQUESTED, RequestStatus.ASSIGNED, assigned, first, actor=cadre)
            declined = assigned + _hours(rng, 0.2, 3)
            if declined >= now:
                r.volunteer_id, r.assigned_at, r.assigned_by_id = first.pk, assigned, cadre
                continue
            event("decline", RequestStatus.ASSIGNED, RequestStatus.REQUESTED, declined, first, note="当天有事，无法前往")
            assigned = declined + _hours(rng, 0.2, 2)
            first = rng.choice([v for v in able if v.pk != first.pk])
            if assigned >= now:
                continue
        r.volunteer_id, r.assigned_at, r.assigned_by_id = first.pk, assigned, cadre
        event("assign", RequestStatus.REQUESTED, RequestStatus.ASSIGNED, assigned, first, actor=cadre)
        steps = []
        accepted = assigned + _hours(rng, 0.1, 4)
        checkin = max(accepted + _hours(rng, 0.5, 30), r.wanted_from)
        checkout = checkin + _hours(rng, 0.4, 3.5)
        confirmed = checkout + _hours(rng, 0.2, 40)
        steps = [("accept", RequestStatus.ACCEPTED, accepted), ("checkin", RequestStatus.SERVING, checkin),
                 ("checkout", RequestStatus.SERVED, checkout), ("confirm", RequestStatus.CONFIRMED, confirmed)]
        if cancel_late:
            cancelled = accepted + _hours(rng, 0.5, 10)
            if cancelled < now:
                event("accept", RequestStatus.ASSIGNED, RequestStatus.ACCEPTED, accepted, first)
                r.accepted_at = accepted
                event("cancel", RequestStatus.ACCEPTED, RequestStatus.CANCELLED, cancelled, note="居民家属已自行解决")
                r.cancel_reason = "居民家属已自行解决"
                continue
        for action, to, at in steps:
            if at >= now:
                break
            frm = r.status
            if action == "accept":
                r.accepted_at = at
            elif action == "checkin":
                r.checkin_at, (r.checkin_lat, r.checkin_lon) = at, _near(rng, village, lat, lon)
            elif action == "checkout":
                r.checkout_at, (r.checkout_lat, r.checkout_lon) = at, _near(rng, village, lat, lon)
                r.service_note = rng.choice(NOTES)
                r.hours = ledger.hours_between(r.checkin_at, at, cap)
            elif action == "confirm":
                r.confirmed_at = at
                if rng.random() < 0.85:
                    r.rating = _weighted(rng, RATINGS)
                    r.rating_comment = COMMENTS[r.rating]
            event(action, frm, to, at, first, note=r.service_note if action == "checkout" else "")
    return requests, events


def _near(rng: random.Random, village: OrgUnit, lat: float | None, lon: float | None) -> tuple[float, float]:
    """A position a few dozen metres from the household (or the village's centre)."""
    if lat is None or lon is None:
        lat, lon = village.centre_lat, village.centre_lon
    if lat is None or lon is None:
        return 30.84 + rng.uniform(-0.1, 0.1), 120.92 + rng.uniform(-0.1, 0.1)  # 嘉善
    return lat + rng.uniform(-0.0004, 0.0004), lon + rng.uniform(-0.0004, 0.0004)


def _activities(rng: random.Random, w: _World, village: OrgUnit, team: Council, served: list[Volunteer],
                cadre: int | None) -> tuple[list[Activity], list[ActivitySignup]]:
    now, start, end = w.now, w.start, w.end
    skills = {s.code: s for s in w.skills}
    n = int(round(ACTIVITIES_PER_MONTH * (end - start).days / 30 * rng.uniform(0.7, 1.3)))
    activities, signups = [], []
    for _ in range(n):
        day = start + dt.timedelta(days=rng.randrange((end - start).days))
        starts = _aware(day, rng.choice([8, 9, 14]), rng.choice([0, 30]))
        ends = starts + dt.timedelta(hours=rng.choice([2, 3, 4]))
        if ends + dt.timedelta(hours=2) >= now:  # only what is over (nothing dated in the future)
            continue
        title, skill, place = rng.choice(ACTIVITIES)
        a = Activity(team=team, unit=village, title=title, text=f"{village.name}{w.kind.name}组织{title}，欢迎报名。",
                     place=f"{village.name}{place}", skill=skills.get(skill), starts_at=starts, ends_at=ends,
                     capacity=rng.choice([10, 15, 20, 30]), multiplier=rng.choice([Decimal(1), Decimal(1),
                                                                                   Decimal("1.5"), Decimal(2)]),
                     status=ActivityStatus.DONE, checkin_secret=_code(rng)[:32], checkin_code=f"{rng.randrange(10**6):06d}",
                     created_by_id=cadre, created_at=starts - dt.timedelta(days=rng.randint(7, 14)))
        activities.append(a)
        able = [v for v in served if _eligible(v, a.created_at, ends)]
        for v in rng.sample(able, min(len(able), a.capacity, rng.randint(1, max(1, len(able))))):
            s = ActivitySignup(activity=a, volunteer_id=v.pk,
                               signed_at=a.created_at + _hours(rng, 1, 24 * 5))
            if rng.random() < 0.08:
                s.cancelled_at = s.signed_at + _hours(rng, 1, 24)
            elif rng.random() < 0.92:
                s.checkin_at = starts + dt.timedelta(minutes=rng.randint(-10, 15))
                s.checkout_at = ends - dt.timedelta(minutes=rng.randint(0, 20))
                s.hours = ledger.hours_between(s.checkin_at, s.checkout_at)
            signups.append(s)
    return activities, signups


def _redemptions(rng: random.Random, now: dt.datetime, village: OrgUnit, credits: list[Entry],
                 items: list[StoreItem], cadre: int | None) -> list[Entry]:
    """Residents spend points at the village store, in time order: a redemption happens only when the
    account's balance just before it covers the price and the item is in stock (stock is decremented)."""
    by_account: dict[int, list[Entry]] = defaultdict(list)
    for e in credits:
        by_account[e.account_id].append(e)
    attempts: list[tuple[dt.datetime, int]] = []
    for account_id, entries in by_account.items():
        first = min(e.at for e in entries)
        span = (now - first).total_seconds()
        for _ in range(int(span // (86400 * 40))):  # about one visit to the store every forty days
            at = first + dt.timedelta(seconds=rng.randint(3600, int(span) - 60))
            attempts.append((at, account_id))
    attempts.sort()
    credit_times = {aid: sorted((e.at, e.points) for e in entries) for aid, entries in by_account.items()}
    spent: dict[int, int] = defaultdict(int)
    out: list[Entry] = []
    for at, account_id in attempts:
        earned = sum(p for t, p in credit_times[account_id] if t < at)
        balance = earned - spent[account_id]
        choice = [i for i in items if i.stock > 0 and i.price <= balance]
        if not choice or rng.random() < 0.3:
            continue
        item = rng.choice(choice)
        item.stock -= 1
        spent[account_id] += item.price
        out.append(Entry(account_id=account_id, kind=EntryKind.REDEEM, hours=Decimal(0), points=-item.price,
                         village=village, at=at, item=item, note=item.name, actor_id=cadre, created_at=at))
    return out


def _town_teams(kind: CouncilType, seed: int, start: dt.date) -> int:
    """A team per town (once): up to six active volunteers of its villages, the first as leader."""
    made = 0
    have = set(Council.objects.filter(type=kind, unit__level=Level.TOWN).values_list("unit_id", flat=True))
    for town in OrgUnit.objects.filter(level=Level.TOWN).exclude(id__in=have).order_by("path"):
        rng = random.Random(f"{seed}:volunteers:{town.code}")
        pool = list(Volunteer.objects.filter(village__path__startswith=town.path, status=VolunteerStatus.ACTIVE,
                                             resident__isnull=False).order_by("id")
                    .values_list("resident_id", "name", "approved_at"))
        if not pool:
            continue
        with transaction.atomic():
            team = Council.objects.create(type=kind, unit=town, name=f"{town.name}{kind.name}",
                                          founded_on=start - dt.timedelta(days=rng.randint(30, 300)))
            chosen = rng.sample(pool, min(6, len(pool)))
            Member.objects.bulk_create([
                Member(council=team, resident_id=rid, name=name, position=Position.CHAIR if i == 0 else Position.MEMBER,
                       chosen_by=ChosenBy.APPOINTED if i == 0 else ChosenBy.VOLUNTEERED,
                       started_on=max(team.founded_on, timezone.localtime(approved).date()))
                for i, (rid, name, approved) in enumerate(chosen)])
            audit_record(actor=None, action="demo.volunteers", object_type="org.orgunit", object_id=str(town.pk),
                         object_repr=town.name, unit_path=town.path, after={"members": len(chosen)})
        made += 1
    return made
