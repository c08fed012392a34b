"""Walk the whole URLconf and API router as people who must see nothing of grid A's objects.

For every URL that names an object (a unit code, a case or dispute number, an id), every action slug it
takes, GET and POST: grid worker B, a resident of the other town and an anonymous visitor ask for grid A's
objects. Each answer must be exactly the answer for an object that does not exist (404, the log-in
redirect, or 401/403 for an API that refuses the caller whatever the object), never a 2xx and never a 5xx.
A positive control (the county admin, the reporter) proves the ids are real, so a 404 means "hidden",
not "wrong URL".

A URL added later is walked without a new test: its parameters are filled by name (`code`, `number`,
`action`, ...). A new kind of integer id must be named in OBJECT_IDS, or the walk fails and says so.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token

from shanzhi.accounts.models import User, UserKind
from shanzhi.campaigns import services as campaign_services
from shanzhi.campaigns.models import Kind as CampaignKind
from shanzhi.campaigns.models import Measure, Rule, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.cases import services as case_services
from shanzhi.cases import workflow
from shanzhi.cases.models import Attachment, Notification
from shanzhi.lib import clock
from shanzhi.lib.testing import report_case
from shanzhi.mediation import services as mediation_services
from shanzhi.mediation import views as mediation_views
from shanzhi.mediation.models import DisputeType
from shanzhi.open311.services import apikey_issue
from shanzhi.org.models import Role
from shanzhi.org.services import post_appoint

# Public by design (GeoReport v2 publishes public cases to anyone; masked as Open311 rules say).
PUBLIC = {"open311:discovery", "open311:services", "open311:service", "open311:requests", "open311:request",
          "open311:token", "api-schema",
          # the rating SMS's link: its token is the grant (one case, once, expiring; cases/tests/test_rating_link.py)
          "cases:rate_link"}
# URLs that take no object from the path but are walked anyway for "never a 5xx".
MISSING = {"code": "330421999999999", "number": "330421-20000101-99999", "case__number": "330421-20000101-99999",
           "int": "987654321", "token": "no-such-token"}
NINE = timezone.make_aware(dt.datetime(2026, 11, 25, 9, 0))  # a Wednesday


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _patterns(resolver: URLResolver | None = None, ns: str = "", prefix_params: tuple = ()):
    """(name with namespaces, parameter names) of every named URL."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        params = prefix_params + tuple(_params_of(p.pattern))
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _patterns(p, sub_ns, params)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}", params


