"""Council pages, phone first: councils of my village (or my scope at the desk), a council with its
members and topics, raising a topic, a topic with its timeline, supports, comments and follow button,
the desk's topic queue, a grid worker's proxy page, and "提交议事会" from a case.

Views are thin: reads through `selectors`, every write and every check of who may do it through
`services`. Out of scope answers 404 like a missing council or topic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User, UserKind
from shanzhi.cases import selectors as case_selectors
from shanzhi.cases import uploads
from shanzhi.councils import access, selectors, services
from shanzhi.councils.forms import (
    CommentForm,
    CouncilForm,
    FilterForm,
    FromCaseForm,
    MemberEndForm,
    MemberForm,
    ProxyForm,
    ProxySupportForm,
    ReasonForm,
    TopicForm,
)
from shanzhi.councils.lifecycle import STEPS
from shanzhi.councils.models import Comment, CouncilType, TopicPhoto, TopicStatus
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.lib.parsing import add_to_form, id_or_none
from shanzhi.org.models import OrgUnit
from shanzhi.people.models import Resident

# Labels stored as plain Chinese in models and defaults: listed so the catalog carries them.
LABELS = (
    gettext_noop("百姓议事会"), gettext_noop("乡贤参事会"), gettext_noop("法律服务团"), gettext_noop("道德评判团"),
    gettext_noop("已提出"), gettext_noop("已受理"), gettext_noop("不予受理"), gettext_noop("已列入议程"),
    gettext_noop("已审议"), gettext_noop("已决定"), gettext_noop("办理中"), gettext_noop("已办结"),
    gettext_noop("主任"), gettext_noop("副主任"), gettext_noop("秘书"), gettext_noop("成员"),
    gettext_noop("推选"), gettext_noop("聘任"), gettext_noop("当然成员"), gettext_noop("自荐"),
    gettext_noop("议题"), gettext_noop("好人好事推荐"), gettext_noop("不文明行为评议"), gettext_noop("匿名"),
    gettext_noop("该评论已被隐藏"), gettext_noop("该议题已被隐藏"),
)
EVENT_LABELS = {"raise": gettext_noop("提出议题"), "proxy_support": gettext_noop("代为附议"),
                "comment_hidden": gettext_noop("隐藏评论"), "hide": gettext_noop("隐藏议题"),
                **{a: str(t[2]) for a, t in STEPS.items()}}
TOPIC_ACTIONS = ("accept", "decline", "support", "follow", "unfollow", "comment", "flag", "hide_comment", "hide")
PAGE = 30


def council_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in users; NotFound -> 404, PermissionDenied -> 403."""

    @login_required
    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None

    return wrapper


def _is_resident(user) -> bool:
    return getattr(user, "kind", "") == UserKind.RESIDENT


def _type_label(t: CouncilType) -> str:
    return gettext(t.name)


# ---- councils --------------------------------------------------------------------------------------

@council_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """My village's councils (residents) or the councils of my scope (desk), by type."""
    user = request.user
    type_code = (request.GET.get("type") or "").strip()[:30]
    councils = list(selectors.council_list_for(user=user, type_code=type_code)[:300])
    return render(request, "councils/index.html", {
        "councils": councils, "types": CouncilType.objects.filter(is_active=True), "type_code": type_code,
        "village": access.home_village(user),
        "may_create": scopes.may_somewhere(user, "councils.run"),
        "may_queue": scopes.may_somewhere(user, "councils.run") or selectors.topic_queue_for(user=user).exists(),
        "may_proxy": scopes.may_somewhere(user, "councils.proxy"),
    })


