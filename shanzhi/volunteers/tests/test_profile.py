"""A volunteer edits their own profile after sign-up (skills, hours, villages served, intro), checked as at
sign-up and audited; the cadres who run the service at the village may too; other staff in scope see the
record (403), outsiders get 404; the phone page linked from the volunteer's home."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shanzhi.accounts.services import user_create_staff
from shanzhi.audit.models import AuditEntry
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint
from shanzhi.volunteers import access, selectors, services
from shanzhi.volunteers.models import VolunteerStatus
from shanzhi.volunteers.tests.test_volunteers import WEEKDAYS, client_for, setting, skill, volunteer

__all__ = ["setting"]


def _update(actor, v, **kw):
    args = {"skills": [skill("haircut").pk], "availability": WEEKDAYS[:1], "villages": [], "intro": "理发"}
    args.update(kw)
    return services.volunteer_update(actor=actor, volunteer=v, **args)


def test_the_volunteer_edits_their_own_profile_and_it_is_audited(setting):
    s = setting
    v = volunteer(s, s.li)
    v = _update(s.li, v, skills=[skill("haircut").pk, skill("escort").pk], villages=[s.c.village.pk],
                intro=" 退休理发师 ")
    assert {k.code for k in v.skills.all()} == {"haircut", "escort"}
    assert v.availability == WEEKDAYS[:1] and v.intro == "退休理发师" and set(v.villages.all()) == {s.c.village}
    assert v.status == VolunteerStatus.ACTIVE
    entry = AuditEntry.objects.get(action="volunteers.volunteer_update", object_id=str(v.pk))
    assert entry.before["skills"] == ["repair"] and entry.after["skills"] == ["escort", "haircut"]


def test_the_same_checks_as_sign_up(setting):
    s = setting
    v = volunteer(s, s.li)
    for kw, field in (({"skills": []}, "skills"), ({"skills": [999999]}, "skills"),
                      ({"availability": [{"weekday": 9, "start": "08:00", "end": "09:00"}]}, "availability"),
                      ({"availability": "Monday"}, "availability"),
                      ({"villages": [s.c.village2.pk]}, "villages"), ({"villages": [s.c.grid_a.pk]}, "villages"),
                      ({"intro": "长" * 201}, "intro")):
        with pytest.raises(DomainError) as exc:
            _update(s.li, v, **kw)
        assert field in exc.value.fields, kw
    v.refresh_from_db()
    assert [k.code for k in v.skills.all()] == ["repair"] and v.intro == "会修水电"  # nothing half-written
    assert not AuditEntry.objects.filter(action="volunteers.volunteer_update").exists()


def test_who_may_edit_a_profile(setting):
    s = setting
    v = volunteer(s, s.li)
    with pytest.raises(NotFound):  # another town's resident, grid B's worker, another village's cadre
        _update(s.zhao, v)
    with pytest.raises(NotFound):
        _update(s.c.worker_c, v)
    with pytest.raises(NotFound):
        _update(s.cadre2, v)
    volunteer(s, s.zhang)
    with pytest.raises(NotFound):  # another volunteer of the village does not see the record
        _update(s.zhang, v)
    mediator = user_create_staff(actor=None, username="mediator", password=PASSWORD, display_name="调解员",
                                 check_strength=False)
    post_appoint(actor=None, unit=s.c.village, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
    assert selectors.volunteer_visible(mediator, v)
    with pytest.raises(PermissionDenied):  # staff in scope without volunteers.run: 403
        _update(mediator, v)
    services.team_set_leader(actor=s.cadre, team=s.team, volunteer=services.volunteer_update(
        actor=s.zhang, volunteer=access.volunteer_for(s.zhang), skills=[skill().pk]))
    assert selectors.volunteer_visible(s.zhang, v)
    with pytest.raises(PermissionDenied):  # the team's leader sees the record but does not hold volunteers.run
        _update(s.zhang, v)
    assert [k.code for k in _update(s.cadre, v).skills.all()] == ["haircut"]  # runs the service there
    assert _update(s.c.town_staff, v, intro="镇里改").intro == "镇里改"


def test_a_left_volunteer_cannot_edit(setting):
    s = setting
    v = volunteer(s, s.li)
    services.volunteer_leave(actor=s.li, volunteer=v)
    with pytest.raises(DomainError) as exc:
        _update(s.li, v)
    assert exc.value.code == "invalid_state"
    with pytest.raises(NotFound):
        _update(s.c.worker_c, v)


def test_the_profile_page(setting):
    s = setting
    v = volunteer(s, s.li)
    li = client_for(s.li)
    url = reverse("volunteers:me_profile")
    assert url in li.get(reverse("volunteers:home")).content.decode()
    body = li.get(url).content.decode()
    assert "会修水电" in body
    resp = li.post(url, {"skills": [], "intro": "x"})
    assert resp.status_code == 400 and "请至少选择一项技能" in resp.content.decode()
    resp = li.post(url, {"skills": [skill().pk], "weekdays": ["1"], "start": "10:00", "end": "09:00"})
    assert resp.status_code == 400 and "开始应早于结束" in resp.content.decode()
    resp = li.post(url, {"skills": [skill("haircut").pk], "weekdays": ["1", "3"], "start": "09:00",
                         "end": "11:00", "intro": "周二周四上午"})
    assert resp.status_code == 302
    v.refresh_from_db()
    assert v.intro == "周二周四上午" and [k.code for k in v.skills.all()] == ["haircut"]
    assert v.availability == [{"weekday": 1, "start": "09:00", "end": "11:00"},
                              {"weekday": 3, "start": "09:00", "end": "11:00"}]
    for outsider in (s.zhao, s.c.worker_b, s.cadre):  # no volunteer record of their own: nothing to edit
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).post(url, {"skills": [skill().pk]}).status_code == 404
