"""The statutory counting rules as tables (pure functions, no database)."""

import pytest

from shanzhi.elections.counting import (
    NOTE_HIGHER,
    NOTE_MAJORITY,
    NOTE_THIRD,
    NOTE_TIE,
    NOTE_WOMAN_IN,
    NOTE_WOMAN_OUT,
    NOTE_WOMAN_RESERVED,
    Person,
    ballot_check,
    count,
    election_valid,
    meets,
    tally_void,
)

SEATS = {"chair": 1, "vice_chair": 1, "member": 3}


@pytest.mark.parametrize(("marks", "valid", "blank", "reason"), [
    ({"chair": [1], "vice_chair": [2], "member": [3, 4, 5]}, True, False, ""),
    ({"chair": [1], "member": [3]}, True, False, ""),  # fewer than the seats: valid
    ({"chair": [1, 2]}, False, False, "主任应选1名，选票选了2名"),
    ({"chair": [1], "member": [3, 4, 5, 6]}, False, False, "委员应选3名，选票选了4名"),
    ({"chair": [1, 1]}, True, False, ""),  # the same person twice counts once
    ({"chair": [], "member": []}, True, True, "空白票"),
    ({}, True, True, "空白票"),
    ({"secretary": [1]}, False, False, "secretary应选0名"),
])
def test_ballot_check(marks, valid, blank, reason):
    got = ballot_check(marks, SEATS)
    assert (got.valid, got.blank) == (valid, blank)
    assert reason in "".join(got.reasons)


@pytest.mark.parametrize(("returned", "participated", "void"), [
    (100, 100, False), (99, 100, False), (101, 100, True), (0, 0, False), (1, 0, True)])
def test_more_ballots_than_voters_voids(returned, participated, void):
    reason = tally_void(returned, participated)
    assert bool(reason) is void
    if void:
        assert "多于投票人数" in reason and "选举无效" in reason


@pytest.mark.parametrize(("registered", "participated", "valid"), [
    (100, 51, True), (100, 50, False), (101, 51, True), (101, 50, False), (1, 1, True), (0, 0, False)])
def test_more_than_half_of_registered_voters(registered, participated, valid):
    reason = election_valid(registered, participated)
    assert (reason == "") is valid
    if not valid:
        assert "未超过登记选民" in reason


@pytest.mark.parametrize(("votes", "participated", "returned", "further", "ok"), [
    (51, 100, 100, False, True), (50, 100, 100, False, False), (34, 100, 100, True, True),
    (33, 100, 99, True, True), (33, 100, 100, True, False), (0, 0, 0, True, False)])
def test_thresholds(votes, participated, returned, further, ok):
    assert meets(votes, participated=participated, returned=returned, further=further) is ok


def P(key, votes, sex="M", name=None):
    return Person(key=key, name=name or f"人{key}", sex=sex, votes=votes)


def run(votes, *, seats=SEATS, participated=100, registered=150, returned=None, min_women=1, **kw):
    return count(registered=registered, participated=participated,
                 returned=participated if returned is None else returned, seats=seats, votes=votes,
                 min_women=min_women, **kw)


def elected(outcome):
    return {(line.position, line.key) for line in outcome.elected}


def test_first_round_all_elected_most_votes_first():
    o = run({"chair": [P(1, 80), P(2, 20)], "vice_chair": [P(3, 60), P(4, 40)],
             "member": [P(5, 70, "F"), P(6, 65), P(7, 55), P(8, 52)]})
    assert o.valid and not o.further and o.vacant == 0
    assert elected(o) == {("chair", 1), ("vice_chair", 3), ("member", 5), ("member", 6), ("member", 7)}
    assert next(line for line in o.positions["member"].lines if line.key == 8).note == "得票较少，未当选"


@pytest.mark.parametrize(("registered", "participated", "returned", "reason"), [
    (150, 75, 75, "未超过登记选民150人的半数"),
    (150, 100, 101, "多于投票人数"),
])
def test_void_elections(registered, participated, returned, reason):
    o = run({"chair": [P(1, 90)]}, registered=registered, participated=participated, returned=returned)
    assert not o.valid and reason in o.reason and not o.elected


def test_majority_not_reached_goes_to_further_round_with_candidates():
    o = run({"chair": [P(1, 50), P(2, 45), P(3, 5)], "vice_chair": [P(4, 60)],
             "member": [P(5, 70, "F"), P(6, 65), P(7, 55)]})
    chair = o.positions["chair"]
    assert chair.unfilled == 1 and o.further
    assert [line.note for line in chair.lines] == [NOTE_MAJORITY] * 3
    # the further round's candidates: the most voted, one more than the empty seats
    assert [line.key for line in chair.lines if line.further_candidate] == [1, 2]


