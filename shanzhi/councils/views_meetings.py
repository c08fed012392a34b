"""Pages of council meetings, votes and decisions.

Members (phone): my councils' upcoming meetings, a meeting's agenda, check-in and vote. Desk (a council's
officers, cadres): meetings, a meeting's page with agenda, attendance, quorum, motions, decisions, minutes and
closing; a decision's follow-through. Residents of the village: public meetings and published decisions.
Thin: reads through selectors_meetings, every write and every check of who may act in services_meetings.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_POST

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.cases.models import Category
from shanzhi.councils import access
from shanzhi.councils import files as meeting_files
from shanzhi.councils import forms_meetings as f
from shanzhi.councils import selectors_meetings as sel
from shanzhi.councils import services_meetings as svc
from shanzhi.councils.models import (
    Council,
    Decision,
    DecisionOutcome,
    Meeting,
    MeetingStatus,
    Motion,
    TopicStatus,
)
from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.views import user_page

# Labels stored as plain Chinese in the models: listed so the catalog carries them.
LABELS = (
    gettext_noop("已安排"), gettext_noop("进行中"), gettext_noop("已结束"), gettext_noop("已取消"),
    gettext_noop("扫码签到"), gettext_noop("秘书登记"), gettext_noop("未表决"), gettext_noop("通过"),
    gettext_noop("未通过"), gettext_noop("赞成"), gettext_noop("反对"), gettext_noop("弃权"), gettext_noop("否决"),
    gettext_noop("转交办理"), gettext_noop("主任"), gettext_noop("副主任"), gettext_noop("秘书"), gettext_noop("成员"),
    gettext_noop("已提出"), gettext_noop("已受理"), gettext_noop("不予受理"), gettext_noop("已列入议程"),
    gettext_noop("已审议"), gettext_noop("已决定"), gettext_noop("办理中"), gettext_noop("已办结"),
)
MEETING_ACTIONS = {
    "open": gettext_lazy("开始会议"), "move": gettext_lazy("会议改期"), "cancel": gettext_lazy("取消会议"), "close": gettext_lazy("结束会议"),
    "agenda_add": gettext_lazy("列入议程"), "agenda_remove": gettext_lazy("移出议程"),
    "attend": gettext_lazy("登记到会"), "motion": gettext_lazy("提请表决"), "hands": gettext_lazy("登记举手表决"),
    "motion_close": gettext_lazy("结束表决"), "decide": gettext_lazy("作出决定"),
}
DECISION_ACTIONS = {
    "case": gettext_lazy("转为诉求办理"), "task": gettext_lazy("交办任务"), "task_done": gettext_lazy("任务完成"),
    "progress": gettext_lazy("更新进度"),
}
LIST_LIMIT = 100


def _apply(exc: DomainError, form) -> None:
    """A service's refusal on the form: on the fields it names that the form has, else the whole message."""
    placed = False
    for field, msgs in exc.fields.items():
        if field in form.fields:
            for m in msgs:
                form.add_error(field, m)
            placed = True
    if not placed:
        form.add_error(None, str(exc))


def _meeting(user, pk) -> Meeting:
    return sel.meeting_get_for(user=user, pk=pk)


# ---- members ------------------------------------------------------------------------------------

@user_page
@require_GET
def my_meetings(request: HttpRequest) -> HttpResponse:
    """My councils' planned and open meetings, soonest first."""
    user = request.user
    return render(request, "councils/meeting_mine.html", {
        "meetings": list(sel.upcoming_for_member(user=user)[:LIST_LIMIT]), "councils": list(sel.my_councils(user=user)),
    })


def _open_motion(meeting: Meeting) -> Motion | None:
    return meeting.motions.filter(closed_at__isnull=True).select_related("topic").order_by("-id").first()


def _member_page(request: HttpRequest, meeting: Meeting, *, code_form=None, vote_form=None,
                 status: int = 200) -> HttpResponse:
    user = request.user
    member = access.member_for(user, meeting.council)
    present = member is not None and meeting.attendance.filter(member=member).exists()
    motion = _open_motion(meeting) if meeting.status == MeetingStatus.OPEN else None
    voted = motion is not None and member is not None and motion.ballots.filter(member=member).exists()
    return render(request, "councils/meeting_member.html", {
        "meeting": meeting, "member": member, "present": present, "agenda": sel.agenda_of(meeting),
        "place": svc.place_of(meeting), "motion": motion, "voted": voted,
        "code_form": code_form or f.CodeForm(), "vote_form": vote_form or f.VoteForm(
            initial={"motion": motion.pk if motion else None}),
        "may_run": access.may_run(user, meeting.council),
    }, status=status)


