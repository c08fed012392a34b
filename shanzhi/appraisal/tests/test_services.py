"""Nominations, complaints, hearings and the honour roll through the services, with who may and who may not."""

from __future__ import annotations

import datetime as dt

import pytest

from shanzhi.appraisal import selectors, services
from shanzhi.appraisal.models import Complaint, HonourEntry, Outcome, Remedy
from shanzhi.appraisal.tests.conftest import decide
from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Notification
from shanzhi.councils.models import TopicEvent, TopicKind, TopicStatus
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def nominate(c, actor=None, **kw):
    kw.setdefault("village", c.village)
    kw.setdefault("kind", "filial")
    kw.setdefault("nominee_name", "王大妈")
    kw.setdefault("deed", "十年如一日照顾瘫痪在床的婆婆")
    return services.nomination_create(actor=actor or c.resident_user, **kw)


def complain(c, actor=None, **kw):
    kw.setdefault("village", c.village)
    kw.setdefault("kind", "dumping")
    kw.setdefault("act", "多次把装修垃圾倒在河边")
    kw.setdefault("subject_name", "钱七")
    return services.complaint_create(actor=actor or c.resident_user, **kw)


def test_a_resident_nominates_a_good_deed_as_a_topic_of_the_village_panel(panels):
    c = panels
    n = nominate(c)
    topic = n.topic
    assert topic.council == c.extra["panel"] and topic.kind == TopicKind.NOMINATION
    assert topic.status == TopicStatus.RAISED and topic.number.startswith("Y")
    assert topic.author_user == c.resident_user and topic.author_resident == c.resident
    assert TopicEvent.objects.filter(topic=topic, action="raise").count() == 1
    assert AuditEntry.objects.filter(action="appraisal.nominate", object_id=str(topic.pk)).exists()
    # the panel's officers hear of it: the staff chair and the resident secretary, not the ordinary member
    told = set(Notification.objects.filter(kind="council").values_list("user_id", flat=True))
    assert told == {c.extra["chair"].pk, c.extra["secretary"].pk}


def test_a_resident_of_another_village_gets_not_found(panels):
    c = panels
    with pytest.raises(NotFound):
        nominate(c, actor=c.extra["other_resident"])
    with pytest.raises(NotFound):
        complain(c, actor=c.extra["other_resident"])
    # and the other village's resident may nominate in their own village
    assert nominate(c, actor=c.extra["other_resident"], village=c.village2).village == c.village2


def test_members_and_cadres_may_nominate_a_grid_worker_may_not(panels):
    c = panels
    assert nominate(c, actor=c.extra["chair"]).topic.author_user == c.extra["chair"]
    assert nominate(c, actor=c.extra["cadre"]).pk
    assert nominate(c, actor=c.town_staff).pk  # runs councils in the town
    with pytest.raises(NotFound):  # grid A's worker does not see the village's councils
        nominate(c, actor=c.worker_a)
    with pytest.raises(NotFound):
        nominate(c, actor=c.worker_c)
    with pytest.raises(NotFound):
        nominate(c, actor=c.town_staff, village=c.village2)


def test_no_panel_or_not_a_village_is_not_found(panels):
    c = panels
    with pytest.raises(NotFound):
        nominate(c, village=c.grid_a)
    c.extra["panel"].is_active = False
    c.extra["panel"].save()
    with pytest.raises(NotFound):
        nominate(c)


@pytest.mark.parametrize("field,value,message", [
    ("kind", "heroic", "请选择推荐类别"),
    ("nominee_name", "  ", "请填写被推荐人姓名"),
    ("nominee_name", "王大妈13812345678", "不要填写电话"),
    ("nominee_name", "王" * 51, "不能超过50个字"),
    ("deed", "", "请填写主要事迹"),
    ("deed", "好" * 2001, "不能超过2000个字"),
])
def test_bad_nominations_name_the_field(panels, field, value, message):
    with pytest.raises(DomainError) as exc:
        nominate(panels, **{field: value})
    assert field in exc.value.fields and message in exc.value.fields[field][0]


def test_an_adopted_nomination_goes_on_the_honour_roll_a_rejected_one_does_not(panels):
    c = panels
    adopted, rejected = nominate(c), nominate(c, nominee_name="李四", kind="good_deed", deed="拾金不昧")
    decide(adopted.topic, "adopted", text="王大妈孝老爱亲事迹突出，评为孝老爱亲好人")
    decide(rejected.topic, "rejected")
    adopted.refresh_from_db()
    rejected.refresh_from_db()
    assert adopted.outcome == Outcome.ADOPTED and rejected.outcome == Outcome.REJECTED
    roll = list(selectors.honour_roll(village=c.village))
    assert [(e.nominee_name, e.kind) for e in roll] == [("王大妈", "filial")]
    assert roll[0].citation == "十年如一日照顾瘫痪在床的婆婆"  # what they did, as nominated
    assert AuditEntry.objects.filter(action="appraisal.honour").count() == 1
    # the signal again (a retried receiver) changes nothing
    from shanzhi.councils.models import Decision
    from shanzhi.councils.signals import topic_decided

    topic_decided.send(sender=Decision, decision=adopted.topic.decision, actor=None, now=None)
    assert HonourEntry.objects.count() == 1
    assert list(selectors.honour_roll(village=c.village2)) == []


