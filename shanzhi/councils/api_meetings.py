"""REST read endpoints of council meetings and decisions (staff, scoped like the pages: out of scope is 404).

A secret ballot never says who voted how: its motion carries counts only. Open ballots name the member
(a member's name, never a phone or an ID number)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.councils import selectors_meetings as sel
from shanzhi.councils import services_meetings as svc
from shanzhi.councils.models import (
    AgendaItem,
    Ballot,
    Decision,
    DecisionOutcome,
    Meeting,
    MeetingStatus,
    Motion,
    Task,
)
from shanzhi.lib import parsing
from shanzhi.org.api import StaffViewSet, parse_query


class CouncilRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField(source="unit.code", help_text="code of the council's unit")
    type = serializers.CharField(source="type.code", help_text="council type code")


class CouncilAgendaItemSerializer(serializers.ModelSerializer):
    topic = serializers.CharField(source="topic.number", help_text="topic number")
    title = serializers.CharField(source="topic.title")
    status = serializers.CharField(source="topic.status", help_text="the topic's lifecycle status")

    class Meta:
        model = AgendaItem
        fields = ["order", "topic", "title", "status"]


class CouncilBallotSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.name")
    choice = serializers.CharField(help_text="yes, no or abstain")

    class Meta:
        model = Ballot
        fields = ["member", "choice", "at"]


class CouncilMotionSerializer(serializers.ModelSerializer):
    topic = serializers.CharField(source="topic.number", allow_null=True, default=None)
    result = serializers.CharField(help_text="passed, failed, or empty while the vote is open")
    ballots = serializers.SerializerMethodField(help_text="who voted how; empty on a secret or show-of-hands vote")

    class Meta:
        model = Motion
        fields = ["id", "text", "topic", "secret", "by_show_of_hands", "yes", "no", "abstain", "present", "members",
                  "result", "opened_at", "closed_at", "ballots"]

    @extend_schema_field(CouncilBallotSerializer(many=True))
    def get_ballots(self, motion: Motion) -> list:
        if motion.secret:
            return []
        return CouncilBallotSerializer(motion.ballots.all(), many=True).data


class MeetingSerializer(serializers.ModelSerializer):
    council = CouncilRefSerializer()
    place = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="planned, open, closed or cancelled")

    class Meta:
        model = Meeting
        fields = ["id", "council", "title", "starts_at", "ends_at", "place", "is_public", "status", "closed_at"]

    def get_place(self, meeting: Meeting) -> str:
        return svc.place_of(meeting)


class MeetingDetailSerializer(MeetingSerializer):
    agenda = CouncilAgendaItemSerializer(many=True)
    motions = CouncilMotionSerializer(many=True)
    present = serializers.SerializerMethodField(help_text="current members present")
    members = serializers.SerializerMethodField(help_text="current members of the council")
    quorum_met = serializers.SerializerMethodField()
    decisions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "minutes", "agenda", "present", "members", "quorum_met", "motions",
                  "decisions"]

    def get_present(self, meeting: Meeting) -> int:
        return svc.present_count(meeting)

    def get_members(self, meeting: Meeting) -> int:
        return svc.members_count(meeting)

    def get_quorum_met(self, meeting: Meeting) -> bool:
        return svc.quorum_met(meeting)


class DecisionSerializer(serializers.ModelSerializer):
    topic = serializers.CharField(source="topic.number", help_text="topic number")
    title = serializers.CharField(source="topic.title")
    council = CouncilRefSerializer(source="topic.council")
    meeting = serializers.IntegerField(source="meeting_id", allow_null=True)
    motion = serializers.IntegerField(source="motion_id", allow_null=True)
    outcome = serializers.CharField(help_text="adopted, rejected or referred")

    class Meta:
        model = Decision
        fields = ["id", "topic", "title", "council", "meeting", "motion", "outcome", "text", "referred_to", "progress",
                  "published_at", "done_at", "created_at"]


class CouncilCaseRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()


class CouncilTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner = serializers.CharField(source="owner.__str__")
    due_on = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)


class CouncilNoteSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class DecisionDetailSerializer(DecisionSerializer):
    cases = serializers.SerializerMethodField()
    tasks = CouncilTaskSerializer(many=True)
    notes = CouncilNoteSerializer(source="progress_notes", many=True)

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "cases", "tasks", "notes"]

    @extend_schema_field(CouncilCaseRefSerializer(many=True))
    def get_cases(self, decision: Decision) -> list:
        return CouncilCaseRefSerializer([link.case for link in decision.case_links.select_related("case").order_by("id")],
                                 many=True).data


class MeetingFilterSerializer(serializers.Serializer):
    council = parsing.ApiIdField(required=False, help_text="council id")
    status = serializers.CharField(required=False, help_text="planned, open, closed or cancelled")

    def validate_status(self, value: str) -> str:
        if value not in MeetingStatus.values:
            raise serializers.ValidationError(_("状态只能是 planned、open、closed 或 cancelled"))
        return value


class DecisionFilterSerializer(serializers.Serializer):
    council = parsing.ApiIdField(required=False, help_text="council id")
    outcome = serializers.CharField(required=False, help_text="adopted, rejected or referred")

    def validate_outcome(self, value: str) -> str:
        if value not in DecisionOutcome.values:
            raise serializers.ValidationError(_("结果只能是 adopted、rejected 或 referred"))
        return value


@extend_schema(tags=["councils"])
class CouncilMeetingViewSet(StaffViewSet):
    """Council meetings the caller may see (staff of the council's unit and above, or its members)."""

    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer

    @extend_schema(parameters=[MeetingFilterSerializer],
                   responses={200: MeetingSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List meetings in scope, newest first, by council and status."""
        f = parse_query(MeetingFilterSerializer, request)
        rows: QuerySet[Meeting] = sel.meeting_list_for(user=request.user, status=f.get("status", ""))
        if f.get("council"):
            rows = rows.filter(council_id=f["council"])
        return self.paginated(rows, MeetingSerializer)

    @extend_schema(responses={200: MeetingDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a meeting with its agenda, attendance counts, quorum, motions with results, and decisions."""
        meeting = sel.meeting_get_for(user=request.user, pk=pk)
        meeting = (Meeting.objects.select_related(*sel.MEETING_RELATED)
                   .prefetch_related(Prefetch("agenda", AgendaItem.objects.select_related("topic").order_by("order")),
                                     Prefetch("motions", Motion.objects.select_related("topic").prefetch_related(
                                         Prefetch("ballots", Ballot.objects.select_related("member")
                                                  .order_by("member__name", "id"))).order_by("id")),
                                     "decisions").get(pk=meeting.pk))
        return Response(MeetingDetailSerializer(meeting, context=self.get_serializer_context()).data)


@extend_schema(tags=["councils"])
class CouncilDecisionViewSet(StaffViewSet):
    """Council decisions the caller may see, with their follow-through."""

    queryset = Decision.objects.none()
    serializer_class = DecisionSerializer

    @extend_schema(parameters=[DecisionFilterSerializer],
                   responses={200: DecisionSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List decisions in scope, newest first, by council and outcome."""
        f = parse_query(DecisionFilterSerializer, request)
        rows = sel.decision_list_for(user=request.user)
        if f.get("council"):
            rows = rows.filter(topic__council_id=f["council"])
        if f.get("outcome"):
            rows = rows.filter(outcome=f["outcome"])
        return self.paginated(rows, DecisionSerializer)

    @extend_schema(responses={200: DecisionDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a decision with its cases (number and status), tasks and progress notes."""
        decision = sel.decision_get_for(user=request.user, pk=pk)
        decision = (Decision.objects.select_related("topic__council__unit", "topic__council__type")
                    .prefetch_related(Prefetch("tasks", Task.objects.select_related("owner").order_by("due_on", "id")),
                                      "progress_notes").get(pk=decision.pk))
        return Response(DecisionDetailSerializer(decision, context=self.get_serializer_context()).data)

