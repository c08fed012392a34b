"""REST read endpoints of the time bank: the village stores' items and the service teams' activities, scoped by
the same selectors as the pages. No personal data: no account, no volunteer's name, no check-in secret or code.
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts import scopes
from shanzhi.accounts.api import error_responses
from shanzhi.lib.errors import NotFound
from shanzhi.lib.parsing import ApiDateTimeField, id_or_none
from shanzhi.org.api import StaffViewSet, parse_query
from shanzhi.volunteers import access, activities
from shanzhi.volunteers.models import Activity, ActivityStatus, StoreItem


class StoreItemSerializer(serializers.ModelSerializer):
    """An item of a village's points store."""

    village = serializers.CharField(source="village.code", read_only=True, help_text="unit code of the village")
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = StoreItem
        fields = ["id", "village", "village_name", "name", "price", "stock", "is_active"]


class StoreItemFilterSerializer(serializers.Serializer):
    village = serializers.CharField(required=False, max_length=12, help_text="unit code of a village")


class ActivitySerializer(serializers.ModelSerializer):
    """An activity of a service team: what, where, when, places taken; never who signed up."""

    unit = serializers.CharField(source="unit.code", read_only=True, help_text="unit code of the team's village or town")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    skill = serializers.CharField(source="skill.code", read_only=True, allow_null=True, default=None)
    signed = serializers.IntegerField(read_only=True, help_text="places taken (sign-ups not cancelled)")
    multiplier = serializers.DecimalField(max_digits=4, decimal_places=2, read_only=True,
                                          help_text="points per hour are the county rule's times this")

    class Meta:
        model = Activity
        fields = ["id", "unit", "unit_name", "team_name", "title", "text", "place", "skill", "starts_at", "ends_at",
                  "capacity", "signed", "multiplier", "status"]


class ActivityFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, max_length=12, help_text="unit code of a village or town")
    status = serializers.ChoiceField(required=False, choices=ActivityStatus.choices)
    starts_after = ApiDateTimeField(required=False, help_text="activities starting at or after this time")


def store_items_for(user):
    """Items the user may see: their own village's on sale; staff in scope (view or counter) every item."""
    staff = Q(pk__in=[])
    for action in ("volunteers.view", "volunteers.counter"):
        if scopes.may_somewhere(user, action):
            staff |= scopes.unit_ids_q(user, action, "village")
    q = staff
    home = access.home_village(user)
    if home is not None:
        q |= Q(village=home, is_active=True)
    return StoreItem.objects.filter(q).select_related("village")


def _id(value: str, what: str) -> int:
    found = id_or_none(value)
    if found is None:
        raise NotFound(what)
    return found


@extend_schema(tags=["volunteers"])
class StoreItemViewSet(StaffViewSet):
    """Items of the village points stores (积分超市) the caller may see."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = StoreItemSerializer
    queryset = StoreItem.objects.none()

    @extend_schema(parameters=[StoreItemFilterSerializer],
                   responses={200: StoreItemSerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List items by village and price."""
        f = parse_query(StoreItemFilterSerializer, request)
        rows = store_items_for(request.user)
        if f.get("village"):
            rows = rows.filter(village__code=f["village"])
        return self.paginated(rows.order_by("village__path", "price", "id"), StoreItemSerializer)

    @extend_schema(parameters=[], responses={200: StoreItemSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show one item."""
        found = store_items_for(request.user).filter(pk=_id(pk, "未找到该商品")).first()
        if found is None:
            raise NotFound("未找到该商品")
        return Response(StoreItemSerializer(found, context=self.get_serializer_context()).data)


@extend_schema(tags=["volunteers"])
class VolunteerActivityViewSet(StaffViewSet):
    """Activities of the service teams the caller may see (staff in scope, leaders, volunteers, residents)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ActivitySerializer
    queryset = Activity.objects.none()

    @extend_schema(parameters=[ActivityFilterSerializer],
                   responses={200: ActivitySerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List activities, newest start first, by unit, status or start."""
        f = parse_query(ActivityFilterSerializer, request)
        rows = activities.activities_for(request.user)
        if f.get("unit"):
            rows = rows.filter(unit__code=f["unit"])
        if f.get("status"):
            rows = rows.filter(status=f["status"])
        if f.get("starts_after"):
            rows = rows.filter(starts_at__gte=f["starts_after"])
        return self.paginated(rows.order_by("-starts_at", "-id"), ActivitySerializer)

    @extend_schema(parameters=[], responses={200: ActivitySerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show one activity."""
        found = activities.activity_get(actor=request.user, pk=_id(pk, "未找到该活动"))
        found.signed = found.signups.filter(cancelled_at__isnull=True).count()
        return Response(ActivitySerializer(found, context=self.get_serializer_context()).data)