@user_page
@require_GET
def meeting_member(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting on the member's phone: time, place, agenda, check-in and the vote under way."""
    return _member_page(request, _meeting(request.user, pk))


@user_page
def meeting_checkin(request: HttpRequest) -> HttpResponse:
    """The QR code's link (`?t=<token>`): a confirm button; posting checks the member in."""
    token = (request.POST.get("t") if request.method == "POST" else request.GET.get("t")) or ""
    meeting = sel.meeting_by_token(user=request.user, token=token)
    if request.method == "POST":
        try:
            svc.meeting_check_in(actor=request.user, meeting=meeting, token=token)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            return render(request, "councils/meeting_checkin.html", {"meeting": meeting, "token": token,
                                                                     "error": str(exc)}, status=400)
        messages.success(request, _("签到成功"))
        return redirect("councils:meeting_member", meeting.pk)
    return render(request, "councils/meeting_checkin.html", {"meeting": meeting, "token": token})


@user_page
@require_POST
def meeting_checkin_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in by typing the short code shown at the venue."""
    meeting = _meeting(request.user, pk)
    form = f.CodeForm(request.POST)
    if form.is_valid():
        try:
            svc.meeting_check_in(actor=request.user, meeting=meeting, code=form.cleaned_data["code"])
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            _apply(exc, form)
        else:
            messages.success(request, _("签到成功"))
            return redirect("councils:meeting_member", meeting.pk)
    return _member_page(request, meeting, code_form=form, status=400)


@user_page
@require_POST
def meeting_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """A present member's ballot on the motion under way."""
    meeting = _meeting(request.user, pk)
    form = f.VoteForm(request.POST)
    if form.is_valid():
        motion = meeting.motions.filter(pk=form.cleaned_data["motion"]).first()
        if motion is None:
            form.add_error("motion", _("未找到该表决事项"))
        else:
            motion.meeting = meeting
            try:
                svc.ballot_cast(actor=request.user, motion=motion, choice=form.cleaned_data["choice"])
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                _apply(exc, form)
            else:
                messages.success(request, _("已投票"))
                return redirect("councils:meeting_member", meeting.pk)
    return _member_page(request, meeting, vote_form=form, status=400)


# ---- the desk ------------------------------------------------------------------------------------

def _runnable_councils(user) -> list[Council]:
    """Councils the user may schedule meetings for (the page offers them; the service decides)."""
    rows = Council.objects.filter(access.visible_councils_q(user), is_active=True).select_related("type", "unit")
    return [c for c in rows.order_by("unit__path", "type__sort")[:200] if access.may_run(user, c)]


@user_page
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings the user may see, newest first, with the councils they may schedule for."""
    user = request.user
    status = request.GET.get("status") or ""
    if status not in MeetingStatus.values:
        status = ""
    return render(request, "councils/meeting_list.html", {
        "meetings": list(sel.meeting_list_for(user=user, status=status)[:LIST_LIMIT]),
        "runnable": _runnable_councils(user), "status": status, "statuses": MeetingStatus.choices,
    })


def _rooms_for(council: Council):
    from shanzhi.rooms.selectors import rooms_for

    return rooms_for(council.unit)


def _accepted(council: Council):
    """Topics that may go on an agenda: accepted, or deliberated earlier without a decision."""
    return council.topics.filter(status__in=[TopicStatus.ACCEPTED, TopicStatus.DELIBERATED],
                                 hidden=False).order_by("created_at", "id")


@user_page
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Schedule a meeting of the council named by `?council=<id>`."""
    user = request.user
    council_id = parsing.id_or_none(request.GET.get("council"))
    council = Council.objects.select_related("type", "unit").filter(pk=council_id).first() if council_id else None
    if council is None or not access.may_see(user, council):
        raise Http404()
    access.require_run(user, council)
    rooms, topics = _rooms_for(council), _accepted(council)
    status = 200
    if request.method == "POST":
        form = f.MeetingForm(request.POST, rooms=rooms, topics=topics)
        if form.is_valid():
            d = form.cleaned_data
            try:
                meeting = svc.meeting_schedule(actor=user, council=council, title=d["title"], starts_at=d["starts_at"],
                                               ends_at=d["ends_at"], room=d["room"], place=d["place"],
                                               is_public=d["is_public"], topics=list(d["topics"]))
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                _apply(exc, form)
            else:
                messages.success(request, _("会议已安排，已通知全体成员"))
                return redirect("councils:meeting_detail", meeting.pk)
        status = 400
    else:
        form = f.MeetingForm(rooms=rooms, topics=topics, initial={"is_public": council.type.public_meetings})
    return render(request, "councils/meeting_new.html", {"council": council, "form": form}, status=status)


def _meeting_forms(meeting: Meeting, data=None, only: str = "") -> dict:
    def bound(name):
        return data if name == only else None

    agenda_topics = meeting.council.topics.filter(agenda_items__meeting=meeting)
    made = {
        "move": lambda: f.MoveForm(bound("move"), initial={"starts_at": timezone.localtime(meeting.starts_at),
                                                           "ends_at": timezone.localtime(meeting.ends_at)},
                                   auto_id="move-%s"),
        "cancel": lambda: f.ReasonForm(bound("cancel"), auto_id="cancel-%s"),
        "close": lambda: f.CloseForm(bound("close"), auto_id="close-%s"),
        "agenda_add": lambda: f.AgendaForm(bound("agenda_add"), topics=_accepted(meeting.council).exclude(
            agenda_items__meeting=meeting), auto_id="agenda-%s"),
        "attend": lambda: f.AttendForm(bound("attend"), members=access.current_members(meeting.council)
                                       .order_by("position", "name"), auto_id="attend-%s"),
        "motion": lambda: f.MotionForm(bound("motion"), topics=agenda_topics.filter(
            status__in=[TopicStatus.SCHEDULED, TopicStatus.DELIBERATED]),
            initial={"secret": meeting.council.type.secret_ballot}, auto_id="motion-%s"),
        "hands": lambda: f.HandsForm(bound("hands"), auto_id="hands-%s"),
        "motion_close": lambda: f.MotionCloseForm(bound("motion_close"), auto_id=False),
        "decide": lambda: f.DecisionForm(bound("decide"), topics=agenda_topics.filter(
            status__in=[TopicStatus.SCHEDULED, TopicStatus.DELIBERATED]),
            motions=meeting.motions.filter(closed_at__isnull=False, topic__isnull=False, decision__isnull=True),
            auto_id="decide-%s"),
    }
    return {name: make() for name, make in made.items() if not only or name == only}


def _detail(request: HttpRequest, meeting: Meeting, *, bound: dict | None = None, failed: str = "",
            status: int = 200) -> HttpResponse:
    user = request.user
    council = meeting.council
    full = sel.sees_all(user, council)
    may_run = access.may_run(user, council)
    motions = sel.motions_of(meeting)
    for m in motions:
        m.open_ballots = sel.open_ballots(m) if full else []
    forms = {}
    if may_run:
        forms = _meeting_forms(meeting)
        forms.update(bound or {})
    members = sel.members_for_marking(meeting) if full else []
    return render(request, "councils/meeting_detail.html", {
        "meeting": meeting, "council": council, "full": full, "may_run": may_run, "agenda": sel.agenda_of(meeting),
        "place": svc.place_of(meeting), "members": members, "present": sum(1 for m in members if m.present),
        "quorum_met": svc.quorum_met(meeting) if full else None,
        "quorum_needed": svc.quorum_needed(len(members), council.type.quorum_percent) if full else None,
        "motions": motions, "decisions": list(meeting.decisions.select_related("topic").filter(
            published_at__isnull=False) if not full else meeting.decisions.select_related("topic")),
        "forms": forms, "failed": failed, "failed_label": MEETING_ACTIONS.get(failed, ""),
        "open_motion": next((m for m in motions if m.closed_at is None), None),
        "files": list(meeting.files.all()) if full else [],
    }, status=status)


@user_page
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting: for the desk everything (attendance, quorum, votes, minutes, actions); for residents of
    the village its public part (agenda, results, decisions, minutes)."""
    return _detail(request, _meeting(request.user, pk))


@user_page
@require_GET
def meeting_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary's check-in screen: the link members open (as a QR code where a scanner reads it) and
    the short code they may type instead."""
    meeting = _meeting(request.user, pk)
    access.require_run(request.user, meeting.council, what="该会议")
    url = request.build_absolute_uri(reverse("councils:meeting_checkin")) + f"?t={meeting.checkin_token}"
    return render(request, "councils/meeting_screen.html", {
        "meeting": meeting, "url": url, "qr": checkin_qr(url), "code": svc.checkin_code(meeting), "present": svc.present_count(meeting),
        "members": svc.members_count(meeting), "quorum_met": svc.quorum_met(meeting)})


@user_page
@require_POST
def meeting_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a file with the meeting's record (officers and cadres who run the council)."""
    meeting = _meeting(request.user, pk)
    try:
        meeting_files.meeting_attach(actor=request.user, meeting=meeting, upload=request.FILES.get("file"),
                                     name=request.POST.get("name", ""))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, "；".join(m for ms in exc.fields.values() for m in ms) or str(exc))
        return _detail(request, meeting, status=400)
    messages.success(request, _("附件已保存"))
    return redirect("councils:meeting_detail", meeting.pk)


