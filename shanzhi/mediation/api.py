"""REST endpoints of disputes (矛盾纠纷): list, show, register at the window, and every step after.

Thin: disputes are read through shanzhi.mediation.selectors (through their cases: out of scope answers
404, like a missing one); writes go through shanzhi.mediation.services, which decide who may act.
Parties' ID numbers and phones are only ever shown masked. Staff only (token or session).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts import scopes
from shanzhi.accounts.api import ErrorSerializer, error_responses
from shanzhi.accounts.models import User, UserKind
from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.mediation import selectors, services
from shanzhi.mediation.document import agreement_docx
from shanzhi.mediation.models import (
    RESOLVED,
    Agreement,
    Dispute,
    DisputeType,
    FollowUp,
    Party,
    Session,
    Team,
)
from shanzhi.org import selectors as org_selectors
from shanzhi.org.api import StaffViewSet, parse_query, resolve
from shanzhi.rooms.models import Room

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIST_RELATED = ("case", "type", "centre__unit", "team", "repeat_of__case")


class RepeatWarning(DomainError):
    """The same people brought the same kind of matter and it is still open: confirm to register it linked."""

    code = "possible_repeat"
    status = 409


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested errors into flat keys like `parties[2].phone`, as the services name them."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = prefix if key == "non_field_errors" and prefix else (f"{prefix}.{key}" if prefix else key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        out[prefix or "non_field_errors"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for i, item in enumerate(errors, 1):
            if item:
                for k, v in _flatten(item, f"{prefix}[{i}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "non_field_errors"] = [str(errors)]
    return out


def _valid(serializer_class: type[serializers.Serializer], data) -> dict[str, Any]:
    """Validate a request body; bad input answers 400 with every field named (nested ones flattened)."""
    s = serializer_class(data=data)
    if not s.is_valid():
        fields = _flatten(s.errors)
        raise DomainError("；".join(f"{k}: {' '.join(v)}" for k, v in fields.items()), fields=fields)
    return s.validated_data


def _field_error(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: [message]})


# --- serializers ------------------------------------------------------------------------------

class PartySerializer(serializers.ModelSerializer):
    """A party as staff see it: ID number and phone masked, never in full."""

    role = serializers.CharField(read_only=True, help_text="applicant or respondent")
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    resident = serializers.IntegerField(source="resident_id", allow_null=True, read_only=True)

    class Meta:
        model = Party
        fields = ["id", "role", "role_label", "name", "resident", "id_number_masked", "phone_masked",
                  "representative", "claim"]


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class SessionSerializer(serializers.ModelSerializer):
    starts_at = serializers.DateTimeField(source="booking.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="booking.ends_at", read_only=True)
    room = serializers.IntegerField(source="booking.room_id", read_only=True, help_text="a shanzhi.rooms room")
    room_name = serializers.CharField(source="booking.room.name", read_only=True)
    mediators = NamedRefSerializer(source="booking.people.all", many=True, read_only=True)
    cancelled = serializers.BooleanField(source="booking.cancelled", read_only=True)
    attended = serializers.ListField(child=serializers.IntegerField(), read_only=True,
                                     help_text="ids of the parties who came")

    class Meta:
        model = Session
        fields = ["id", "starts_at", "ends_at", "room", "room_name", "mediators", "attended", "minutes", "held",
                  "cancelled"]


class FollowUpSerializer(serializers.ModelSerializer):
    result = serializers.CharField(read_only=True, help_text="performed, partly or not_performed")
    result_label = serializers.CharField(source="get_result_display", read_only=True)
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = ["id", "at", "result", "result_label", "note", "by_name"]

    def get_by_name(self, fu: FollowUp) -> str:
        return str(fu.by) if fu.by_id else ""


class AgreementSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="session_id", read_only=True)
    followups = FollowUpSerializer(source="followups.all", many=True, read_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "session", "text", "created_at", "signed_at", "followups"]


class DisputeSerializer(serializers.ModelSerializer):
    """A dispute in a list: its case number, type, centre, state and the parties' names."""

    number = serializers.CharField(source="case.number", read_only=True, help_text="the case number (一事一编码)")
    kind = serializers.CharField(read_only=True, help_text="dispute (矛盾纠纷) or petition (信访)")
    type = serializers.CharField(source="type.code", read_only=True)
    type_name = serializers.CharField(source="type.name", read_only=True)
    status = serializers.CharField(source="case.status", read_only=True, help_text="the case's status")
    status_label = serializers.CharField(source="case.get_status_display", read_only=True)
    result = serializers.CharField(read_only=True,
                                   help_text="agreement, partial, failed, withdrawn, referred; empty while open")
    centre = serializers.CharField(source="centre.unit.code", read_only=True, help_text="unit code of the centre")
    centre_name = serializers.CharField(source="centre.name", read_only=True)
    team = serializers.IntegerField(source="team_id", allow_null=True, read_only=True)
    team_name = serializers.CharField(source="team.name", allow_null=True, default=None, read_only=True)
    repeat_of = serializers.SerializerMethodField(help_text="number of the earlier matter this repeats, when the "
                                                            "caller may see it; null otherwise")
    deadline_at = serializers.DateTimeField(source="case.deadline_at", allow_null=True, read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                            help_text="when the case was concluded; null while open")
    applicants = serializers.SerializerMethodField()
    respondents = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = ["number", "kind", "type", "type_name", "summary", "status", "status_label", "result", "centre",
                  "centre_name", "team", "team_name", "escalations", "repeat_of", "registered_at", "deadline_at",
                  "resolved_at", "applicants", "respondents"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_repeat_of(self, d: Dispute) -> str | None:
        if not d.repeat_of_id:
            return None
        visible = getattr(d, "repeat_visible", None)
        if visible is None:
            visible = bool(selectors.visible_dispute_ids(user=self.context["request"].user, ids=[d.repeat_of_id]))
        return d.repeat_of.case.number if visible else None

    def get_applicants(self, d: Dispute) -> list[str]:
        return [p.name for p in d.parties.all() if p.role == "applicant"]

    def get_respondents(self, d: Dispute) -> list[str]:
        return [p.name for p in d.parties.all() if p.role == "respondent"]


class DisputeDetailSerializer(DisputeSerializer):
    description = serializers.CharField(source="case.description", read_only=True)
    unit = serializers.CharField(source="case.unit.code", read_only=True, help_text="where the parties live")
    unit_name = serializers.CharField(source="case.unit.name", read_only=True)
    first_centre = serializers.CharField(source="first_centre.unit.code", read_only=True)
    resolved_level = serializers.CharField(read_only=True, help_text="grid, village, town or county (the case's "
                                                                     "closing level); empty while open")
    resolved_on_time = serializers.BooleanField(read_only=True, allow_null=True,
                                                help_text="closed on time by the cases' rule; null while open")
    parties = PartySerializer(many=True, read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    agreements = AgreementSerializer(many=True, read_only=True)
    teams = serializers.SerializerMethodField(help_text="teams and department windows of the current centre")
    rooms = serializers.SerializerMethodField(help_text="rooms of the current centre")

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "description", "unit", "unit_name", "first_centre",
                  "referred_to", "resolved_level", "resolved_on_time", "first_time", "parties", "sessions",
                  "agreements", "teams", "rooms"]

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_teams(self, d: Dispute) -> list[dict]:
        return [{"id": t.pk, "name": t.name} for t in d.centre.teams.filter(is_active=True).order_by("id")]

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_rooms(self, d: Dispute) -> list[dict]:
        return [{"id": r.pk, "name": r.name} for r in d.centre.rooms.order_by("id")]


class DisputeFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="open (no result yet), resolved (agreement or "
                                                             "withdrawn) or concluded (any result)")
    type = serializers.CharField(required=False, help_text="dispute type code, e.g. neighbour")
    centre = serializers.CharField(required=False, help_text="unit code of the centre now holding it")
    kind = serializers.CharField(required=False, help_text="dispute or petition")
    registered_from = parsing.ApiDateField(required=False, help_text="registered on or after this day")
    registered_to = parsing.ApiDateField(required=False, help_text="registered on or before this day")

    def validate_status(self, value: str) -> str:
        if value not in ("open", "resolved", "concluded"):
            raise serializers.ValidationError(_("状态只能是 open、resolved 或 concluded"))
        return value

    def validate_kind(self, value: str) -> str:
        if value not in ("dispute", "petition"):
            raise serializers.ValidationError(_("类型只能是 dispute 或 petition"))
        return value