def _params_of(pattern) -> list[str]:
    if hasattr(pattern, "converters") and getattr(pattern, "_route", None) is not None:
        return list(pattern.converters)
    regex = getattr(pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


@pytest.fixture
def grid_a(county):
    """Grid A's objects of every kind, made through the services."""
    c = county
    with clock.frozen(NINE):
        case = report_case(c, photos=[_png()])
        case_services.case_accept(actor=c.worker_a, case=case)
        # a central household in A1 so the campaigns have a helper
        from shanzhi.people.services import central_household_create

        central_household_create(actor=None, household=c.household_a, leader=c.resident)
        night = campaign_services.campaign_create(
            actor=c.town_staff, kind=CampaignKind.NIGHT_VISIT, name="十一月网格夜访",
            scope=resolve(actor=c.town_staff, units=[c.grid_a.code]), rule=Rule.CENTRAL_HOUSEHOLD)
        incident = campaign_services.incident_declare(
            actor=c.town_staff, type="密接", occurred_at=NINE, place="新联村",
            scope=resolve(actor=c.town_staff, units=[c.grid_a.code]), measure=Measure.CENTRALISED)
        site = campaign_services.site_create(actor=c.town_staff, unit=c.grid_a, name="一组隔离点", rooms=5,
                                             capacity=10)
        target = Target.objects.get(campaign=incident, household=c.household_a)
        stay = campaign_services.stay_check_in(actor=c.town_staff, target=target, resident=c.neighbour, site=site,
                                               room="101")
        centre = mediation_services.centre_create(actor=None, unit=c.village, name="新联村调解室",
                                                  rooms=["村调解室"])
        mediation_services.centre_create(actor=None, unit=c.town, name="天凝镇矛调中心", rooms=["调解室A"])
        from shanzhi.rooms.services import room_create

        # a room of grid A itself (the village's rooms are seen from grid B below it, like the town's hall)
        grid_room = room_create(actor=c.admin, unit=c.grid_a, name="一网格活动室")
        from shanzhi.accounts.services import user_create_staff

        mediator = user_create_staff(actor=None, username="mediator_a", password="x-Shanzhi-2026",
                                     display_name="调解员", check_strength=False)
        post_appoint(actor=None, unit=c.village, role=Role.MEDIATOR, user=mediator, start_date=dt.date(2024, 1, 1))
        dispute = mediation_services.dispute_register(
            actor=mediator, kind="dispute", type=DisputeType.objects.get(code="neighbour"),
            summary="通道堆放杂物", unit=c.mg_a1, household=c.household_a,
            parties=[{"role": "applicant", "name": "张三", "phone": "13800000001"},
                     {"role": "respondent", "name": "李四", "phone": "13800000009"}])
        session = mediation_services.session_schedule(
            actor=mediator, dispute=dispute, starts_at=NINE + dt.timedelta(hours=1),
            ends_at=NINE + dt.timedelta(hours=2), room=dispute.centre.rooms.first(), mediators=[mediator])
    with clock.frozen(NINE + dt.timedelta(hours=3)):
        mediation_services.session_record(actor=mediator, session=session, minutes="双方同意清理",
                                          attended=list(dispute.parties.values_list("pk", flat=True)))
        agreement = mediation_services.agreement_create(actor=mediator, dispute=dispute, terms="一、三日内清理。",
                                                        session=session)
    from shanzhi.legal.tests import walk as legal_walk

    c.extra["legal"] = legal_walk.make(c, NINE + dt.timedelta(hours=4))
    from shanzhi.elections.tests import walk_setup as elections_setup_walk

    c.extra["elections_setup"] = elections_setup_walk.make(c, NINE + dt.timedelta(hours=4))
    from shanzhi.volunteers.tests import walk_requests as volunteers_walk

    c.extra["volunteers"] = volunteers_walk.make(c, NINE + dt.timedelta(hours=5))
    from shanzhi.elections.tests import walk_day

    c.extra["elections_day"] = walk_day.make(c)
    key, _plain = apikey_issue(actor=c.admin, name="12345 热线")
    assert centre.pk
    from shanzhi.cases.uploads import upload_create

    upload = upload_create(actor=c.worker_a, photo=_png())  # a photo chosen for a form not sent yet
    with clock.frozen(NINE):  # 新联村's residents' council, a member and a topic with a photo (grid A's resident)
        from shanzhi.councils import services as council_services
        from shanzhi.councils.defaults import ensure_types
        from shanzhi.councils.models import CouncilType

        ensure_types()
        council = council_services.council_create(actor=None, type=CouncilType.objects.get(code="residents"),
                                                  unit=c.village)
        member = council_services.member_add(actor=None, council=council, resident=c.resident)
        topic = council_services.topic_raise(actor=c.resident_user, council=council, title="村口路灯", text="坏了",
                                             photos=[_png()])
    c.extra.update(council=council, member=member, topic=topic, topic_photo=topic.photos.get())
    council_meeting, council_decision = _council_meeting(c)
    c.extra.update(council_meeting=council_meeting, council_decision=council_decision)
    # 新联村's moral-appraisal panel: a nomination and a complaint from grid A's resident; the criticism list on
    from shanzhi.appraisal import services as appraisal_services
    from shanzhi.councils.models import Council, CouncilType

    moral, _made = CouncilType.objects.get_or_create(code="moral", defaults={"name": "道德评判团"})
    Council.objects.create(type=moral, unit=c.village, name="新联村道德评判团")
    nomination = appraisal_services.nomination_create(actor=c.resident_user, village=c.village, kind="filial",
                                                      nominee_name="王大妈", deed="照顾婆婆十年")
    complaint = appraisal_services.complaint_create(actor=c.resident_user, village=c.village, kind="dumping",
                                                    act="河边倒垃圾", subject_name="钱七")
    appraisal_services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=False,
                                       show_text=False, show_decision=False)
    c.extra.update(nomination=nomination, complaint=complaint)
    from shanzhi.elections.tests import walk_candidates

    c.extra["elections_candidates"] = walk_candidates.make(c)
    from shanzhi.elections.tests import overview_data as election_data

    c.extra["elections"] = election_data.make(c)  # 新联村's certified election (grid A's village)
    # the time bank: 新联村's store, an activity, 张三's account
    from shanzhi.volunteers.tests import walk_bank

    c.extra["bank"] = walk_bank.make(c, NINE)
    c.extra.update(upload=upload, case=case, dispute=dispute, campaign=night, incident=incident, target=target, stay=stay,
                   session=session, agreement=agreement, key=key, mediator=mediator, grid_room=grid_room,
                   attachment=Attachment.objects.filter(case=case).first(),
                   notification=Notification.objects.filter(user=c.worker_a).first())
    return c


