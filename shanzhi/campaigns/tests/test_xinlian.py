"""The seed's scenario on the small demo county: an incident at 新联村, the whole village mobilised in one step."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import F
from django.test import override_settings

from shanzhi.accounts.models import User
from shanzhi.campaigns import selectors
from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import Measure, Outcome, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.org.models import OrgUnit
from shanzhi.people.models import Household

XINLIAN = "330421112201"


@pytest.fixture
def demo(db):
    from shanzhi.demo.generator import build_demo

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        build_demo(scale="small", progress=False)
    return OrgUnit.objects.get(code=XINLIAN)


def test_every_household_of_xinlian_gets_a_central_household_of_the_village(demo):
    town = User.objects.get(username="town")
    scope = resolve(actor=town, units=[XINLIAN])
    households = Household.objects.filter(is_active=True, micro_grid__path__startswith=demo.path).count()
    assert len(scope.households) == households > 0
    now = clock.now()
    c = svc.incident_declare(actor=town, type="新冠肺炎密接", occurred_at=now - dt.timedelta(hours=1),
                             place="新联村", scope=scope, measure=Measure.HOME, now=now)

    # one step: every household has a responsible central household of the same village, none over 10
    targets = Target.objects.filter(campaign=c)
    assert targets.count() == households
    assert not targets.filter(central__isnull=True).exists()
    assert c.assigned_at == now
    outside = targets.exclude(central__household__micro_grid__path__startswith=demo.path)
    assert not outside.exists()
    loads = Counter(targets.exclude(household_id=F("central__household_id")).values_list("central_id", flat=True))
    assert max(loads.values()) <= 10

    # the board moves as confirmations arrive
    children = list(OrgUnit.objects.filter(parent=demo).order_by("code"))
    before, rows = selectors.progress(campaign=c, unit=demo, children=children)
    assert (before.total, before.assigned, before.in_place) == (households, households, 0)
    assert sum(r.total for r in rows) == households
    first_grid = children[0]
    confirm = list(targets.filter(unit__path__startswith=first_grid.path).order_by("id")[:7])
    for t in confirm:
        svc.visit_record(actor=None, target=t, outcome=Outcome.IN_PLACE, now=now + dt.timedelta(minutes=30))
    after, rows = selectors.progress(campaign=c, unit=demo, children=children)
    assert (after.notified, after.in_place, after.reached) == (7, 7, 7)
    assert rows[0].in_place == 7 and all(r.in_place == 0 for r in rows[1:])
