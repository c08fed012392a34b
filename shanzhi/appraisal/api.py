"""REST endpoints of the moral-appraisal panel (read only).

- `honour-roll/`: the honour roll 红榜 entries the caller may read (staff by scope, residents their own
  village, members their panel's village): public data only (name, kind, citation with numbers masked,
  date, village); nothing about who nominated.
- `appraisal-complaints/`: conduct complaints with their hearing and decision, for staff whose scope holds
  the village (out of scope answers 404 like a missing one). No complainant, no phone, no ID number.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.appraisal import selectors
from shanzhi.appraisal.models import Complaint, ConductKind, DeedKind, HonourEntry, Remedy
from shanzhi.lib import parsing
from shanzhi.lib.codes import mask_text
from shanzhi.lib.errors import NotFound
from shanzhi.org.api import StaffViewSet, parse_query


class HonourEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="good_deed, family, filial, brave or other")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    citation = serializers.SerializerMethodField(help_text="what they did (phone and ID numbers masked)")
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = HonourEntry
        fields = ["id", "nominee_name", "kind", "kind_label", "citation", "honoured_on", "village", "village_name"]

    def get_citation(self, entry: HonourEntry) -> str:
        return selectors.citation(entry)


class HonourFilterSerializer(serializers.Serializer):
    village = serializers.CharField(required=False, max_length=20, help_text="village code")
    kind = serializers.ChoiceField(required=False, choices=DeedKind.values)
    honoured_from = parsing.ApiDateField(required=False, help_text="on the roll on or after this day")
    honoured_to = parsing.ApiDateField(required=False, help_text="on the roll on or before this day")


class AppraisalComplaintSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="topic.number", read_only=True, help_text="the council topic's number")
    status = serializers.CharField(source="topic.status", read_only=True, help_text="the topic's status")
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="uncivil, elders, dumping or other")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    act = serializers.SerializerMethodField(help_text="what happened (phone and ID numbers masked)")
    proposed = serializers.CharField(read_only=True, help_text="the hearing's proposal: educate or correct")
    decision = serializers.CharField(read_only=True, help_text="educate, correct, not_upheld or referred; "
                                                              "empty until the panel decides")
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)
    by_proxy = serializers.SerializerMethodField(help_text="filed by a grid worker for a resident")

    class Meta:
        model = Complaint
        fields = ["id", "number", "status", "village", "village_name", "kind", "kind_label", "subject_name", "act",
                  "occurred_on", "heard_on", "heard", "findings", "proposed", "decision", "decision_label",
                  "decided_at", "follow_up", "corrected", "followed_up_at", "created_at", "by_proxy"]

    def get_act(self, c: Complaint) -> str:
        return mask_text(c.act)

    def get_by_proxy(self, c: Complaint) -> bool:
        return c.topic.proxy_id is not None


class AppraisalComplaintFilterSerializer(serializers.Serializer):
    village = serializers.CharField(required=False, max_length=20, help_text="village code")
    kind = serializers.ChoiceField(required=False, choices=ConductKind.values)
    decision = serializers.ChoiceField(required=False, choices=[*Remedy.values, "none"],
                                       help_text="a decision, or none for those not decided yet")


ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(tags=["appraisal"])
class HonourViewSet(StaffViewSet):
    """The honour roll 红榜 entries the caller may read."""

    permission_classes = [permissions.IsAuthenticated]
    queryset = HonourEntry.objects.none()
    serializer_class = HonourEntrySerializer

    @extend_schema(parameters=[HonourFilterSerializer],
                   responses={200: HonourEntrySerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List honour-roll entries the caller may read, newest first, by village, kind and dates."""
        f = parse_query(HonourFilterSerializer, request)
        rows: QuerySet[HonourEntry] = selectors.honour_list_for(user=request.user)
        if f.get("village"):
            rows = rows.filter(village__code=f["village"])
        if f.get("kind"):
            rows = rows.filter(kind=f["kind"])
        if f.get("honoured_from"):
            rows = rows.filter(honoured_on__gte=f["honoured_from"])
        if f.get("honoured_to"):
            rows = rows.filter(honoured_on__lte=f["honoured_to"])
        return self.paginated(rows.order_by("-honoured_on", "-id"), HonourEntrySerializer)


@extend_schema(tags=["appraisal"])
class ComplaintViewSet(StaffViewSet):
    """Conduct complaints heard by the moral panels in the caller's scope (staff only)."""

    queryset = Complaint.objects.none()
    serializer_class = AppraisalComplaintSerializer

    def _scoped(self) -> QuerySet[Complaint]:
        return selectors.complaint_list_for(user=self.request.user).select_related("topic", "village")

    @extend_schema(parameters=[AppraisalComplaintFilterSerializer],
                   responses={200: AppraisalComplaintSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List complaints in scope, newest first, by village, kind and decision."""
        f = parse_query(AppraisalComplaintFilterSerializer, request)
        rows = self._scoped()
        if f.get("village"):
            rows = rows.filter(village__code=f["village"])
        if f.get("kind"):
            rows = rows.filter(kind=f["kind"])
        if f.get("decision") == "none":
            rows = rows.filter(decision="")
        elif f.get("decision"):
            rows = rows.filter(decision=f["decision"])
        return self.paginated(rows.order_by("-created_at", "-id"), AppraisalComplaintSerializer)

    @extend_schema(parameters=[ID], responses={200: AppraisalComplaintSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a complaint with its hearing, decision and follow-up."""
        try:
            c = selectors.complaint_get_for(user=request.user, pk=pk)
        except NotFound:
            raise NotFound(_("未找到该评议事项")) from None
        return Response(AppraisalComplaintSerializer(c, context=self.get_serializer_context()).data)