def _council_meeting(c):
    """新联村's council (grid A's village) with a meeting open and a decision, through the meeting services."""
    from shanzhi.councils import services_meetings as council_services
    from shanzhi.councils.models import Council, CouncilType, Member, Position, Topic

    ctype = CouncilType.objects.create(code="walk_residents", name="百姓议事会", levels=["village"])
    council = Council.objects.create(type=ctype, unit=c.village, name="新联村百姓议事会")
    member = Member.objects.create(council=council, resident=c.resident, name="张三", position=Position.SECRETARY,
                                   started_on=dt.date(2024, 1, 1))
    topic = Topic.objects.create(council=council, number="WALK-1", title="路灯", text="修路灯", status="accepted",
                                 created_at=NINE, updated_at=NINE)
    with clock.frozen(NINE):
        meeting = council_services.meeting_schedule(
            actor=None, council=council, title="议事会", starts_at=NINE + dt.timedelta(hours=1),
            ends_at=NINE + dt.timedelta(hours=2), place="村委会", topics=[topic])
        council_services.meeting_open(actor=None, meeting=meeting)
        council_services.attendance_mark(actor=None, meeting=meeting, member=member)
        decision = council_services.decision_record(actor=None, topic=topic, outcome="adopted", text="修",
                                                    meeting=meeting)
        from django.core.files.uploadedfile import SimpleUploadedFile

        from shanzhi.councils.files import meeting_attach

        meeting_attach(actor=None, meeting=meeting, name="会议纪要",
                       upload=SimpleUploadedFile("m.pdf", b"%PDF-1.4\ntrailer<<>>\n%%EOF\n"))
    return meeting, decision


