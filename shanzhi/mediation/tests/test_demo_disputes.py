"""The demo's mediation centres and year of disputes: where they are, what they hold, and what it adds up to.

One small county is built per module (with cases and disputes) and shared by the tests, which only read
it; the test that regenerates does so inside its own rolled-back transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

import pytest
from django.db.models import Count, F
from django.test import override_settings
from django.utils import timezone

from shanzhi.cases.models import Case, Channel, Status
from shanzhi.demo.generator import build_demo
from shanzhi.demo.reset import reset_database
from shanzhi.mediation.demo import COUNTY_CENTRE, generate_disputes
from shanzhi.mediation.indicators import indicators_for
from shanzhi.mediation.models import (
    SESSION_KIND,
    Agreement,
    Centre,
    Dispute,
    FollowUp,
    Party,
    Result,
    Session,
    Team,
)
from shanzhi.org.models import Department, Level, OrgUnit
from shanzhi.rooms.models import Booking

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the small county once for the module (committed), and empty the database afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        summary = build_demo(scale="small", seed=1, progress=False, reset=True)
    yield summary
    with django_db_blocker.unblock():
        reset_database()


def test_centres_stand_in_the_county_every_town_and_the_villages_of_tianning(demo, db):
    county = OrgUnit.objects.get(level=Level.COUNTY)
    centre = Centre.objects.get(unit=county)
    assert centre.name == COUNTY_CENTRE and centre.rooms.count() >= 4
    windows = centre.teams.filter(department__isnull=False)
    assert windows.count() >= 20
    assert set(windows.values_list("department_id", flat=True)) == set(
        Department.objects.filter(unit=county).values_list("id", flat=True))  # one window per department
    teams = set(centre.teams.filter(department__isnull=True).values_list("name", flat=True))
    assert len(teams) >= 10 and {"交通事故调解团", "医疗纠纷调解团", "老娘舅调解团"} <= teams
    for town in OrgUnit.objects.filter(level=Level.TOWN):
        c = Centre.objects.get(unit=town)
        assert c.rooms.exists() and c.teams.exists(), town.name
    tianning = OrgUnit.objects.get(code="330421112")
    for village in OrgUnit.objects.filter(parent=tianning):
        assert Centre.objects.filter(unit=village).exists(), village.name
    assert Centre.objects.filter(unit__name="新联村").exists()
    assert demo["centres"] == Centre.objects.count()


def test_a_year_of_disputes_with_plausible_shares(demo, db):
    n = Dispute.objects.count()
    assert demo["disputes"] == n and 300 < n < 650  # about 1.2 a day at small scale
    share = {k: v / n for k, v in Dispute.objects.values_list("result").annotate(c=Count("id"))}
    assert 0.6 < share[Result.AGREEMENT] < 0.8 and 0.04 < share[Result.PARTIAL] < 0.17
    assert 0.04 < share[Result.FAILED] + share[Result.REFERRED] < 0.17
    assert 0.01 < share[Result.WITHDRAWN] < 0.1 and share.get("", 0) < 0.15
    escalated = Dispute.objects.filter(escalations__gt=0).count() / n
    repeats = Dispute.objects.filter(repeat_of__isnull=False).count() / n
    assert 0.04 < escalated < 0.18 and 0.01 < repeats < 0.07
    first, last = Dispute.objects.order_by("registered_at").values_list("registered_at", flat=True)[::n - 1]
    assert last - first > dt.timedelta(days=300)
    # Every dispute is a private walk-in case of its type's category, placed where the applicant lives.
    cases = Case.objects.filter(dispute__isnull=False)
    assert cases.count() == n and not cases.exclude(channel=Channel.WALK_IN).exists()
    assert not cases.filter(is_public=True).exists()
    for d in Dispute.objects.select_related("case__unit", "centre__unit", "type")[:150]:
        assert d.case.category_id == d.type.category_id
        assert d.case.unit.path.startswith(d.centre.unit.path) or d.centre.unit.level == Level.COUNTY
        assert d.case.handling_unit_id == d.centre.unit_id
        assert (d.case.status == Status.CLOSED) == bool(d.result)
    assert Party.objects.filter(role="applicant").values("dispute").distinct().count() == n
    for masked in Party.objects.exclude(id_number_masked="").values_list("id_number_masked", flat=True)[:200]:
        assert len(masked) == 18 and masked[6:14] == "********"
    # Agreements were signed at a held session; concluded agreements have one; some were followed up.
    assert not Agreement.objects.filter(session__held=False).exists()
    assert not Dispute.objects.filter(result=Result.AGREEMENT, agreements__isnull=True).exists()
    assert FollowUp.objects.exists()
    assert Team.objects.filter(disputes__isnull=False).exists()


def test_no_room_or_mediator_is_double_booked(demo, db):
    by_room, by_person = defaultdict(list), defaultdict(list)
    for s in Session.objects.filter(booking__cancelled=False).select_related("booking").prefetch_related(
            "booking__people"):
        by_room[s.room_id].append((s.starts_at, s.ends_at))
        for m in s.mediators.all():
            by_person[m.pk].append((s.starts_at, s.ends_at))
    assert by_room and by_person
    for spans in [*by_room.values(), *by_person.values()]:
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start
    # rooms of the holding centre, booked as mediation sessions
    assert not Session.objects.exclude(booking__room__unit=F("dispute__centre__unit")).exists()
    assert set(Booking.objects.values_list("kind", flat=True)) == {SESSION_KIND}
    assert Booking.objects.count() == Session.objects.count()


def test_indicators_for_the_county_are_sensible(demo, db):
    county = OrgUnit.objects.get(level=Level.COUNTY)
    end = timezone.now()
    ind = indicators_for(county, end - dt.timedelta(days=366), end)
    assert ind["accepted"] == Dispute.objects.count()
    assert 0.6 < ind["resolution_rate"] < 0.9
    assert 0.5 < ind["first_time_rate"] <= ind["resolution_rate"]
    assert ind["on_time_rate"] > 0.7
    assert 0 < ind["village_share"] < ind["town_share"] <= 1
    assert ind["repeats"] > 0 and ind["petitions"] > 0
    assert 0 < ind["median_days"] < 15
    town = indicators_for(OrgUnit.objects.get(code="330421112"), end - dt.timedelta(days=366), end)
    assert 0 < town["accepted"] < ind["accepted"]


def digest() -> str:
    """What a user sees of the disputes, numbers and ids aside."""
    h = hashlib.sha256()
    rows = [
        Dispute.objects.values_list("registered_at", "type__code", "kind", "summary", "result", "centre__name",
                                    "first_centre__name", "team__name", "escalations", "case__closed_at",
                                    "repeat_of__registered_at"),
        Party.objects.values_list("dispute__registered_at", "role", "name", "id_number_masked", "phone_masked"),
        Session.objects.values_list("dispute__registered_at", "booking__starts_at", "booking__room__name",
                                    "booking__room__unit__name", "held"),
        Agreement.objects.values_list("dispute__registered_at", "created_at", "signed_at"),
    ]
    for qs in rows:
        for row in sorted(repr(r) for r in qs):
            h.update(row.encode())
    return h.hexdigest()


def _drop_disputes() -> None:
    FollowUp.objects.all().delete()
    Agreement.objects.all().delete()
    Session.objects.all().delete()
    Booking.objects.filter(kind=SESSION_KIND).delete()
    Case.objects.filter(dispute__isnull=False).delete()


def test_same_seed_same_disputes(demo, db):
    before = digest()
    _drop_disputes()
    assert Dispute.objects.count() == 0
    made = generate_disputes(per_day=1.2, days=365, seed=1)
    assert made == demo["disputes"] and digest() == before
    _drop_disputes()
    generate_disputes(per_day=1.2, days=365, seed=2)
    assert digest() != before
