"""Ballot secrecy by construction: nothing in the schema links a voter to a choice, and the audit rows of a
whole election hold no such link either (a tally's rows hold counts only).

What counts as which side:
* the voter side — `Participation` (that a voter took part, where and when) and `Voter` as the one who votes;
* the choice side — `Candidate`, `Tally`, `TallyLine`, `Result`.
A `Voter` reference on the choice side is allowed only where it names the person *voted for or elected*
(a candidate's own roll entry, a write-in, a result line): those fields are listed below, and any new one
fails the test until it is reviewed and listed.
"""

import datetime as dt

import pytest
from django.apps import apps
from django.db import models

from shanzhi.audit.models import AuditEntry
from shanzhi.elections import results
from shanzhi.elections.models import Candidate, Participation, Result, Tally, TallyLine, Voter
from shanzhi.elections.tests.day_fixtures import DAY, build_day, standard_tallies, vote

CHOICE = {Candidate, Tally, TallyLine, Result}
# the person voted for or elected, never the one who voted
VOTED_FOR = {("elections.candidate", "voter"), ("elections.tallyline", "write_in"), ("elections.result", "voter")}
PARTICIPATION_FIELDS = {"id", "election", "voter", "station", "ballot_round", "by_proxy", "at", "clerk"}


def _refs(model) -> list[tuple[str, type]]:
    return [(f.name, f.related_model) for f in model._meta.get_fields()
            if f.is_relation and f.concrete and f.related_model is not None]


def test_participation_holds_only_that_a_voter_took_part():
    names = {f.name for f in Participation._meta.get_fields() if f.concrete}
    assert names == PARTICIPATION_FIELDS, "a new field on Participation must be reviewed for ballot secrecy"
    assert not any(target in CHOICE for _name, target in _refs(Participation))


def test_no_model_anywhere_links_a_voter_to_a_choice():
    for model in apps.get_models(include_auto_created=True):
        refs = _refs(model)
        label = model._meta.label_lower
        participation = [n for n, t in refs if t is Participation]
        assert not participation, f"{label}.{participation} refers to a participation: nothing may hang off it"
        choice = [n for n, t in refs if t in CHOICE]
        voter = [n for n, t in refs if t is Voter and (label, n) not in VOTED_FOR]
        assert not (choice and voter), f"{label} links a voter ({voter}) to a choice ({choice})"


def test_tallies_have_no_voter_time_or_order_of_ballots():
    for model in (Tally, TallyLine):
        for f in model._meta.get_fields():
            if not f.concrete:
                continue
            if isinstance(f, models.ForeignKey) and f.related_model is Voter:
                assert (model._meta.label_lower, f.name) in VOTED_FOR
    assert not any(isinstance(f, models.DateTimeField) for f in TallyLine._meta.get_fields() if f.concrete)


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


@pytest.mark.django_db
def test_audit_rows_of_a_whole_election_keep_voters_and_choices_apart(county):
    d = build_day(county)
    vote(d, [0, 1, 3, 4, 5, 6], [2, 7])
    standard_tallies(d)
    results.compute(actor=d.committee_user, election=d.election)
    results.certify(actor=d.c.town_staff, election=d.election, on=DAY + dt.timedelta(days=1))
    entries = list(AuditEntry.objects.filter(action__startswith="elections."))
    actions = {e.action for e in entries}
    assert {"elections.checkin", "elections.tally.enter", "elections.result.compute",
            "elections.result.certify"} <= actions
    voter_marks = {v.number for v in d.voters} | {v.name for v in d.voters} \
        | {v.card_token for v in d.voters}
    candidate_ids = {c.pk for cs in d.cands.values() for c in cs}
    for e in entries:
        if e.action == "elections.tally.enter":  # counts only: numbers, no voter, no person voted for
            assert all(isinstance(x, int) for x in _leaves(e.after)), e.after
            assert not any(mark in e.object_repr for mark in voter_marks)
        if e.action == "elections.checkin":  # that someone took part, where: nothing of a choice
            assert set(e.after) == {"station", "round", "by_proxy"}
            assert not candidate_ids & {x for x in _leaves(e.after) if isinstance(x, int) and x != e.after["station"]
                                        and x != e.after["round"]}
    # and the check-ins and tallies share no key: a tally line is per station and round, never per voter
    assert Participation.objects.filter(election=d.election).count() == 8
    assert all(line.write_in_id is None for line in TallyLine.objects.all())