def test_tie_at_the_last_seat_elects_no_one_of_the_tied():
    o = run({"chair": [P(1, 90)], "vice_chair": [P(2, 90)],
             "member": [P(5, 80, "F"), P(6, 70), P(7, 60), P(8, 60), P(9, 10)]})
    members = o.positions["member"]
    assert elected(o) >= {("member", 5), ("member", 6)} and not elected(o) & {("member", 7), ("member", 8)}
    assert members.unfilled == 1 and o.further
    assert {line.key for line in members.lines if line.note == NOTE_TIE} == {7, 8}
    assert {line.key for line in members.lines if line.further_candidate} == {7, 8}
    assert any("票数相等" in n for n in o.notes)


def test_tie_that_fits_elects_both():
    o = run({"chair": [P(1, 90)], "vice_chair": [P(2, 90)], "member": [P(5, 80, "F"), P(6, 60), P(7, 60)]})
    assert elected(o) >= {("member", 6), ("member", 7)} and not o.further


def test_elected_to_a_higher_position_is_not_counted_lower():
    o = run({"chair": [P(1, 90)], "vice_chair": [P(1, 70), P(2, 60)],
             "member": [P(5, 80, "F"), P(6, 60), P(7, 60), P(1, 99)]})
    assert ("vice_chair", 2) in elected(o) and ("vice_chair", 1) not in elected(o)
    assert next(line for line in o.positions["vice_chair"].lines if line.key == 1).note == NOTE_HIGHER


@pytest.mark.parametrize(("woman_votes", "in_by_rule"), [(58, True), (40, False)])
def test_womens_seat(woman_votes, in_by_rule):
    o = run({"chair": [P(1, 90)], "vice_chair": [P(2, 90)],
             "member": [P(5, 80), P(6, 70), P(7, 60), P(8, woman_votes, "F")]})
    members = {line.key: line for line in o.positions["member"].lines}
    assert members[7].elected is False  # the last elected man gives way
    if in_by_rule:
        assert members[8].elected and members[8].note == NOTE_WOMAN_IN and members[7].note == NOTE_WOMAN_OUT
        assert not o.further
    else:
        assert not members[8].elected and members[7].note == NOTE_WOMAN_RESERVED
        assert o.positions["member"].unfilled == 1 and o.positions["member"].women_only == 1 and o.further
        assert members[8].further_candidate and members[7].further_candidate


def test_woman_elected_to_another_position_counts():
    o = run({"chair": [P(1, 90, "F")], "vice_chair": [P(2, 90)],
             "member": [P(5, 80), P(6, 70), P(7, 60)]})
    assert len(o.elected) == 5 and not o.further


def test_no_women_rule_when_min_is_zero():
    o = run({"chair": [P(1, 90)], "vice_chair": [P(2, 90)], "member": [P(5, 80), P(6, 70), P(7, 60)]},
            min_women=0)
    assert len(o.elected) == 5


def test_further_round_one_third_of_ballots_cast():
    already = [P(1, 90), P(2, 90, "F"), P(5, 80), P(6, 70)]
    seats = {"member": 1}
    o = run({"member": [P(7, 35), P(8, 30)]}, seats=seats, participated=100, returned=99, further=True,
            already_elected=already, ballot_round=2)
    assert elected(o) == {("member", 7)} and not o.further and o.vacant == 0
    o = run({"member": [P(7, 32), P(8, 30)]}, seats=seats, participated=100, returned=99, further=True,
            already_elected=already, ballot_round=2)
    assert not o.elected and o.vacant == 1 and not o.further  # 4 elected (>= 3): the seat stays vacant
    assert o.positions["member"].lines[0].note == NOTE_THIRD
    assert any("暂缺" in n for n in o.notes)


def test_further_round_with_fewer_than_three_elected_goes_again():
    o = run({"member": [P(7, 20), P(8, 10)]}, seats={"member": 2}, further=True, already_elected=[P(1, 90, "F")],
            ballot_round=2)
    assert o.further and o.positions["member"].unfilled == 2


def test_further_round_reserved_seat_goes_only_to_a_woman():
    already = [P(1, 90), P(2, 90), P(5, 80), P(6, 70)]
    o = run({"member": [P(7, 60), P(8, 40, "F")]}, seats={"member": 1}, further=True, already_elected=already,
            women_reserved=1, ballot_round=2)
    assert elected(o) == {("member", 8)}
    assert next(line for line in o.positions["member"].lines if line.key == 8).note == NOTE_WOMAN_IN
    o = run({"member": [P(7, 60), P(8, 20, "F")]}, seats={"member": 1}, further=True, already_elected=already,
            women_reserved=1, ballot_round=2)
    assert not o.elected and o.further and o.positions["member"].women_only == 1  # never a vacancy for a woman
