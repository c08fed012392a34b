"""Quorum, motions and ballots: who may vote, once, how a secret ballot is kept, and the majority rules."""

from __future__ import annotations

import pytest

from shanzhi.councils import services_meetings as svc
from shanzhi.councils.models import Ballot, CouncilType, Motion
from shanzhi.councils.tests.test_meetings_fixtures import *  # noqa: F403 - the fixtures
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

M = CouncilType.Majority

# rule, yes, present, members, passes
MAJORITY_TABLE = [
    (M.HALF_PRESENT, 3, 5, 9, True),
    (M.HALF_PRESENT, 2, 4, 9, False),  # exactly half is not more than half
    (M.HALF_PRESENT, 3, 4, 9, True),
    (M.HALF_PRESENT, 0, 0, 9, False),
    (M.HALF_MEMBERS, 5, 5, 9, True),
    (M.HALF_MEMBERS, 4, 4, 9, False),  # all present voted yes but not more than half of nine members
    (M.HALF_MEMBERS, 5, 9, 10, False),
    (M.HALF_MEMBERS, 6, 9, 10, True),
    (M.TWO_THIRDS_PRESENT, 4, 6, 9, True),  # two thirds exactly counts (三分之二以上)
    (M.TWO_THIRDS_PRESENT, 3, 5, 9, False),
    (M.TWO_THIRDS_PRESENT, 4, 5, 9, True),
    (M.TWO_THIRDS_MEMBERS, 6, 7, 9, True),
    (M.TWO_THIRDS_MEMBERS, 5, 7, 9, False),
    (M.TWO_THIRDS_MEMBERS, 7, 7, 10, True),
    (M.TWO_THIRDS_MEMBERS, 6, 7, 10, False),
]


@pytest.mark.parametrize(("rule", "yes", "present", "members", "passes"), MAJORITY_TABLE)
def test_majority_rules_table(rule, yes, present, members, passes):
    assert svc.majority_passes(rule, yes=yes, present=present, members=members) is passes


@pytest.mark.parametrize(("members", "percent", "needed"), [
    (4, 50, 3), (5, 50, 3), (9, 50, 5), (10, 50, 6), (9, 67, 7), (4, 100, 4), (1, 50, 1), (0, 50, 1), (7, 0, 1)])
def test_quorum_needs_more_than_the_share(members, percent, needed):
    assert svc.quorum_needed(members, percent) == needed


def test_no_motion_without_quorum(council, meeting):
    x = council.extra
    svc.meeting_open(actor=x["secretary"], meeting=meeting)
    svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=x["m_sec"])
    svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=x["m_zhang"])
    assert not svc.quorum_met(meeting)
    with pytest.raises(DomainError) as e:
        svc.motion_propose(actor=x["secretary"], meeting=meeting, text="修路灯", topic=x["topic"])
    assert e.value.code == "no_quorum"
    assert "法定人数" in str(e.value) and "50%" in str(e.value) and "须到会3人" in str(e.value)
    assert "quorum" in e.value.fields
    assert not Motion.objects.exists()


def test_a_former_member_does_not_count_for_the_quorum(council, meeting):
    x = council.extra
    svc.meeting_open(actor=x["secretary"], meeting=meeting)
    for m in (x["m_sec"], x["m_zhang"]):
        svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=m)
    former = x["council"].members.get(name="赵六")
    with pytest.raises(DomainError) as e:
        svc.attendance_mark(actor=x["secretary"], meeting=meeting, member=former)
    assert "member" in e.value.fields
    assert not svc.quorum_met(meeting)


def test_present_members_vote_once_each_and_the_rule_decides(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="同意修复村口路灯",
                                topic=x["topic"])
    svc.ballot_cast(actor=x["u_zhang"], motion=motion, choice="yes")
    svc.ballot_cast(actor=x["u_li"], motion=motion, choice="yes")
    svc.ballot_cast(actor=x["secretary"], motion=motion, choice="no")
    with pytest.raises(DomainError) as e:
        svc.ballot_cast(actor=x["u_zhang"], motion=motion, choice="no")
    assert e.value.code == "already_voted"
    assert Ballot.objects.filter(motion=motion).count() == 3
    assert Ballot.objects.get(motion=motion, member=x["m_zhang"]).choice == "yes"  # an open vote keeps the choice
    svc.motion_close(actor=x["secretary"], motion=motion)
    motion.refresh_from_db()
    assert (motion.yes, motion.no, motion.abstain, motion.present, motion.members) == (2, 1, 0, 3, 4)
    assert motion.result == "passed"


