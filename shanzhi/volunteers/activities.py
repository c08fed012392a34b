"""Activities of a service team (a clean-up day, a free clinic): created by the team's leader or the cadres
who run the service there; active volunteers sign up within the capacity (the activity row is locked), check
in and out by scanning the QR code on the leader's screen (or typing its 6-digit code; the leader may also
mark them), and closing the activity credits each volunteer's hours, times the activity's multiplier.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.audit.services import audit_record
from shanzhi.cases.notify import inbox_notify
from shanzhi.councils.models import Council
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.models import Level
from shanzhi.volunteers import access, ledger
from shanzhi.volunteers.models import (
    Activity,
    ActivitySignup,
    ActivityStatus,
    EntryKind,
    Skill,
    Volunteer,
    VolunteerStatus,
)

MIN_MULTIPLIER, MAX_MULTIPLIER = Decimal("0.5"), Decimal(5)
MAX_CAPACITY = 10_000
EARLY = dt.timedelta(hours=1)  # check-in opens an hour before the start
LATE = dt.timedelta(hours=3)  # check-out closes three hours after the end
FINISHED = (ActivityStatus.DONE, ActivityStatus.CANCELLED)


def _bad(field: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field: [message]}, code=code)


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


# ---- who sees what -------------------------------------------------------------------------------------

def _volunteer_q(volunteer: Volunteer) -> Q:
    """Activities a volunteer may take part in: of their own village, of a village they serve, or of a town
    above one of those."""
    units = [volunteer.village, *volunteer.villages.all()]
    codes = {c for u in units for c in u.ancestor_codes}
    return Q(unit__code__in=codes)


def may_see(user, activity: Activity) -> bool:
    if user is None:
        return True
    if scopes.may(user, "volunteers.view", activity.unit) or access.leads_at(user, activity.unit):
        return True
    volunteer = access.volunteer_for(user)
    if volunteer is not None and volunteer.status in (VolunteerStatus.ACTIVE, VolunteerStatus.PAUSED):
        if Activity.objects.filter(_volunteer_q(volunteer), pk=activity.pk).exists():
            return True
    home = access.home_village(user)
    return home is not None and home.path.startswith(activity.unit.path)


def activity_get(*, actor, pk: int) -> Activity:
    found = Activity.objects.select_related("team", "unit", "skill").filter(pk=pk).first()
    if found is None or not may_see(actor, found):
        raise NotFound("未找到该活动")
    return found


def activities_for(user) -> QuerySet[Activity]:
    """Activities the user sees: staff in scope, leaders' own, a volunteer's villages, a resident's village."""
    q = scopes.unit_ids_q(user, "volunteers.view", "unit") if scopes.may_somewhere(user, "volunteers.view") \
        else Q(pk__in=[])
    q |= Q(team__in=Council.objects.filter(access.led_teams_q(user)))
    volunteer = access.volunteer_for(user)
    if volunteer is not None and volunteer.status in (VolunteerStatus.ACTIVE, VolunteerStatus.PAUSED):
        q |= _volunteer_q(volunteer)
    home = access.home_village(user)
    if home is not None:
        q |= Q(unit__code__in=home.ancestor_codes)
    return (Activity.objects.filter(q).select_related("unit", "team", "skill")
            .annotate(signed=Count("signups", filter=Q(signups__cancelled_at__isnull=True))))


def may_run(user, activity: Activity) -> bool:
    return scopes.may(user, "volunteers.run", activity.unit) or access.leads_at(user, activity.unit)


def teams_to_run(user) -> QuerySet[Council]:
    """Service teams the user may organise activities for (cadres in scope, leaders their own team)."""
    q = access.led_teams_q(user)
    if scopes.may_somewhere(user, "volunteers.run"):
        q |= scopes.unit_ids_q(user, "volunteers.run", "unit")
    return Council.objects.filter(access.teams_q(), q, is_active=True).select_related("unit").order_by("unit__path")


def require_run(actor, activity: Activity, state=None) -> None:
    """The gate for running an activity: the cadres in scope or the team's leader (or above); those who see it
    (its volunteers and residents) and may not run it get 403, others 404."""
    if actor is None:
        scopes.require(None, "volunteers.run", activity.unit, state=state)
        return
    scopes.require(actor, "volunteers.run", activity.unit, what="该活动", granted=access.leads_at(actor, activity.unit),
                   visible=may_see(actor, activity), state=state)


# ---- create --------------------------------------------------------------------------------------------

