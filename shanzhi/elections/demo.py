"""One round of village and community committee elections for the demo county (and for benchmarks).

The round's villages sit at every stage around today: some still setting up (one with its roll due within
days, so the overview shows a date at risk), rolls drafted and published with an objection, nominations
(海选) being counted, official candidates published, voting today, counted, and certified with the winners
holding their posts. Like demo.casegen this writes rows directly (one audit row per village): the rows are
what the services would write, and they keep the rules:

* the roll is every active resident of the village with hukou there (户籍) aged 18 or more on election day,
  one entry per person in the county; published at least `roll_days_before` days before election day;
* the election committee is drawn from the voters; candidates are voters not on it; official candidates are
  the most nominated, more than the seats (差额), published at least `candidates_days_before` days before;
* stations: the central venue, one polling station per grid and a mobile ballot box for voters of 80 and
  more; three scrutineers and a teller per station, none a candidate nor a candidate's close relative;
* participations and tallies agree (ballots issued at a station = voters who took part there, returned =
  valid + invalid), results are the sums of the tallies' lines, each winner has more than half the votes
  of those who took part and at least one woman is elected;
* nothing is dated after the moment it runs. Deterministic per seed; a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from shanzhi.audit.services import audit_record
from shanzhi.elections.models import (
    Basis,
    Candidate,
    CandidateStatus,
    CommitteeMember,
    CommitteeRole,
    Election,
    Objection,
    Participation,
    Proxy,
    Result,
    Round,
    Rules,
    StaffRole,
    Stage,
    Station,
    StationKind,
    StationStaff,
    Tally,
    TallyLine,
    Voter,
)
from shanzhi.elections.relatives import KIN
from shanzhi.elections.rules import age_on
from shanzhi.lib import clock
from shanzhi.org.models import Level, OrgUnit, Post, Role
from shanzhi.people.models import Registration, Resident, ResidentStatus, Sex

ROUND_NAME = "{year}年村（社区）组织换届选举"
BATCH = 5000
# (scenario, election day relative to today). The stage each reaches is decided by what has happened by now.
SCENARIOS = [
    ("setup", 40), ("roll", 22), ("roll_published", 18), ("nomination", 12), ("candidates", 6), ("voting", 0),
    ("counted", -2), ("certified", -9), ("certified", -12),
]
# candidates per position: (nominated, official); seats are 1 chair, `vice_chairs`, `members`
FIELD = {CommitteeRole.CHAIR: (3, 2), CommitteeRole.VICE_CHAIR: (3, 2), CommitteeRole.MEMBER: (6, 4)}
POST_ROLES = {CommitteeRole.CHAIR: Role.COMMITTEE_CHAIR, CommitteeRole.VICE_CHAIR: Role.COMMITTEE_VICE,
              CommitteeRole.MEMBER: Role.COMMITTEE_MEMBER}
MOBILE_AGE = 80
STATEMENTS = ["坚持为民办实事，把村道修好、路灯点亮、河道管好。", "发展村集体经济，让村民口袋鼓起来。",
              "做好老人照护和垃圾分类，让村里更干净、更温暖。", "公开村务财务，事事有人管、件件有回音。"]


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_current_timezone())


class _Rows:
    def __init__(self) -> None:
        self.by_model: dict[type, list] = defaultdict(list)

    def add(self, obj):
        self.by_model[type(obj)].append(obj)
        return obj

    def save(self, *models) -> None:
        for model in models:
            rows = self.by_model.pop(model, [])
            if rows:
                model.objects.bulk_create(rows, batch_size=BATCH)


def generate_elections(*, seed: int = 1, progress: bool = False, villages: list[OrgUnit] | None = None,
                       now: dt.datetime | None = None) -> dict[str, int]:
    """One round for the county with every village (or the given ones) at a stage; returns counts.

    A second run adds nothing: when the county already has the demo round, it is left as it is."""
    now = now or clock.now()
    today = timezone.localtime(now).date()
    county = OrgUnit.objects.filter(parent__isnull=True, level=Level.COUNTY).order_by("id").first()
    if county is None:
        return {}
    name = ROUND_NAME.format(year=today.year)
    if Round.objects.filter(unit=county, name=name).exists():
        return {}
    if villages is None:
        villages = list(OrgUnit.objects.filter(level=Level.VILLAGE, path__startswith=county.path).order_by("path"))
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        rules = Rules.objects.create()
        rnd = Round.objects.create(unit=county, name=name, election_day=today + dt.timedelta(days=6), rules=rules,
                                   created_at=now - dt.timedelta(days=60))
        audit_record(actor=None, action="demo.elections.round", obj=rnd, unit_path=county.path,
                     after={"villages": len(villages)})
    made_posts = False
    for index, village in enumerate(tqdm(villages, desc="换届选举", unit="村", disable=not progress)):
        rng = random.Random(f"{seed}:elections:{village.code}")
        scenario, offset = SCENARIOS[index % len(SCENARIOS)]
        with transaction.atomic():
            made = _village(rng, rnd, rules, village, scenario, today + dt.timedelta(days=offset), now, today)
            audit_record(actor=None, action="demo.elections", object_type="org.orgunit", object_id=str(village.pk),
                         object_repr=village.name, unit_path=village.path, after=dict(made))
        made_posts = made_posts or bool(made.get("posts"))
        for k, v in made.items():
            counts[k] += v
        counts["elections"] += 1
    if made_posts:
        from shanzhi.org.services import rollups_refresh

        rollups_refresh()
    return dict(counts)


def _people(village: OrgUnit, day: dt.date, voting_age: int) -> list[tuple]:
    """The village's roll: active residents with hukou there, of voting age on election day (by birth date),
    as (id, name, sex, birth, household, relation, micro-grid, grid)."""
    rows = (Resident.objects.filter(household__micro_grid__path__startswith=village.path,
                                    status=ResidentStatus.ACTIVE, residence=Registration.REGISTERED,
                                    birth_date__lte=day)
            .order_by("household__micro_grid__path", "household_id", "id")
            .values_list("id", "name", "sex", "birth_date", "household_id", "relation", "household__micro_grid_id",
                         "household__micro_grid__parent_id"))
    return [r for r in rows if age_on(r[3], day) >= voting_age]


def _village(rng: random.Random, rnd: Round, rules: Rules, village: OrgUnit, scenario: str, day: dt.date,
             now: dt.datetime, today: dt.date) -> dict[str, int]:
    made: dict[str, int] = defaultdict(int)
    rows = _Rows()
    people = _people(village, day, rules.voting_age)
    opened, closes = _aware(day, 7, 0), _aware(day, 12, 0)
    if scenario == "voting" and now < opened + dt.timedelta(minutes=10):
        scenario = "candidates"  # run before the polls open: the village waits for them
    if len(people) < 40:
        scenario = "setup"  # too few voters to field candidates and station staff: the village is still preparing
    members = 3 + rng.choice((0, 0, 1))
    created = min(now, _aware(day - dt.timedelta(days=50), 9))
    election = Election.objects.create(round=rnd, unit=village, election_day=day, stage=Stage.SETUP,
                                       vice_chairs=1, members=members, min_women=rules.min_women,
                                       venue=f"{village.name}文化礼堂", created_at=created, updated_at=created)
    # the election committee: five to seven voters (or the first residents while the roll is not drawn up)
    committee_ids = {p[0] for p in rng.sample(people, min(len(people), rng.randint(5, 7)))}
    committee = [p for p in people if p[0] in committee_ids]
    for i, p in enumerate(committee):
        role = CommitteeRole.CHAIR if i == 0 else CommitteeRole.VICE_CHAIR if i == 1 else CommitteeRole.MEMBER
        rows.add(CommitteeMember(election=election, resident_id=p[0], name=p[1], role=role,
                                 joined_on=min(today, day - dt.timedelta(days=45))))
    made["committee"] = len(committee)
    stage = Stage.SETUP
    if scenario == "setup":
        rows.save(CommitteeMember)
        return made
    # the roll, drawn up from the registry
    drawn = min(now, _aware(day - dt.timedelta(days=rules.roll_days_before + 6), 10))
    voters: list[Voter] = []
    for i, p in enumerate(people, start=1):
        voters.append(Voter(election=election, round=rnd, resident_id=p[0], number=f"{village.code}-{i:04d}",
                            name=p[1], sex=p[2], micro_grid_id=p[6], basis=Basis.HUKOU,
                            card_token=f"{rng.getrandbits(128):032x}", added_at=drawn, added_reason="户籍在本村，年满十八周岁"))
    Voter.objects.bulk_create(voters, batch_size=BATCH)
    made["voters"] = len(voters)
    person = {p[0]: p for p in people}
    stage = Stage.ROLL
    if scenario == "roll":
        _finish(election, stage, rows)
        return made
    # published at least roll_days_before days before election day (a few days earlier, at the latest today)
    published_day = min(today, day - dt.timedelta(days=rules.roll_days_before + rng.randint(0, 2)))
    election.roll_published_at = min(now, _aware(published_day, 9))
    stage = Stage.ROLL_PUBLISHED
    raiser, about = rng.sample(voters, 2)
    raised = min(now, election.roll_published_at + dt.timedelta(days=1, hours=2))
    objection = Objection(election=election, raised_by_name=raiser.name, raised_by_id=raiser.resident_id,
                          about_id=about.resident_id, raised_at=raised,
                          text="该选民户籍已迁出本村，不应列入选民名单。")
    answered = raised + dt.timedelta(days=2)
    if answered <= now:
        objection.answer, objection.outcome = "经核查户籍信息，该选民户籍仍在本村，异议不成立。", Objection.Outcome.REJECTED
        objection.answered_at = answered
    rows.add(objection)
    made["objections"] += 1
    stations = _stations(rng, election, village, people, person, voters, rules, rows)
    made["stations"] = len(stations)
    if scenario == "roll_published":
        _finish(election, stage, rows)
        return made
    # nominations (海选) per station, counted; candidates are voters off the committee
    pool = [v for v in voters if v.resident_id not in committee_ids]
    candidates = _candidates(rng, election, pool, person)
    nominated_on = min(now, election.roll_published_at + dt.timedelta(days=rules.objection_days + 1))
    _nomination_tallies(rng, election, stations, candidates, len(voters), nominated_on, rows)
    made["candidates"] = len(candidates)
    stage = Stage.NOMINATION
    official = [c for c in candidates if c.status == CandidateStatus.OFFICIAL]
    # scrutineers and tellers: voters who are neither candidates nor a candidate's close relatives
    _station_staff(rng, stations, pool, candidates, person, rows)
    if scenario == "nomination":
        for c in candidates:
            c.status = CandidateStatus.NOMINATED
        Candidate.objects.bulk_update(candidates, ["status"])
        _finish(election, stage, rows)
        return made
    published = min(today, day - dt.timedelta(days=rules.candidates_days_before + rng.randint(0, 1)))
    election.candidates_published_at = min(now, _aware(published, 9))
    stage = Stage.CANDIDATES_PUBLISHED
    if scenario == "candidates":
        _finish(election, stage, rows)
        return made
    # election day: proxies approved beforehand, voters check in at their station or the mobile box
    proxies = _proxies(rng, election, voters, person, rules, election.candidates_published_at, rows)
    made["proxies"] = len(proxies)
    election.voting_opened_at = opened
    end = min(now, closes)
    share = 1.0 if end >= closes else max(0.05, (end - opened) / (closes - opened))
    turnout = rng.uniform(0.84, 0.93) * share
    by_station = _participate(rng, election, voters, person, stations, proxies, turnout, opened, end, day, rows)
    made["participations"] = sum(len(v) for v in by_station.values())
    stage = Stage.VOTING
    if scenario == "voting":
        _finish(election, stage, rows)
        return made
    election.voting_closed_at = closes
    participated = made["participations"]
    results = _count(rng, election, stations, by_station, official, participated, closes, rows)
    made["results"] = len(results)
    stage = Stage.COUNTED
    if scenario == "certified":
        election.certified_on = min(today, day + dt.timedelta(days=2))
        stage = Stage.CERTIFIED
        for r in results:
            if r.elected:
                p = person[r.voter.resident_id]
                r.post = rows.add(Post(unit=village, role=POST_ROLES[r.position], resident_id=p[0], holder_name=p[1],
                                       start_date=election.certified_on))
                made["posts"] += 1
        rows.save(Post)
    Result.objects.bulk_create(results)
    _finish(election, stage, rows)
    return made


def _finish(election: Election, stage: str, rows: _Rows) -> None:
    rows.save(CommitteeMember, Objection, StationStaff, Proxy, Participation)
    election.stage = stage
    election.updated_at = max(x for x in (election.created_at, election.roll_published_at,
                                          election.candidates_published_at, election.voting_closed_at) if x)
    election.save()


def _stations(rng, election, village, people, person, voters, rules, rows) -> list[Station]:
    grids = sorted({p[7] for p in people})
    grid_names = dict(OrgUnit.objects.filter(id__in=grids).values_list("id", "name"))
    stations = [Station.objects.create(election=election, kind=StationKind.CENTRAL, name="中心会场",
                                       place=election.venue)]
    for gid in grids:
        s = Station.objects.create(election=election, kind=StationKind.STATION, name=f"{grid_names[gid]}投票站",
                                   place=f"{grid_names[gid]}网格服务点")
        s.units.add(gid)
        stations.append(s)
    box = Station.objects.create(election=election, kind=StationKind.MOBILE, name="流动票箱",
                                 place="高龄、行动不便选民上门")
    box.units.add(*grids)
    stations.append(box)
    return stations


def _candidates(rng, election, pool, person) -> list[Candidate]:
    """Nominees per position (different people), the most nominated official; two women among the members'
    official candidates so that a woman can be elected."""
    women = [v for v in pool if v.sex == Sex.FEMALE]
    men = [v for v in pool if v.sex != Sex.FEMALE]
    used: set[int] = set()
    out: list[Candidate] = []
    for position, (nominated, official) in FIELD.items():
        seats = {CommitteeRole.CHAIR: 1, CommitteeRole.VICE_CHAIR: election.vice_chairs,
                 CommitteeRole.MEMBER: election.members}[position]
        official = max(official, seats + 1)
        nominated = max(nominated, official + 1)
        picks: list[Voter] = []
        if position == CommitteeRole.MEMBER:
            picks += [v for v in rng.sample(women, min(len(women), 6)) if v.pk not in used][:2]
        rest = [v for v in rng.sample(men or pool, min(len(men or pool), nominated * 3)) if v.pk not in used
                and v not in picks]
        picks += rest[:nominated - len(picks)]
        used.update(v.pk for v in picks)
        # nominations: the women picked for members are among the most nominated
        counts = sorted((rng.randint(40, 160) for _ in picks), reverse=True)
        for rank, (v, n) in enumerate(zip(picks, counts, strict=True)):
            out.append(Candidate(election=election, voter=v, position=position, name=v.name, sex=v.sex,
                                 nominations=n + (nominated - rank),  # no ties
                                 status=CandidateStatus.OFFICIAL if rank < official else CandidateStatus.NOT_SELECTED,
                                 consent_record=rng.random() < 0.8, statement=rng.choice(STATEMENTS)))
    return Candidate.objects.bulk_create(out)


def _split(total: int, parts: int, rng) -> list[int]:
    """`total` cut into `parts` whole numbers (each ≥ 0) summing to it."""
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _nomination_tallies(rng, election, stations, candidates, roll, at, rows) -> None:
    """Nomination ballots counted per polling station: each nominee's lines sum to their nominations."""
    places = [s for s in stations if s.kind != StationKind.MOBILE]
    shares = {c.pk: _split(c.nominations, len(places), rng) for c in candidates}
    lines = []
    for i, s in enumerate(places):
        valid = max(sum(shares[c.pk][i] for c in candidates if c.position == pos)
                    for pos in FIELD) + rng.randint(0, 5)
        invalid = rng.randint(0, 3)
        returned = valid + invalid
        tally = Tally.objects.create(station=s, kind=Tally.Kind.NOMINATION, ballot_round=1,
                                     issued=returned + rng.randint(0, 4), returned=returned, valid=valid,
                                     invalid=invalid, blank=rng.randint(0, 2), entered_at=at)
        for c in candidates:
            if shares[c.pk][i]:
                lines.append(TallyLine(tally=tally, position=c.position, candidate=c, votes=shares[c.pk][i]))
    TallyLine.objects.bulk_create(lines, batch_size=BATCH)