@council_page
@require_GET
def council_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A council: what it is for, its members (current and past) and its topics, by status."""
    user = request.user
    council = selectors.council_get_for(user=user, pk=pk)
    filters = FilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    topics = selectors.topic_list_for(user=user, council=council, status=status)
    page = Paginator(topics, PAGE).get_page(request.GET.get("page"))
    current, past = selectors.members_of(council)
    return render(request, "councils/council_detail.html", {
        "council": council, "type_name": _type_label(council.type), "current": current, "past": past,
        "page": page, "rows": selectors.topic_rows(page.object_list, user), "filters": filters, "status": status,
        "may_run": access.may_run(user, council), "may_raise": services.may_raise(user, council),
        "end_form": MemberEndForm(auto_id="end-%s"),
    })


@council_page
@require_http_methods(["GET", "POST"])
def council_create(request: HttpRequest) -> HttpResponse:
    """Set up a council of a type at a unit of my scope."""
    user = request.user
    if not scopes.may_somewhere(user, "councils.run"):
        raise Http404()
    form = CouncilForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            unit = OrgUnit.objects.filter(code=cd["unit"].strip()).first()
            if unit is None or not scopes.may(user, "councils.run", unit):
                form.add_error("unit", gettext("未找到该单位，或不在您的范围"))
            else:
                try:
                    council = services.council_create(actor=user, type=cd["type"], unit=unit, name=cd["name"],
                                                      founded_on=cd["founded_on"])
                except DomainError as exc:
                    add_to_form(form, exc)
                else:
                    messages.success(request, gettext("已设立：%(name)s") % {"name": council.name})
                    return redirect("councils:council_detail", pk=council.pk)
    return render(request, "councils/council_form.html", {"form": form}, status=status)


@council_page
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a member to a council I run: a resident of its village by ID number, or a staff user."""
    user = request.user
    council = selectors.council_get_for(user=user, pk=pk)
    access.require_run(user, council)
    form = MemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            resident = staff = None
            if cd["id_number"]:
                resident = selectors.resident_by_id_number(cd["id_number"])
                if resident is None:
                    form.add_error("id_number", gettext("未找到居住在%(unit)s的该居民") % {"unit": council.unit.name})
            else:
                staff = User.objects.filter(username=cd["username"].strip(), kind=UserKind.STAFF).first()
                if staff is None:
                    form.add_error("username", gettext("未找到该工作人员"))
            if not form.errors:
                try:
                    services.member_add(actor=user, council=council, resident=resident, user=staff,
                                        position=cd["position"], chosen_by=cd["chosen_by"],
                                        started_on=cd["started_on"], term_ends_on=cd["term_ends_on"])
                except DomainError as exc:
                    add_to_form(form, exc if "user" not in exc.fields else DomainError(
                        str(exc), fields={"username": exc.fields["user"]}))
                else:
                    messages.success(request, gettext("已添加成员"))
                    return redirect("councils:council_detail", pk=council.pk)
    return render(request, "councils/member_form.html", {"form": form, "council": council}, status=status)


@council_page
@require_http_methods(["GET", "POST"])
def member_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a member's term with a reason."""
    user = request.user
    member = selectors.member_get_for(user=user, pk=pk)
    access.require_run(user, member.council, what="该成员")
    form = MemberEndForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.member_end(actor=user, member=member, reason=form.cleaned_data["reason"],
                                    ended_on=form.cleaned_data["ended_on"])
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已办理离任：%(name)s") % {"name": member.name})
                return redirect("councils:council_detail", pk=member.council_id)
    return render(request, "councils/member_end.html", {"form": form, "member": member}, status=status)


# ---- raising a topic -------------------------------------------------------------------------------

def _photos(request: HttpRequest, form) -> list:
    pending, errors = uploads.uploads_from_request(actor=request.user, tokens=request.POST.getlist("photo_tokens"),
                                                   files=request.FILES.getlist("photos"))
    if len(pending) > services.MAX_PHOTOS:
        errors.append(gettext("最多上传%(n)s张照片") % {"n": services.MAX_PHOTOS})
    for m in errors:
        form.add_error("photos", m)
    return pending