def test_a_matter_topic_decided_is_not_the_panels_business(panels):
    from shanzhi.appraisal.tests.conftest import decide as decide_topic
    from shanzhi.councils.models import Topic
    from shanzhi.lib import clock

    now = clock.now()
    t = Topic.objects.create(council=panels.extra["panel"], number="T-1", title="修路", text="修路", created_at=now,
                             updated_at=now)
    decide_topic(t, "adopted")
    assert HonourEntry.objects.count() == 0


def test_complaint_hearing_and_decision(panels):
    c = panels
    comp = complain(c)
    assert comp.topic.kind == TopicKind.COMPLAINT and comp.topic.anonymous
    # the council's topic (shown on its lists and agendas) carries neither the person nor what happened
    assert "钱七" not in comp.topic.title and "钱七" not in comp.topic.text and "装修垃圾" not in comp.topic.text
    services.hearing_record(actor=c.extra["secretary"], complaint=comp, heard="钱七、张三", findings="属实",
                            proposed=Remedy.CORRECT, public_text="河边倾倒装修垃圾")
    comp.refresh_from_db()
    assert comp.heard == "钱七、张三" and comp.proposed == Remedy.CORRECT and comp.heard_by == c.extra["secretary"]
    decide(comp.topic, "adopted")
    comp.refresh_from_db()
    assert comp.decision == Remedy.CORRECT and comp.decided_at
    # no more changes to the hearing once decided
    with pytest.raises(DomainError) as exc:
        services.hearing_record(actor=c.extra["chair"], complaint=comp, heard="钱七", findings="x",
                                proposed=Remedy.EDUCATE)
    assert exc.value.code == "invalid_state"
    services.complaint_follow_up(actor=c.extra["chair"], complaint=comp, note="已清理并道歉", corrected=True)
    comp.refresh_from_db()
    assert comp.corrected and comp.follow_up == "已清理并道歉"


@pytest.mark.parametrize("outcome,remedy", [("rejected", Remedy.NOT_UPHELD), ("referred", Remedy.REFERRED)])
def test_a_complaint_not_adopted_is_not_upheld_or_referred(panels, outcome, remedy):
    c = panels
    comp = complain(c)
    decide(comp.topic, outcome)
    comp.refresh_from_db()
    assert comp.decision == remedy
    with pytest.raises(DomainError) as exc:  # nothing to follow up
        services.complaint_follow_up(actor=c.extra["chair"], complaint=comp, note="x")
    assert exc.value.code == "invalid_state"


def test_who_records_a_hearing(panels):
    c = panels
    comp = complain(c)
    args = {"complaint": comp, "heard": "钱七", "findings": "属实", "proposed": Remedy.EDUCATE}
    for ok in (c.extra["chair"], c.extra["secretary"], c.extra["cadre"], c.town_staff, c.admin):
        services.hearing_record(actor=ok, **args)
    with pytest.raises(PermissionDenied):  # an ordinary member sees it but does not run the panel
        services.hearing_record(actor=c.extra["member"], **args)
    with pytest.raises(PermissionDenied):  # a resident of the village sees the panel, does not run it
        services.hearing_record(actor=c.resident_user, **args)
    for hidden in (c.worker_a, c.worker_c, c.extra["other_resident"]):
        with pytest.raises(NotFound):
            services.hearing_record(actor=hidden, **args)


@pytest.mark.parametrize("field,value,message", [
    ("heard", "", "请填写听取意见的人员"),
    ("heard", "钱七 13812345678", "不要填写电话"),
    ("findings", " ", "请填写评议意见"),
    ("proposed", "jail", "批评教育或责令改正"),
    ("proposed", "not_upheld", "批评教育或责令改正"),
    ("heard_on", dt.date(2999, 1, 1), "不能晚于今天"),
    ("public_text", "钱七 身份证33042119900101123X", "不能含电话"),
])
def test_bad_hearings_name_the_field(panels, field, value, message):
    c = panels
    comp = complain(c)
    args = {"heard": "钱七", "findings": "属实", "proposed": Remedy.EDUCATE, field: value}
    with pytest.raises(DomainError) as exc:
        services.hearing_record(actor=c.extra["chair"], complaint=comp, **args)
    assert field in exc.value.fields and message in exc.value.fields[field][0]


@pytest.mark.parametrize("field,value,message", [
    ("kind", "murder", "请选择行为类别"),
    ("act", "", "请填写行为经过"),
    ("subject_name", "钱7", "只填写姓名"),
    ("occurred_on", dt.date(2999, 1, 1), "不能晚于今天"),
])
def test_bad_complaints_name_the_field(panels, field, value, message):
    with pytest.raises(DomainError) as exc:
        complain(panels, **{field: value})
    assert field in exc.value.fields and message in exc.value.fields[field][0]


