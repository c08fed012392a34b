"""REST endpoints of the registry: households and residents.

Thin: reads through shanzhi.people.selectors (scoped; out of scope answers like missing), writes
through shanzhi.people.services. Responses carry masked ID numbers and phones only; the full value
comes from the audited reveal endpoint, one field at a time, with a reason.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.org import selectors as org_selectors
from shanzhi.org.api import StaffViewSet, parse_query, resolve
from shanzhi.people import selectors, services
from shanzhi.people.models import Household, Registration, Relation, Resident, ResidentStatus

# --- serializers ------------------------------------------------------------------------------


class HouseholdSerializer(serializers.ModelSerializer):
    micro_grid = serializers.CharField(source="micro_grid.code", read_only=True, help_text="micro-grid code")
    micro_grid_name = serializers.CharField(source="micro_grid.name", read_only=True)
    central_household = serializers.IntegerField(source="central_household_id", allow_null=True, read_only=True)

    class Meta:
        model = Household
        fields = ["id", "number", "micro_grid", "micro_grid_name", "address", "lat", "lon", "registration",
                  "central_household", "is_active"]


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class TagCodesField(serializers.Field):
    """Care tags as their codes; reads the prefetched tags (no query per row)."""

    def to_representation(self, manager) -> list[str]:
        return [t.code for t in manager.all()]


class MemberSerializer(serializers.ModelSerializer):
    """A resident as seen inside a household: masked identifiers only."""

    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    tags = TagCodesField(read_only=True)

    class Meta:
        model = Resident
        fields = ["id", "name", "sex", "birth_date", "id_number_masked", "phone_masked", "relation", "residence",
                  "status", "status_date", "tags"]


class HouseholdDetailSerializer(HouseholdSerializer):
    residents = serializers.SerializerMethodField(help_text="current members, identifiers masked")

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "residents"]

    @extend_schema_field(MemberSerializer(many=True))
    def get_residents(self, household: Household) -> list[dict]:
        return MemberSerializer(self.context["members"], many=True).data


class ResidentSerializer(MemberSerializer):
    household = serializers.IntegerField(source="household_id", allow_null=True, read_only=True)
    household_number = serializers.CharField(source="household.number", allow_null=True, default=None,
                                             read_only=True)
    micro_grid = serializers.CharField(source="household.micro_grid.code", allow_null=True, default=None,
                                       read_only=True)

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "household", "household_number", "micro_grid"]


class StaySerializer(serializers.Serializer):
    household = serializers.IntegerField(source="household_id")
    household_number = serializers.CharField(source="household.number")
    relation = serializers.CharField()
    moved_in = serializers.DateField()
    moved_out = serializers.DateField(allow_null=True)
    reason = serializers.CharField()


class ResidentDetailSerializer(ResidentSerializer):
    history = serializers.SerializerMethodField(help_text="stays in households, oldest first")

    class Meta(ResidentSerializer.Meta):
        fields = [*ResidentSerializer.Meta.fields, "history"]

    @extend_schema_field(StaySerializer(many=True))
    def get_history(self, resident: Resident) -> list[dict]:
        return StaySerializer(resident.residencies.select_related("household").order_by("moved_in", "id"),
                              many=True).data


class HouseholdFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, help_text="code of a unit: households in it and below")
    q = serializers.CharField(required=False, help_text="household number, part of the address, or a member's name")


class HouseholdCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30)
    micro_grid = serializers.CharField(help_text="micro-grid code")
    address = serializers.CharField(max_length=200)
    registration = serializers.ChoiceField(choices=Registration.choices)
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("经纬度须同时填写")]})
        return attrs


class HouseholdUpdateSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=200, required=False)
    registration = serializers.ChoiceField(choices=Registration.choices, required=False)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("请提供要修改的字段"))
        if ("lat" in attrs) != ("lon" in attrs):
            raise serializers.ValidationError({"lat": [_("经纬度须同时填写")]})
        return attrs


class ResidentFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, help_text="code of a unit: residents in it and below")
    q = serializers.CharField(required=False, help_text="name (or its start), or an exact ID number or phone")
    tag = serializers.CharField(required=False, help_text="care tag code, e.g. elderly_alone")


class ResidentCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField(help_text="household id")
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=30, help_text="GB 11643, 18 characters")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    relation = serializers.ChoiceField(choices=Relation.choices, required=False, default=Relation.OTHER)
    residence = serializers.ChoiceField(choices=Registration.choices[:2], required=False,
                                        default=Registration.REGISTERED)
    tags = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                 help_text="care tag codes")
    moved_in = serializers.DateField(required=False, allow_null=True, default=None)


class ResidentUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text="empty to clear")
    relation = serializers.ChoiceField(choices=Relation.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False, help_text="care tag codes")

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("请提供要修改的字段"))
        return attrs


class ResidentMoveSerializer(serializers.Serializer):
    household = serializers.IntegerField(help_text="id of the household moved to")
    relation = serializers.ChoiceField(choices=Relation.choices, required=False, default=Relation.OTHER)
    day = serializers.DateField(required=False, allow_null=True, default=None, help_text="default: today")


class ResidentEndSerializer(serializers.Serializer):
    # The resident's own status enum (one named enum in the schema); the service refuses "active".
    status = serializers.ChoiceField(choices=ResidentStatus.choices, help_text="moved_out or deceased")
    day = serializers.DateField(required=False, allow_null=True, default=None, help_text="default: today")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=[("id_number", "身份证号"), ("phone", "手机号")])
    reason = serializers.CharField(allow_blank=True, max_length=500, help_text="why the full value is needed")


RevealedSerializer = inline_serializer("Revealed", {"value": serializers.CharField()})


# --- views ----------------------------------------------------------------------------------

def _household_ref(user, pk: int) -> Household:
    return resolve("household", lambda: selectors.household_get_for(user=user, pk=pk), _("未找到该户"))


def _unit_filter(user, code: str | None):
    if not code:
        return None
    return resolve("unit", lambda: org_selectors.orgunit_get_for(user=user, code=code), _("未找到该单位"))


@extend_schema(tags=["households"])
class HouseholdViewSet(StaffViewSet):
    """Households in the caller's scope."""

    queryset = Household.objects.none()
    serializer_class = HouseholdSerializer

    def _detail(self, pk, status_code: int = 200) -> Response:
        user = self.request.user
        household = selectors.household_get_for(user=user, pk=pk)
        members = selectors.resident_list_for(user=user).filter(household=household).prefetch_related("tags")
        data = HouseholdDetailSerializer(household, context={"members": members}).data
        return Response(data, status=status_code)

    @extend_schema(parameters=[HouseholdFilterSerializer],
                   responses={200: HouseholdSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List households in scope, by unit or search."""
        f = parse_query(HouseholdFilterSerializer, request)
        rows = selectors.household_list_for(user=request.user, unit=_unit_filter(request.user, f.get("unit")),
                                            q=f.get("q", ""))
        return self.paginated(rows, HouseholdSerializer)

    @extend_schema(responses={200: HouseholdDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a household with its current members, identifiers masked."""
        return self._detail(pk)

    @extend_schema(request=HouseholdCreateSerializer,
                   responses={201: HouseholdDetailSerializer, **error_responses(400, 401, 403)})
    def create(self, request: Request) -> Response:
        """Register a household in a micro-grid."""
        s = HouseholdCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        micro_grid = resolve(
            "micro_grid",
            lambda: org_selectors.orgunit_get_for(user=request.user, code=d["micro_grid"], action="people.view"),
            _("未找到该微网格"),
        )
        h = services.household_create(actor=request.user, number=d["number"], micro_grid=micro_grid,
                                      address=d["address"], registration=d["registration"], lat=d["lat"],
                                      lon=d["lon"])
        return self._detail(h.pk, status.HTTP_201_CREATED)

    @extend_schema(request=HouseholdUpdateSerializer,
                   responses={200: HouseholdDetailSerializer, **error_responses(400, 401, 403, 404)})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a household's address, registration type or location."""
        household = selectors.household_get_for(user=request.user, pk=pk)
        s = HouseholdUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.household_update(actor=request.user, household=household, **s.validated_data)
        return self._detail(household.pk)


@extend_schema(tags=["residents"])
class ResidentViewSet(StaffViewSet):
    """Residents in the caller's scope; identifiers masked."""

    queryset = Resident.objects.none()
    serializer_class = ResidentSerializer

    def _get(self, pk) -> Resident:
        return selectors.resident_get_for(user=self.request.user, pk=pk)

    def _detail(self, pk, status_code: int = 200) -> Response:
        rows = selectors.resident_list_for(user=self.request.user, include_inactive=True)
        try:
            resident = rows.prefetch_related("tags").filter(pk=pk).first()
        except (ValueError, TypeError):
            resident = None
        if resident is None:  # the selector answers missing and out of scope the same way
            resident = self._get(pk)
        return Response(ResidentDetailSerializer(resident).data, status=status_code)

    @extend_schema(parameters=[ResidentFilterSerializer],
                   responses={200: ResidentSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List residents in scope: by unit, care tag, name, or exact ID number or phone."""
        f = parse_query(ResidentFilterSerializer, request)
        rows = selectors.resident_list_for(user=request.user, unit=_unit_filter(request.user, f.get("unit")),
                                           q=f.get("q", ""), tag=f.get("tag", ""))
        return self.paginated(rows.prefetch_related("tags"), ResidentSerializer)

    @extend_schema(responses={200: ResidentDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a resident, identifiers masked, with the households they lived in."""
        return self._detail(pk)

    @extend_schema(request=ResidentCreateSerializer,
                   responses={201: ResidentDetailSerializer, **error_responses(400, 401, 403)})
    def create(self, request: Request) -> Response:
        """Register a resident in a household; the ID number must be valid and new."""
        s = ResidentCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        household = _household_ref(request.user, d.pop("household"))
        r = services.resident_create(actor=request.user, household=household, **d)
        return self._detail(r.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ResidentUpdateSerializer,
                   responses={200: ResidentDetailSerializer, **error_responses(400, 401, 403, 404)})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a resident's name, phone, relation to the head or care tags."""
        resident = self._get(pk)
        s = ResidentUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.resident_update(actor=request.user, resident=resident, **s.validated_data)
        return self._detail(resident.pk)

    @extend_schema(request=ResidentMoveSerializer,
                   responses={200: ResidentDetailSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        """Move a resident to another household; the old stay is kept."""
        resident = self._get(pk)
        s = ResidentMoveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        to = _household_ref(request.user, d["household"])
        services.resident_move(actor=request.user, resident=resident, to_household=to, relation=d["relation"],
                               day=d["day"])
        return self._detail(resident.pk)

    @extend_schema(request=ResidentEndSerializer,
                   responses={200: ResidentDetailSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """Record that a resident moved out of the county or died."""
        resident = self._get(pk)
        s = ResidentEndSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.resident_end(actor=request.user, resident=resident, **s.validated_data)
        return self._detail(resident.pk)

    @extend_schema(request=RevealSerializer,
                   responses={200: RevealedSerializer, **error_responses(400, 401, 403, 404, 429)})
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str) -> Response:
        """Reveal a full ID number or phone, with a reason; the reveal is audited."""
        s = RevealSerializer(data=request.data)
        if not s.is_valid():
            self._get(pk)  # a missing or out-of-scope resident answers 404 before bad input does
            s.is_valid(raise_exception=True)
        # The service finds the resident itself, so an attempt out of scope is audited (and answers 404).
        value = services.resident_reveal(actor=request.user, resident=pk, **s.validated_data)
        response = Response({"value": value})
        response["Cache-Control"] = "no-store"
        return response
