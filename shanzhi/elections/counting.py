"""The statutory counting rules (村民委员会组织法 art. 34 and the Zhejiang election rules), as pure functions.

Nothing here reads the database: the tally entry (`elections.tally`) and the result (`elections.results`) give
the counts, these functions answer with structured results and their Chinese reasons, and the table tests in
`tests/test_counting.py` pin every rule.

The rules, as implemented:

* **Ballots over voters** — an election in which more ballots are returned than voters took part (投票人数)
  is void (每次选举所投的票数，多于投票人数的无效). `tally_void`.
* **Over-marked ballot** — a ballot naming more people than the seats for any position is invalid as a whole
  (所选人数多于应选人数的选票无效); the same person marked twice for one position counts once; a ballot
  with no mark at all is blank (空白票), a valid ballot that gives nobody a vote. `ballot_check`.
* **Valid election** — more than half of the registered voters took part (有登记参加选举的村民过半数投票).
  `election_valid`. The same rule applies to a further round.
* **Elected in the first round** — more than half of the votes of those who took part (获得参加投票的村民过半数
  的选票), the most voted first, position by position (主任, 副主任, 委员). Someone elected to a higher
  position is not counted for a lower one (their votes there are set aside).
* **Ties at the last seat** — when people over the threshold tie for the last seat(s) and not all of them fit,
  none of the tied is elected; the seat(s) go to a further round with them among its candidates.
* **Further round (另行选举)** — the empty seats are elected again; its candidates are those not elected with
  the most votes in the round before (one more than the empty seats, and everyone tied at the cut); the most
  voted win provided they have at least one third of the ballots cast in it (不得少于已投选票数的三分之一).
* **Women's seat (妇女名额; common Zhejiang practice)** — at least `min_women` women among all those elected.
  When a round leaves fewer, the last elected man among the members (委员, the fewest votes) gives his seat to
  the woman with the most member votes who is not elected and meets the round's threshold (note 妇女名额);
  when no woman meets it, that member seat is left empty and reserved for a woman in the further round
  (另行选举妇女委员), the man it was taken from becoming a candidate again. If no man holds a member seat, an
  empty member seat is reserved instead. In a further round a reserved seat may only go to a woman.
* **Vacancies (暂缺)** — after a further round, when at least three people are elected in all, the seats
  still empty stay vacant (不足的名额可以暂缺); otherwise another further round is held.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CHAIR, VICE_CHAIR, MEMBER = "chair", "vice_chair", "member"
POSITIONS = (CHAIR, VICE_CHAIR, MEMBER)  # the order positions are decided in
POSITION_NAMES = {CHAIR: "主任", VICE_CHAIR: "副主任", MEMBER: "委员"}
FEMALE = "F"
MIN_ELECTED_FOR_VACANCY = 3

NOTE_ELECTED = "当选"
NOTE_MAJORITY = "未获得参加投票的选民过半数选票"
NOTE_THIRD = "得票未达已投选票数的三分之一"
NOTE_TIE = "票数相等，进入另行选举"
NOTE_OUT = "得票较少，未当选"
NOTE_HIGHER = "已当选较高职位，本职位得票不计"
NOTE_WOMAN_IN = "按妇女名额当选"
NOTE_WOMAN_OUT = "让出名额给妇女候选人，未当选"
NOTE_WOMAN_RESERVED = "名额保留给妇女，另行选举"
NOTE_WOMEN_ONLY = "该名额须选妇女"
NOTE_FURTHER = "另行选举候选人"


# ---- one ballot ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BallotCheck:
    valid: bool
    blank: bool
    reasons: tuple[str, ...] = ()
    marks: Mapping[str, tuple] = field(default_factory=dict)  # position -> the people counted, duplicates removed


def ballot_check(marks: Mapping[str, Iterable[Hashable]], seats: Mapping[str, int]) -> BallotCheck:
    """Decide one ballot from its marks (position -> people marked): invalid when it names more people than
    the seats of any position (or marks a position with no seats); blank when it marks nobody."""
    counted: dict[str, tuple] = {}
    reasons: list[str] = []
    for position, people in marks.items():
        unique = tuple(dict.fromkeys(people))
        counted[position] = unique
        allowed = seats.get(position, 0)
        name = POSITION_NAMES.get(position, position)
        if len(unique) > allowed:
            reasons.append(f"{name}应选{allowed}名，选票选了{len(unique)}名，多于应选人数，选票无效")
    if reasons:
        return BallotCheck(valid=False, blank=False, reasons=tuple(reasons), marks=counted)
    blank = not any(counted.values())
    return BallotCheck(valid=True, blank=blank, reasons=("空白票",) if blank else (), marks=counted)


# ---- the whole election --------------------------------------------------------------------------------

def tally_void(returned: int, participated: int) -> str:
    """The reason the election is void when more ballots were returned than voters took part, else ''."""
    if returned > participated:
        return f"收回选票{returned}张，多于投票人数{participated}人，选举无效"
    return ""


def election_valid(registered: int, participated: int) -> str:
    """'' when more than half of the registered voters took part, else the reason the election failed."""
    if participated * 2 > registered:
        return ""
    return f"参加投票{participated}人，未超过登记选民{registered}人的半数，选举无效"


def meets(votes: int, *, participated: int, returned: int, further: bool) -> bool:
    """The first round: more than half of those who took part; a further round: at least one third of the
    ballots cast in it."""
    if further:
        return votes > 0 and votes * 3 >= returned
    return votes * 2 > participated


@dataclass(frozen=True)
class Person:
    key: Hashable  # a voter id (the candidate's or a write-in's roll entry)
    name: str
    sex: str
    votes: int


@dataclass
class Line:
    position: str
    key: Hashable
    name: str
    sex: str
    votes: int
    elected: bool = False
    note: str = ""
    further_candidate: bool = False


@dataclass
class PositionResult:
    position: str
    seats: int
    lines: list[Line]
    unfilled: int = 0  # seats to elect again (or left vacant)
    women_only: int = 0  # of the unfilled seats, reserved for a woman

    @property
    def elected(self) -> list[Line]:
        return [line for line in self.lines if line.elected]


@dataclass
class Outcome:
    valid: bool
    reason: str  # why the election (or round) is void; '' when valid
    positions: dict[str, PositionResult]
    further: bool  # a further round is needed
    vacant: int  # seats left vacant (暂缺) with no further round
    notes: list[str]

    @property
    def elected(self) -> list[Line]:
        return [line for p in self.positions.values() for line in p.elected]

    @property
    def unfilled(self) -> int:
        return sum(p.unfilled for p in self.positions.values())


def _order(people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda p: (-p.votes, str(p.key)))


def _elect(candidates: list[Person], seats: int, threshold) -> tuple[list[Person], list[Person]]:
    """The most voted over the threshold win up to `seats`; those tied at the last seat who do not all fit
    are set aside (returned as the tied list) and their seats stay empty."""
    over = [p for p in candidates if threshold(p.votes)]
    if len(over) <= seats:
        return over, []
    cut = over[seats - 1].votes if seats else None
    if seats and over[seats].votes == cut:
        return [p for p in over if p.votes > cut], [p for p in over if p.votes == cut]
    return over[:seats], []


def count(*, registered: int, participated: int, returned: int, seats: Mapping[str, int],
          votes: Mapping[str, Sequence[Person]], min_women: int = 0, further: bool = False,
          already_elected: Sequence[Person] = (), women_reserved: int = 0, ballot_round: int = 1) -> Outcome:
    """Count a round. `seats` are the seats this round elects per position (the empty ones in a further round);
    `votes` the summed votes per position; `already_elected` those elected in earlier rounds (for the women's
    rule, and to keep them out); `women_reserved` member seats of a further round that only a woman may take."""
    notes: list[str] = []
    void = tally_void(returned, participated) or election_valid(registered, participated)
    if void:
        return Outcome(valid=False, reason=void, positions={}, further=False, vacant=0, notes=[void])

    def threshold(n: int) -> bool:
        return meets(n, participated=participated, returned=returned, further=further)

    taken: set = {p.key for p in already_elected}
    results: dict[str, PositionResult] = {}
    for position in POSITIONS:
        n = seats.get(position, 0)
        people = _order(votes.get(position, ()))
        lines = {p.key: Line(position, p.key, p.name, p.sex, p.votes) for p in people}
        if n <= 0 and not people:
            continue
        eligible = [p for p in people if p.key not in taken]
        for p in people:
            if p.key in taken:
                lines[p.key].note = NOTE_HIGHER
        reserved = min(women_reserved, n) if position == MEMBER else 0
        open_seats, women_seats = n - reserved, reserved
        won, tied = _elect(eligible, open_seats, threshold)
        if women_seats:
            women = [p for p in eligible if p.sex == FEMALE and p not in won and p not in tied]
            won_w, tied_w = _elect(women, women_seats, threshold)
            won += won_w
            tied += tied_w
            for p in won_w:
                lines[p.key].note = NOTE_WOMAN_IN
        for p in won:
            lines[p.key].elected = True
            lines[p.key].note = lines[p.key].note or NOTE_ELECTED
            taken.add(p.key)
        for p in tied:
            lines[p.key].note = NOTE_TIE
        for p in eligible:
            line = lines[p.key]
            if not line.elected and not line.note:
                line.note = NOTE_OUT if threshold(p.votes) else (NOTE_THIRD if further else NOTE_MAJORITY)
        pr = PositionResult(position, n, list(lines.values()))
        pr.unfilled = n - len(won)
        pr.women_only = women_seats - sum(1 for p in won if lines[p.key].note == NOTE_WOMAN_IN)
        if tied:
            notes.append(f"{POSITION_NAMES[position]}：{'、'.join(p.name for p in tied)}票数相等，"
                         f"该名额另行选举")
        results[position] = pr

    _women_rule(results, already_elected, min_women, threshold, notes)

    elected_total = len(already_elected) + sum(len(p.elected) for p in results.values())
    unfilled = sum(p.unfilled for p in results.values())
    vacant = 0
    needs_further = unfilled > 0
    women_pending = sum(p.women_only for p in results.values())
    if needs_further and further and elected_total >= MIN_ELECTED_FOR_VACANCY and not women_pending:
        vacant, needs_further = unfilled, False
        notes.append(f"另行选举后当选{elected_total}人，已达{MIN_ELECTED_FOR_VACANCY}人以上，不足的{unfilled}个名额暂缺")
    if needs_further:
        for pr in results.values():
            _mark_further(pr)
        notes.append(f"当选人数不足应选名额，{unfilled}个名额另行选举")
    return Outcome(valid=True, reason="", positions=results, further=needs_further, vacant=vacant, notes=notes)


def _women_rule(results: dict[str, PositionResult], already: Sequence[Person], min_women: int, threshold,
                notes: list[str]) -> None:
    women = sum(1 for p in already if p.sex == FEMALE) + sum(
        1 for pr in results.values() for line in pr.elected if line.sex == FEMALE)
    pending = sum(pr.women_only for pr in results.values())
    short = min_women - women - pending
    members = results.get(MEMBER)
    while short > 0 and members is not None:
        men = [line for line in members.elected if line.sex != FEMALE]
        elected_keys = {line.key for pr in results.values() for line in pr.elected} | {p.key for p in already}
        woman = next((line for line in sorted(members.lines, key=lambda x: (-x.votes, str(x.key)))
                      if line.sex == FEMALE and line.key not in elected_keys and threshold(line.votes)), None)
        if men:
            last = min(men, key=lambda x: (x.votes, str(x.key)))
            last.elected = False
            if woman is not None:
                last.note = NOTE_WOMAN_OUT
                woman.elected, woman.note = True, NOTE_WOMAN_IN
                notes.append(f"当选人中妇女不足{min_women}名，{woman.name}按妇女名额当选委员，{last.name}未当选")
            else:
                last.note = NOTE_WOMAN_RESERVED
                members.unfilled += 1
                members.women_only += 1
                notes.append(f"当选人中妇女不足{min_women}名且无妇女得票达到当选票数，"
                             f"一个委员名额另行选举妇女委员")
        elif members.unfilled > members.women_only:
            members.women_only += 1
            notes.append("当选人中妇女不足，空缺的委员名额中一个须另行选举妇女委员")
        else:
            notes.append(f"当选人中妇女不足{min_women}名，且无委员名额可以调整")
            break
        short -= 1


def _mark_further(pr: PositionResult) -> None:
    """The further round's candidates for a position: the not elected with the most votes, one more than the
    empty seats, everyone tied at the cut included; for seats reserved to women, the women among them too."""
    if pr.unfilled <= 0:
        return
    rest = [line for line in sorted(pr.lines, key=lambda x: (-x.votes, str(x.key)))
            if not line.elected and line.note != NOTE_HIGHER]
    want = pr.unfilled + 1
    chosen = rest[:want]
    if chosen and len(rest) > want:
        chosen += [line for line in rest[want:] if line.votes == chosen[-1].votes]
    if pr.women_only:
        women = [line for line in rest if line.sex == FEMALE]
        chosen += [w for w in women[:pr.women_only + 1] if w not in chosen]
    for line in chosen:
        line.further_candidate = True