class PartyInSerializer(serializers.Serializer):
    role = serializers.CharField(required=False, allow_blank=True, default="", help_text="applicant or respondent")
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    representative = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    claim = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    resident = parsing.ApiIdField(required=False, allow_null=True, default=None,
                                  help_text="resident id, to link a party to the registry")


class DisputeCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, default="dispute", help_text="dispute (default) or petition")
    type = serializers.CharField(max_length=30, help_text="dispute type code")
    summary = serializers.CharField(max_length=200, allow_blank=True)
    parties = PartyInSerializer(many=True, allow_empty=True)
    unit = serializers.CharField(required=False, allow_null=True, default=None,
                                 help_text="code of the unit where the parties live (decides the centre)")
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    household = parsing.ApiIdField(required=False, allow_null=True, default=None, help_text="household id")
    confirm_repeat = serializers.BooleanField(required=False, default=False,
                                              help_text="register even though an open matter of the same people "
                                                        "and type exists (it is linked as a repeat)")

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("经纬度须同时填写")]})
        return attrs


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class HandoverSerializer(NoteSerializer):
    team = parsing.ApiIdField(help_text="id of a team or department window of the current centre")


class SessionCreateSerializer(serializers.Serializer):
    starts_at = parsing.ApiDateTimeField()
    ends_at = parsing.ApiDateTimeField()
    room = parsing.ApiIdField(help_text="id of a room of the dispute's centre")
    mediators = serializers.ListField(child=parsing.ApiIdField(), allow_empty=True,
                                help_text="staff user ids")


