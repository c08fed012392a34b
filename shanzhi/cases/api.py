"""REST endpoints of cases: list, show, raise, act on, and read the timeline.

Thin: reads go through shanzhi.cases.selectors (a case out of the caller's scope answers 404, like a
missing one), writes through shanzhi.cases.services, which decide who may take which step.
Staff call with a token or a session; residents with their browser session (tokens are staff-only),
and see only their own cases and those they follow.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts import scopes
from shanzhi.accounts.api import error_responses
from shanzhi.accounts.models import User, UserKind
from shanzhi.cases import public, selectors, services, workflow
from shanzhi.cases.deadlines import light
from shanzhi.cases.models import OPEN_STATUSES, Case, Category, Channel, Event, Priority, Status
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org import selectors as org_selectors
from shanzhi.org.api import StaffViewSet, parse_query, resolve
from shanzhi.org.models import Department, OrgUnit

# Channels staff may raise a case through on someone's behalf (residents always use "resident").
STAFF_API_CHANNELS = (Channel.PATROL, Channel.HOTLINE, Channel.WALK_IN, Channel.NIGHT_VISIT)
# Steps the action endpoint runs; verify takes `passed` (false sends the case back to handling).
API_ACTIONS = ("accept", "dispatch", "start", "report_back", "verify", "close", "rate", "reopen", "return",
               "escalate", "extension_request", "extension_approve", "extension_refuse", "supervise", "park",
               "unpark", "void", "duplicate")
CASE_RELATED = ("category", "unit", "handling_unit", "assignee", "department")


def _is_staff(request: Request) -> bool:
    return scopes.is_staff_user(request.user)


# --- serializers ------------------------------------------------------------------------------

# What a resident sees of a case, as on the resident pages (shanzhi.cases.public): these for any case they
# see, the reporter's own input besides on their own case, and the rest left empty.
RESIDENT_FIELDS = frozenset({
    "number", "kind", "category", "category_name", "status", "status_label", "description", "unit", "unit_name",
    "handling_unit", "handling_unit_name", "handling_level", "assignee_name", "department", "department_name",
    "reporter_name", "anonymous", "is_public", "reported_at", "deadline_at", "light", "closed_at", "rating",
    "satisfied", "actions"})
REPORTER_FIELDS = frozenset({"priority", "channel", "address", "lat", "lon", "reopen_count", "rating_comment"})
HIDDEN_HELP = "; empty unless staff (or, for the reporter's own input, the reporter)"


def _staff_view(context: dict, case: Case) -> bool:
    """Does the caller see this case as staff (its scope, assignee or department), not as a resident?"""
    return public.sees_as_staff(context.get("user"), case)


class CaseSerializer(serializers.ModelSerializer):
    """A case in a list: codes and names of what it refers to, no extra query per row.

    Staff who see the case through their scope get it whole; residents get what the resident pages show."""

    # Plain strings (codes listed in the help) keep the schema's enum names unambiguous across apps.
    kind = serializers.CharField(read_only=True, help_text="problem or help")
    status = serializers.CharField(read_only=True, help_text=", ".join(Status.values))
    priority = serializers.CharField(read_only=True, help_text="normal, urgent or critical" + HIDDEN_HELP)
    channel = serializers.CharField(read_only=True, help_text=", ".join(Channel.values) + HIDDEN_HELP)
    supervision = serializers.CharField(read_only=True, help_text="'', normal, yellow or red" + HIDDEN_HELP)
    description = serializers.SerializerMethodField(
        help_text="as written for staff and the reporter; phone and ID numbers in it masked for others")
    address = serializers.CharField(read_only=True, help_text="the reporter's address" + HIDDEN_HELP)
    reopen_count = serializers.IntegerField(read_only=True, allow_null=True, help_text="rework count" + HIDDEN_HELP)
    handling_level = serializers.CharField(read_only=True, help_text="grid, village, town or county")
    category = serializers.CharField(source="category.code", read_only=True, help_text="category (service) code")
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True, help_text="where it happened")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    handling_unit = serializers.CharField(source="handling_unit.code", read_only=True)
    handling_unit_name = serializers.CharField(source="handling_unit.name", read_only=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True, read_only=True,
                                        help_text="user id" + HIDDEN_HELP)
    assignee_name = serializers.SerializerMethodField()
    department = serializers.IntegerField(source="department_id", allow_null=True, read_only=True)
    department_name = serializers.CharField(source="department.name", allow_null=True, default=None,
                                            read_only=True)
    reporter_name = serializers.SerializerMethodField(
        help_text="staff and the reporter: in full; other residents: surname + 某, empty when anonymous")
    light = serializers.SerializerMethodField(help_text="deadline traffic light: green, yellow, red, or empty")

    class Meta:
        model = Case
        fields = ["number", "kind", "category", "category_name", "priority", "channel", "status", "status_label",
                  "description", "address", "lat", "lon", "unit", "unit_name", "handling_unit",
                  "handling_unit_name", "handling_level", "assignee", "assignee_name", "department",
                  "department_name", "reporter_name", "anonymous", "is_public", "supervision", "reported_at",
                  "deadline_at", "light", "reopen_count", "closed_at", "rating", "satisfied"]
        extra_kwargs = {"lat": {"help_text": "the reporter's point" + HIDDEN_HELP},
                        "lon": {"help_text": "the reporter's point" + HIDDEN_HELP}}

    def to_representation(self, case: Case) -> dict:
        data = super().to_representation(case)
        if _staff_view(self.context, case):
            return data
        shown = RESIDENT_FIELDS | REPORTER_FIELDS if public.is_reporter(self.context.get("user"), case) \
            else RESIDENT_FIELDS
        for name, field in self.fields.items():
            if name not in shown:
                data[name] = None if field.allow_null else ""
        return data

    def get_description(self, case: Case) -> str:
        if _staff_view(self.context, case):
            return case.description
        return public.description(case, self.context.get("user"))

    def get_assignee_name(self, case: Case) -> str | None:
        return str(case.assignee) if case.assignee_id else None

    def get_reporter_name(self, case: Case) -> str:
        if _staff_view(self.context, case):
            return case.reporter_name
        return public.reporter_name(case, self.context.get("user"))

    def get_light(self, case: Case) -> str:
        return light(case, self.context.get("now"))


class CaseDetailSerializer(CaseSerializer):
    actions = serializers.SerializerMethodField(help_text="steps the caller may take now")
    reporter_phone_masked = serializers.SerializerMethodField(help_text="staff only")
    first_level = serializers.CharField(read_only=True, help_text="grid, village, town or county" + HIDDEN_HELP)
    closed_level = serializers.CharField(read_only=True,
                                         help_text="grid, village, town, county, or empty" + HIDDEN_HELP)
    extension_reason = serializers.CharField(read_only=True, help_text="staff only")
    escalations = serializers.IntegerField(read_only=True, allow_null=True, help_text="staff only")
    rating_comment = serializers.CharField(read_only=True, help_text="staff and the reporter only")

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "actions", "reporter_phone_masked", "first_level",
                  "first_response_at", "warn_at", "extension_requested_until", "extension_reason", "escalations",
                  "handled_at", "closed_level", "closed_on_time", "rating_comment"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, case: Case) -> list[str]:
        user = self.context.get("user")
        names = []
        for name in workflow.actions_for_status(case.status):
            api_name = "verify" if name == "verify_fail" else name
            if api_name in API_ACTIONS and api_name not in names and services.may_step(user, case, name):
                names.append(api_name)
        return names

    def get_reporter_phone_masked(self, case: Case) -> str:
        return case.reporter_phone_masked if _staff_view(self.context, case) else ""


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def get_url(self, attachment) -> str:
        return attachment.file.url


class EventSerializer(serializers.ModelSerializer):
    """A step on the timeline. Residents see public steps as the resident page shows them: other residents
    as 居民 (an anonymous reporter stays anonymous), notes with phone and ID numbers masked."""

    actor = serializers.SerializerMethodField(help_text="who took the step, in words")
    label = serializers.SerializerMethodField(help_text="the step in words")
    note = serializers.SerializerMethodField()
    photos = AttachmentSerializer(source="attachments.all", many=True, read_only=True)
    data = serializers.SerializerMethodField(help_text="details of the step (staff only)")

    class Meta:
        model = Event
        fields = ["id", "at", "action", "label", "actor", "from_status", "to_status", "note", "data", "photos"]

    def _staff(self) -> bool:
        return _staff_view(self.context, self.context["case"])

    def get_actor(self, event: Event) -> str:
        return event.actor_label if self._staff() else public.actor_label(event, self.context.get("user"))

    def get_note(self, event: Event) -> str:
        return event.note if self._staff() else public.note(event, self.context["case"], self.context.get("user"))

    def get_label(self, event: Event) -> str:
        if event.action == "report":
            return _("上报")
        if event.action == "follow":
            return _("关注")
        entry = workflow.TRANSITIONS.get(event.action)
        return _(entry[3]) if entry else event.action

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, event: Event) -> dict:
        return event.data if self._staff() else {}


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="a status code, e.g. handling; or 'open'")
    category = serializers.CharField(required=False, help_text="category code (a group includes its leaves)")
    unit = serializers.CharField(required=False, help_text="unit code: cases placed in it and below")
    overdue = serializers.BooleanField(required=False, default=False, help_text="open and past the deadline")
    mine = serializers.BooleanField(required=False, default=False,
                                    help_text="staff: assigned to me; residents: reported by me")
    order = serializers.CharField(required=False, default="-reported_at",
                                  help_text="-reported_at (newest first, default) or deadline (soonest first)")

    def validate_status(self, value: str) -> str:
        if value != "open" and value not in Status.values:
            raise serializers.ValidationError(_("未知状态"))
        return value

    def validate_order(self, value: str) -> str:
        if value not in ("-reported_at", "deadline"):
            raise serializers.ValidationError(_("排序只能是 -reported_at 或 deadline"))
        return value


class CaseCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="problem (反映问题) or help (求助)")
    category = serializers.CharField(max_length=40, help_text="category (service) code, a leaf")
    description = serializers.CharField(max_length=2000)
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    household = parsing.ApiIdField(required=False, allow_null=True, default=None,
                                   help_text="household id: place the case at this household")
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    priority = serializers.CharField(required=False, default=Priority.NORMAL, help_text="normal, urgent, critical")
    anonymous = serializers.BooleanField(required=False, default=False)
    is_public = serializers.BooleanField(required=False, default=True)
    channel = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="residents: resident (default); staff: patrol (default), hotline, "
                                              "walk_in or night_visit")
    reporter_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50,
                                          help_text="staff intake: the caller's name")
    reporter_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                                           help_text="staff intake: the caller's phone")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=9,
                                   help_text="up to 9 images (multipart)")

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("经纬度须同时填写")]})
        return attrs


class CaseActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    assignee = parsing.ApiIdField(required=False, allow_null=True, default=None, help_text="dispatch: user id")
    unit = serializers.CharField(required=False, allow_null=True, default=None, help_text="dispatch: unit code")
    department = parsing.ApiIdField(required=False, allow_null=True, default=None,
                                    help_text="dispatch: department id")
    until = parsing.ApiDateTimeField(required=False, allow_null=True, default=None,
                                     help_text="extension_request: the new deadline")
    level = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="supervise: normal, yellow or red")
    rating = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=5,
                                      help_text="rate: 1-5")
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="rate")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                    help_text="rate: the resident's words")
    passed = serializers.BooleanField(required=False, default=True,
                                      help_text="verify: false sends it back to handling (note required)")
    original = serializers.CharField(required=False, allow_null=True, default=None,
                                     help_text="duplicate: number of the case to merge into")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=9,
                                   help_text="report_back: up to 9 images (multipart)")


# --- actions -------------------------------------------------------------------------------------

def _need(d: dict, *names: str) -> None:
    missing = {n: [_("必填")] for n in names if d.get(n) in (None, "")}
    if missing:
        raise DomainError(_("缺少必填项：%(names)s") % {"names": "、".join(missing)}, fields=missing)


def _assignee(user, pk: int) -> User:
    """The person to dispatch to; missing answers like ineligible (the service decides eligibility)."""
    found = User.objects.filter(pk=pk, kind=UserKind.STAFF).first()
    if found is None:
        raise DomainError(services.ASSIGNEE_REFUSED, fields={"assignee": [services.ASSIGNEE_REFUSED]},
                          code="invalid_target")
    return found


def _unit(user, code: str) -> OrgUnit:
    return resolve("unit", lambda: org_selectors.orgunit_get_for(user=user, code=code, action="cases.view"),
                   _("未找到该单位"))


def _department(pk: int) -> Department:
    """The department to dispatch to; missing answers like out of scope (the service checks the scope)."""
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise DomainError(services.DEPARTMENT_REFUSED, fields={"department": [services.DEPARTMENT_REFUSED]},
                          code="invalid_target")
    return found


def run_action(name: str, *, user, case: Case, d: dict) -> Case:
    """Run one step on a case through its service, with the fields of the request."""
    note = d["note"]
    s = services
    if name == "accept":
        return s.case_accept(actor=user, case=case, note=note)
    if name == "dispatch":
        return s.case_dispatch(actor=user, case=case, note=note,
                               assignee=_assignee(user, d["assignee"]) if d["assignee"] is not None else None,
                               unit=_unit(user, d["unit"]) if d["unit"] else None,
                               department=_department(d["department"]) if d["department"] is not None else None)
    if name == "start":
        return s.case_start(actor=user, case=case, note=note)
    if name == "report_back":
        return s.case_report_back(actor=user, case=case, note=note, photos=d["photos"])
    if name == "verify":
        return s.case_verify(actor=user, case=case, passed=d["passed"], note=note)
    if name == "close":
        return s.case_close(actor=user, case=case, note=note)
    if name == "rate":
        _need(d, "rating", "satisfied")
        return s.case_rate(actor=user, case=case, rating=d["rating"], satisfied=d["satisfied"],
                           comment=d["comment"] or note)
    if name == "reopen":
        return s.case_reopen(actor=user, case=case, note=note)
    if name == "return":
        return s.case_return(actor=user, case=case, note=note)
    if name == "escalate":
        return s.case_escalate(actor=user, case=case, note=note)
    if name == "extension_request":
        _need(d, "until")
        return s.case_extension_request(actor=user, case=case, until=d["until"], note=note)
    if name in ("extension_approve", "extension_refuse"):
        return s.case_extension_decide(actor=user, case=case, approve=name == "extension_approve", note=note)
    if name == "supervise":
        _need(d, "level")
        return s.case_supervise(actor=user, case=case, level=d["level"], note=note)
    if name == "park":
        return s.case_park(actor=user, case=case, note=note)
    if name == "unpark":
        return s.case_unpark(actor=user, case=case, note=note)
    if name == "void":
        return s.case_void(actor=user, case=case, note=note)
    if name == "duplicate":
        _need(d, "original")
        original = resolve("original", lambda: selectors.case_get_for(user=user, number_or_id=d["original"]),
                           _("未找到原诉求"))
        return s.case_mark_duplicate(actor=user, case=case, original=original, note=note)
    raise NotFound(_("未知操作"))


# --- views ----------------------------------------------------------------------------------

ACTION_PARAM = OpenApiParameter("action_name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(API_ACTIONS),
                                description="the step to take")
IDEMPOTENCY_PARAM = OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                                     description="repeat the same key to retry safely: the first case is returned")


@extend_schema(tags=["cases"])
class CaseViewSet(StaffViewSet):
    """Cases the caller may see, by number: staff by scope, residents their own and those they follow."""

    permission_classes = [permissions.IsAuthenticated]
    queryset = Case.objects.none()
    serializer_class = CaseSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9A-Za-z-]+"

    def get_serializer_context(self) -> dict:
        ctx = super().get_serializer_context()
        ctx.update(user=self.request.user, now=clock.now())
        return ctx

    def _get(self, number: str) -> Case:
        return selectors.case_get_for(user=self.request.user, number_or_id=number)

    def _detail(self, case: Case, status_code: int = 200) -> Response:
        case = Case.objects.select_related(*CASE_RELATED).get(pk=case.pk)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(parameters=[CaseFilterSerializer],
                   responses={200: CaseSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List cases in scope, newest first, by status, category, unit, overdue or mine."""
        f = parse_query(CaseFilterSerializer, request)
        user = request.user
        rows = selectors.case_list_for(user=user)
        if f.get("status") == "open":
            rows = rows.filter(status__in=OPEN_STATUSES)
        elif f.get("status"):
            rows = rows.filter(status=f["status"])
        if f.get("category"):
            rows = rows.filter(Q(category__code=f["category"]) | Q(category__parent__code=f["category"]))
        if f.get("unit"):
            if _is_staff(request):
                unit = _unit(user, f["unit"])
            else:
                unit = OrgUnit.objects.filter(code=f["unit"]).first()
                if unit is None:
                    raise DomainError(_("未找到该单位"), fields={"unit": [_("未找到该单位")]})
            rows = rows.filter(unit.subtree_q("unit"))
        if f["overdue"]:
            rows = rows.filter(status__in=OPEN_STATUSES, deadline_at__lt=clock.now())
        if f["mine"]:
            rows = rows.filter(assignee_id=user.pk) if _is_staff(request) else rows.filter(reporter_id=user.pk)
        order = ["deadline_at", "id"] if f["order"] == "deadline" else ["-reported_at", "-id"]
        return self.paginated(rows.select_related(*CASE_RELATED).order_by(*order), CaseSerializer)

    @extend_schema(responses={200: CaseDetailSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, number: str) -> Response:
        """Show a case with the steps the caller may take now."""
        return self._detail(self._get(number))

    @extend_schema(
        request={"multipart/form-data": CaseCreateSerializer, "application/json": CaseCreateSerializer},
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        """Raise a case: residents for themselves, staff by patrol or on a caller's behalf (hotline, walk-in).

        Answers 201 with the new case; 200 with the same case when the Idempotency-Key was seen before.
        """
        s = CaseCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = request.user
        channel = self._channel(request, d["channel"])
        key = (request.headers.get("Idempotency-Key") or "").strip()[:64] or None
        if key:
            seen = Case.objects.filter(idempotency_key=key, created_by_id=user.pk).first()
            if seen is not None:
                return self._detail(seen, status.HTTP_200_OK)
        category = Category.objects.filter(code=d["category"]).first()
        if category is None:
            msg = _("未知类别")
            raise DomainError(msg, fields={"category": [msg]})
        household = None
        if d["household"] is not None:
            from shanzhi.people.selectors import household_get_for

            household = resolve("household", lambda: household_get_for(user=user, pk=d["household"]),
                                _("未找到该户"))
        staff = channel != Channel.RESIDENT
        case = services.case_report(
            actor=user, kind=d["kind"], category=category, description=d["description"], channel=channel,
            lat=d["lat"], lon=d["lon"], address=d["address"], priority=d["priority"], anonymous=d["anonymous"],
            is_public=d["is_public"], reporter_name=d["reporter_name"] if staff else "",
            reporter_phone=d["reporter_phone"] if staff else "", household=household, photos=d["photos"],
            idempotency_key=key)
        return self._detail(case, status.HTTP_201_CREATED)

    @staticmethod
    def _channel(request: Request, asked: str) -> str:
        """The channel for this caller: residents only `resident`, staff a staff intake channel."""
        if not _is_staff(request):
            if asked not in ("", Channel.RESIDENT):
                msg = _("居民只能通过“居民上报”提交")
                raise DomainError(msg, fields={"channel": [msg]})
            if not getattr(request.user, "resident_id", None):
                raise PermissionDenied(_("该账号不能提交诉求"))
            return Channel.RESIDENT
        if not scopes.may_somewhere(request.user, "cases.intake"):
            raise PermissionDenied(_("您的岗位不能登记诉求"))
        asked = asked or Channel.PATROL
        if asked not in STAFF_API_CHANNELS:
            names = "、".join(STAFF_API_CHANNELS)
            msg = _("工作人员登记的来源须为：%(names)s") % {"names": names}
            raise DomainError(msg, fields={"channel": [msg]})
        return asked

    @extend_schema(
        request={"multipart/form-data": CaseActionSerializer, "application/json": CaseActionSerializer},
        parameters=[ACTION_PARAM],
        responses={200: CaseDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[a-z_]+)")
    def act(self, request: Request, number: str, action_name: str) -> Response:
        """Take one step on a case (accept, dispatch, report_back, rate, escalate, ...) with its fields."""
        if action_name not in API_ACTIONS:
            raise NotFound(_("未知操作"))
        case = self._get(number)
        s = CaseActionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        case = run_action(action_name, user=request.user, case=case, d=s.validated_data)
        return self._detail(case)

    @extend_schema(responses={200: EventSerializer(many=True), **error_responses(401, 404)})
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list
    def timeline(self, request: Request, number: str) -> Response:
        """The case's steps, oldest first, with photos; residents see the public steps only."""
        case = self._get(number)
        events = case.events.select_related("actor").prefetch_related("attachments").order_by("at", "id")
        if not public.sees_as_staff(request.user, case):
            events = events.filter(public=True)
        context = {**self.get_serializer_context(), "case": case}
        return Response(EventSerializer(events, many=True, context=context).data)

