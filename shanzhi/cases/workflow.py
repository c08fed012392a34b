"""The case state machine: which action may run from which status, and where it leads."""

from __future__ import annotations

from shanzhi.cases.models import OPEN_STATUSES, Status

S = Status
_ACTIVE = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING)

# action: (allowed from, to status or None to keep, permission, label)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None, str, str]] = {
    "accept": ((S.REPORTED,), S.ACCEPTED, "cases.handle", "受理"),
    "dispatch": ((S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING), S.DISPATCHED, "cases.dispatch", "派遣"),
    "start": ((S.ACCEPTED, S.DISPATCHED), S.HANDLING, "cases.handle", "开始处置"),
    "report_back": ((S.HANDLING,), S.HANDLED, "cases.handle", "处置反馈"),
    "verify": ((S.HANDLED,), S.VERIFIED, "cases.verify", "核查"),
    "verify_fail": ((S.HANDLED,), S.HANDLING, "cases.verify", "核查不通过"),
    "close": ((S.VERIFIED,), S.CLOSED, "cases.verify", "结案"),
    "rate": ((S.CLOSED,), S.RATED, "reporter", "评价"),
    "reopen": ((S.CLOSED, S.RATED), S.DISPATCHED, "cases.dispatch", "返工"),
    "return": ((S.DISPATCHED, S.HANDLING), S.ACCEPTED, "cases.handle", "退回"),
    "escalate": (_ACTIVE, S.ACCEPTED, "cases.handle", "上报上级"),
    "extension_request": ((S.ACCEPTED, S.DISPATCHED, S.HANDLING), None, "cases.handle", "申请延期"),
    "extension_approve": (OPEN_STATUSES, None, "cases.supervise", "批准延期"),
    "extension_refuse": (OPEN_STATUSES, None, "cases.supervise", "驳回延期"),
    "supervise": (OPEN_STATUSES, None, "cases.supervise", "督办"),
    "park": (_ACTIVE, S.PARKED, "cases.dispatch", "挂账"),
    "unpark": ((S.PARKED,), S.ACCEPTED, "cases.dispatch", "解除挂账"),
    "void": ((S.REPORTED, S.ACCEPTED), S.VOID, "cases.dispatch", "作废"),
    "duplicate": ((S.REPORTED, S.ACCEPTED, S.DISPATCHED), S.DUPLICATE, "cases.dispatch", "合并重复"),
    # Extension steps other modules drive (mediation, campaigns, councils...) with their own action as the
    # authority on the handling unit (see services.case_annotate / case_transfer / case_conclude).
    "annotate": (tuple(S), None, "cases.handle", "记录"),
    "transfer": (_ACTIVE, None, "cases.handle", "转交"),
    "conclude": (OPEN_STATUSES, S.CLOSED, "cases.handle", "办结"),
}

# Steps of the loop itself (buttons on the case page, API actions); the rest are extension steps.
EXTENSION_STEPS = ("annotate", "transfer", "conclude")
LOOP_ACTIONS = tuple(a for a in TRANSITIONS if a not in EXTENSION_STEPS)


def allowed_from(action: str) -> tuple[str, ...]:
    return TRANSITIONS[action][0]


def permission(action: str) -> str:
    """The scope action a step needs on the handling unit ("reporter": only the case's reporter)."""
    return TRANSITIONS[action][2]


def label(action: str) -> str:
    return TRANSITIONS[action][3]


def check(action: str, status: str) -> None:
    """Raise DomainError when `action` is not allowed from `status`."""
    from shanzhi.lib.errors import DomainError

    allowed, _, _, label = TRANSITIONS[action]
    if status not in allowed:
        names = "、".join(Status(s).label for s in allowed)
        raise DomainError(f"当前状态“{Status(status).label}”不能{label}（仅限：{names}）", code="invalid_transition")


def actions_for_status(status: str) -> list[str]:
    """The loop's steps allowed from `status` (extension steps are not buttons)."""
    return [a for a in LOOP_ACTIONS if status in TRANSITIONS[a][0]]
