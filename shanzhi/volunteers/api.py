"""REST read endpoints of volunteers and service requests, scoped by the selectors like the desk (staff by
their posts, team leaders their team's units). No personal data: no phones, ID numbers or addresses; a
requester appears as surname + 某 and the request's text is masked (`codes.mask_text`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.cases.public import mask_name
from shanzhi.lib.codes import mask_text
from shanzhi.org.api import StaffViewSet, parse_query
from shanzhi.volunteers import selectors
from shanzhi.volunteers.models import RequestStatus, ServiceRequest, Volunteer, VolunteerStatus


class VolunteerSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True, help_text="code of the volunteer's village")
    village_name = serializers.CharField(source="village.name", read_only=True)
    skills = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    villages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True,
                                            help_text="codes of the villages served")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    availability = serializers.ListField(child=serializers.DictField(), read_only=True,
                                         help_text="weekly slots: weekday (Monday 0), start and end HH:MM")

    class Meta:
        model = Volunteer
        fields = ["id", "name", "village", "village_name", "skills", "villages", "availability", "status",
                  "status_label", "applied_at", "approved_at"]


class ServiceRequestSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    skill = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requester = serializers.SerializerMethodField(help_text="surname + 某")
    text = serializers.SerializerMethodField(help_text="phones and ID numbers inside it masked")
    volunteer = serializers.IntegerField(source="volunteer_id", read_only=True, allow_null=True)
    volunteer_name = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    from_case = serializers.SerializerMethodField(help_text="made from a 求助 case")

    class Meta:
        model = ServiceRequest
        fields = ["id", "number", "village", "village_name", "skill", "requester", "text", "status", "status_label",
                  "wanted_from", "wanted_to", "volunteer", "volunteer_name", "assigned_at", "accepted_at",
                  "checkin_at", "checkout_at", "hours", "confirmed_at", "rating", "from_case", "created_at"]

    def get_requester(self, r: ServiceRequest) -> str:
        return mask_name(r.requester_name)

    def get_text(self, r: ServiceRequest) -> str:
        return mask_text(r.text)

    def get_volunteer_name(self, r: ServiceRequest) -> str:
        return r.volunteer.name if r.volunteer_id else ""

    def get_from_case(self, r: ServiceRequest) -> bool:
        return r.case_id is not None


class VolunteerFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(required=False, choices=VolunteerStatus.values,
                                     error_messages={"invalid_choice": "状态无效"})


class RequestFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(required=False, choices=RequestStatus.values,
                                     error_messages={"invalid_choice": "状态无效"})


@extend_schema(tags=["volunteers"])
class VolunteerViewSet(StaffViewSet):
    """Volunteers of the villages in the caller's scope (or under a team they lead)."""

    queryset = Volunteer.objects.none()
    serializer_class = VolunteerSerializer

    @extend_schema(parameters=[VolunteerFilterSerializer],
                   responses={200: VolunteerSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List volunteers in scope, by status."""
        f = parse_query(VolunteerFilterSerializer, request)
        rows = selectors.volunteer_list_for(user=request.user, status=f.get("status", "")).prefetch_related("villages")
        return self.paginated(rows, VolunteerSerializer)

    @extend_schema(responses={200: VolunteerSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a volunteer."""
        return Response(VolunteerSerializer(selectors.volunteer_get_for(user=request.user, pk=pk)).data)


@extend_schema(tags=["volunteers"])
class ServiceRequestViewSet(StaffViewSet):
    """Service requests of the villages in the caller's scope, newest first."""

    queryset = ServiceRequest.objects.none()
    serializer_class = ServiceRequestSerializer

    @extend_schema(parameters=[RequestFilterSerializer],
                   responses={200: ServiceRequestSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List service requests in scope, by status."""
        f = parse_query(RequestFilterSerializer, request)
        return self.paginated(selectors.request_list_for(user=request.user, status=f.get("status", "")),
                              ServiceRequestSerializer)

    @extend_schema(responses={200: ServiceRequestSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a service request."""
        return Response(ServiceRequestSerializer(selectors.request_get_for(user=request.user, pk=pk)).data)

