"""A topic's lifecycle in one table: raised → accepted (or declined with a public reason) → scheduled →
deliberated → decided → in progress → done. Every step goes through `move`, which refuses a step out of
order, writes the timeline and notifies the author and the followers."""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.notify import inbox_notify
from shanzhi.councils.models import Topic, TopicEvent
from shanzhi.councils.models import TopicStatus as S
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError

# action: (allowed from, to, label)
STEPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "accept": ((S.RAISED,), S.ACCEPTED, _("受理")),
    "decline": ((S.RAISED, S.ACCEPTED), S.DECLINED, _("不予受理")),
    "schedule": ((S.ACCEPTED,), S.SCHEDULED, _("列入议程")),
    "unschedule": ((S.SCHEDULED,), S.ACCEPTED, _("移出议程")),
    "deliberate": ((S.SCHEDULED,), S.DELIBERATED, _("审议")),
    "decide": ((S.SCHEDULED, S.DELIBERATED), S.DECIDED, _("作出决定")),
    "start": ((S.DECIDED,), S.IN_PROGRESS, _("开始办理")),
    "finish": ((S.DECIDED, S.IN_PROGRESS), S.DONE, _("办结")),
}


def allowed(action: str, status: str) -> bool:
    return status in STEPS[action][0]


def check(topic: Topic, action: str) -> None:
    """Refuse a step the topic's state does not allow (400 naming the state)."""
    if not allowed(action, topic.status):
        raise DomainError(f"议题当前状态为“{topic.get_status_display()}”，不能{STEPS[action][2]}",
                          code="invalid_state")


def topic_link(topic: Topic) -> str:
    try:
        return reverse("councils:topic_detail", args=[topic.number])
    except NoReverseMatch:
        return ""


def record(topic: Topic, *, action: str, actor, note: str = "", data: dict | None = None,
           now: dt.datetime | None = None, from_status: str = "", to_status: str = "") -> TopicEvent:
    """A timeline entry that is not a status change (a support, a proxy act, a comment hidden)."""
    return TopicEvent.objects.create(topic=topic, action=action, from_status=from_status, to_status=to_status,
                                     actor=actor if getattr(actor, "pk", None) else None, note=note,
                                     data=data or {}, created_at=now or clock.now())


def notify(topic: Topic, *, text: str, key: str, now: dt.datetime, actor=None) -> int:
    """Tell the topic's author and followers (not the actor) in their inbox."""
    ids = set(topic.follows.values_list("user_id", flat=True))
    if topic.author_user_id:
        ids.add(topic.author_user_id)
    ids.discard(getattr(actor, "pk", None))
    return inbox_notify(sorted(ids), kind="council", text=text, key=key, now=now, link=topic_link(topic))


def move(topic: Topic, *, action: str, actor, note: str = "", data: dict | None = None,
         now: dt.datetime | None = None) -> Topic:
    """Take one lifecycle step (inside the caller's transaction and after the caller's gate)."""
    check(topic, action)
    now = now or clock.now()
    before = topic.status
    topic.status = STEPS[action][1]
    topic.updated_at = now
    topic.save(update_fields=["status", "updated_at"])
    event = record(topic, action=action, actor=actor, note=note, data=data, now=now, from_status=before,
                   to_status=topic.status)
    notify(topic, text=f"议题“{topic.title[:40]}”：{topic.get_status_display()}", key=f"topic:{topic.pk}:{event.pk}",
           now=now, actor=actor)
    return topic
