"""Mediation centres and a realistic year of disputes for the demo county (and for benchmarks).

`install_centres()` sets up the county centre (嘉善县社会矛盾纠纷调处化解中心) with a window for every
county department and a dozen mediation teams, a centre in every town, and stations in the villages of
天凝镇 plus the first village of every other town. `generate_disputes()` writes about 60 disputes a day
at full scale: walk-ins registered at the centre that covers where the applicant lives, sessions in
free rooms with free mediators (never double-booked), agreements, follow-ups, escalations up the tiers
and repeat petitions. Like demo.casegen it writes rows directly (one audit row per batch): a year of
disputes one service call at a time would take hours; the rows are what the services would write.
Deterministic per seed (times are anchored at midnight of the day after the last day generated).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from shanzhi.audit.services import audit_record
from shanzhi.cases.deadlines import limit_for, warn_point
from shanzhi.cases.models import Case, CaseNumber, Channel, Event, Priority, Status
from shanzhi.cases.services import is_on_time
from shanzhi.demo import names as N
from shanzhi.demo.casegen import _poisson, _weighted
from shanzhi.demo.people import person_name
from shanzhi.lib import crypto, workclock
from shanzhi.lib.codes import make_id_number, mask_id_number, mask_phone
from shanzhi.mediation.models import (
    SESSION_KIND,
    Agreement,
    Centre,
    Dispute,
    DisputeType,
    FollowUp,
    Kind,
    Party,
    Result,
    Role,
    Session,
    Team,
)
from shanzhi.mediation.services import AGREEMENT_TEMPLATE, centre_create
from shanzhi.org.models import Department, Level, OrgUnit, Post
from shanzhi.org.models import Role as PostRole
from shanzhi.people.models import Household, Resident
from shanzhi.rooms.models import Booking, Room

BATCH = 2000
COUNTY_CENTRE = "嘉善县社会矛盾纠纷调处化解中心"
COUNTY_ROOMS = ["第一调解室", "第二调解室", "第三调解室", "第四调解室", "第五调解室", "第六调解室"]
COUNTY_TEAMS = ["县人民调解委员会", "交通事故调解团", "医疗纠纷调解团", "劳动争议调解团", "婚姻家庭调解团",
                "物业纠纷调解团", "律师调解团", "老娘舅调解团", "消费维权调解团", "土地房屋调解团", "商事纠纷调解团",
                "心理疏导工作室"]
TOWN_ROOMS = ["第一调解室", "第二调解室", "第三调解室"]
VILLAGE_CENTRE_TOWN = "330421112"  # 天凝镇: every village has a station; elsewhere the first village
# Which team a type is handed to (county centre), and which department window takes petitions and land.
TYPE_TEAM = {"neighbour": "老娘舅调解团", "family": "婚姻家庭调解团", "land": "土地房屋调解团",
             "wages": "劳动争议调解团", "property_mgmt": "物业纠纷调解团", "consumer": "消费维权调解团",
             "traffic": "交通事故调解团", "medical": "医疗纠纷调解团", "other": "县人民调解委员会"}
PETITION_WINDOW = "县信访局窗口"
TYPE_WEIGHTS = {"neighbour": 30, "family": 14, "land": 8, "wages": 12, "property_mgmt": 10, "consumer": 7,
                "traffic": 10, "medical": 3, "other": 6}
OUTCOMES = [(Result.AGREEMENT, 70), (Result.PARTIAL, 10), (Result.FAILED, 5), (Result.REFERRED, 5),
            (Result.WITHDRAWN, 5), ("", 5)]
SUMMARIES = {
    "neighbour": ["通道堆放杂物引发邻里矛盾", "楼上漏水殃及楼下住户", "宅基地界址争议", "饲养家禽噪声扰邻",
                  "排水沟堵塞引发邻里纠纷", "违规搭建遮挡采光"],
    "family": ["赡养老人费用分担纠纷", "夫妻感情不和要求调解", "遗产继承纠纷", "子女抚养费纠纷"],
    "land": ["土地承包经营权流转纠纷", "宅基地使用权争议", "房屋租赁合同纠纷", "征迁补偿分配争议"],
    "wages": ["拖欠工资", "工伤赔偿争议", "解除劳动合同经济补偿纠纷", "加班费争议"],
    "property_mgmt": ["物业费收取争议", "小区停车位管理纠纷", "电梯维修费用分摊纠纷", "公共部位漏水维修纠纷"],
    "consumer": ["商品质量问题退换货纠纷", "预付卡退费纠纷", "装修合同纠纷", "网购商品售后纠纷"],
    "traffic": ["电动自行车与小轿车碰擦事故赔偿", "交通事故人身损害赔偿", "车辆追尾维修费用争议"],
    "medical": ["手术后并发症赔偿争议", "医疗费用争议", "诊疗过程纠纷"],
    "other": ["民间借贷纠纷", "合伙经营债务纠纷", "宠物伤人赔偿纠纷", "养殖污染纠纷"],
}
CLAIMS = {
    "neighbour": "要求对方停止侵害、恢复原状", "family": "要求依法分担赡养义务", "land": "要求确认使用权并赔偿损失",
    "wages": "要求支付拖欠的工资", "property_mgmt": "要求物业公司履行维修义务", "consumer": "要求退款并赔偿",
    "traffic": "要求赔偿医疗费和误工费", "medical": "要求医院赔偿", "other": "要求返还欠款",
}
COMPANIES = {
    "wages": ["嘉善{}制衣有限公司", "嘉善{}电子科技有限公司", "嘉善{}木业有限公司", "嘉善{}建筑工程有限公司"],
    "property_mgmt": ["嘉善{}物业服务有限公司"],
    "consumer": ["嘉善{}商贸有限公司", "嘉善{}装饰工程有限公司", "{}健身会所"],
    "medical": ["嘉善县第一人民医院", "嘉善县中医医院", "{}卫生院"],
}
REFERRALS = {"wages": "劳动人事争议仲裁", "traffic": "诉讼", "medical": "医疗损害鉴定及诉讼",
             "land": "农村土地承包仲裁"}
# Session slots on a working day: one hour each, never overlapping.
SLOTS = [dt.time(8, 30), dt.time(9, 40), dt.time(10, 50), dt.time(13, 30), dt.time(14, 40), dt.time(15, 50)]
LEVEL_OF = {Level.VILLAGE: "village", Level.TOWN: "town", Level.COUNTY: "county"}


# --- centres ------------------------------------------------------------------------------------

def install_centres() -> dict[str, int]:
    """Create the county centre, a centre in every town and stations in some villages; skip existing ones."""
    county = OrgUnit.objects.filter(level=Level.COUNTY).order_by("code").first()
    if county is None:
        return {"centres": 0, "teams": 0, "rooms": 0}
    before = (Centre.objects.count(), Team.objects.count(), Room.objects.count())
    have = set(Centre.objects.values_list("unit_id", flat=True))
    with transaction.atomic():
        if county.pk not in have:
            centre = centre_create(actor=None, unit=county, name=COUNTY_CENTRE, rooms=COUNTY_ROOMS,
                                   teams=COUNTY_TEAMS)
            depts = Department.objects.filter(unit=county, is_active=True).order_by("code")
            Team.objects.bulk_create([Team(centre=centre, name=f"{d.name}窗口", department=d) for d in depts])
        towns = list(OrgUnit.objects.filter(level=Level.TOWN, parent=county, is_active=True).order_by("code"))
        for town in towns:
            if town.pk not in have:
                centre_create(actor=None, unit=town, name=f"{town.name}社会矛盾纠纷调处化解中心", rooms=TOWN_ROOMS,
                              teams=[f"{town.name}人民调解委员会", f"{town.name}老娘舅调解团"])
        for town in towns:
            villages = list(OrgUnit.objects.filter(level=Level.VILLAGE, parent=town, is_active=True)
                            .order_by("code"))
            chosen = villages if town.code == VILLAGE_CENTRE_TOWN else villages[:1]
            for v in chosen:
                if v.pk not in have:
                    centre_create(actor=None, unit=v, name=f"{v.name}矛调工作站", rooms=["调解室"],
                                  teams=[f"{v.name}人民调解委员会"])
    after = (Centre.objects.count(), Team.objects.count(), Room.objects.count())
    return {"centres": after[0] - before[0], "teams": after[1] - before[1], "rooms": after[2] - before[2]}


# --- the world a dispute is drawn from -----------------------------------------------------------

@dataclass
class _CentreInfo:
    centre: Centre
    level: str
    parent: _CentreInfo | None
    rooms: list[int]
    mediators: list[int]
    teams: dict[str, Team] = field(default_factory=dict)


class _World:
    """Centres, places, people and mediators, read once; slots booked as disputes are drawn."""

    def __init__(self, rng: random.Random, household_sample: int, end: dt.date) -> None:
        self.units = {u["id"]: u for u in OrgUnit.objects.values("id", "code", "path", "level", "name")}
        self.by_code = {u["code"]: i for i, u in self.units.items()}
        posts = defaultdict(list)
        for unit_id, role, user_id in (Post.objects.filter(Post.current_q(), user__isnull=False)
                                       .filter(role__in=[PostRole.MEDIATOR, PostRole.TOWN_STAFF,
                                                         PostRole.VILLAGE_CADRE])
                                       .order_by("id").values_list("unit_id", "role", "user_id")):
            posts[unit_id].append((role, user_id))
        rooms = defaultdict(list)
        for unit_id, room_id in Room.objects.filter(is_active=True).order_by("id").values_list("unit_id", "id"):
            rooms[unit_id].append(room_id)  # a centre's rooms are the bookable rooms at its unit
        teams = defaultdict(dict)
        for t in Team.objects.filter(is_active=True).order_by("id"):
            teams[t.centre_id].setdefault(t.name, t)
        self.centres: dict[int, _CentreInfo] = {}  # by unit id
        for c in Centre.objects.filter(is_active=True).select_related("unit").order_by("unit__path"):
            level = LEVEL_OF.get(c.unit.level)
            if level is None or not rooms[c.unit_id]:
                continue
            mediators = [u for role, u in posts[c.unit_id] if role == PostRole.MEDIATOR]
            if level == "town":
                mediators += [u for role, u in posts[c.unit_id] if role == PostRole.TOWN_STAFF]
            elif level == "village":
                mediators += [u for role, u in posts[c.unit_id] if role == PostRole.VILLAGE_CADRE][:2]
            parent = None
            for code in reversed(self.codes(c.unit.path)[:-1]):
                parent = self.centres.get(self.by_code.get(code))
                if parent is not None:
                    break
            self.centres[c.unit_id] = _CentreInfo(c, level, parent, rooms[c.unit_id], mediators, teams[c.pk])
        ids = list(Household.objects.filter(is_active=True, lat__isnull=False).order_by("id")
                   .values_list("id", flat=True))
        rng.shuffle(ids)
        chosen = sorted(ids[:household_sample])
        self.households: dict[int, tuple] = {}
        for start in range(0, len(chosen), 5000):
            for row in Household.objects.filter(id__in=chosen[start:start + 5000]).values_list(
                    "id", "micro_grid_id", "lat", "lon", "address"):
                self.households[row[0]] = row
        adult = dt.date(end.year - 20, 1, 1)
        self.people: list[tuple] = []  # (id, household_id, name, id hash, id masked, phone enc, phone masked)
        self.by_village: dict[int, list[int]] = defaultdict(list)  # village id -> indexes into people
        self.by_household: dict[int, list[int]] = defaultdict(list)
        for start in range(0, len(chosen), 5000):
            rows = (Resident.objects.filter(household_id__in=chosen[start:start + 5000], status="active",
                                            birth_date__lte=adult).order_by("id")
                    .values_list("id", "household_id", "name", "id_number_hash", "id_number_masked", "phone_enc",
                                 "phone_masked"))
            for row in rows:
                self.by_household[row[1]].append(len(self.people))
                self.people.append(row)
        self.people_order = sorted(range(len(self.people)), key=lambda i: self.people[i][0])
        for i in self.people_order:
            self.by_village[self.village_of(self.people[i][1])].append(i)
        self.busy_rooms: set[tuple[int, dt.date, int]] = set()
        self.busy_people: set[tuple[int, dt.date, int]] = set()
        self._mark_booked(end)

    def _mark_booked(self, end: dt.date) -> None:
        """Mark the slots that bookings already in the database overlap (a second run never clashes)."""
        tz = timezone.get_current_timezone()
        since = timezone.make_aware(dt.datetime.combine(end - dt.timedelta(days=400), dt.time.min), tz)
        rows = Booking.objects.filter(cancelled=False, ends_at__gt=since).values_list("id", "room_id", "starts_at",
                                                                                       "ends_at")
        people = defaultdict(list)
        for booking_id, user_id in (Booking.people.through.objects.filter(booking__cancelled=False,
                                                                          booking__ends_at__gt=since)
                                    .values_list("booking_id", "user_id")):
            people[booking_id].append(user_id)
        for session_id, room_id, starts, ends in rows:
            day = timezone.localtime(starts, tz).date()
            for idx, slot in enumerate(SLOTS):
                at = timezone.make_aware(dt.datetime.combine(day, slot), tz)
                if at < ends and at + dt.timedelta(hours=1) > starts:
                    self.busy_rooms.add((room_id, day, idx))
                    self.busy_people.update((u, day, idx) for u in people[session_id])

    @staticmethod
    def codes(path: str) -> list[str]:
        return [c for c in path.split("/") if c]

    def chain(self, unit_id: int) -> dict[str, int]:
        """Unit ids above (and at) a unit, by level."""
        return {self.units[self.by_code[c]]["level"]: self.by_code[c] for c in self.codes(self.units[unit_id]["path"])}

    def village_of(self, household_id: int) -> int:
        return self.chain(self.households[household_id][1]).get(Level.VILLAGE, 0)

    def centre_for(self, unit_id: int) -> _CentreInfo | None:
        """The nearest centre at or above a unit, as services.centre_for finds it."""
        for code in reversed(self.codes(self.units[unit_id]["path"])):
            found = self.centres.get(self.by_code[code])
            if found is not None:
                return found
        return None

    def book(self, rng: random.Random, info: _CentreInfo, earliest: dt.datetime, tz,
             two: bool) -> tuple[dt.datetime, int, list[int]] | None:
        """The first free slot from `earliest` with a free room and free mediators of the centre."""
        local = timezone.localtime(earliest, tz)
        day = local.date()
        for _ in range(40):
            if workclock.is_workday(day):
                for idx, start in enumerate(SLOTS):
                    at = timezone.make_aware(dt.datetime.combine(day, start), tz)
                    if at < earliest:
                        continue
                    room = next((r for r in info.rooms if (r, day, idx) not in self.busy_rooms), None)
                    if room is None:
                        continue
                    free = [u for u in info.mediators if (u, day, idx) not in self.busy_people]
                    if info.mediators and not free:
                        continue
                    chosen = rng.sample(free, min(len(free), 2 if two else 1)) if free else []
                    self.busy_rooms.add((room, day, idx))
                    for u in chosen:
                        self.busy_people.add((u, day, idx))
                    return at, room, chosen
            day += dt.timedelta(days=1)
        return None


# --- one dispute ---------------------------------------------------------------------------------

@dataclass
class _Drawn:
    case: Case
    dispute: Dispute
    events: list[Event]
    parties: list[Party]
    sessions: list[tuple[Session, list[int]]]
    agreement: Agreement | None = None
    followup: FollowUp | None = None
    repeat_of: _Drawn | None = None
    applicant: tuple | None = None  # (name, id hash, id masked, phone enc, phone masked, resident id, household)


class _Generator:
    def __init__(self, rng: random.Random, world: _World, types: dict[str, DisputeType], anchor: dt.datetime,
                 county_code: str, counters: dict[str, int]) -> None:
        self.rng, self.w, self.types, self.now, self.county_code = rng, world, types, anchor, county_code
        self.counters = counters
        self.tz = timezone.get_current_timezone()
        self.type_weights = [(code, w) for code, w in TYPE_WEIGHTS.items() if code in types]
        self.household_ids = sorted(world.households)
        self.recent: list[_Drawn] = []
        self.outsiders = 0

    # parties -----------------------------------------------------------------------------------
    def _outsider(self, local: bool = False) -> tuple:
        rng = self.rng
        self.outsiders += 1
        sex = "M" if rng.random() < 0.6 else "F"
        surname = rng.choice(N.LOCAL_SURNAMES if local else N.OTHER_SURNAMES)
        name = person_name(rng, surname, sex)
        area = rng.choice(N.LOCAL_AREAS if local else N.OTHER_AREAS)
        birth = dt.date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28))
        id_number = make_id_number(area, birth, rng.randrange(500), sex)
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        return (name, crypto.lookup_hash(id_number), mask_id_number(id_number), crypto.encrypt(phone),
                mask_phone(phone), None, None)

    def _resident(self, index: int) -> tuple:
        rid, hid, name, id_hash, id_masked, ph_enc, ph_masked = self.w.people[index]
        return (name, id_hash, id_masked, ph_enc, ph_masked, rid, hid)

    def _applicant(self, code: str) -> tuple:
        w = self.w
        if w.people and (self.rng.random() < 0.8 or code not in ("wages", "traffic")):
            return self._resident(w.people_order[self.rng.randrange(len(w.people_order))])
        return self._outsider()

    def _respondent(self, code: str, applicant: tuple) -> tuple | None:
        rng, w = self.rng, self.w
        if code in COMPANIES and rng.random() < 0.9:
            pattern = rng.choice(COMPANIES[code])
            name = pattern.format(rng.choice(N.PLACE_FIRST) + rng.choice(N.PLACE_SECOND)) if "{}" in pattern \
                else pattern
            return (name, "", "", "", "", None, None)
        hid = applicant[6]
        if code == "family" and hid is not None:
            same = [i for i in w.by_household[hid] if w.people[i][0] != applicant[5]]
            if same:
                return self._resident(rng.choice(same))
        if hid is not None and code in ("neighbour", "land", "family", "other"):
            pool = w.by_village.get(w.village_of(hid), [])
            pool = [i for i in pool[:400] if w.people[i][0] != applicant[5]]
            if pool:
                return self._resident(rng.choice(pool))
        return self._outsider(local=rng.random() < 0.5)

    # the whole dispute ---------------------------------------------------------------------------
    def draw(self, day: dt.date) -> _Drawn | None:
        rng, w = self.rng, self.w
        repeat_of = None
        if self.recent and rng.random() < 0.03:
            repeat_of = self.recent[-1 - rng.randrange(min(len(self.recent), 300))]
        code = repeat_of.dispute.type.code if repeat_of else _weighted(rng, self.type_weights)
        dtype = self.types[code]
        cat = dtype.category
        applicant = repeat_of.applicant if repeat_of else self._applicant(code)
        hid = applicant[6] if applicant[6] is not None else self.household_ids[rng.randrange(len(self.household_ids))]
        _, mg, lat, lon, address = w.households[hid]
        kind = Kind.PETITION if rng.random() < 0.08 else Kind.DISPUTE
        chain = w.chain(mg)
        level = {"grid": Level.GRID, "village": Level.VILLAGE, "town": Level.TOWN}.get(cat.default_level,
                                                                                       Level.COUNTY)
        if kind == Kind.PETITION and level in (Level.GRID, Level.VILLAGE):
            level = Level.TOWN
        first = w.centre_for(chain.get(level) or chain[Level.COUNTY])
        if first is None:
            return None
        # Walk-ins come in office hours; the window opens 08:30 and closes 17:00.
        reported = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30)), self.tz) + dt.timedelta(
            minutes=rng.randrange(0, 510) if rng.random() < 0.85 else rng.randrange(0, 60))
        if reported.hour == 12 or (reported.hour == 13 and reported.minute < 30):
            reported += dt.timedelta(hours=1, minutes=30)
        if reported >= self.now:
            return None
        amount, unit = limit_for(cat, Priority.NORMAL)
        deadline = workclock.add_working_days(reported, amount) if unit == "days" else \
            workclock.add_working_hours(reported, amount)
        limit_hours = max(workclock.working_seconds_between(reported, deadline), 3600.0) / 3600
        centre, escalations = first, 0
        if first.parent is not None and rng.random() < 0.10:
            centre, escalations = first.parent, 1
            if centre.parent is not None and rng.random() < 0.2:
                centre, escalations = centre.parent, 2
        accepted = reported + dt.timedelta(minutes=rng.randrange(5, 40))
        steps, step = [], accepted
        for _ in range(escalations):
            step = workclock.add_working_hours(step, rng.uniform(2, 12))
            steps.append(step)
        if steps and steps[-1] >= self.now:  # not sent up yet
            centre, escalations, steps = first, 0, []
        result = _weighted(rng, OUTCOMES)
        late = rng.random() < (0.25 if escalations else 0.08)
        share = rng.uniform(1.05, 1.8) if late else rng.betavariate(2, 3.5) * (1 + 0.4 * escalations)
        resolved = workclock.add_working_hours(reported, max(share * limit_hours, 0.5))
        summary = rng.choice(SUMMARIES.get(code, SUMMARIES["other"]))
        respondent = self._respondent(code, applicant) if kind == Kind.DISPUTE else None

        # Sessions: booked in order at the centre that holds the dispute at the end.
        if result in (Result.AGREEMENT, Result.PARTIAL, Result.FAILED):
            n_sessions = _weighted(rng, [(1, 70), (2, 25), (3, 5)])
        elif result == Result.REFERRED:
            n_sessions = 1 if rng.random() < 0.5 else 0
        elif result == Result.WITHDRAWN:
            n_sessions = 1 if rng.random() < 0.3 else 0
        else:
            n_sessions = 1 if rng.random() < 0.8 else 0
        if steps:
            resolved = max(resolved, steps[-1] + dt.timedelta(hours=1))
        slots = []
        earliest = (steps[-1] if steps else reported) + dt.timedelta(minutes=30)
        span = max((resolved - reported).total_seconds(), 3600)
        for i in range(n_sessions):
            target = max(earliest, reported + dt.timedelta(seconds=span * i / max(n_sessions, 1)))
            booked = w.book(rng, centre, target, self.tz, two=rng.random() < 0.3)
            if booked is None:
                break
            slots.append(booked)
            earliest = booked[0] + dt.timedelta(hours=1)
        if slots:
            resolved = max(resolved, slots[-1][0] + dt.timedelta(hours=1, minutes=10))
        if resolved >= self.now:
            result = ""
        is_open = result == ""
        if is_open and rng.random() < 0.7:  # the next session, on the calendar from today on
            booked = w.book(rng, centre, max(earliest, self.now + dt.timedelta(minutes=rng.randrange(0, 4000))),
                            self.tz, two=rng.random() < 0.3)
            if booked is not None:
                slots.append(booked)

        # The case, as dispute_register and the later steps leave it.
        prefix = f"{self.county_code}-{day:%Y%m%d}"
        self.counters[prefix] += 1
        claims = f"{applicant[0]}：{CLAIMS.get(code, CLAIMS['other'])}"
        case = Case(
            number=f"{prefix}-{self.counters[prefix]:05d}", kind=cat.kind, category=cat, priority=Priority.NORMAL,
            channel=Channel.WALK_IN, description=f"{summary}\n诉求：{claims}", address=address[:200], lat=lat,
            lon=lon, unit_id=mg, household_id=applicant[6], reporter_name=applicant[0][:50], is_public=False,
            reported_at=reported, deadline_at=deadline, warn_at=warn_point(reported, deadline),
            handling_unit_id=centre.centre.unit_id, handling_level=centre.level, first_level=first.level,
            escalations=escalations, status=Status.REPORTED,
        )
        window = f"{first.centre.name}窗口"
        events = [Event(at=reported, actor_label=window, action="report", to_status=Status.REPORTED,
                        data={"channel": Channel.WALK_IN}, public=False)]
        if accepted < self.now:
            case.status, case.first_response_at = Status.ACCEPTED, accepted
            events.append(Event(at=accepted, actor_label=window, action="annotate", from_status=Status.REPORTED,
                                to_status=Status.ACCEPTED, note="已安排调解", public=False))
        holder = first
        for step in steps:
            up = holder.parent
            events.append(Event(at=step, actor_label="调解员", action="transfer", from_status=Status.ACCEPTED,
                                to_status=Status.ACCEPTED, note="本级调解不成，上报",
                                data={"from": w.units[holder.centre.unit_id]["code"],
                                      "to": w.units[up.centre.unit_id]["code"], "escalation": True},
                                public=False))
            holder = up
        dispute = Dispute(kind=kind, type=dtype, centre=centre.centre, first_centre=first.centre, summary=summary,
                          escalations=escalations, registered_at=reported)
        team = self._team(centre, code, kind)
        if team is not None:
            dispute.team = team
            case.department_id = team.department_id
        if not is_open:
            label = Result(result).label
            events.append(Event(at=resolved, actor_label="调解员", action="conclude", from_status=case.status,
                                to_status=Status.CLOSED, note=f"{label}。", data={"outcome": label}, public=False))
            case.status, case.handled_at, case.closed_at = Status.CLOSED, resolved, resolved
            case.closed_level, case.closed_on_time = centre.level, is_on_time(case, resolved)
            dispute.result = result
            dispute.first_time = result in (Result.AGREEMENT, Result.WITHDRAWN) and escalations == 0
            if result == Result.REFERRED:
                dispute.referred_to = REFERRALS.get(code, "诉讼")

        parties = [self._party(Role.APPLICANT, applicant, CLAIMS.get(code, CLAIMS["other"]))]
        if respondent is not None:
            parties.append(self._party(Role.RESPONDENT, respondent, ""))
        sessions = []
        booked_from = steps[-1] if steps else reported
        for at, room, mediators in slots:
            held = not is_open or at + dt.timedelta(hours=1) <= self.now - dt.timedelta(hours=2)
            booking = Booking(room_id=room, unit_id=centre.centre.unit_id, starts_at=at,
                              ends_at=at + dt.timedelta(hours=1), purpose=f"纠纷调解 {case.number}",
                              kind=SESSION_KIND, created_at=min(at, booked_from))
            s = Session(booking=booking, held=held,
                        minutes="双方到场陈述事实与诉求，调解员释法明理，促成协商。" if held else "")
            sessions.append((s, mediators))
        drawn = _Drawn(case, dispute, events, parties, sessions, repeat_of=repeat_of, applicant=applicant)
        if result in (Result.AGREEMENT, Result.PARTIAL) and sessions:
            self._agreement(drawn, centre)
        self.recent.append(drawn)
        if len(self.recent) > 600:
            del self.recent[:300]
        return drawn

    def _team(self, centre: _CentreInfo, code: str, kind: str) -> Team | None:
        rng = self.rng
        if centre.level == "county":
            name = PETITION_WINDOW if kind == Kind.PETITION else TYPE_TEAM.get(code)
            if code == "land" and rng.random() < 0.4:
                name = "自然资源和规划局窗口"
            return centre.teams.get(name or "") if rng.random() < 0.8 else None
        if centre.level == "town" and rng.random() < 0.5 and centre.teams:
            return centre.teams[sorted(centre.teams)[rng.randrange(len(centre.teams))]]
        return None

    @staticmethod
    def _party(role: str, who: tuple, claim: str) -> Party:
        name, id_hash, id_masked, ph_enc, ph_masked, resident_id, _ = who
        return Party(role=role, name=name[:100], resident_id=resident_id, id_number_hash=id_hash,
                     id_number_masked=id_masked, phone_enc=ph_enc, phone_masked=ph_masked, claim=claim)

    def _agreement(self, drawn: _Drawn, centre: _CentreInfo) -> None:
        rng = self.rng
        session, mediators = drawn.sessions[-1]
        if not session.held:
            return
        created = session.ends_at + dt.timedelta(minutes=5)
        d, case = drawn.dispute, drawn.case

        def line(role: str) -> str:
            return "；".join(p.name + (f"（身份证号{p.id_number_masked}）" if p.id_number_masked else "")
                            + (f"，联系电话{p.phone_masked}" if p.phone_masked else "")
                            for p in drawn.parties if p.role == role) or "无"

        terms = "一、双方就上述纠纷自愿达成和解，被申请人于十日内履行约定义务。\n二、双方就此事不再另行主张。"
        text = AGREEMENT_TEMPLATE.format(number=case.number, applicants=line(Role.APPLICANT),
                                         respondents=line(Role.RESPONDENT), summary=d.summary,
                                         centre=centre.centre.name, terms=terms,
                                         mediators=f"{len(mediators)}名调解员",
                                         date=f"{timezone.localtime(created):%Y年%m月%d日}")
        drawn.agreement = Agreement(text=text, created_at=created, signed_at=created + dt.timedelta(minutes=10))
        signed = drawn.agreement.signed_at
        if self.now - signed > dt.timedelta(days=15) and rng.random() < 0.6:
            result = _weighted(rng, [("performed", 85), ("partly", 10), ("not_performed", 5)])
            drawn.followup = FollowUp(at=signed + dt.timedelta(days=rng.randint(7, 14)),
                                      by_id=mediators[0] if mediators else None, result=result,
                                      note="电话回访，当事人反映协议履行情况。")


# --- the year ----------------------------------------------------------------------------------

def generate_disputes(*, per_day: float, days: int = 365, seed: int = 1, end: dt.date | None = None,
                      progress: bool = False, household_sample: int = 20000) -> int:
    """Insert `days` days of disputes ending yesterday (or `end`); return how many. Deterministic per seed."""
    rng = random.Random(f"shanzhi-demo-disputes:{seed}")
    types = {t.code: t for t in DisputeType.objects.select_related("category")}
    if not types or not Centre.objects.exists():
        return 0
    end = end or (timezone.localdate() - dt.timedelta(days=1))
    world = _World(rng, household_sample, end)
    if not world.households or not world.centres:
        return 0
    start = end - dt.timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    anchor = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    county_code = OrgUnit.objects.filter(level=Level.COUNTY).order_by("code").values_list("code", flat=True)[0]
    # Numbers go on from the cases already there (not from the counters, which a demo reset keeps).
    counters: dict[str, int] = defaultdict(int)
    for number in Case.objects.filter(number__gte=f"{county_code}-{start:%Y%m%d}",
                                      number__lt=f"{county_code}-{end + dt.timedelta(days=1):%Y%m%d}") \
            .values_list("number", flat=True).iterator(chunk_size=BATCH):
        prefix, _, seq = number.rpartition("-")
        if seq.isdigit():
            counters[prefix] = max(counters[prefix], int(seq))
    gen = _Generator(rng, world, types, anchor, county_code, counters)
    pending: list[_Drawn] = []
    total = 0
    bar = tqdm(total=days, desc="纠纷 disputes", unit="天", disable=not progress, leave=False)
    day = start
    while day <= end:
        factor = 1.0 if workclock.is_workday(day) else 0.25
        for _ in range(_poisson(rng, per_day * factor * 1.3)):
            drawn = gen.draw(day)
            if drawn is not None:
                pending.append(drawn)
                total += 1
        if len(pending) >= BATCH:
            _flush(pending)
            pending = []
        day += dt.timedelta(days=1)
        bar.update(1)
    _flush(pending)
    bar.close()
    with transaction.atomic():
        for prefix, last in counters.items():
            if not CaseNumber.objects.filter(prefix=prefix, last__lt=last).update(last=last) and \
                    not CaseNumber.objects.filter(prefix=prefix).exists():
                CaseNumber.objects.create(prefix=prefix, last=last)
    from shanzhi.dashboard.rollups import rollups_rebuild

    rollups_rebuild(since=start)  # bulk writes send no signal; disputes bring their cases: both roll-ups
    return total


@transaction.atomic
def _flush(batch: list[_Drawn]) -> None:
    """Write a batch: cases, events, disputes, parties, sessions with mediators, agreements, follow-ups."""
    if not batch:
        return
    Case.objects.bulk_create([d.case for d in batch], batch_size=BATCH)
    events = []
    for d in batch:
        for ev in d.events:
            ev.case_id = d.case.pk
            events.append(ev)
        d.dispute.case_id = d.case.pk
    Event.objects.bulk_create(events, batch_size=BATCH)
    Dispute.objects.bulk_create([d.dispute for d in batch], batch_size=BATCH)
    repeats = []
    for d in batch:
        if d.repeat_of is not None:
            d.dispute.repeat_of_id = d.repeat_of.dispute.pk
            repeats.append(d.dispute)
    Dispute.objects.bulk_update(repeats, ["repeat_of"], batch_size=BATCH)
    parties, sessions = [], []
    for d in batch:
        for p in d.parties:
            p.dispute_id = d.dispute.pk
            parties.append(p)
        for s, _ in d.sessions:
            s.dispute_id = d.dispute.pk
            sessions.append(s)
    Party.objects.bulk_create(parties, batch_size=BATCH)
    for d in batch:
        for s, _ in d.sessions:
            if s.held:
                s.attended = [p.pk for p in d.parties]
    Booking.objects.bulk_create([s.booking for s in sessions], batch_size=BATCH)
    for s in sessions:
        s.booking_id = s.booking.pk
    Session.objects.bulk_create(sessions, batch_size=BATCH)
    through = Booking.people.through
    links, agreements = [], []
    for d in batch:
        for s, mediators in d.sessions:
            links += [through(booking_id=s.booking_id, user_id=u) for u in mediators]
        if d.agreement is not None:
            d.agreement.dispute_id, d.agreement.session_id = d.dispute.pk, d.sessions[-1][0].pk
            agreements.append(d.agreement)
    through.objects.bulk_create(links, batch_size=BATCH)
    Agreement.objects.bulk_create(agreements, batch_size=BATCH)
    followups = []
    for d in batch:
        if d.followup is not None:
            d.followup.agreement_id = d.agreement.pk
            followups.append(d.followup)
    FollowUp.objects.bulk_create(followups, batch_size=BATCH)
    audit_record(actor=None, action="demo.disputes", object_type="mediation.dispute", object_id="*",
                 object_repr=f"{len(batch)}件矛盾纠纷", after={"disputes": len(batch), "sessions": len(sessions),
                                                           "agreements": len(agreements)})


__all__ = ["COUNTY_CENTRE", "generate_disputes", "install_centres"]
