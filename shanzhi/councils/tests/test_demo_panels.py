"""The demo's legal advisers and moral panels: what the services would have written, nothing in the future."""

from __future__ import annotations

import pytest

from shanzhi.appraisal.demo import generate_appraisals
from shanzhi.appraisal.models import Complaint, HonourEntry, Nomination, Outcome
from shanzhi.councils.demo import generate_councils
from shanzhi.councils.models import Topic, TopicKind, TopicStatus
from shanzhi.legal.demo import generate_legal
from shanzhi.legal.models import Appointment, Question, Talk
from shanzhi.lib import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def panels(county):
    generate_councils(days=365, seed=5, scale="small")
    return generate_appraisals(seed=5), generate_legal(days=365, seed=5)


def test_adopted_nominations_and_only_they_are_on_the_honour_roll(county, panels):
    appraisals, _legal = panels
    assert appraisals["nominations"] >= 2 and Nomination.objects.count() == appraisals["nominations"]
    adopted = set(Nomination.objects.filter(outcome=Outcome.ADOPTED).values_list("id", flat=True))
    assert set(HonourEntry.objects.values_list("nomination_id", flat=True)) == adopted
    for n in Nomination.objects.select_related("topic"):
        assert n.topic.kind == TopicKind.NOMINATION and n.topic.status == TopicStatus.DONE
        assert n.topic.decision.outcome == ("adopted" if n.id in adopted else "rejected")
        assert n.topic.council.type.code == "moral" and n.village_id == county.village.id
    assert Complaint.objects.count() == appraisals["complaints"]
    assert Topic.objects.values("number").distinct().count() == Topic.objects.count()  # numbers unique


def test_every_seated_village_has_an_adviser_whose_questions_come_from_its_residents(county, panels):
    _appraisals, legal = panels
    appointment = Appointment.objects.get(village=county.village)
    assert legal["questions"] == Question.objects.count() >= 1
    for q in Question.objects.select_related("asker__resident__household__micro_grid"):
        assert q.asker.resident.household.micro_grid.path.startswith(q.village.path)
        assert q.answered_by_id in (None, appointment.adviser_id)
        assert q.asked_at < clock.now() and (q.answered_at is None or q.answered_at < clock.now())
    assert Talk.objects.filter(adviser=appointment.adviser).exists()
    again = generate_legal(days=365, seed=5)
    assert again["appointments"] == 0  # a second run adds nothing where advisers serve