class SessionRecordSerializer(serializers.Serializer):
    attended = serializers.ListField(child=parsing.ApiIdField(), required=False, default=list,
                               help_text="ids of the parties who came")
    minutes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class ConcludeSerializer(NoteSerializer):
    result = serializers.CharField(help_text="agreement, partial, failed, withdrawn or referred")
    referred_to = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                        help_text="referred: litigation, arbitration or a department's procedure")


class AgreementCreateSerializer(serializers.Serializer):
    terms = serializers.CharField(allow_blank=True, max_length=10000, help_text="the agreed terms")
    session = parsing.ApiIdField(required=False, allow_null=True, default=None,
                                 help_text="the held session it comes from (default: the latest held)")


class FollowUpCreateSerializer(NoteSerializer):
    result = serializers.CharField(help_text="performed, partly or not_performed")


# --- views ----------------------------------------------------------------------------------

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="case number")
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.INT, OpenApiParameter.PATH)
AGREEMENT_ID = OpenApiParameter("agreement_id", OpenApiTypes.INT, OpenApiParameter.PATH)
REPEAT = OpenApiResponse(ErrorSerializer, description="possible repeat: fields.repeat_of lists the open matters; "
                                                      "send again with confirm_repeat=true to register it linked")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@extend_schema(tags=["disputes"])