@user_page
@require_GET
def meeting_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting's file, to staff in scope and members; as a download, never shown inline."""
    found = meeting_files.meeting_file_get(user=request.user, pk=pk)
    try:
        fh = found.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404() from None
    ext = "pdf" if found.content_type == "application/pdf" else "jpg"
    response = FileResponse(fh, content_type=found.content_type, as_attachment=True,
                            filename=f"meeting-{found.meeting_id}-{found.pk}.{ext}")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def checkin_qr(url: str) -> str:
    """The check-in link as an inline SVG QR code (segno draws paths only; the link is ours: the site's
    address and the meeting's hex token), for the member's phone camera."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff"))


def _motion_of(meeting: Meeting, value) -> Motion:
    found = meeting.motions.filter(pk=parsing.id_or_none(value) or 0).first()
    if found is None:
        raise DomainError(_("未找到该表决事项"), fields={"motion": [_("未找到该表决事项")]})
    found.meeting = meeting
    return found


def _run_meeting_action(user, meeting: Meeting, action: str, d: dict) -> str:
    if action == "open":
        svc.meeting_open(actor=user, meeting=meeting)
    elif action == "move":
        svc.meeting_move(actor=user, meeting=meeting, starts_at=d["starts_at"], ends_at=d["ends_at"])
    elif action == "cancel":
        svc.meeting_cancel(actor=user, meeting=meeting, reason=d["reason"])
    elif action == "close":
        svc.meeting_close(actor=user, meeting=meeting, minutes=d["minutes"])
    elif action == "agenda_add":
        svc.agenda_add(actor=user, meeting=meeting, topic=d["topic"])
    elif action == "agenda_remove":
        svc.agenda_remove(actor=user, meeting=meeting, topic=d["topic"])
    elif action == "attend":
        svc.attendance_mark(actor=user, meeting=meeting, member=d["member"], present=d["present"])
    elif action == "motion":
        svc.motion_propose(actor=user, meeting=meeting, text=d["text"], topic=d["topic"], secret=d["secret"])
    elif action == "hands":
        svc.motion_show_of_hands(actor=user, motion=_motion_of(meeting, d["motion"]), yes=d["yes"], no=d["no"],
                                 abstain=d["abstain"])
    elif action == "motion_close":
        svc.motion_close(actor=user, motion=_motion_of(meeting, d["motion"]))
    elif action == "decide":
        svc.decision_record(actor=user, topic=d["topic"], outcome=d["outcome"], text=d["text"],
                            referred_to=d["referred_to"], meeting=meeting, motion=d["motion"])
    return str(MEETING_ACTIONS[action])


@user_page
@require_POST
def meeting_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action on a meeting; a refusal is shown on the page (400) and nothing is written."""
    user = request.user
    meeting = _meeting(user, pk)
    if action not in MEETING_ACTIONS:
        raise Http404()
    access.require_run(user, meeting.council, what="该会议")
    if action == "open":
        form = None
    elif action == "agenda_remove":
        form = f.AgendaForm(request.POST, topics=meeting.council.topics.filter(agenda_items__meeting=meeting))
    else:
        form = _meeting_forms(meeting, request.POST, only=action)[action]
    if form is None or form.is_valid():
        try:
            label = _run_meeting_action(user, meeting, action, form.cleaned_data if form is not None else {})
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            if form is None:
                messages.error(request, str(exc))
                return _detail(request, _meeting(user, pk), failed=action, status=400)
            _apply(exc, form)
        else:
            messages.success(request, _("%(action)s：已完成") % {"action": label})
            return redirect("councils:meeting_detail", meeting.pk)
    bound = {action: form} if action != "agenda_remove" else {}
    if action == "agenda_remove":
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return _detail(request, _meeting(user, pk), bound=bound, failed=action, status=400)