def _station_staff(rng, stations, pool, candidates, person, rows) -> None:
    standing = {c.voter.resident_id for c in candidates}
    homes = {person[r][4] for r in standing if person[r][5] in KIN}
    fit = [v for v in pool if v.resident_id not in standing
           and not (person[v.resident_id][4] in homes and person[v.resident_id][5] in KIN)]
    chosen = rng.sample(fit, min(len(fit), 5 * len(stations)))
    for i, s in enumerate(stations):
        crew = chosen[5 * i:5 * i + 5]
        for j, v in enumerate(crew):
            role = StaffRole.SCRUTINEER if j < 3 else StaffRole.TELLER if j == 3 else StaffRole.CLERK
            rows.add(StationStaff(station=s, role=role, resident_id=v.resident_id, name=v.name))


def _proxies(rng, election, voters, person, rules, before, rows) -> list[Proxy]:
    """A few approved entrustments, each proxy holding at most `proxy_limit`."""
    if len(voters) < 20:
        return []
    grantors = rng.sample(voters, max(1, len(voters) // 200))
    taken = {g.pk for g in grantors}
    holders = [v for v in voters if v.pk not in taken]
    out, held = [], defaultdict(int)
    for g in grantors:
        proxy = rng.choice(holders)
        if held[proxy.pk] >= rules.proxy_limit:
            continue
        held[proxy.pk] += 1
        recorded = before - dt.timedelta(days=rng.randint(1, 3))
        out.append(rows.add(Proxy(election=election, grantor=g, proxy=proxy, reason="外出务工，书面委托",
                                  recorded_at=recorded, approved_at=recorded + dt.timedelta(hours=5))))
    return out


def _participate(rng, election, voters, person, stations, proxies, turnout, opened, end, day, rows):
    """Who took part where and when (never how): voters of 80 and more by the mobile box, the rest at their
    grid's station or the central venue; an entrusted vote is cast by the proxy."""
    by_grid = {}
    for s in stations:
        if s.kind == StationKind.STATION:
            by_grid[s.units.values_list("id", flat=True).first()] = s
    central = next(s for s in stations if s.kind == StationKind.CENTRAL)
    box = next(s for s in stations if s.kind == StationKind.MOBILE)
    proxy_of = {p.grantor_id: p.proxy_id for p in proxies}
    span = max(60, int((end - opened).total_seconds()) - 60)
    by_station: dict[int, list[Participation]] = defaultdict(list)
    for v in voters:
        if rng.random() >= turnout and v.pk not in proxy_of:
            continue
        p = person[v.resident_id]
        if age_on(p[3], day) >= MOBILE_AGE:
            station = box
        elif rng.random() < 0.3:
            station = central
        else:
            station = by_grid.get(p[7], central)
        row = rows.add(Participation(election=election, voter=v, station=station, ballot_round=1,
                                     by_proxy_id=proxy_of.get(v.pk), at=opened + dt.timedelta(seconds=rng.randint(0, span))))
        by_station[station.pk].append(row)
    return by_station


def _count(rng, election, stations, by_station, official, participated, at, rows) -> list[Result]:
    """Tallies per station that agree with the participations, and the results as the sums of their lines.
    The winners are chosen first and get more than half of the votes of those who took part."""
    seats = {CommitteeRole.CHAIR: 1, CommitteeRole.VICE_CHAIR: election.vice_chairs,
             CommitteeRole.MEMBER: election.members}
    winners: set[int] = set()
    for pos, n in seats.items():
        field = [c for c in official if c.position == pos]
        if pos == CommitteeRole.MEMBER:  # a woman among the elected members (the women were nominated most)
            women = [c for c in field if c.sex == Sex.FEMALE]
            rest = [c for c in field if c not in women[:1]]
            winners.update(c.pk for c in women[:1] + rest[:n - len(women[:1])])
        else:
            winners.update(c.pk for c in field[:n])
    totals: dict[int, int] = defaultdict(int)
    lines = []
    for s in stations:
        issued = len(by_station.get(s.pk, []))
        if not issued and s.kind == StationKind.MOBILE:
            continue
        invalid = min(issued, rng.randint(0, max(1, issued // 60)))
        valid = issued - invalid
        blank = min(valid, rng.randint(0, max(1, valid // 100)))
        tally = Tally.objects.create(station=s, kind=Tally.Kind.ELECTION, ballot_round=1, issued=issued,
                                     returned=issued, valid=valid, invalid=invalid, blank=blank, entered_at=at)
        marked = valid - blank
        for c in official:
            share = rng.uniform(0.62, 0.72) if c.pk in winners else rng.uniform(0.1, 0.25)
            votes = int(marked * share)
            totals[c.pk] += votes
            lines.append(TallyLine(tally=tally, position=c.position, candidate=c, votes=votes))
    TallyLine.objects.bulk_create(lines, batch_size=BATCH)
    results = []
    for c in official:
        elected = c.pk in winners and totals[c.pk] * 2 > participated
        note = "" if elected else "未过半数" if c.pk in winners else "得票较少，未当选"
        results.append(Result(election=election, ballot_round=1, position=c.position, candidate=c, voter=c.voter,
                              name=c.name, sex=c.sex, votes=totals[c.pk], elected=elected, note=note))
    return results