@transaction.atomic
def activity_create(*, actor, team: Council, title: str, place: str, starts_at: dt.datetime, ends_at: dt.datetime,
                    capacity: int, multiplier: Decimal | str | int = 1, text: str = "", skill: Skill | None = None,
                    now: dt.datetime | None = None) -> Activity:
    """A new activity of a service team (its unit is the team's), open for sign-up."""
    if team.type.code != access.SERVICE_TYPE or not team.is_active:
        raise _bad("team", "请选择有效的服务团")
    access.require_run(actor, team.unit, what="该服务团")
    now = now or clock.now()
    errors: dict[str, list[str]] = {}
    title, place, text = (title or "").strip(), (place or "").strip(), (text or "").strip()
    if not title:
        errors["title"] = ["请填写活动名称"]
    elif len(title) > 100:
        errors["title"] = ["活动名称不能超过100字"]
    if not place:
        errors["place"] = ["请填写活动地点"]
    elif len(place) > 200:
        errors["place"] = ["活动地点不能超过200字"]
    if len(text) > 5000:
        errors["text"] = ["活动内容不能超过5000字"]
    if starts_at is None:
        errors["starts_at"] = ["请填写开始时间"]
    if ends_at is None:
        errors["ends_at"] = ["请填写结束时间"]
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = ["结束时间应晚于开始时间"]
        elif ends_at - starts_at > dt.timedelta(days=3):
            errors["ends_at"] = ["一次活动不能超过3天"]
        elif ends_at < now:
            errors["ends_at"] = ["结束时间已过"]
    try:
        capacity = int(capacity)
        if not 1 <= capacity <= MAX_CAPACITY:
            errors["capacity"] = [f"名额应在1到{MAX_CAPACITY}之间"]
    except (TypeError, ValueError):
        errors["capacity"] = ["名额应为整数"]
    try:
        multiplier = Decimal(str(multiplier)).quantize(Decimal("0.01"))
        if not MIN_MULTIPLIER <= multiplier <= MAX_MULTIPLIER:
            errors["multiplier"] = ["积分倍数应在0.5到5之间"]
    except (InvalidOperation, ValueError):
        errors["multiplier"] = ["积分倍数应为数字"]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms), fields=errors)
    activity = Activity.objects.create(
        team=team, unit=team.unit, title=title, text=text, place=place, skill=skill, starts_at=starts_at,
        ends_at=ends_at, capacity=capacity, multiplier=multiplier, checkin_secret=secrets.token_hex(16),
        checkin_code=f"{secrets.randbelow(1_000_000):06d}", created_by=_actor(actor), created_at=now)
    audit_record(actor=actor, action="volunteers.activity_create", obj=activity, unit_path=team.unit.path,
                 after={"title": title, "capacity": capacity, "multiplier": str(multiplier),
                        "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    return activity


# ---- sign-up -------------------------------------------------------------------------------------------

def _own_volunteer(actor, activity: Activity) -> Volunteer:
    """The actor as a volunteer who may take part (visible first: out of scope is not found)."""
    if not may_see(actor, activity):
        raise NotFound("未找到该活动")
    volunteer = access.volunteer_for(actor)
    if volunteer is None or volunteer.status != VolunteerStatus.ACTIVE:
        raise _bad("volunteer", "只有在岗的志愿者可以报名参加活动", "not_volunteer")
    if not Activity.objects.filter(_volunteer_q(volunteer), pk=activity.pk).exists():
        raise _bad("volunteer", "该活动不在您服务的村社", "not_served")
    return volunteer


@transaction.atomic
def signup(*, actor, activity: Activity, now: dt.datetime | None = None) -> ActivitySignup:
    """Sign the actor up (an active volunteer who serves the activity's unit), within the capacity: the
    activity row is locked, so the last place goes to one volunteer only."""
    volunteer = _own_volunteer(actor, activity)
    now = now or clock.now()
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    if locked.status == ActivityStatus.CANCELLED:
        raise _bad("activity", "该活动已取消，不能报名", "cancelled")
    if locked.status != ActivityStatus.OPEN:
        raise _bad("activity", "该活动已停止报名", "closed")
    if now >= locked.starts_at:
        raise _bad("activity", "活动已开始，不能再报名", "started")
    found = ActivitySignup.objects.filter(activity=locked, volunteer=volunteer).first()
    if found is not None and found.cancelled_at is None:
        raise _bad("activity", "您已报名该活动", "already")
    taken = ActivitySignup.objects.filter(activity=locked, cancelled_at__isnull=True).count()
    if taken >= locked.capacity:
        raise _bad("capacity", "名额已满", "full")
    if found is not None:
        found.cancelled_at, found.signed_at = None, now
        found.save(update_fields=["cancelled_at", "signed_at"])
        row = found
    else:
        row = ActivitySignup.objects.create(activity=locked, volunteer=volunteer, signed_at=now)
    audit_record(actor=actor, action="volunteers.activity_signup", obj=locked, unit_path=activity.unit.path,
                 after={"signup": row.pk, "volunteer": volunteer.pk})
    return row


def signup_of(actor, activity: Activity) -> ActivitySignup | None:
    volunteer = access.volunteer_for(actor)
    if volunteer is None:
        return None
    return ActivitySignup.objects.filter(activity=activity, volunteer=volunteer).first()


@transaction.atomic
def signup_cancel(*, actor, activity: Activity, now: dt.datetime | None = None) -> ActivitySignup:
    """Withdraw one's own sign-up before the activity starts."""
    volunteer = _own_volunteer(actor, activity)
    now = now or clock.now()
    row = ActivitySignup.objects.select_for_update().filter(activity=activity, volunteer=volunteer).first()
    if row is None or row.cancelled_at is not None:
        raise _bad("activity", "您没有报名该活动", "not_signed")
    if now >= activity.starts_at or row.checkin_at is not None:
        raise _bad("activity", "活动已开始，不能取消报名", "started")
    row.cancelled_at = now
    row.save(update_fields=["cancelled_at"])
    audit_record(actor=actor, action="volunteers.activity_cancel_signup", obj=activity,
                 unit_path=activity.unit.path, after={"signup": row.pk})
    return row


# ---- check-in and check-out ----------------------------------------------------------------------------

def by_secret(*, actor, secret: str) -> Activity:
    """The activity whose QR code was scanned (the link's secret); a wrong secret is not found."""
    secret = str(secret or "").strip().lower()
    found = None
    if len(secret) == 32 and secret.isascii() and secret.isalnum():
        found = Activity.objects.select_related("unit", "team").filter(checkin_secret=secret).first()
    if found is None or not may_see(actor, found):
        raise NotFound("未找到该活动")
    return found


def _stamp(row: ActivitySignup, activity: Activity, now: dt.datetime) -> str:
    """Check the signed-up volunteer in, or out when already in; the window is an hour before the start to
    three hours after the end."""
    if activity.status == ActivityStatus.CANCELLED:
        raise _bad("activity", "该活动已取消，不能签到", "cancelled")
    if activity.status in FINISHED:
        raise _bad("activity", "活动已结束", "finished")
    if now < activity.starts_at - EARLY:
        raise _bad("activity", "活动开始前1小时起才能签到", "too_early")
    if now > activity.ends_at + LATE:
        raise _bad("activity", "已过签退时间", "too_late")
    if row.checkin_at is None:
        row.checkin_at = now
        row.save(update_fields=["checkin_at"])
        return "in"
    if row.checkout_at is None:
        row.checkout_at = max(now, row.checkin_at)
        row.hours = ledger.hours_between(row.checkin_at, row.checkout_at, cap=duration_hours(activity))
        row.save(update_fields=["checkout_at", "hours"])
        return "out"
    raise _bad("activity", "您已签退", "done")


def duration_hours(activity: Activity) -> Decimal:
    return ledger.hours_between(activity.starts_at, activity.ends_at)


@transaction.atomic
def scan(*, actor, activity: Activity, secret: str = "", code: str = "", now: dt.datetime | None = None) -> str:
    """The volunteer's phone: the QR link's secret (or the 6-digit code typed) checks them in, the second
    time out. Answers "in" or "out"."""
    volunteer = _own_volunteer(actor, activity)
    secret, code = str(secret or "").strip().lower(), str(code or "").strip()
    if secret:
        if not secrets.compare_digest(secret.encode(), activity.checkin_secret.encode()):
            raise _bad("code", "签到码不正确", "bad_code")
    elif not code:
        raise _bad("code", "请填写6位签到码", "bad_code")
    elif not (code.isascii() and secrets.compare_digest(code.encode(), activity.checkin_code.encode())):
        raise _bad("code", "签到码不正确", "bad_code")
    row = ActivitySignup.objects.select_for_update().filter(activity=activity, volunteer=volunteer,
                                                            cancelled_at__isnull=True).first()
    if row is None:
        raise _bad("activity", "您没有报名该活动", "not_signed")
    done = _stamp(row, activity, now or clock.now())
    audit_record(actor=actor, action=f"volunteers.activity_check{done}", obj=activity, unit_path=activity.unit.path,
                 after={"signup": row.pk})
    return done


@transaction.atomic
def mark(*, actor, activity: Activity, signup_id, now: dt.datetime | None = None) -> str:
    """The leader marks a signed-up volunteer in (or out, the second time) for one whose phone cannot."""
    require_run(actor, activity)
    row = ActivitySignup.objects.select_for_update().filter(activity=activity, pk=signup_id or 0,
                                                            cancelled_at__isnull=True).first()
    if row is None:
        raise _bad("signup", "未找到该报名记录")
    done = _stamp(row, activity, now or clock.now())
    audit_record(actor=actor, action=f"volunteers.activity_mark_{done}", obj=activity, unit_path=activity.unit.path,
                 after={"signup": row.pk, "volunteer": row.volunteer_id})
    return done


# ---- close ---------------------------------------------------------------------------------------------

@transaction.atomic
def close(*, actor, activity: Activity, now: dt.datetime | None = None) -> list:
    """End the activity (after it started) and credit every checked-out volunteer once: hours capped by the
    activity's duration, points by the county rule times the multiplier. Answers the entries written."""
    now = now or clock.now()
    locked = Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)

    def state():
        if locked.status in FINISHED:
            raise _bad("activity", "活动已结束", "finished")
        if now < locked.starts_at:
            raise _bad("activity", "活动尚未开始，不能结束", "not_started")

    require_run(actor, locked, state=state)
    rule = ledger.points_rule()
    cap = duration_hours(locked)
    entries = []
    rows = (ActivitySignup.objects.select_related("volunteer__village", "volunteer__resident", "volunteer__user")
            .filter(activity=locked, cancelled_at__isnull=True, checkin_at__isnull=False, checkout_at__isnull=False)
            .order_by("id"))
    for row in rows:
        hours = ledger.hours_between(row.checkin_at, row.checkout_at, cap=cap)
        if row.hours != hours:
            row.hours = hours
            row.save(update_fields=["hours"])
        volunteer = row.volunteer
        village = locked.unit if locked.unit.level == Level.VILLAGE else volunteer.village
        entries.append(ledger.credit(
            account=ledger.account_of_volunteer(volunteer), kind=EntryKind.ACTIVITY, hours=hours,
            points=ledger.points_for(hours, locked.multiplier, rule), village=village, source=f"signup:{row.pk}",
            actor=actor, note=locked.title, signup=row, at=now))
    locked.status = ActivityStatus.DONE
    locked.save(update_fields=["status"])
    audit_record(actor=actor, action="volunteers.activity_close", obj=locked, unit_path=locked.unit.path,
                 after={"credited": len(entries), "points": sum(e.points for e in entries)})
    return entries


@transaction.atomic
def cancel(*, actor, activity: Activity, reason: str, now: dt.datetime | None = None) -> Activity:
    """Call the activity off before it ends (its leader or the cadres who run the service there), with a
    reason: the signed-up volunteers get an inbox notice; nobody is credited for a cancelled activity."""
    now = now or clock.now()
    locked = Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)

    def state():
        if locked.status == ActivityStatus.CANCELLED:
            raise _bad("activity", "该活动已取消", "cancelled")
        if locked.status in FINISHED:
            raise _bad("activity", "活动已结束，不能取消", "finished")
        if now >= locked.ends_at:
            raise _bad("activity", "活动已结束，不能取消", "ended")

    require_run(actor, locked, state=state)
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", "请填写取消原因")
    if len(reason) > 200:
        raise _bad("reason", "取消原因不能超过200字")
    locked.status = ActivityStatus.CANCELLED
    locked.save(update_fields=["status"])
    from shanzhi.volunteers.services import _link, volunteer_user_ids

    ids: set[int] = set()
    for row in ActivitySignup.objects.select_related("volunteer").filter(activity=locked, cancelled_at__isnull=True):
        ids.update(volunteer_user_ids(row.volunteer))
    ids.discard(getattr(actor, "pk", None))
    inbox_notify(sorted(ids), kind="volunteer", text=f"活动“{locked.title}”已取消：{reason}"[:300],
                 key=f"activity-cancel:{locked.pk}", now=now, link=_link("volunteers:activity", locked.pk))
    audit_record(actor=actor, action="volunteers.activity_cancel", obj=locked, unit_path=locked.unit.path,
                 after={"status": ActivityStatus.CANCELLED, "reason": reason, "notified": len(ids)})
    return locked


def signups(activity: Activity) -> QuerySet[ActivitySignup]:
    return ActivitySignup.objects.filter(activity=activity).select_related("volunteer").order_by("signed_at", "id")