@council_page
@require_http_methods(["GET", "POST"])
def topic_raise(request: HttpRequest, pk: int) -> HttpResponse:
    """Raise a topic in a council (my village's, or one I am a member or cadre of)."""
    user = request.user
    council = selectors.council_get_for(user=user, pk=pk)
    if not services.may_raise(user, council):
        raise DjangoPermissionDenied(gettext("您不能向%(name)s提出议题") % {"name": _type_label(council.type)})
    form = TopicForm(request.POST or None)
    pending: list = []
    status = 200
    if request.method == "POST":
        status = 400
        valid = form.is_valid()
        pending = _photos(request, form)
        if valid and not form.errors:
            cd = form.cleaned_data
            try:
                with transaction.atomic():  # a refused topic keeps its photos: the claim rolls back with it
                    photos = uploads.uploads_claim(actor=user, tokens=[p.token for p in pending])
                    topic = services.topic_raise(actor=user, council=council, title=cd["title"], text=cd["text"],
                                                 category=cd["category"], anonymous=cd["anonymous"], photos=photos)
            except DomainError as exc:
                add_to_form(form, exc)
                pending, _missing = uploads.uploads_for(user=user, tokens=[p.token for p in pending])
            else:
                messages.success(request, gettext("议题已提交，编号 %(number)s") % {"number": topic.number})
                return redirect("councils:topic_detail", number=topic.number)
    return render(request, "councils/topic_form.html", {"form": form, "council": council, "pending": pending,
                                                         "max_photos": services.MAX_PHOTOS}, status=status)


# ---- a topic ---------------------------------------------------------------------------------------