# ---- decisions -------------------------------------------------------------------------------------

@user_page
@require_GET
def decision_list(request: HttpRequest) -> HttpResponse:
    """Decisions the user may see (residents: those published for their village), with their progress."""
    rows = list(sel.decision_list_for(user=request.user)[:LIST_LIMIT])
    return render(request, "councils/decision_list.html", {"decisions": rows})


def _owners(council: Council):
    """Who may be given a task: members with an account and staff of the council's unit (the service checks)."""
    member_ids = svc.member_user_ids(access.current_members(council))
    staff = scopes.holders_q("councils.view")
    from shanzhi.org.models import Post

    staff_ids = Post.objects.filter(Post.current_q(), staff, user__isnull=False,
                                    unit__code__in=council.unit.ancestor_codes).values_list("user_id", flat=True)
    return User.objects.filter(pk__in=set(member_ids) | set(staff_ids), is_active=True).order_by("display_name", "id")


def _decision_forms(decision: Decision, data=None, only: str = "") -> dict:
    def bound(name):
        return data if name == only else None

    council = decision.topic.council
    made = {
        "case": lambda: f.CaseForm(bound("case"), categories=Category.objects.filter(
            is_active=True, children__isnull=True).order_by("code"), auto_id="case-%s"),
        "task": lambda: f.TaskForm(bound("task"), owners=_owners(council), auto_id="task-%s"),
        "task_done": lambda: f.TaskDoneForm(bound("task_done"), auto_id=False),
        "progress": lambda: f.ProgressForm(bound("progress"), initial={"percent": decision.progress},
                                           auto_id="progress-%s"),
    }
    return {name: make() for name, make in made.items() if not only or name == only}


