"""The elections' set-up and roll objects for the URL walk (tests_security/test_url_walk.py): a round for the
county with 新联村's (grid A's village) election, its committee, a published roll, an objection and a
resident without political rights, all through the services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanzhi.elections import roll, services_setup
from shanzhi.elections.models import Voter
from shanzhi.lib import clock
from shanzhi.people.models import Relation
from shanzhi.people.services import resident_create


def make(c, now: dt.datetime) -> dict:
    day = timezone.localdate(now) + dt.timedelta(days=56)
    with clock.frozen(now):
        rnd = services_setup.round_create(actor=c.admin, unit=c.county, name="换届", election_day=day)
        election = services_setup.election_create(actor=c.admin, round=rnd, unit=c.village)
        member = services_setup.committee_add(actor=c.admin, election=election, resident=c.neighbour)
        roll.roll_generate(actor=c.admin, election=election)
        roll.roll_publish(actor=c.admin, election=election)
        objection = roll.objection_record(actor=c.admin, election=election, raised_by_name="王五", text="名单有误",
                                          about=c.resident)
        convict = resident_create(actor=None, household=c.household_a, name="孙九", id_number="330421198806061117",
                                  relation=Relation.OTHER)
        suspension = services_setup.suspension_record(actor=c.admin, resident=convict, reason="判决",
                                                      starts_on=timezone.localdate(now))
    return {"round": rnd, "election": election, "member": member, "objection": objection, "suspension": suspension,
            "voter": Voter.objects.get(election=election, resident=c.resident)}


def ids(x: dict) -> dict[str, dict[str, list]]:
    """Integer ids by URL name for the walk's id map."""
    rounds = ("round", "election_create", "elections_for_town", "round_generate", "round_duplicates")
    elections = ("election", "election_edit", "committee", "roll", "roll_generate", "roll_publish", "voter_admit",
                 "roll_print", "roll_xlsx", "roll_docx", "cards", "objections")
    return {
        **{f"elections:{n}": {"pk": [x["round"].pk]} for n in rounds},
        **{f"elections:{n}": {"pk": [x["election"].pk]} for n in elections},
        "elections:committee_remove": {"pk": [x["member"].pk]},
        "elections:voter_remove": {"pk": [x["voter"].pk]},
        "elections:objection_answer": {"pk": [x["objection"].pk]},
        "elections:suspension_end": {"pk": [x["suspension"].pk]},
    }
