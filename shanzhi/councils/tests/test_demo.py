"""The demo's councils: every village seated, a year of work that reads like the services wrote it."""

from __future__ import annotations

import pytest
from django.db.models import Count, Max

from shanzhi.councils import services
from shanzhi.councils.demo import generate_councils
from shanzhi.councils.models import (
    Council,
    Decision,
    Meeting,
    Member,
    Support,
    Topic,
    TopicEvent,
    TopicStatus,
)
from shanzhi.lib import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(county):
    return generate_councils(days=365, seed=5, scale="small")


def test_every_village_with_adults_gets_its_four_councils(county, made):
    assert made["councils"] == 4 and Council.objects.filter(unit=county.village).count() == 4
    assert not Council.objects.filter(unit=county.village2).exists()  # one adult: no council seated
    assert Member.objects.filter(council__unit=county.village, resident__isnull=False).exists()
    # members come from the village's own residents
    assert not Member.objects.exclude(resident__isnull=True).exclude(
        resident__household__micro_grid__path__startswith=county.village.path).exists()


def test_a_topic_s_status_is_where_its_timeline_ends(county, made):
    assert Topic.objects.count() == made["topics"] > 20
    for topic in Topic.objects.all():
        last = TopicEvent.objects.filter(topic=topic).order_by("created_at", "id").last()
        assert last is not None and last.to_status == topic.status, topic.number
        assert topic.support_count == Support.objects.filter(topic=topic).count()
    statuses = set(Topic.objects.values_list("status", flat=True))
    assert {TopicStatus.DONE, TopicStatus.DECIDED} & statuses and TopicStatus.DONE in statuses
    assert Decision.objects.filter(topic__status=TopicStatus.DONE, done_at__isnull=True).count() == 0


def test_nothing_is_dated_in_the_future_and_numbers_are_unique(county, made):
    now = clock.now()
    assert Topic.objects.aggregate(m=Max("created_at"))["m"] < now
    assert TopicEvent.objects.aggregate(m=Max("created_at"))["m"] < now
    assert Meeting.objects.aggregate(m=Max("starts_at"))["m"] < now
    assert not Topic.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_a_topic_raised_afterwards_continues_the_day_s_numbering(county, made):
    last = Topic.objects.order_by("-created_at").first()
    council = Council.objects.get(unit=county.village, type__code="residents")
    topic = services.topic_raise(actor=county.admin, council=council, title="新议题", text="内容", now=last.created_at)
    assert topic.number != last.number and topic.number[:10] == last.number[:10]


def test_a_second_run_adds_nothing(county, made):
    again = generate_councils(days=365, seed=5, scale="small")
    assert again.get("councils", 0) == 0 and Council.objects.count() == 4