def _object_ids(c) -> dict[str, dict[str, list]]:
    """Integer ids by URL name: which of grid A's objects an `<int:...>` parameter of that URL means."""
    x = c.extra
    people = {"pk": [c.household_a.pk]}
    return {
        "people:household": people,
        "people:resident": {"pk": [c.resident.pk, c.neighbour.pk]},
        "people:resident_reveal": {"pk": [c.resident.pk]},
        "cases:attachment": {"pk": [x["attachment"].pk]},
        "cases:staff_attachment": {"pk": [x["attachment"].pk]},
        "cases:upload_thumb": {"token": [x["upload"].token]},
        "cases:inbox_open": {"pk": [x["notification"].pk]},
        "cases:inbox_read": {"pk": [x["notification"].pk]},
        "campaigns:detail": {"pk": [x["campaign"].pk, x["incident"].pk]},
        "campaigns:reassign": {"pk": [x["campaign"].pk]},
        "campaigns:reassign_absent": {"pk": [x["campaign"].pk]},
        "campaigns:signoff": {"pk": [x["campaign"].pk]},
        "campaigns:stay_check_out": {"pk": [x["stay"].pk]},
        "campaigns:walk": {"pk": [x["campaign"].pk]},
        "campaigns:acknowledge": {"pk": [x["campaign"].pk]},
        "campaigns:visit": {"pk": [x["campaign"].pk], "target_id": [x["target"].pk]},
        "campaigns:call": {"pk": [x["incident"].pk], "target_id": [x["target"].pk]},
        "campaigns:raise_case": {"pk": [x["incident"].pk], "target_id": [x["target"].pk]},
        "campaigns:checkin": {"pk": [x["incident"].pk]},
        "campaigns:board": {"pk": [x["incident"].pk]},
        "campaigns:board_partial": {"pk": [x["incident"].pk]},
        "mediation:agreement_docx": {"pk": [x["agreement"].pk]},
        **{f"councils:{name}": {"pk": [x["council_meeting"].pk]} for name in (
            "meeting_detail", "meeting_screen", "meeting_member", "meeting_checkin_code", "meeting_vote",
            "meeting_attach")},
        "councils:meeting_file": {"pk": [x["council_meeting"].files.get().pk]},
        "councils:meeting_act": {"pk": [x["council_meeting"].pk], "action": ["close", "motion"]},
        "councils:decision_detail": {"pk": [x["council_decision"].pk]},
        "councils:decision_act": {"pk": [x["council_decision"].pk], "action": ["progress", "task"]},
        "api:council-meeting-detail": {"pk": [x["council_meeting"].pk]},
        "api:council-decision-detail": {"pk": [x["council_decision"].pk]},
        "mediation:centre": {"code": [c.village.code]},  # 新联村's centre: grid B's worker is not a mediator there
        "rooms:detail": {"pk": [x["grid_room"].pk]},
        "rooms:edit": {"pk": [x["grid_room"].pk]},
        "rooms:active": {"pk": [x["grid_room"].pk]},
        "open311:key_revoke": {"pk": [x["key"].pk]},
        "api:post-detail": {"pk": [c.grid_a.posts.first().pk]},
        "api:post-end": {"pk": [c.grid_a.posts.first().pk]},
        "api:household-detail": people,
        "api:resident-detail": {"pk": [c.resident.pk]},
        "api:resident-reveal": {"pk": [c.resident.pk]},
        "api:resident-move": {"pk": [c.resident.pk]},
        "api:resident-end": {"pk": [c.resident.pk]},
        "councils:council_detail": {"pk": [x["council"].pk]},
        "councils:member_add": {"pk": [x["council"].pk]},
        "councils:topic_raise": {"pk": [x["council"].pk]},
        "councils:member_end": {"pk": [x["member"].pk]},
        "councils:photo": {"pk": [x["topic_photo"].pk]},
        "api:council-detail": {"pk": [x["council"].pk]},
        "appraisal:nomination_detail": {"pk": [x["nomination"].pk]},
        "appraisal:complaint_detail": {"pk": [x["complaint"].pk]},
        "appraisal:complaint_hearing": {"pk": [x["complaint"].pk]},
        "appraisal:complaint_follow_up": {"pk": [x["complaint"].pk]},
        "api:appraisal-complaint-detail": {"pk": [x["complaint"].pk]},
        "api:department-detail": {"pk": []},  # departments are the county's, visible to every staff member
        **_admin_ids(c),
        **_legal_ids(x["legal"]),
        **_elections_setup_ids(x["elections_setup"]),
        **_volunteers_ids(x["volunteers"]),
        **_elections_day_ids(x["elections_day"]),
        **_elections_candidates_ids(x["elections_candidates"]),
        **_election_ids(x["elections"]),
        **_bank_ids(x["bank"]),
    }


def _elections_setup_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.elections.tests import walk_setup

    return walk_setup.ids(objects)


def _volunteers_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.volunteers.tests import walk_requests as volunteers_walk

    return volunteers_walk.ids(objects)


def _elections_day_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.elections.tests import walk_day

    return walk_day.ids(objects)


def _elections_candidates_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.elections.tests import walk_candidates

    return walk_candidates.ids(objects)


def _election_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.elections.tests import overview_data as election_data

    return election_data.walk_ids(objects)


def _bank_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.volunteers.tests import walk_bank

    return walk_bank.ids(objects)


def _legal_ids(objects: dict) -> dict[str, dict[str, list]]:
    from shanzhi.legal.tests import walk as legal_walk

    return legal_walk.ids(objects)


# Admin models that are configuration of the whole county (no unit): every admin-site user may read them.
ADMIN_GLOBAL = {"auth.group", "authtoken.tokenproxy", "org.department", "people.caretag", "mediation.disputetype",
                "mediation.team", "campaigns.incidenttype",
                "councils.counciltype", "legal.category", "volunteers.skill", "volunteers.civicact",
                "volunteers.pointsrule", "elections.rules"}
# Admin URLs that name no object of a unit.
NOT_OBJECTS = {"admin:view_on_site", "admin:app_list"}