def test_an_absent_member_may_not_vote(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="同意修复村口路灯")
    with pytest.raises(PermissionDenied) as e:
        svc.ballot_cast(actor=x["u_wang"], motion=motion, choice="yes")  # 王五 did not check in
    assert e.value.code == "not_present"
    assert not Ballot.objects.exists()


def test_a_non_member_may_not_vote(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="同意修复村口路灯")
    # the village cadre sees the meeting but is not a member: refused (403)
    with pytest.raises(PermissionDenied) as e:
        svc.ballot_cast(actor=x["cadre"], motion=motion, choice="yes")
    assert e.value.code == "not_member"
    # a former member living in another village does not even see it: 404
    with pytest.raises(NotFound):
        svc.ballot_cast(actor=x["u_zhao"], motion=motion, choice="yes")
    # the other village's cadre: 404
    with pytest.raises(NotFound):
        svc.ballot_cast(actor=x["cadre2"], motion=motion, choice="yes")
    assert not Ballot.objects.exists()


def test_a_secret_ballot_stores_no_choice(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="推选李梅为副主任", secret=True)
    svc.ballot_cast(actor=x["u_zhang"], motion=motion, choice="no")
    svc.ballot_cast(actor=x["u_li"], motion=motion, choice="abstain")
    svc.ballot_cast(actor=x["secretary"], motion=motion, choice="yes")
    assert set(Ballot.objects.filter(motion=motion).values_list("choice", flat=True)) == {""}
    svc.motion_close(actor=x["secretary"], motion=motion)
    motion.refresh_from_db()
    assert (motion.yes, motion.no, motion.abstain) == (1, 1, 1)
    assert motion.result == "failed"
    from shanzhi.audit.models import AuditEntry

    cast = AuditEntry.objects.filter(action="councils.ballot_cast")
    assert cast.count() == 3 and not any("choice" in (a.after or {}) for a in cast)


def test_secret_by_default_when_the_type_says_so(council, open_meeting):
    x = council.extra
    ctype = x["council"].type
    ctype.secret_ballot = True
    ctype.save()
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="评议")
    assert motion.secret


def test_show_of_hands_counts_cannot_exceed_present(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="同意修复村口路灯")
    with pytest.raises(DomainError) as e:
        svc.motion_show_of_hands(actor=x["secretary"], motion=motion, yes=3, no=1, abstain=0)
    assert "yes" in e.value.fields and "超过到会成员人数3" in str(e.value)
    for bad in ("-1", "abc", None, "2.5"):
        with pytest.raises(DomainError) as e:
            svc.motion_show_of_hands(actor=x["secretary"], motion=motion, yes=bad, no=0, abstain=0)
        assert "yes" in e.value.fields
    svc.motion_show_of_hands(actor=x["secretary"], motion=motion, yes=2, no=0, abstain=1)
    motion.refresh_from_db()
    assert motion.by_show_of_hands and motion.result == "passed" and motion.closed_at is not None
    with pytest.raises(DomainError) as e:
        svc.ballot_cast(actor=x["u_zhang"], motion=motion, choice="yes")
    assert e.value.code == "invalid_state"


def test_only_officers_and_cadres_run_the_vote(council, open_meeting):
    x = council.extra
    with pytest.raises(PermissionDenied):
        svc.motion_propose(actor=x["u_zhang"], meeting=open_meeting, text="我提议")  # an ordinary member
    with pytest.raises(NotFound):
        svc.motion_propose(actor=x["cadre2"], meeting=open_meeting, text="我提议")
    with pytest.raises(NotFound):
        svc.motion_propose(actor=council.worker_c, meeting=open_meeting, text="我提议")
    motion = svc.motion_propose(actor=x["cadre"], meeting=open_meeting, text="村干部提请表决")
    with pytest.raises(PermissionDenied):
        svc.motion_close(actor=x["u_li"], motion=motion)


def test_a_bad_choice_is_named(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="表决")
    with pytest.raises(DomainError) as e:
        svc.ballot_cast(actor=x["u_zhang"], motion=motion, choice="maybe")
    assert "choice" in e.value.fields
    with pytest.raises(DomainError) as e:
        svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="   ")
    assert "text" in e.value.fields


def test_no_vote_after_the_motion_closed(council, open_meeting):
    x = council.extra
    motion = svc.motion_propose(actor=x["secretary"], meeting=open_meeting, text="表决")
    svc.motion_close(actor=x["secretary"], motion=motion)
    with pytest.raises(DomainError) as e:
        svc.ballot_cast(actor=x["u_zhang"], motion=motion, choice="yes")
    assert e.value.code == "invalid_state"