class DisputeViewSet(StaffViewSet):
    """Disputes and petitions the caller may see (through their cases), by case number."""

    queryset = Dispute.objects.none()
    serializer_class = DisputeSerializer
    lookup_field = "case__number"
    lookup_url_kwarg = "number"
    lookup_value_regex = "[0-9A-Za-z-]+"

    def _scoped(self) -> QuerySet[Dispute]:
        return selectors.dispute_list_for(user=self.request.user)

    def _get(self, number: str) -> Dispute:
        try:
            return selectors.dispute_get_for(user=self.request.user, number=number)
        except NotFound:
            raise NotFound(_("未找到该纠纷")) from None

    def _detail(self, dispute: Dispute, status_code: int = 200) -> Response:
        d = (Dispute.objects.select_related(*LIST_RELATED, "case__unit", "first_centre__unit")
             .prefetch_related("parties", Prefetch("sessions", Session.objects.select_related("booking__room")
                                                   .prefetch_related("booking__people")),
                               Prefetch("agreements", Agreement.objects.order_by("id")
                                        .prefetch_related(Prefetch("followups", FollowUp.objects
                                                                   .select_related("by").order_by("at")))))
             .get(pk=dispute.pk))
        return Response(DisputeDetailSerializer(d, context=self.get_serializer_context()).data, status=status_code)

    def _session(self, dispute: Dispute, session_id) -> Session:
        found = dispute.sessions.select_related("booking__room").filter(pk=session_id).first()
        if found is None:
            raise NotFound(_("未找到该调解安排"))
        found.dispute = dispute
        return found

    def _agreement(self, dispute: Dispute, agreement_id) -> Agreement:
        found = dispute.agreements.filter(pk=agreement_id).first()
        if found is None:
            raise NotFound(_("未找到该协议"))
        found.dispute = dispute
        return found

    # -- reading ------------------------------------------------------------------------------

    @extend_schema(parameters=[DisputeFilterSerializer],
                   responses={200: DisputeSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List disputes in scope, newest first, by status, type, centre, kind and registration dates."""
        f = parse_query(DisputeFilterSerializer, request)
        rows = self._scoped()
        if f.get("status") == "open":
            rows = rows.filter(result="")
        elif f.get("status") == "resolved":
            rows = rows.filter(result__in=RESOLVED)
        elif f.get("status") == "concluded":
            rows = rows.exclude(result="")
        if f.get("type"):
            rows = rows.filter(type__code=f["type"])
        if f.get("centre"):
            rows = rows.filter(centre__unit__code=f["centre"])
        if f.get("kind"):
            rows = rows.filter(kind=f["kind"])
        if f.get("registered_from"):
            rows = rows.filter(registered_at__gte=_day_start(f["registered_from"]))
        if f.get("registered_to"):
            rows = rows.filter(registered_at__lt=_day_start(f["registered_to"] + dt.timedelta(days=1)))
        # The scope (through the cases) is the costly part: read the ordered ids once, for the count and the
        # page alike, then the page's rows with what they refer to (a county's year is ~22,000 ids).
        ids = list(rows.order_by("-registered_at", "-id").values_list("id", flat=True))
        page = self.paginate_queryset(ids)
        full = (selectors.with_repeat_visible(Dispute.objects.select_related(*LIST_RELATED), user=request.user)
                .prefetch_related("parties").in_bulk(page))
        data = DisputeSerializer([full[pk] for pk in page], many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(parameters=[NUMBER], responses={200: DisputeDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, number: str) -> Response:
        """Show a dispute with its parties (masked), sessions, agreements and follow-ups."""
        return self._detail(self._get(number))

    # -- registering ----------------------------------------------------------------------------

    @extend_schema(request=DisputeCreateSerializer,
                   responses={201: DisputeDetailSerializer, 409: REPEAT, **error_responses(400, 401, 403)})
    def create(self, request: Request) -> Response:
        """Register a walk-in dispute or petition at the window, with its parties, in one step.

        Answers 409 with code possible_repeat (and the open matters' numbers in fields.repeat_of) when the
        same applicant has an open matter of the same type; send confirm_repeat=true to register it linked.
        """
        user = request.user
        if not scopes.may_somewhere(user, "mediation.intake"):
            raise PermissionDenied(_("只有矛调中心工作人员可以登记纠纷"))
        d = _valid(DisputeCreateSerializer, request.data)
        dtype = DisputeType.objects.filter(code=d["type"]).select_related("category").first()
        if dtype is None:
            raise _field_error("type", _("未知的纠纷类型"))
        unit = None
        if d["unit"]:
            unit = resolve("unit", lambda: org_selectors.orgunit_get_for(user=user, code=d["unit"]),
                           _("未找到该单位"))
        household = None
        if d["household"] is not None:
            from shanzhi.people.selectors import household_get_for

            household = resolve("household", lambda: household_get_for(user=user, pk=d["household"]),
                                _("未找到该户"))
        parties = [self._party(i, p) for i, p in enumerate(d["parties"], 1)]
        try:
            dispute = services.dispute_register(
                actor=user, kind=d["kind"], type=dtype, summary=d["summary"], parties=parties, unit=unit,
                lat=d["lat"], lon=d["lon"], household=household, confirm_repeat=d["confirm_repeat"])
        except DomainError as exc:
            if exc.code != "possible_repeat":
                raise
            fields = {"repeat_of": list(exc.fields.get("repeat_of", [])),
                      "confirm_repeat": [_("确认后可关联登记")]}
            if exc.fields.get("elsewhere"):
                fields["elsewhere"] = list(exc.fields["elsewhere"])
            raise RepeatWarning(str(exc), fields=fields) from None
        return self._detail(dispute, status.HTTP_201_CREATED)

    def _party(self, i: int, p: dict) -> dict:
        """A party for the service, with its resident looked up in the caller's scope."""
        out = dict(p)
        if p.get("resident") is not None:
            from shanzhi.people.selectors import resident_get_for

            out["resident"] = resolve(f"parties[{i}].resident",
                                      lambda: resident_get_for(user=self.request.user, pk=p["resident"]),
                                      _("第%(i)s位当事人：未找到该居民") % {"i": i})
        return out

    # -- steps ----------------------------------------------------------------------------------

    @extend_schema(parameters=[NUMBER], request=NoteSerializer,
                   responses={200: DisputeDetailSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, number: str) -> Response:
        """Send the dispute up to the next centre (village -> town -> county); note gives the reason."""
        dispute = self._get(number)
        d = _valid(NoteSerializer, request.data)
        services.dispute_escalate(actor=request.user, dispute=dispute, note=d["note"])
        return self._detail(dispute)

    @extend_schema(parameters=[NUMBER], request=HandoverSerializer,
                   responses={200: DisputeDetailSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def handover(self, request: Request, number: str) -> Response:
        """Hand the dispute to a team or department window of its centre (joint reception)."""
        dispute = self._get(number)
        d = _valid(HandoverSerializer, request.data)
        team = Team.objects.filter(pk=d["team"]).first() if d["team"] < 2**31 else None
        if team is None:
            raise _field_error("team", _("只能交给本中心的调解团队或部门窗口"))
        services.dispute_handover(actor=request.user, dispute=dispute, team=team, note=d["note"])
        return self._detail(dispute)

    @extend_schema(methods=["GET"], parameters=[NUMBER],
                   responses={200: SessionSerializer(many=True), **error_responses(401, 403, 404)})
    @extend_schema(methods=["POST"], parameters=[NUMBER], request=SessionCreateSerializer,
                   responses={201: SessionSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain list
    def sessions(self, request: Request, number: str) -> Response:
        """GET: the dispute's sessions. POST: book one (room and mediators never double-booked: code clash)."""
        dispute = self._get(number)
        if request.method == "GET":
            rows = dispute.sessions.select_related("booking__room").prefetch_related("booking__people")
            return Response(SessionSerializer(rows, many=True).data)
        d = _valid(SessionCreateSerializer, request.data)
        room = Room.objects.filter(pk=d["room"]).first() if d["room"] < 2**31 else None
        if room is None:
            raise _field_error("room", _("只能使用本中心的调解室"))
        wanted = {pk for pk in d["mediators"] if 0 < pk < 2**31}
        mediators = list(User.objects.filter(pk__in=wanted, kind=UserKind.STAFF).order_by("id"))
        if len(mediators) != len(set(d["mediators"])):  # missing answers like ineligible (the service's check)
            raise DomainError(services.MEDIATOR_REFUSED, fields={"mediators": [services.MEDIATOR_REFUSED]},
                              code="invalid_target")
        session = services.session_schedule(actor=request.user, dispute=dispute, starts_at=d["starts_at"],
                                            ends_at=d["ends_at"], room=room, mediators=mediators)
        session = Session.objects.select_related("booking__room").prefetch_related("booking__people").get(pk=session.pk)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[NUMBER, SESSION_ID], request=SessionRecordSerializer,
                   responses={200: SessionSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"], url_path=r"sessions/(?P<session_id>[0-9]+)/record")
    def record(self, request: Request, number: str, session_id: str) -> Response:
        """Record who came and the minutes of a session; it then counts as held."""
        dispute = self._get(number)
        session = self._session(dispute, session_id)
        d = _valid(SessionRecordSerializer, request.data)
        services.session_record(actor=request.user, session=session, attended=d["attended"], minutes=d["minutes"])
        session = Session.objects.select_related("booking__room").prefetch_related("booking__people").get(pk=session.pk)
        return Response(SessionSerializer(session).data)

    @extend_schema(parameters=[NUMBER], request=ConcludeSerializer,
                   responses={200: DisputeDetailSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def conclude(self, request: Request, number: str) -> Response:
        """Record the outcome and close the case (an agreement must be signed first: code not_signed)."""
        dispute = self._get(number)
        d = _valid(ConcludeSerializer, request.data)
        services.dispute_conclude(actor=request.user, dispute=dispute, result=d["result"], note=d["note"],
                                  referred_to=d["referred_to"])
        return self._detail(dispute)

    @extend_schema(methods=["GET"], parameters=[NUMBER],
                   responses={200: AgreementSerializer(many=True), **error_responses(401, 403, 404)})
    @extend_schema(methods=["POST"], parameters=[NUMBER], request=AgreementCreateSerializer,
                   responses={201: AgreementSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain list
    def agreements(self, request: Request, number: str) -> Response:
        """GET: the dispute's agreements. POST: write one from the template (needs a held session)."""
        dispute = self._get(number)
        if request.method == "GET":
            rows = dispute.agreements.order_by("id").prefetch_related("followups__by")
            return Response(AgreementSerializer(rows, many=True).data)
        d = _valid(AgreementCreateSerializer, request.data)
        session = None
        if d["session"] is not None:
            session = dispute.sessions.filter(pk=d["session"]).first()
            if session is None:
                raise _field_error("session", _("未找到该调解安排"))
        agreement = services.agreement_create(actor=request.user, dispute=dispute, terms=d["terms"],
                                              session=session)
        return Response(AgreementSerializer(agreement).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[NUMBER, AGREEMENT_ID], request=None,
                   responses={200: AgreementSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"], url_path=r"agreements/(?P<agreement_id>[0-9]+)/sign")
    def sign(self, request: Request, number: str, agreement_id: str) -> Response:
        """Mark the agreement signed by the parties."""
        dispute = self._get(number)
        agreement = services.agreement_sign(actor=request.user, agreement=self._agreement(dispute, agreement_id))
        return Response(AgreementSerializer(agreement).data)

    @extend_schema(parameters=[NUMBER, AGREEMENT_ID],
                   responses={(200, DOCX): OpenApiTypes.BINARY, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["get"], url_path=r"agreements/(?P<agreement_id>[0-9]+)/docx")
    def docx(self, request: Request, number: str, agreement_id: str) -> HttpResponse:
        """Download the agreement as a printable DOCX (宋体)."""
        dispute = self._get(number)
        agreement = self._agreement(dispute, agreement_id)
        response = HttpResponse(agreement_docx(agreement), content_type=DOCX)
        response["Content-Disposition"] = f'attachment; filename="agreement-{dispute.case.number}-{agreement.pk}.docx"'
        return response

    @extend_schema(parameters=[NUMBER, AGREEMENT_ID], request=FollowUpCreateSerializer,
                   responses={201: FollowUpSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"], url_path=r"agreements/(?P<agreement_id>[0-9]+)/followups")
    def followups(self, request: Request, number: str, agreement_id: str) -> Response:
        """Record a return visit on how the agreement is performed (履行回访)."""
        dispute = self._get(number)
        agreement = self._agreement(dispute, agreement_id)
        d = _valid(FollowUpCreateSerializer, request.data)
        fu = services.followup_record(actor=request.user, agreement=agreement, result=d["result"], note=d["note"])
        return Response(FollowUpSerializer(fu).data, status=status.HTTP_201_CREATED)


__all__ = ["DisputeViewSet"]