def _admin_ids(c) -> dict[str, dict[str, list]]:
    """The Django admin's change/delete/history pages of grid A's rows, model by model."""
    from django.contrib import admin as django_admin

    from shanzhi.audit.models import AuditEntry
    from shanzhi.mediation.models import Centre
    from shanzhi.people.models import CadreRegistration
    from shanzhi.volunteers.models import Entry, StoreItem

    x = c.extra
    rows = {
        "org.orgunit": [c.grid_a.pk, c.mg_a1.pk],
        "org.post": list(c.grid_a.posts.values_list("pk", flat=True)),
        "people.household": [c.household_a.pk],
        "people.resident": [c.resident.pk],
        "people.cadreregistration": list(CadreRegistration.objects.filter(
            village=c.village).values_list("pk", flat=True)),
        "accounts.user": [c.worker_a.pk],
        "audit.auditentry": list(AuditEntry.objects.filter(unit_path__startswith=c.grid_a.path)
                                 .values_list("pk", flat=True)[:2]),
        "mediation.centre": list(Centre.objects.filter(unit=c.village).values_list("pk", flat=True)),
        "councils.council": [x["council"].pk],
        "volunteers.volunteer": [x["volunteers"]["volunteer"].pk],
        "volunteers.storeitem": list(StoreItem.objects.filter(village=c.village).values_list("pk", flat=True)),
        "volunteers.entry": list(Entry.objects.filter(village=c.village).values_list("pk", flat=True)[:2]),
        "elections.round": [x["elections"]["round"].pk],
        "elections.election": [x["elections"]["a"].pk],
    }
    assert x["dispute"]
    out: dict[str, dict[str, list]] = {}
    for model in django_admin.site._registry:
        label = model._meta.label_lower
        if label in ADMIN_GLOBAL:
            continue
        assert label in rows, f"the walk does not know which {label} rows are grid A's; add them to _admin_ids"
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for view in ("change", "delete", "history"):
            out[f"{prefix}_{view}"] = {"object_id": rows[label]}
    return out


def _by_name(c) -> dict[str, list[str]]:
    """Values of parameters filled by their name alone, whatever the URL."""
    x = c.extra
    slugs = sorted(set(workflow.TRANSITIONS) | set(mediation_views.ACTIONS))
    return {
        "code": [c.grid_a.code, c.mg_a1.code],
        "number": [x["case"].number, x["dispute"].case.number, x["topic"].number],
        "case__number": [x["dispute"].case.number],
        "action": slugs,
        "action_name": slugs,
        "session_id": [x["session"].pk],
        "agreement_id": [x["agreement"].pk],
        "target_id": [x["target"].pk],
        "format": ["json"],
    }


def _urls(c):
    """(name, url for grid A's object, url for a missing object) for every URL with an object in it."""
    ids, by_name = _object_ids(c), _by_name(c)
    unknown = []
    for name, params in _patterns():
        if not params or name in PUBLIC or name in NOT_OBJECTS or set(params) <= {"format"}:
            continue
        if name.startswith("admin:") and name.rsplit("_", 1)[0].removeprefix("admin:").replace("_", ".", 1) \
                in ADMIN_GLOBAL:
            continue
        choices: dict[str, list] = {}
        for p in params:
            if name in ids and p in ids[name]:
                choices[p] = ids[name][p]
            elif p in by_name:
                choices[p] = by_name[p]
            else:
                unknown.append(f"{name} <{p}>")
        if any(not v for v in choices.values()) or len(choices) < len(params):
            continue
        for kwargs in _combinations(choices):
            if "format" in kwargs:
                continue  # the same views as without the suffix
            missing = {k: v if k in ("action", "action_name", "format") else MISSING.get(k, MISSING["int"])
                       for k, v in kwargs.items()}
            try:
                yield name, reverse(name, kwargs=kwargs), reverse(name, kwargs=missing)
            except Exception as exc:  # noqa: BLE001 - the message names the URL
                unknown.append(f"{name}: cannot build with {kwargs}: {exc}")
    assert not unknown, "the walk does not know these URL parameters; name them in OBJECT_IDS:\n" + "\n".join(unknown)


def _combinations(choices: dict[str, list]):
    keys = list(choices)
    if not keys:
        yield {}
        return
    first, rest = keys[0], {k: choices[k] for k in keys[1:]}
    for v in choices[first]:
        for tail in _combinations(rest):
            yield {first: v, **tail}