def _topic_page(request: HttpRequest, topic, *, forms: dict | None = None, error: str = "",
                failed: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    council = topic.council
    shown = selectors.topic_shown(topic, user)
    events = list(topic.events.select_related("actor"))
    timeline = [{"event": e, "label": gettext(EVENT_LABELS.get(e.action, e.action)),
                 "status": gettext(TopicStatus(e.to_status).label) if e.to_status in TopicStatus.values else "",
                 "actor": _actor_label(e, topic, user)} for e in events]
    comments = selectors.comment_rows(topic, user)
    forms = forms or {}
    supported = bool(getattr(user, "resident_id", None)) and topic.supports.filter(resident_id=user.resident_id).exists()
    may_run = access.may_run(user, council)
    may_moderate = scopes.may(user, "councils.moderate", council.unit)
    return render(request, "councils/topic_detail.html", {
        "topic": topic, "council": council, "shown": shown, "author": selectors.author_label(topic, user),
        "status_label": gettext(topic.get_status_display()), "timeline": timeline, "comments": comments,
        "photos": [] if shown["hidden"] and not selectors.sees_whole(user, topic) else list(topic.photos.all()),
        "following": topic.follows.filter(user=user).exists(), "supported": supported,
        "may_support": (topic.status in services.SUPPORTABLE and not topic.hidden and not supported
                        and access.is_local(user, council)),
        "may_comment": not topic.hidden and services.may_take_part(user, council),
        "may_accept": may_run and topic.status == TopicStatus.RAISED,
        "may_decline": may_run and topic.status in STEPS["decline"][0],
        "may_moderate": may_moderate, "supports_needed": council.type.supports_needed,
        "case_visible": topic.case_id is not None and scopes.is_staff_user(user) and _case_visible(user, topic.case),
        "decline_form": forms.get("decline") or ReasonForm(auto_id="decline-%s"),
        "hide_form": forms.get("hide") or ReasonForm(auto_id="hide-%s"),
        "comment_form": forms.get("comment") or CommentForm(auto_id="comment-%s"),
        "error": error, "failed": failed,
    }, status=status)


def _case_visible(user, case) -> bool:
    try:
        case_selectors.case_get_for(user=user, number_or_id=case.number)
    except NotFound:
        return False
    return True


def _actor_label(event, topic, user) -> str:
    if event.actor_id is None:
        return gettext("系统")
    if event.action == "raise" and not selectors.sees_whole(user, topic) and not selectors.is_author(user, topic):
        return selectors.author_label(topic, user) if not topic.proxy_id else gettext("网格员")
    if event.actor.kind == UserKind.RESIDENT:
        return selectors.author_label(topic, user) if event.actor_id == topic.author_user_id else gettext("居民")
    return str(event.actor)


@council_page
@require_GET
def topic_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A topic: text and photos, its timeline, supports, comments, and the follow button."""
    return _topic_page(request, selectors.topic_get_for(user=request.user, number=number))


@council_page
@require_POST
def topic_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One step on a topic: accept, decline (with a reason), support, follow, unfollow, comment, flag or
    hide a comment, hide the topic."""
    user = request.user
    topic = selectors.topic_get_for(user=user, number=number)
    if action not in TOPIC_ACTIONS:
        raise Http404()
    forms: dict = {}
    try:
        done = _do(request, topic, action, forms)
    except NotFound:
        raise
    except PermissionDenied as exc:
        return _topic_page(request, topic, error=str(exc), failed=action, status=403)
    except DomainError as exc:
        form = forms.get(action if action in ("decline", "comment", "hide") else "")
        if form is not None and exc.fields:
            add_to_form(form, exc)
        return _topic_page(request, topic, forms=forms, error="" if form is not None and form.errors else str(exc),
                           failed=action, status=400)
    if done is None:  # a form with errors
        return _topic_page(request, topic, forms=forms, failed=action, status=400)
    messages.success(request, done)
    return redirect("councils:topic_detail", number=topic.number)


def _comment(topic, request: HttpRequest) -> Comment:
    comment = topic.comments.filter(pk=id_or_none(request.POST.get("comment"))).first()
    if comment is None:
        raise DomainError(gettext("未找到该评论"), fields={"comment": [gettext("未找到该评论")]})
    return comment


def _do(request: HttpRequest, topic, action: str, forms: dict) -> str | None:
    user, post = request.user, request.POST
    if action == "accept":
        services.topic_accept(actor=user, topic=topic, note=post.get("note", ""))
        return gettext("已受理")
    if action in ("decline", "hide"):
        form = forms[action] = ReasonForm(post, auto_id=f"{action}-%s")
        if not form.is_valid():
            return None
        if action == "decline":
            services.topic_decline(actor=user, topic=topic, reason=form.cleaned_data["reason"])
            return gettext("已决定不予受理")
        services.topic_hide(actor=user, topic=topic, reason=form.cleaned_data["reason"])
        return gettext("已隐藏该议题")
    if action == "support":
        services.topic_support(actor=user, topic=topic)
        return gettext("已附议")
    if action == "follow":
        services.topic_follow(actor=user, topic=topic)
        return gettext("已关注，议题进展会通知您")
    if action == "unfollow":
        services.topic_unfollow(actor=user, topic=topic)
        return gettext("已取消关注")
    if action == "comment":
        form = forms["comment"] = CommentForm(post, auto_id="comment-%s")
        if not form.is_valid():
            return None
        services.comment_post(actor=user, topic=topic, text=form.cleaned_data["text"])
        return gettext("评论已发表")
    if action == "flag":
        services.comment_flag(actor=user, comment=_comment(topic, request), reason=post.get("reason", ""))
        return gettext("已举报，感谢您的监督")
    # hide_comment
    services.comment_hide(actor=user, comment=_comment(topic, request), reason=post.get("reason", ""))
    return gettext("已隐藏该评论")


@council_page
@require_GET
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A topic's photo, to those who see the topic (a hidden topic's only to staff and officers)."""
    found = TopicPhoto.objects.select_related("topic__council__unit", "topic__council__type").filter(pk=pk).first()
    if found is None or not access.may_see(request.user, found.topic.council):
        raise Http404()
    if found.topic.hidden and not selectors.sees_whole(request.user, found.topic):
        raise Http404()
    try:
        fh = found.image.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404() from None
    response = FileResponse(fh, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---- the desk --------------------------------------------------------------------------------------

@council_page
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Topics of the councils I run, newest first, by status (raised ones first by default) and type."""
    user = request.user
    filters = FilterForm(request.GET)
    cd = filters.cleaned_data if filters.is_valid() else {}
    status = cd.get("status", "") if "status" in request.GET else TopicStatus.RAISED
    topics = selectors.topic_queue_for(user=user, status=status, type_code=(cd.get("type") or "").strip())
    page = Paginator(topics, PAGE).get_page(request.GET.get("page"))
    return render(request, "councils/queue.html", {
        "page": page, "rows": selectors.topic_rows(page.object_list, user), "filters": filters, "status": status,
        "types": CouncilType.objects.filter(is_active=True), "type_code": cd.get("type") or "",
        "statuses": [(v, gettext(label)) for v, label in TopicStatus.choices],
    })


