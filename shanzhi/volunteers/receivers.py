"""What the time bank listens to in other apps: a council topic carried out credits its author resident
(`council_topic_done`), a good deed put on the honour roll by the moral panel credits the nominee (`good_deed`),
each once (the entry's source), inside the sender's transaction and as the system."""

from __future__ import annotations

from shanzhi.lib.errors import DomainError


def topic_done(sender, *, decision, actor=None, now=None, **kwargs) -> None:
    """A topic reached "done": its author (a resident) earns the civic act's points once."""
    from shanzhi.volunteers import civic

    topic = decision.topic
    resident = topic.author_resident
    if resident is None and topic.author_user_id is not None:
        resident = getattr(topic.author_user, "resident", None)
    if resident is None:
        return
    try:
        civic.award(actor=None, resident=resident, act_code="council_topic_done", note=topic.number,
                    source=f"civic:topic:{topic.pk}", now=now)
    except DomainError:  # the act is switched off, or the author moved away: nothing to credit
        return


def topic_decided(sender, *, decision, actor=None, now=None, **kwargs) -> None:
    """After the appraisal app has put an adopted nomination on the honour roll (its receiver is connected
    first: its app comes first), the nominee earns `good_deed` once, when exactly one active resident of the
    village bears the nominee's name (the nomination names a person, not a registry row)."""
    from shanzhi.appraisal.models import HonourEntry
    from shanzhi.people.models import Resident, ResidentStatus
    from shanzhi.volunteers import civic

    if decision.topic.kind != "nomination":
        return
    entry = HonourEntry.objects.filter(nomination__topic=decision.topic).select_related("village").first()
    if entry is None:
        return
    found = list(Resident.objects.filter(name=entry.nominee_name, status=ResidentStatus.ACTIVE,
                                         household__micro_grid__path__startswith=entry.village.path)[:2])
    if len(found) != 1:
        return
    try:
        civic.award(actor=None, resident=found[0], act_code="good_deed", note=entry.nominee_name,
                    source=f"civic:honour:{entry.pk}", now=now)
    except DomainError:
        return


def connect() -> None:
    from shanzhi.councils.signals import topic_decided as decided
    from shanzhi.councils.signals import topic_done as done

    done.connect(topic_done, dispatch_uid="volunteers.topic_done")
    decided.connect(topic_decided, dispatch_uid="volunteers.topic_decided")