def _client_for(user, api: bool) -> Client:
    client = Client()
    if user is None:
        return client
    if api:
        token, _ = Token.objects.get_or_create(user=user)
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.force_login(user)
    return client


def _ask(client: Client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post(url, {})


LOGIN = re.compile(r"/(accounts/(login|resident)|admin/login)/")


def _answer(resp) -> str:
    """A short label of an answer: what a caller could tell apart."""
    location = resp.get("Location", "") if resp.status_code in (301, 302) else ""
    if LOGIN.search(location):
        return "login"
    if location.split("?")[0] == "/admin/":
        return "404"  # the admin's answer for an object that does not exist: back to its index
    return str(resp.status_code)


def _walk(c, user, allowed: set[str]) -> list[str]:
    failures = []
    for name, url, missing_url in _urls(c):
        api = url.startswith("/api/")
        client = _client_for(user, api)
        for method in ("GET", "POST"):
            got, expected = _answer(_ask(client, method, url)), _answer(_ask(client, method, missing_url))
            # a refusal that is the same for every object (a resident-only page, a read-only admin) leaks nothing
            if got != expected or (got not in allowed and got != "403"):
                failures.append(f"{method} {url} ({name}): {got}, a missing object answers {expected}")
    return failures


@pytest.fixture
def other_resident(county):
    return User.objects.create(username=f"r{county.resident_c.pk}", kind=UserKind.RESIDENT,
                               display_name=county.resident_c.name, resident=county.resident_c)


def test_grid_worker_b_gets_not_found_for_every_object_of_grid_a(grid_a):
    grid_a.worker_b.is_staff = True  # with the admin site opened to them, which is scoped too
    grid_a.worker_b.save(update_fields=["is_staff"])
    failures = _walk(grid_a, grid_a.worker_b, {"404", "405"})
    assert not failures, "\n".join(failures)


def test_a_resident_gets_nothing_of_another_residents_objects(grid_a, other_resident):
    failures = _walk(grid_a, other_resident, {"404", "405", "login", "403"})
    assert not failures, "\n".join(failures)


def test_anonymous_is_sent_to_log_in_or_told_not_found(grid_a):
    failures = _walk(grid_a, None, {"404", "405", "login", "401"})
    assert not failures, "\n".join(failures)


def test_the_walk_uses_real_objects(grid_a):
    """The positive control: the county admin opens grid A's objects, so the 404s above mean hidden."""
    admin_api, admin_page = _client_for(grid_a.admin, True), _client_for(grid_a.admin, False)
    seen: dict[str, bool] = {}
    for name, url, _missing in _urls(grid_a):
        client = admin_api if url.startswith("/api/") else admin_page
        opened = any(_ask(client, m, url).status_code not in (404, 405) for m in ("GET", "POST"))
        seen[name] = seen.get(name, False) or opened
    # resident-only, reporter-only and owner-only pages (a photo not sent yet) are not the admin's;
    # everything else opens for them
    residents_only = {"cases:detail_resident", "cases:rate", "cases:follow", "cases:attachment", "campaigns:walk",
                      "campaigns:acknowledge", "campaigns:visit", "campaigns:checkin", "campaigns:raise_case",
                      "cases:inbox_open", "cases:inbox_read", "cases:upload_thumb"}
    closed = sorted(n for n, ok in seen.items() if not ok and n not in residents_only)
    assert len(seen) > 40
    assert not closed, f"these URLs answer 404 even to the county admin: {closed}"


def test_every_page_without_an_object_answers_without_a_server_error(grid_a, other_resident):
    """Lists, forms and feeds as each persona: never a 5xx (what they show is tested per app)."""
    failures = []
    personas = [grid_a.worker_b, grid_a.worker_a, grid_a.town_staff, grid_a.admin, grid_a.resident_user,
                other_resident, None]
    for name, params in _patterns():
        if params and set(params) != {"format"} or name.startswith("admin:") or name == "accounts:logout":
            continue
        if params:
            continue
        url = reverse(name)
        for user in personas:
            client = _client_for(user, url.startswith("/api/"))
            for method in ("GET", "POST"):
                status = _ask(client, method, url).status_code
                if status >= 500:
                    failures.append(f"{method} {url} as {getattr(user, 'username', 'anonymous')}: {status}")
    assert not failures, "\n".join(failures)