def _resident_for_proxy(form, id_number: str) -> Resident | None:
    resident = selectors.resident_by_id_number(id_number)
    if resident is None:
        form.add_error("id_number", gettext("未找到该居民，或不在您的代办范围"))
    return resident


@council_page
@require_http_methods(["GET", "POST"])
def proxy(request: HttpRequest) -> HttpResponse:
    """A grid worker raises a topic or adds a support for a resident without a phone (audited)."""
    user = request.user
    if not scopes.may_somewhere(user, "councils.proxy"):
        raise Http404()
    mode = "support" if request.POST.get("mode") == "support" else "raise"
    form = ProxyForm(request.POST if mode == "raise" and request.method == "POST" else None, auto_id="raise-%s")
    support_form = ProxySupportForm(request.POST if mode == "support" else None, auto_id="support-%s")
    pending: list = []
    status = 200
    if request.method == "POST" and mode == "raise":
        status = 400
        valid = form.is_valid()
        pending = _photos(request, form)
        if valid and not form.errors:
            cd = form.cleaned_data
            resident = _resident_for_proxy(form, cd["id_number"])
            council = selectors.council_of_resident(resident, cd["council_type"]) if resident is not None else None
            if resident is not None and council is None:
                form.add_error("council_type", gettext("该居民所在村（社区）尚未设立该组织"))
            if not form.errors:
                try:
                    with transaction.atomic():
                        photos = uploads.uploads_claim(actor=user, tokens=[p.token for p in pending])
                        topic = services.topic_raise(actor=user, council=council, title=cd["title"], text=cd["text"],
                                                     category=cd["category"], anonymous=cd["anonymous"],
                                                     photos=photos, for_resident=resident)
                except DomainError as exc:
                    add_to_form(form, exc if "resident" not in exc.fields else DomainError(
                        str(exc), fields={"id_number": exc.fields["resident"]}))
                    pending, _missing = uploads.uploads_for(user=user, tokens=[p.token for p in pending])
                else:
                    messages.success(request, gettext("已代%(name)s提出议题 %(number)s") % {
                        "name": resident.name, "number": topic.number})
                    return redirect("councils:proxy")
    elif request.method == "POST":
        status = 400
        if support_form.is_valid():
            cd = support_form.cleaned_data
            resident = _resident_for_proxy(support_form, cd["id_number"])
            topic = selectors.topic_for_proxy(number=cd["topic"])
            if topic is None:
                support_form.add_error("topic", gettext("未找到该议题"))
            if not support_form.errors:
                try:
                    services.topic_support(actor=user, topic=topic, for_resident=resident)
                except DomainError as exc:
                    if "resident" in exc.fields:
                        exc = DomainError(str(exc), fields={"id_number": exc.fields["resident"]})
                    add_to_form(support_form, exc)
                else:
                    messages.success(request, gettext("已代%(name)s附议 %(number)s") % {
                        "name": resident.name, "number": topic.number})
                    return redirect("councils:proxy")
    return render(request, "councils/proxy.html", {"form": form, "support_form": support_form, "pending": pending,
                                                    "mode": mode}, status=status)


@council_page
@require_http_methods(["GET", "POST"])
def from_case(request: HttpRequest, number: str) -> HttpResponse:
    """提交议事会: bring a case I handle to a council I run, as a topic linked to the case."""
    user = request.user
    if not scopes.is_staff_user(user):
        raise Http404()
    case = case_selectors.case_get_for(user=user, number_or_id=number)
    councils = selectors.councils_for_case(user=user, case=case)
    form = FromCaseForm(request.POST or None, councils=councils)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            council = next(c for c in councils if c.pk == form.cleaned_data["council"])
            try:
                topic = services.topic_from_case(actor=user, case=case, council=council,
                                                 title=form.cleaned_data["title"], note=form.cleaned_data["note"])
            except NotFound:
                raise
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, gettext("已提交%(name)s，议题编号 %(number)s") % {
                    "name": council.name, "number": topic.number})
                return redirect("councils:topic_detail", number=topic.number)
    return render(request, "councils/from_case.html", {"form": form, "case": case, "councils": councils,
                                                        "topics": selectors.topic_get_for_case(user=user, case=case)},
                  status=status)
