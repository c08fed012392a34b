"""The service team's objects for the URL walk (tests_security/test_url_walk.py): grid A's village 新联村 has a
service team, a volunteer (李梅 of A1) and grid A's resident's request, served with a photo and waiting for
the confirmation."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from shanzhi.accounts.models import User, UserKind
from shanzhi.lib import clock
from shanzhi.volunteers import services as svc
from shanzhi.volunteers.models import Skill


def make(c, now: dt.datetime) -> dict:
    """Make them through the services at `now` (the walk's frozen morning)."""
    li = User.objects.filter(resident=c.neighbour).first() or User.objects.create(
        username=f"walk_r{c.neighbour.pk}", kind=UserKind.RESIDENT, display_name=c.neighbour.name,
        resident=c.neighbour)
    repair = Skill.objects.get_or_create(code="repair", defaults={"name": "维修"})[0]
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 120, 30)).save(buf, "PNG")
    buf.seek(0)
    with clock.frozen(now):
        team = svc.team_create(actor=None, unit=c.village)
        volunteer = svc.volunteer_apply(actor=li, skills=[repair.pk], intro="会修水电")
        volunteer = svc.volunteer_approve(actor=None, volunteer=volunteer)
        request = svc.request_create(actor=c.resident_user, skill=repair, text="水龙头漏水")
        svc.request_assign(actor=None, request=request, volunteer=volunteer)
        svc.request_accept(actor=li, request=request)
        svc.request_checkin(actor=li, request=request)
    with clock.frozen(now + dt.timedelta(hours=1)):
        request = svc.request_checkout(actor=li, request=request, note="换了阀芯", photo=buf)
    return {"team": team, "volunteer": volunteer, "request": request}


def ids(x: dict) -> dict[str, dict[str, list]]:
    """Integer ids by URL name for the walk's OBJECT_IDS."""
    request = {"pk": [x["request"].pk]}
    return {
        "volunteers:request_detail": request,
        "volunteers:request_assign": request,
        "volunteers:request_photo": request,
        "volunteers:request_act": {"pk": [x["request"].pk], "action": ["accept", "confirm", "cancel"]},
        "volunteers:volunteer_detail": {"pk": [x["volunteer"].pk]},
        "volunteers:volunteer_act": {"pk": [x["volunteer"].pk], "action": ["approve", "refuse"]},
        "volunteers:team_detail": {"pk": [x["team"].pk]},
        "volunteers:team_act": {"pk": [x["team"].pk], "action": ["join", "leader"]},
        "api:volunteer-detail": {"pk": [x["volunteer"].pk]},
        "api:service-request-detail": request,
    }
