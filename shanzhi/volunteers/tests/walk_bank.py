"""The time bank's objects for the URL walk (tests_security/test_url_walk.py): grid A's village 新联村 has a
service team, grid A's resident 张三 as a volunteer with an account and an entry, a store item and an activity
he signed up for."""

from __future__ import annotations

import datetime as dt

from shanzhi.councils.models import CouncilType
from shanzhi.councils.services import council_create
from shanzhi.lib import clock
from shanzhi.volunteers import access, activities, ledger, store
from shanzhi.volunteers.models import EntryKind, Volunteer, VolunteerStatus


def make(c, now: dt.datetime) -> dict:
    """Make them (through the services where there is one of this work), at `now` (the walk's morning)."""
    with clock.frozen(now):
        team = access.team_at(c.village) or council_create(actor=None, type=CouncilType.objects.get(code="service"),
                                                           unit=c.village)
        volunteer = Volunteer.objects.filter(resident=c.resident).first()
        if volunteer is None:
            volunteer = Volunteer.objects.create(resident=c.resident, name=c.resident.name, village=c.village,
                                                 status=VolunteerStatus.ACTIVE, applied_at=now, approved_at=now,
                                                 updated_at=now)
            volunteer.villages.add(c.village)
        account = ledger.account_of_volunteer(volunteer)
        entry = ledger.credit(account=account, kind=EntryKind.SERVICE, hours=2, points=20, village=c.village,
                              source="walk:bank:1")
        item = store.item_create(actor=None, village=c.village, name="洗衣液", price=10, stock=5)
        activity = activities.activity_create(actor=None, team=team, title="河道清洁日", place="村口",
                                              starts_at=now + dt.timedelta(days=1),
                                              ends_at=now + dt.timedelta(days=1, hours=2), capacity=10)
        activities.signup(actor=c.resident_user, activity=activity)
    return {"volunteer": volunteer, "account": account, "entry": entry, "item": item, "activity": activity}


def ids(x: dict) -> dict[str, dict[str, list]]:
    """Integer ids by URL name for the walk's OBJECT_IDS."""
    act = {"pk": [x["activity"].pk]}
    return {
        "volunteers:account": {"pk": [x["account"].pk]},
        "volunteers:ledger_correct": {"pk": [x["entry"].pk]},
        "volunteers:store_item": {"pk": [x["item"].pk]},
        "volunteers:activity": act,
        "volunteers:activity_screen": act,
        "volunteers:activity_act": {**act, "action": ["signup", "cancel", "code", "mark", "close"]},
        "volunteers:certificate": {"pk": [x["volunteer"].pk]},
        "api:store-item-detail": {"pk": [x["item"].pk]},
        "api:volunteer-activity-detail": act,
    }