def test_a_grid_worker_files_for_a_resident_of_their_grid_audited(panels):
    c = panels
    comp = complain(c, actor=c.worker_a, for_resident=c.resident)
    assert comp.topic.proxy == c.worker_a and comp.topic.author_resident == c.resident
    assert comp.topic.author_name == "张三"
    entry = AuditEntry.objects.get(action="appraisal.complaint_proxy")
    assert entry.actor == c.worker_a and entry.after["for_resident"] == c.resident.pk
    # not for a resident of grid B, and not in their own name
    with pytest.raises(DomainError) as exc:
        complain(c, actor=c.worker_a, for_resident=c.resident_b)
    assert "resident" in exc.value.fields
    with pytest.raises(NotFound):
        complain(c, actor=c.worker_a)
    # grid B's worker for a resident of grid A: the resident is out of their reach (the same 400)
    with pytest.raises(DomainError) as exc:
        complain(c, actor=c.worker_b, for_resident=c.resident)
    assert "resident" in exc.value.fields
    # the other town's worker sees nothing of the village
    with pytest.raises(NotFound):
        complain(c, actor=c.worker_c, for_resident=c.resident)
    with pytest.raises(PermissionDenied):  # town staff see the village but act for no resident
        complain(c, actor=c.town_staff, for_resident=c.resident)


def test_the_settings_are_the_county_admins(panels):
    c = panels
    conf = services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=False,
                                    show_text=True, show_decision=False)
    assert conf.blacklist_enabled and AuditEntry.objects.filter(action="appraisal.settings").exists()
    for who in (c.town_staff, c.worker_a, c.resident_user, c.extra["cadre"]):
        with pytest.raises(NotFound):
            services.settings_update(actor=who, county=c.county, blacklist_enabled=False, show_names=True,
                                     show_text=False, show_decision=False)
    with pytest.raises(DomainError) as exc:
        services.settings_update(actor=c.admin, county=c.town, blacklist_enabled=True, show_names=True,
                                 show_text=False, show_decision=False)
    assert "county" in exc.value.fields
    assert not services.settings_for(c.county).show_names


def _decided_complaint(c, **kw):
    comp = complain(c, **kw)
    services.hearing_record(actor=c.extra["chair"], complaint=comp, heard="钱七", findings="属实",
                            proposed=Remedy.EDUCATE, public_text="钱七在河边倾倒装修垃圾")
    decide(comp.topic, "adopted")
    comp.refresh_from_db()
    return comp


def test_the_blacklist_is_off_by_default(panels):
    c = panels
    _decided_complaint(c)
    with pytest.raises(NotFound):
        selectors.blacklist_rows(village=c.village)


def test_the_blacklist_shows_only_what_the_county_allows(panels):
    c = panels
    comp = _decided_complaint(c)
    not_upheld = complain(c, subject_name="孙八")
    decide(not_upheld.topic, "rejected")
    services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=False,
                             show_text=False, show_decision=False)
    rows = selectors.blacklist_rows(village=c.village)
    assert rows == [{"kind": "乱扔乱倒垃圾", "village": "新联村", "date": comp.decided_at}]
    services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=False,
                             show_text=True, show_decision=True)
    [row] = selectors.blacklist_rows(village=c.village)
    assert "钱七" not in str(row) and "某某在河边" in row["text"]
    assert row["decision"] == "批评教育"
    services.settings_update(actor=c.admin, county=c.county, blacklist_enabled=True, show_names=True,
                             show_text=True, show_decision=True)
    [row] = selectors.blacklist_rows(village=c.village)
    assert row["name"] == "钱七" and "钱七在河边" in row["text"]
    assert "孙八" not in str(selectors.blacklist_rows(village=c.village))


def test_the_desk_lists_are_scoped_both_ways(panels):
    c = panels
    here, there = complain(c), complain(c, actor=c.extra["other_resident"], village=c.village2)
    n_here = nominate(c)

    def ids(user):
        return {x.pk for x in selectors.complaint_list_for(user=user)}

    assert ids(c.admin) == {here.pk, there.pk}
    assert ids(c.town_staff) == {here.pk}
    assert ids(c.extra["member"]) == {here.pk}  # a member of the village's panel (a resident)
    assert ids(c.worker_a) == set() and ids(c.worker_c) == set() and ids(c.resident_user) == set()
    assert {x.pk for x in selectors.nomination_list_for(user=c.worker_c)} == set()
    with pytest.raises(NotFound):
        selectors.complaint_get_for(user=c.worker_c, pk=here.pk)
    with pytest.raises(NotFound):
        selectors.nomination_get_for(user=c.resident_user, pk=n_here.pk)
    assert selectors.nomination_get_for(user=c.extra["secretary"], pk=n_here.pk) == n_here
    # the author sees their own, with its state
    noms, comps = selectors.mine(user=c.resident_user)
    assert [n.pk for n in noms] == [n_here.pk] and [x.pk for x in comps] == [here.pk]
    assert Complaint.objects.count() == 2
