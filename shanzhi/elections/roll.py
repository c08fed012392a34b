"""The voter roll (选民名单): generated from the registry in one pass, admissions on application, removals
with a reason, publication, objections and their answers, the county's duplicate check.

Who is on the roll by the registry: residents ACTIVE, aged `rules.voting_age` or more on election day
(`rules.age_on`), with their hukou in the village (`Resident.residence == "registered"` and the household's
micro-grid under the village), minus residents without political rights on election day. Numbers are
`<village code>-0001` in the order micro-grid, name; a removed entry stays with its number and reason.

After publication the roll can still be corrected, each change with a reason, until the objection window
closes (publication day + `rules.objection_days`); an objection answered in its own window (raised day +
`rules.answer_days`) makes its correction in the same transaction even after that. Nothing changes once
voting has begun. Nobody stands on two rolls of a round: the constraint (round, resident) among current
entries, and before it a refusal naming the other village.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.elections import access, rules
from shanzhi.elections.models import Basis, Election, Objection, Round, Stage, Voter
from shanzhi.elections.services_setup import MAX_REASON, is_suspended, lives_in, suspended_q
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.people.models import Registration, Residency, Resident, ResidentStatus

MAX_OBJECTION = 1000
BATCH = 2000
WIDE = 20  # above this many elections in one pass, read the county's residents by one path prefix
# stages in which the roll may change at all (before voting)
ROLL_STAGES = (Stage.SETUP, Stage.ROLL, Stage.ROLL_PUBLISHED, Stage.NOMINATION, Stage.CANDIDATES_PUBLISHED)


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _reason(value, what: str = "理由", field: str = "reason", limit: int = MAX_REASON) -> str:
    value = (value or "").strip()
    if not value:
        raise _bad(field, f"请填写{what}")
    if len(value) > limit:
        raise _bad(field, f"{what}不能超过{limit}字")
    return value


def _now(now: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    now = now or clock.now()
    return now, timezone.localdate(now)


def birth_cutoff(day: dt.date, age: int) -> dt.date:
    """The latest birth date of someone `age` or older on `day` (the same answer as `rules.age_on`; a day
    that does not exist in the birth year, 29 February, falls back to the 28th)."""
    year = day.year - age
    try:
        return dt.date(year, day.month, day.day)
    except ValueError:
        return dt.date(year, 2, 28)


def token() -> str:
    return secrets.token_hex(16)


def number_for(election: Election, n: int) -> str:
    return f"{election.unit.code}-{n:04d}"


def _lock(election: Election) -> Election:
    return Election.objects.select_for_update(of=("self",)).select_related("round__rules", "unit").get(pk=election.pk)


def roll_open(election: Election, today: dt.date, *, correction: bool = False) -> None:
    """May the roll change today? Before voting; after publication only until the objection window
    closes (an upheld objection's correction: whenever its answer is in time, checked by the caller)."""
    if election.stage not in ROLL_STAGES:
        raise _bad("roll", f"选举已进入“{election.get_stage_display()}”阶段，选民名单不能再更改")
    if today > election.election_day:
        raise _bad("roll", "选举日已过，选民名单不能再更改")
    if election.roll_published_at and not correction:
        until = rules.schedule(election).objections_until
        if until is not None and today > until:
            raise _bad("roll", f"选民名单公布后的补正应在异议期内办理（至{until:%Y年%m月%d日}），已超过期限")


# ---- generation ------------------------------------------------------------------------------------

def eligible_q(day: dt.date, voting_age: int) -> Q:
    """Residents on a roll by the registry, whatever the village: active, of age on `day`, registered
    (hukou) in their household's place, with political rights on `day`."""
    return (Q(status=ResidentStatus.ACTIVE, residence=Registration.REGISTERED, household__isnull=False,
              birth_date__lte=birth_cutoff(day, voting_age)) & ~Q(id__in=suspended_q(day)))


def _village_path(micro_grid_path: str) -> str:
    return "/".join(micro_grid_path.split("/")[:3]) + "/"


HUKOU_REASON = "依户籍登记"
_COLUMNS = ("election_id", "round_id", "resident_id", "number", "name", "sex", "micro_grid_id", "basis", "card_token",
            "added_at", "added_reason", "removed_reason")


_PG_TYPES = ("bigint", "bigint", "bigint", "varchar", "varchar", "varchar", "bigint", "varchar", "varchar",
             "timestamptz", "varchar", "varchar")  # of _COLUMNS
PG_BATCH = 20000


def _insert(values: list[tuple]) -> None:
    """Insert roll entries in batches without building a model instance per row (the ORM's per-row cost was
    most of a county's generation). SQLite: one prepared statement run per row (`executemany`, in process).
    PostgreSQL: one `INSERT ... SELECT FROM unnest(arrays)` a batch, a column an array: psycopg's
    `executemany` sends a statement per row (37 s of the bench county's 110 s), and a multi-row `VALUES` of
    thousands of parameters costs as much again in psycopg's query parsing on the client."""
    if not values:
        return
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
            sql = f"INSERT INTO {q(Voter._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays})"
            for i in range(0, len(values), PG_BATCH):
                cursor.execute(sql, [list(col) for col in zip(*values[i:i + PG_BATCH], strict=True)])
            return
        sql = f"INSERT INTO {q(Voter._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
        for i in range(0, len(values), BATCH):
            cursor.executemany(sql, values[i:i + BATCH])


def _generate(actor, elections: list[Election], rnd: Round, now: dt.datetime) -> dict[int, int]:
    """Add the missing entries of `elections` (locked, of one round) from the registry: one read per
    election day, one bulk insert. Returns {election id: entries added}."""
    by_path = {e.unit.path: e for e in elections}
    counts = dict(Voter.objects.filter(election__in=elections).values("election_id")
                  .annotate(n=Count("id")).values_list("election_id", "n"))
    # anyone with an entry in the election (current or removed with a reason) is not added again
    had = set(Voter.objects.filter(election__in=elections).values_list("election_id", "resident_id"))
    # NOT EXISTS, not NOT IN: PostgreSQL runs `NOT IN (subquery)` as a plain (unhashed) subplan, rescanned per
    # resident, whenever it guesses the subquery's rows will not fit in work_mem (a county's roll does)
    on_round = Exists(Voter.objects.filter(round=rnd, removed_at__isnull=True, resident_id=OuterRef("pk")))
    days: dict[dt.date, list[Election]] = defaultdict(list)
    for e in elections:
        days[e.election_day].append(e)
    rows: dict[int, list[tuple]] = defaultdict(list)
    for day, group in days.items():
        if len(group) > WIDE:  # many villages: one prefix (the round's county), villages picked in Python
            q = Q(household__micro_grid__path__startswith=rnd.unit.path)
        else:
            q = Q()
            for e in group:
                q |= Q(household__micro_grid__path__startswith=e.unit.path)
        residents = (Resident.objects.filter(eligible_q(day, rnd.rules.voting_age)).filter(q)
                     .exclude(on_round).order_by()  # sorted below, per election
                     .values_list("id", "name", "sex", "household__micro_grid_id", "household__micro_grid__code",
                                  "household__micro_grid__path"))
        for rid, name, sex, mg_id, mg_code, mg_path in residents.iterator(chunk_size=10000):
            e = by_path.get(_village_path(mg_path))
            if e is None or e.election_day != day or (e.pk, rid) in had:
                continue
            rows[e.pk].append((mg_code, name, rid, sex, mg_id))
    added: dict[int, int] = {}
    at = connection.ops.adapt_datetimefield_value(now)
    values = []
    for e in elections:
        people = sorted(rows.get(e.pk, ()))
        n = counts.get(e.pk, 0)
        for _code, name, rid, sex, mg_id in people:
            n += 1
            values.append((e.pk, rnd.pk, rid, number_for(e, n), name, sex, mg_id, Basis.HUKOU.value, token(), at,
                           HUKOU_REASON, ""))
        added[e.pk] = len(people)
    try:
        with transaction.atomic():
            _insert(values)
    except IntegrityError:
        raise _bad("roll", "生成选民名单时与其他登记冲突（同一居民已在另一名单上），请重试") from None
    for e in elections:
        if e.stage == Stage.SETUP:
            e.stage = Stage.ROLL
            e.updated_at = now
            e.save(update_fields=["stage", "updated_at"])
        audit_record(actor=actor, action="elections.roll_generate", obj=e, unit_path=e.unit.path,
                     after={"added": added.get(e.pk, 0)})
    return added


def _require_generate(election: Election, today: dt.date):
    def state():
        roll_open(election, today)
        if election.roll_published_at:
            raise _bad("roll", "选民名单已公布，补充登记请逐人办理并说明理由")
    return state


@transaction.atomic
def roll_generate(*, actor, election: Election, now: dt.datetime | None = None) -> int:
    """Make (or complete) the election's roll from the registry; re-running only adds what is missing.
    Returns the number of entries added."""
    now, today = _now(now)
    election = _lock(election)
    access.require_run(actor, election, state=_require_generate(election, today))
    return _generate(actor, [election], election.round, now).get(election.pk, 0)


@transaction.atomic
def roll_generate_all(*, actor, round: Round, now: dt.datetime | None = None) -> dict[int, int]:
    """Every unpublished roll of the round in one pass (the county's whole roll). Returns {election id:
    entries added}; published rolls are left as they are."""
    now, today = _now(now)
    scopes.require(actor, "elections.run", round.unit, what="该换届")
    elections = list(Election.objects.select_for_update(of=("self",)).select_related("unit", "round__rules")
                     .filter(round=round, roll_published_at__isnull=True, stage__in=(Stage.SETUP, Stage.ROLL),
                             election_day__gte=today).order_by("id"))
    if not elections:
        return {}
    return _generate(actor, elections, round, now)


# ---- one entry at a time -------------------------------------------------------------------------------

def _current_entry(rnd: Round, resident: Resident) -> Voter | None:
    return (Voter.objects.select_related("election__unit")
            .filter(round=rnd, resident=resident, removed_at__isnull=True).first())


def _lived_since(resident: Resident, election: Election) -> dt.date | None:
    """Since when the resident has lived in the village without a break in the registry: the earliest move
    into a household of the village among the stays reaching today (moves within the village chain on)."""
    stays = list(Residency.objects.filter(resident=resident).select_related("household__micro_grid")
                 .order_by("-moved_in", "-id"))
    since = None
    for stay in stays:  # newest first: walk back while the stays are in the village and join up
        if not stay.household.micro_grid.path.startswith(election.unit.path):
            break
        if since is not None and stay.moved_out is not None and stay.moved_out < since - dt.timedelta(days=1):
            break
        since = stay.moved_in
    return since


def check_admission(election: Election, resident: Resident, basis: str) -> None:
    """Every rule a new entry must meet, each refusal quoting the rule."""
    r = election.round.rules
    day = election.election_day
    if basis not in Basis.values:
        raise _bad("basis", "请选择登记依据")
    if resident.status != ResidentStatus.ACTIVE:
        raise _bad("resident", "该居民不在册（已迁出或死亡），不能登记为选民")
    age = rules.age_on(resident.birth_date, day)
    if age < r.voting_age:
        raise _bad("resident", f"选民须在选举日（{day:%Y年%m月%d日}）年满{r.voting_age}周岁，"
                               f"该居民届时{age}周岁，不能登记")
    if is_suspended(resident, day):
        raise _bad("resident", "依法被剥夺政治权利的人不能登记为选民")
    hukou_here = resident.residence == Registration.REGISTERED and lives_in(resident, election.unit)
    if basis in (Basis.HUKOU, Basis.HUKOU_AWAY):
        if not hukou_here:
            raise _bad("basis", f"该居民户籍不在{election.unit.name}，不能按户籍登记")
    else:
        if hukou_here:
            raise _bad("basis", "户籍在本村（社区）的居民按户籍登记")
        if not lives_in(resident, election.unit):
            raise _bad("basis", f"该居民不居住在{election.unit.name}，不能按居住登记")
        since = _lived_since(resident, election)
        need = birth_cutoff(day, r.residence_years)
        if since is None or since > need:
            shown = f"自{since:%Y年%m月%d日}起" if since else "无记录"
            raise _bad("basis", f"户籍不在本村、在本村居住{r.residence_years}年以上的，本人申请方可登记"
                                f"（居住{shown}，至选举日不满{r.residence_years}年）")
    other = _current_entry(election.round, resident)
    if other is not None:
        if other.election_id == election.pk:
            raise _bad("resident", f"该居民已在本村（社区）选民名单上（选民证号{other.number}）")
        raise _bad("resident", f"该居民已登记在{other.election.unit.name}的选民名单上（选民证号{other.number}），"
                               f"同一次换届选举中不得在两地重复登记", code="double_registration")


def _add(actor, election: Election, resident: Resident, basis: str, reason: str, now: dt.datetime) -> Voter:
    check_admission(election, resident, basis)
    n = Voter.objects.filter(election=election).count() + 1
    mg = resident.household.micro_grid_id if resident.household_id else None
    try:
        with transaction.atomic():
            voter = Voter.objects.create(election=election, round=election.round, resident=resident,
                                         number=number_for(election, n), name=resident.name, sex=resident.sex,
                                         micro_grid_id=mg, basis=basis, card_token=token(), added_at=now,
                                         added_reason=reason)
    except IntegrityError:
        raise _bad("resident", "该居民已在本次换届的另一选民名单上，同一次换届选举中不得重复登记",
                   code="double_registration") from None
    if election.stage == Stage.SETUP:
        election.stage = Stage.ROLL
        election.updated_at = now
        election.save(update_fields=["stage", "updated_at"])
    audit_record(actor=actor, action="elections.voter_add", obj=voter, unit_path=election.unit.path,
                 after={"resident": resident.pk, "basis": basis, "number": voter.number}, reason=reason)
    return voter


def _remove(actor, voter: Voter, reason: str, now: dt.datetime, unit_path: str) -> Voter:
    voter.removed_at, voter.removed_reason = now, reason
    voter.save(update_fields=["removed_at", "removed_reason"])
    audit_record(actor=actor, action="elections.voter_remove", obj=voter, unit_path=unit_path, reason=reason)
    return voter


@transaction.atomic
def voter_admit(*, actor, election: Election, resident: Resident, basis: str, reason: str,
                now: dt.datetime | None = None) -> Voter:
    """Put a resident on the roll on application (hukou here living away; living here a year or more
    without hukou) or by hukou (missed, or back after a removal), with the reason."""
    now, today = _now(now)
    election = _lock(election)
    access.require_run(actor, election, state=lambda: roll_open(election, today))
    reason = _reason(reason)
    return _add(actor, election, resident, basis, reason, now)


@transaction.atomic
def voter_remove(*, actor, voter: Voter, reason: str, now: dt.datetime | None = None) -> Voter:
    """Take an entry off the roll (died, moved, lost political rights, registered in error); the entry is
    kept with the reason."""
    now, today = _now(now)
    election = _lock(voter.election)
    voter = Voter.objects.select_for_update().get(pk=voter.pk)

    def state():
        if voter.removed_at is not None:
            raise _bad("voter", "该选民已除名")
        roll_open(election, today)

    access.require_run(actor, election, state=state)
    reason = _reason(reason, "除名原因")
    return _remove(actor, voter, reason, now, election.unit.path)


# ---- publication and objections ---------------------------------------------------------------------

@transaction.atomic
def roll_publish(*, actor, election: Election, now: dt.datetime | None = None) -> Election:
    """Publish the roll (at least `rules.roll_days_before` days before election day); the objection window
    opens."""
    now, today = _now(now)
    election = _lock(election)

    def state():
        if election.roll_published_at:
            raise _bad("roll", "选民名单已公布")
        roll_open(election, today)
        if not election.voters.filter(removed_at__isnull=True).exists():
            raise _bad("roll", "选民名单为空，请先生成选民名单")
        rules.require_roll_publish(election, now)

    access.require_run(actor, election, state=state)
    election.roll_published_at = now
    election.stage = Stage.ROLL_PUBLISHED
    election.updated_at = now
    election.save(update_fields=["roll_published_at", "stage", "updated_at"])
    count = election.voters.filter(removed_at__isnull=True).count()
    audit_record(actor=actor, action="elections.roll_publish", obj=election, unit_path=election.unit.path,
                 after={"voters": count, "published_at": now.isoformat()})
    return election


def _objection_state(election: Election, now: dt.datetime, today: dt.date):
    def state():
        if election.stage not in ROLL_STAGES:
            raise _bad("roll", f"选举已进入“{election.get_stage_display()}”阶段，不再受理异议")
        rules.require_objection_in_time(election, now)
    return state


def _create_objection(actor, election, *, name, text, about, raised_by, now) -> Objection:
    text = _reason(text, "异议内容", "text", MAX_OBJECTION)
    o = Objection.objects.create(election=election, raised_by_name=name, raised_by=raised_by, about=about,
                                 text=text, raised_at=now,
                                 recorded_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action="elections.objection_raise", obj=o, object_repr=name,
                 unit_path=election.unit.path, after={"about": about.pk if about else None})
    return o


@transaction.atomic
def objection_record(*, actor, election: Election, raised_by_name: str, text: str, about: Resident | None = None,
                     now: dt.datetime | None = None) -> Objection:
    """The committee records an objection brought to it (in person, in writing) within the window."""
    now, today = _now(now)
    election = _lock(election)
    access.require_run(actor, election, state=_objection_state(election, now, today))
    name = _reason(raised_by_name, "异议人", "raised_by_name", 50)
    if about is not None and not lives_in(about, election.unit) and not election.voters.filter(
            resident=about).exists():
        raise _bad("about", f"未找到{election.unit.name}的该居民")
    return _create_objection(actor, election, name=name, text=text, about=about, raised_by=None, now=now)


def resident_election(user, election_id: int | None = None) -> tuple[Resident, Election] | None:
    """The election a logged-in resident may follow: of the village they live in, or where they are on the
    roll (the newest round first)."""
    rid = getattr(user, "resident_id", None) if getattr(user, "is_authenticated", False) else None
    if not rid:
        return None
    resident = Resident.objects.select_related("household__micro_grid").get(pk=rid)
    on_roll = Voter.objects.filter(resident=resident, removed_at__isnull=True).values("election_id")
    q = Q(id__in=on_roll)
    if resident.status == ResidentStatus.ACTIVE and resident.household_id:
        path = _village_path(resident.household.micro_grid.path)
        q |= Q(unit__path=path)
    qs = Election.objects.select_related("unit", "round__rules").filter(q)
    if election_id is not None:
        qs = qs.filter(pk=election_id)
    election = qs.order_by("-round__election_day", "-id").first()
    return (resident, election) if election else None


@transaction.atomic
def objection_raise(*, actor, election: Election, text: str, about_me: bool = False,
                    now: dt.datetime | None = None) -> Objection:
    """A resident raises an objection on the phone about the roll of their own village (their own entry
    missing or wrong, or someone else's) within the window."""
    now, today = _now(now)
    found = resident_election(actor, election.pk)
    if found is None:
        raise NotFound("未找到该选举")
    resident, election = found
    election = _lock(election)
    _objection_state(election, now, today)()
    return _create_objection(actor, election, name=resident.name, text=text, about=resident if about_me else None,
                             raised_by=resident, now=now)


@transaction.atomic
def objection_answer(*, actor, objection: Objection, outcome: str, answer: str, about: Resident | None = None,
                     now: dt.datetime | None = None) -> Objection:
    """Answer an objection within its window. Upheld: the correction is made in the same transaction (the
    resident concerned is put on the roll, or taken off it, with the answer as the reason)."""
    now, today = _now(now)
    election = _lock(objection.election)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)

    def state():
        if objection.answered_at is not None:
            raise _bad("objection", "该异议已答复")
        rules.require_answer_in_time(election, objection.raised_at, now)

    access.require_run(actor, election, state=state)
    if outcome not in Objection.Outcome.values:
        raise _bad("outcome", "请选择处理结论")
    answer = _reason(answer, "答复", "answer", MAX_OBJECTION)
    about = about or objection.about
    correction = None
    if outcome == Objection.Outcome.UPHELD:
        if about is None:
            raise _bad("about", "异议成立的，请指明需要更正的居民")
        roll_open(election, today, correction=True)
        reason = f"异议成立：{answer}"[:MAX_REASON]
        entry = election.voters.filter(resident=about, removed_at__isnull=True).first()
        if entry is not None:
            _remove(actor, entry, reason, now, election.unit.path)
            correction = {"removed": entry.number}
        else:
            hukou = about.residence == Registration.REGISTERED and lives_in(about, election.unit)
            voter = _add(actor, election, about, Basis.HUKOU if hukou else Basis.RESIDENT, reason, now)
            correction = {"added": voter.number}
    objection.about = about
    objection.outcome, objection.answer, objection.answered_at = outcome, answer, now
    objection.save(update_fields=["about", "outcome", "answer", "answered_at"])
    audit_record(actor=actor, action="elections.objection_answer", obj=objection, object_repr=objection.raised_by_name,
                 unit_path=election.unit.path, after={"outcome": outcome, "correction": correction})
    return objection


# ---- the county's duplicate check ---------------------------------------------------------------------

def duplicates_report(round: Round) -> list[dict]:
    """Residents whose entries clash across the round's rolls (data written outside the services, where
    the constraint could not speak): more than one current entry; each with the villages and numbers."""
    clashing = (Voter.objects.filter(round=round, removed_at__isnull=True).values("resident_id")
                .annotate(n=Count("id"), first=Min("id")).filter(n__gt=1).values("resident_id"))
    entries = (Voter.objects.filter(round=round, removed_at__isnull=True, resident_id__in=clashing)
               .select_related("election__unit").order_by("resident_id", "id"))
    out: dict[int, dict] = {}
    for v in entries:
        row = out.setdefault(v.resident_id, {"resident_id": v.resident_id, "name": v.name, "entries": []})
        row["entries"].append({"voter_id": v.pk, "election_id": v.election_id, "village": v.election.unit.name,
                               "number": v.number})
    return list(out.values())
