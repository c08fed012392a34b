"""REST read endpoints of the elections (staff, scoped like the overview: out of scope is 404).

Rounds, elections (stage, statutory dates, seats, roll and turnout), the official candidates once their list
is published (name, sex and position: nothing personal, never an ID number, phone or voter number) and the
results once certified. Nothing here says who voted how: the schema has no such link to give.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.elections import selectors_overview as sel
from shanzhi.elections.models import Candidate, CandidateStatus, Election, Result, Round, Stage
from shanzhi.elections.rules import at_risk, schedule
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import NotFound
from shanzhi.org.api import StaffViewSet, parse_query


class ElectionUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ElectionRulesSerializer(serializers.Serializer):
    roll_days_before = serializers.IntegerField(help_text="the roll is published at least this many days before")
    objection_days = serializers.IntegerField(help_text="objections within this many days of publication")
    answer_days = serializers.IntegerField(help_text="an objection is answered within this many days")
    candidates_days_before = serializers.IntegerField(help_text="official candidates published this many days "
                                                                "before, at least")
    voting_age = serializers.IntegerField()
    min_women = serializers.IntegerField(help_text="women among those elected, at least")
    proxy_limit = serializers.IntegerField(help_text="entrustments one proxy may hold, at most")
    min_scrutineers = serializers.IntegerField()


class ElectionRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    unit = ElectionUnitSerializer()
    election_day = serializers.DateField()
    rules = ElectionRulesSerializer()


class ElectionDatesSerializer(serializers.Serializer):
    roll_by = serializers.DateField(help_text="the roll published on or before")
    candidates_by = serializers.DateField(help_text="official candidates published on or before")
    objections_until = serializers.DateField(allow_null=True, help_text="known once the roll is published")
    answers_until = serializers.DateField(allow_null=True)


class ElectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round_id")
    unit = ElectionUnitSerializer()
    town = ElectionUnitSerializer(source="unit.parent", allow_null=True)
    election_day = serializers.DateField()
    stage = serializers.CharField(help_text="setup, roll, roll_published, nomination, candidates, voting, counted, "
                                            "further, certified or void")
    stage_label = serializers.CharField(source="get_stage_display")
    seats = serializers.IntegerField(help_text="chair + vice-chairs + members")
    vice_chairs = serializers.IntegerField()
    members = serializers.IntegerField()
    min_women = serializers.IntegerField()
    dates = serializers.SerializerMethodField()
    at_risk = serializers.SerializerMethodField(help_text="statutory steps late or due within three days")
    roll_published_at = serializers.DateTimeField(allow_null=True)
    candidates_published_at = serializers.DateTimeField(allow_null=True)
    certified_on = serializers.DateField(allow_null=True)
    voters = serializers.IntegerField(source="roll_count", help_text="entries on the roll (not removed)")
    voted = serializers.SerializerMethodField(help_text="voters who took part (first ballot), once voting began")
    turnout = serializers.SerializerMethodField(help_text="voted ÷ voters, once voting began")

    @extend_schema_field(ElectionDatesSerializer)
    def get_dates(self, e: Election) -> dict:
        s = schedule(e)
        return ElectionDatesSerializer({"roll_by": s.roll_by, "candidates_by": s.candidates_by,
                                        "objections_until": s.objections_until,
                                        "answers_until": s.answers_until}).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_at_risk(self, e: Election) -> list[str]:
        if e.stage in (Stage.CERTIFIED, Stage.VOID):
            return []
        return at_risk(e, self.context["today"])

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_voted(self, e: Election) -> int | None:
        return e.voted_count if e.stage in sel.VOTED else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_turnout(self, e: Election) -> float | None:
        return sel.turnout(e.voted_count, e.roll_count) if e.stage in sel.VOTED else None


class ElectionCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    election = serializers.IntegerField(source="election_id")
    village = serializers.CharField(source="election.unit.name")
    position = serializers.CharField(help_text="chair, vice_chair or member")
    position_label = serializers.CharField(source="get_position_display")
    name = serializers.CharField()
    sex = serializers.CharField(help_text="M or F")
    nominations = serializers.IntegerField(help_text="nomination votes (海选)")


class ElectionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    election = serializers.IntegerField(source="election_id")
    village = serializers.CharField(source="election.unit.name")
    ballot_round = serializers.IntegerField(help_text="1 the election, 2 a further round (另行选举)")
    position = serializers.CharField(help_text="chair, vice_chair or member")
    name = serializers.CharField()
    sex = serializers.CharField()
    votes = serializers.IntegerField()
    elected = serializers.BooleanField()
    note = serializers.CharField()


class ElectionFilterSerializer(serializers.Serializer):
    round = parsing.ApiIdField(required=False, help_text="round id")
    town = serializers.CharField(required=False, max_length=30, help_text="code of a town: its villages only")
    stage = serializers.CharField(required=False, help_text="one stage (see `stage`)")

    def validate_stage(self, value: str) -> str:
        if value not in Stage.values:
            raise serializers.ValidationError(_("阶段无效"))
        return value


class ElectionChildFilterSerializer(serializers.Serializer):
    election = parsing.ApiIdField(required=False, help_text="election id")
    round = parsing.ApiIdField(required=False, help_text="round id")


def _elections(request: Request, f: dict) -> QuerySet[Election]:
    rows = sel.election_list_for(user=request.user, round_id=f.get("round"), stage=f.get("stage", ""))
    if f.get("town"):
        rows = rows.filter(unit__parent__code=f["town"])
    return sel.with_counts(rows)


def published_candidates(user) -> QuerySet[Candidate]:
    """Official candidates of the elections the user may see whose list is published."""
    return (Candidate.objects.filter(sel.visible_units_q(user), status=CandidateStatus.OFFICIAL,
                                     election__candidates_published_at__isnull=False)
            .select_related("election__unit").order_by("election__unit__path", "position", "-nominations", "id"))


def published_results(user) -> QuerySet[Result]:
    """Result lines of the elections the user may see whose result is certified (announced)."""
    return (Result.objects.filter(sel.visible_units_q(user), election__certified_on__isnull=False,
                                  election__stage=Stage.CERTIFIED)
            .select_related("election__unit")
            .order_by("election__unit__path", "ballot_round", "position", "-votes", "id"))


@extend_schema(tags=["elections"])
class ElectionRoundViewSet(StaffViewSet):
    """Election rounds (换届) with an election the caller may see, and the rules they run under."""

    queryset = Round.objects.none()
    serializer_class = ElectionRoundSerializer

    @extend_schema(responses={200: ElectionRoundSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List rounds, newest first."""
        return self.paginated(sel.round_list_for(user=request.user), ElectionRoundSerializer)

    @extend_schema(responses={200: ElectionRoundSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a round with its rules."""
        row = sel.round_get_for(user=request.user, pk=parsing.id_or_none(pk) or 0)
        return Response(ElectionRoundSerializer(row).data)


@extend_schema(tags=["elections"])
class ElectionViewSet(StaffViewSet):
    """Village and community elections in the caller's scope: stage, statutory dates, seats, roll, turnout."""

    queryset = Election.objects.none()
    serializer_class = ElectionSerializer

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": clock.today()}

    @extend_schema(parameters=[ElectionFilterSerializer],
                   responses={200: ElectionSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List elections in scope in unit order, by round, town and stage."""
        return self.paginated(_elections(request, parse_query(ElectionFilterSerializer, request)),
                              ElectionSerializer)

    @extend_schema(responses={200: ElectionSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show an election."""
        row = sel.election_get_for(user=request.user, pk=parsing.id_or_none(pk) or 0)
        return Response(ElectionSerializer(row, context=self.get_serializer_context()).data)


def _child_filter(rows, f: dict):
    if f.get("election"):
        rows = rows.filter(election_id=f["election"])
    if f.get("round"):
        rows = rows.filter(election__round_id=f["round"])
    return rows


@extend_schema(tags=["elections"])
class ElectionCandidateViewSet(StaffViewSet):
    """Official candidates once their list is published: name, sex, position and nominations only."""

    queryset = Candidate.objects.none()
    serializer_class = ElectionCandidateSerializer

    @extend_schema(parameters=[ElectionChildFilterSerializer],
                   responses={200: ElectionCandidateSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List published official candidates in scope, by election or round."""
        f = parse_query(ElectionChildFilterSerializer, request)
        return self.paginated(_child_filter(published_candidates(request.user), f), ElectionCandidateSerializer)

    @extend_schema(responses={200: ElectionCandidateSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a published official candidate."""
        row = published_candidates(request.user).filter(pk=parsing.id_or_none(pk) or 0).first()
        if row is None:
            raise NotFound("未找到该候选人")
        return Response(ElectionCandidateSerializer(row).data)


@extend_schema(tags=["elections"])
class ElectionResultViewSet(StaffViewSet):
    """Certified results: votes per person and position per ballot round, and who was elected."""

    queryset = Result.objects.none()
    serializer_class = ElectionResultSerializer

    @extend_schema(parameters=[ElectionChildFilterSerializer],
                   responses={200: ElectionResultSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List the result lines of certified elections in scope, by election or round."""
        f = parse_query(ElectionChildFilterSerializer, request)
        return self.paginated(_child_filter(published_results(request.user), f), ElectionResultSerializer)

    @extend_schema(responses={200: ElectionResultSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a result line of a certified election."""
        row = published_results(request.user).filter(pk=parsing.id_or_none(pk) or 0).first()
        if row is None:
            raise NotFound("未找到该选举结果")
        return Response(ElectionResultSerializer(row).data)
