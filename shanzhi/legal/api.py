"""REST read endpoints of the legal service team: questions and advisers, each scoped by the selectors.

Staff see their scope's questions (private ones too), an adviser their villages', a resident their own and
their village's answered public ones. No question ever carries the asker's identity: only `mine` tells the
caller whether it is their own.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.legal import access, selectors
from shanzhi.legal.models import Appointment, Question
from shanzhi.lib.errors import NotFound
from shanzhi.lib.parsing import id_or_none
from shanzhi.org.api import StaffViewSet, parse_query


class QuestionSerializer(serializers.ModelSerializer):
    """A legal question: its text and answer, never who asked."""

    village = serializers.CharField(source="village.code", read_only=True, help_text="unit code of the village")
    village_name = serializers.CharField(source="village.name", read_only=True)
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    answered = serializers.SerializerMethodField()
    mine = serializers.SerializerMethodField(help_text="whether the caller asked it")

    text = serializers.SerializerMethodField(help_text="as written for the asker and the team; for other "
                                                       "residents with phone and ID numbers masked")
    answer = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["id", "village", "village_name", "category", "category_name", "is_public", "text", "asked_at",
                  "answered", "answer", "answered_at", "mine"]

    def get_text(self, q: Question) -> str:
        return access.shown(self.context["request"].user, q)[0]

    def get_answer(self, q: Question) -> str:
        return access.shown(self.context["request"].user, q)[1]

    def get_answered(self, q: Question) -> bool:
        return q.answered_at is not None

    def get_mine(self, q: Question) -> bool:
        return q.asker_id == self.context["request"].user.pk


class QuestionFilterSerializer(serializers.Serializer):
    village = serializers.CharField(required=False, max_length=12, help_text="unit code of a village")
    answered = serializers.BooleanField(required=False, allow_null=True, default=None)
    category = serializers.CharField(required=False, max_length=30)


class DutySerializer(serializers.Serializer):
    weekday = serializers.IntegerField(allow_null=True, help_text="0 = Monday; null for a one-date duty")
    on_date = serializers.DateField(allow_null=True)
    starts = serializers.CharField(help_text="local time (Asia/Shanghai), HH:MM")
    ends = serializers.CharField(help_text="local time (Asia/Shanghai), HH:MM")
    place = serializers.CharField()
    slot_minutes = serializers.IntegerField()


class AdviserSerializer(serializers.ModelSerializer):
    """An appointment: the adviser's name, the village, the term and the weekly schedule."""

    adviser = serializers.CharField(source="adviser.__str__", read_only=True, help_text="the adviser's name")
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    last_day = serializers.DateField(read_only=True, help_text="the term's end, or the day before it was ended")
    schedule = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = ["id", "adviser", "village", "village_name", "started_on", "term_ends_on", "ended_on", "last_day",
                  "schedule"]

    @extend_schema_field(DutySerializer(many=True))
    def get_schedule(self, a: Appointment) -> list[dict]:
        return DutySerializer([{"weekday": d.weekday, "on_date": d.on_date, "starts": f"{d.starts:%H:%M}",
                                "ends": f"{d.ends:%H:%M}", "place": d.place, "slot_minutes": d.slot_minutes}
                               for d in a.duties.all() if d.removed_at is None], many=True).data


class AdviserFilterSerializer(serializers.Serializer):
    village = serializers.CharField(required=False, max_length=12, help_text="unit code of a village")
    current = serializers.BooleanField(required=False, default=True, help_text="only appointments holding today")


@extend_schema(tags=["legal"])
class LegalQuestionViewSet(StaffViewSet):
    """Legal questions the caller may see."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = QuestionSerializer
    queryset = Question.objects.none()

    @extend_schema(parameters=[QuestionFilterSerializer],
                   responses={200: QuestionSerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List questions in scope, newest first, by village, category or whether answered."""
        f = parse_query(QuestionFilterSerializer, request)
        rows = selectors.question_list_for(user=request.user)
        if f.get("village"):
            rows = rows.filter(village__code=f["village"])
        if f.get("category"):
            rows = rows.filter(category__code=f["category"])
        if f.get("answered") is not None:
            rows = rows.filter(answered_at__isnull=not f["answered"])
        return self.paginated(rows.order_by("-asked_at", "-id"), QuestionSerializer)

    @extend_schema(parameters=[], responses={200: QuestionSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show one question."""
        q = selectors.question_get_for(user=request.user, pk=_id(pk))
        return Response(QuestionSerializer(q, context=self.get_serializer_context()).data)


def _id(value: str) -> int:
    found = id_or_none(value)
    if found is None:
        raise NotFound("未找到该问题")
    return found


@extend_schema(tags=["legal"])
class LegalAdviserViewSet(StaffViewSet):
    """Legal advisers' appointments: staff in scope, the adviser's own, a resident's village's current one."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = AdviserSerializer
    queryset = Appointment.objects.none()

    @extend_schema(parameters=[AdviserFilterSerializer],
                   responses={200: AdviserSerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List appointments with their schedule (current ones unless current=false)."""
        f = parse_query(AdviserFilterSerializer, request)
        rows = selectors.adviser_list_for(user=request.user, current_only=f["current"])
        if f.get("village"):
            rows = rows.filter(village__code=f["village"])
        return self.paginated(rows.order_by("village__path", "-started_on", "id"), AdviserSerializer)