def _decision_page(request: HttpRequest, decision: Decision, *, bound: dict | None = None, failed: str = "",
                   status: int = 200) -> HttpResponse:
    user = request.user
    council = decision.topic.council
    full = sel.sees_all(user, council)
    may_run = access.may_run(user, council)
    follow = sel.follow_through_of(decision)
    forms = {}
    if may_run and decision.outcome != DecisionOutcome.REJECTED and decision.done_at is None:
        forms = _decision_forms(decision)
        forms.update(bound or {})
    return render(request, "councils/decision_detail.html", {
        "decision": decision, "topic": decision.topic, "council": council, "full": full, "may_run": may_run,
        "cases": follow["cases"] if full else [], "case_count": len(follow["cases"]),
        "closed_cases": sum(1 for c in follow["cases"] if c.status not in svc.UNFINISHED_CASE_STATUSES),
        "tasks": follow["tasks"], "notes": follow["notes"], "forms": forms, "failed": failed,
        "failed_label": DECISION_ACTIONS.get(failed, ""), "user_id": user.pk,
    }, status=status)


@user_page
@require_GET
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A decision and its follow-through: cases, tasks, progress (public: the text, progress and notes)."""
    return _decision_page(request, sel.decision_get_for(user=request.user, pk=pk))


@user_page
@require_POST
def decision_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Open a case, give a task, mark a task done, or note progress on a decision."""
    user = request.user
    decision = sel.decision_get_for(user=user, pk=pk)
    if action not in DECISION_ACTIONS:
        raise Http404()
    if action != "task_done":  # a task's owner marks it done; everything else is the council's officers'
        access.require_run(user, decision.topic.council, what="该决定")
    form = _decision_forms(decision, request.POST, only=action)[action]
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "case":
                case = svc.decision_case_open(actor=user, decision=decision, category=d["category"],
                                              description=d["description"])
                messages.success(request, _("已转为诉求：%(number)s") % {"number": case.number})
            elif action == "task":
                svc.task_add(actor=user, decision=decision, title=d["title"], owner=d["owner"], due_on=d["due_on"])
            elif action == "task_done":
                task = decision.tasks.filter(pk=d["task"]).first()
                if task is None:
                    raise DomainError(_("未找到该任务"), fields={"task": [_("未找到该任务")]})
                svc.task_done(actor=user, task=task)
            elif action == "progress":
                svc.progress_note_add(actor=user, decision=decision, percent=d["percent"], note=d["note"])
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            _apply(exc, form)
        else:
            if action != "case":
                messages.success(request, _("%(action)s：已完成") % {"action": DECISION_ACTIONS[action]})
            return redirect("councils:decision_detail", decision.pk)
    return _decision_page(request, sel.decision_get_for(user=user, pk=pk), bound={action: form}, failed=action,
                          status=400)

