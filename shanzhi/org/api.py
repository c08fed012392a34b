"""REST endpoints of the grid: units, locate, posts, departments.

Thin: reads go through shanzhi.org.selectors (scoped; out of scope answers like missing), writes
through shanzhi.org.services (which decide, through shanzhi.accounts.scopes, who may change what).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shanzhi.accounts import scopes
from shanzhi.accounts.api import STAFF_API, error_responses
from shanzhi.accounts.models import User, UserKind
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org import selectors, services
from shanzhi.org.models import Department, Level, OrgUnit, Post, Role, UnitKind

T = TypeVar("T")


def resolve(field: str, lookup: Callable[[], T], message: str) -> T:
    """Resolve an object named in the request body or query; missing or out of scope is a field error.

    Both answers are identical, so a reference leaks nothing about units the caller may not see.
    """
    try:
        return lookup()
    except NotFound:
        raise DomainError(message, fields={field: [message]}) from None


def parse_query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Validate query parameters with a serializer; bad ones answer 400 naming the parameter."""
    s = serializer_class(data=request.query_params)
    s.is_valid(raise_exception=True)
    return s.validated_data


# --- serializers ------------------------------------------------------------------------------

class CountsSerializer(serializers.Serializer):
    households = serializers.IntegerField(source="household_count")
    residents = serializers.IntegerField(source="resident_count")
    floating = serializers.IntegerField(source="floating_count")
    staff = serializers.IntegerField(source="staff_count")
    grid_workers = serializers.IntegerField(source="grid_worker_count")


def _parent_code(unit: OrgUnit) -> str | None:
    codes = unit.ancestor_codes
    return codes[-2] if len(codes) > 1 else None


class UnitBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["code", "name", "level"]


class UnitSerializer(serializers.ModelSerializer):
    """A unit without its boundary (lists); the parent's code comes from the path, no join."""

    parent = serializers.SerializerMethodField()
    counts = CountsSerializer(source="*")
    residents_per_grid_worker = serializers.FloatField(allow_null=True, read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "level", "kind", "parent", "counts", "residents_per_grid_worker",
                  "centre_lat", "centre_lon"]

    def get_parent(self, unit: OrgUnit) -> str | None:
        return _parent_code(unit)


class AncestorSerializer(UnitBriefSerializer):
    visible = serializers.SerializerMethodField(help_text="whether the caller may open this unit")

    class Meta(UnitBriefSerializer.Meta):
        fields = [*UnitBriefSerializer.Meta.fields, "visible"]

    def get_visible(self, unit: OrgUnit) -> bool:
        return scopes.may(self.context["request"].user, "org.view", unit)


class UnitDetailSerializer(UnitSerializer):
    ancestors = serializers.SerializerMethodField(help_text="county first, the parent last")
    boundary = serializers.JSONField(read_only=True, help_text="GeoJSON Polygon or MultiPolygon (WGS84)")

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "ancestors", "boundary"]

    @extend_schema_field(AncestorSerializer(many=True))
    def get_ancestors(self, unit: OrgUnit) -> list[dict]:
        return AncestorSerializer(selectors.orgunit_ancestors(unit), many=True, context=self.context).data


class UnitFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    parent = serializers.CharField(required=False, help_text="code of the parent unit")
    q = serializers.CharField(required=False, help_text="part of the name")


class UnitCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    level = serializers.ChoiceField(choices=Level.choices)
    kind = serializers.ChoiceField(choices=UnitKind.choices, required=False, allow_blank=True, default="")
    parent = serializers.CharField(required=False, allow_null=True, default=None, help_text="parent's code")
    boundary = serializers.JSONField(required=False, allow_null=True, default=None,
                                     help_text="GeoJSON Polygon or MultiPolygon (WGS84)")


class UnitUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    boundary = serializers.JSONField(required=False, help_text="GeoJSON Polygon or MultiPolygon (WGS84)")

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("请提供要修改的名称或边界"))
        return attrs


class UnitMoveSerializer(serializers.Serializer):
    parent = serializers.CharField(help_text="code of the new parent")
    code = serializers.CharField(required=False, allow_null=True, default=None,
                                 help_text="new code under the new parent (default: the next free one)")


FeatureCollectionSerializer = inline_serializer("FeatureCollection", {
    "type": serializers.CharField(),
    "features": serializers.ListField(child=serializers.DictField()),
})


class LocateQuerySerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)


class LocatedSerializer(serializers.Serializer):
    micro_grid = UnitBriefSerializer()
    chain = UnitBriefSerializer(many=True, help_text="the units on the way down that the caller may see")


class PostSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    user = serializers.IntegerField(source="user_id", allow_null=True, read_only=True)
    resident = serializers.IntegerField(source="resident_id", allow_null=True, read_only=True)
    department = serializers.CharField(source="department.code", allow_null=True, default=None, read_only=True)

    class Meta:
        model = Post
        fields = ["id", "unit", "unit_name", "role", "role_label", "holder_name", "user", "resident",
                  "department", "start_date", "end_date"]


class PostFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, help_text="code of a unit: posts on it and below")
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    current = serializers.BooleanField(required=False, default=False, help_text="only posts in force today")


class PostCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="unit code")
    role = serializers.ChoiceField(choices=Role.choices)
    user = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="staff user id")
    resident = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="resident id")
    holder_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    department = serializers.CharField(required=False, allow_null=True, default=None, help_text="department code")
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)


class PostEndSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="default: today")


class DepartmentSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "unit", "unit_name"]


class DepartmentFilterSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, help_text="code of a unit: its departments and those below")


# --- views ----------------------------------------------------------------------------------

class StaffViewSet(viewsets.GenericViewSet):
    """Base of the staff endpoints: signed-in staff with a current post; reads and writes call selectors
    and services explicitly (no `get_queryset`, so nothing is read outside a selector)."""

    permission_classes = STAFF_API

    def paginated(self, rows, serializer_class: type[serializers.BaseSerializer]) -> Response:
        """Serialise one page of `rows` (page size from settings) with the count and links."""
        page = self.paginate_queryset(rows)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


def _unit_ref(user, field: str, code: str, action: str = "org.view") -> OrgUnit:
    return resolve(field, lambda: selectors.orgunit_get_for(user=user, code=code, action=action),
                   _("未找到该单位"))


@extend_schema(tags=["units"])
class UnitViewSet(StaffViewSet):
    """Org units in the caller's scope, by code."""

    queryset = OrgUnit.objects.none()
    serializer_class = UnitSerializer
    lookup_field = "code"

    def _get(self, code: str) -> OrgUnit:
        return selectors.orgunit_get_for(user=self.request.user, code=code)

    def _detail(self, code: str, status_code: int = 200) -> Response:
        unit = self._get(code)
        return Response(UnitDetailSerializer(unit, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(parameters=[UnitFilterSerializer], responses={200: UnitSerializer(many=True),
                                                                 **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List units in scope, filtered by level, parent code or part of the name."""
        f = parse_query(UnitFilterSerializer, request)
        rows = selectors.orgunit_list_for(user=request.user).defer("boundary")
        if f.get("level"):
            rows = rows.filter(level=f["level"])
        if f.get("parent"):
            rows = rows.filter(parent__code=f["parent"])
        if f.get("q"):
            rows = rows.filter(name__contains=f["q"])
        return self.paginated(rows.order_by("path"), UnitSerializer)

    @extend_schema(responses={200: UnitDetailSerializer, **error_responses(401, 403, 404)})
    def retrieve(self, request: Request, code: str) -> Response:
        """Show a unit with counts, residents per grid worker, ancestors and boundary."""
        return self._detail(code)

    @extend_schema(responses={200: UnitSerializer(many=True), **error_responses(401, 403, 404)})
    @action(detail=True, methods=["get"])
    def children(self, request: Request, code: str) -> Response:
        """List a unit's children in code order."""
        unit = self._get(code)
        rows = selectors.orgunit_children_for(user=request.user, unit=unit).defer("boundary")
        return self.paginated(rows, UnitSerializer)

    @extend_schema(responses={200: FeatureCollectionSerializer, **error_responses(401, 403, 404)})
    @action(detail=True, methods=["get"])
    def geojson(self, request: Request, code: str) -> Response:
        """Return the unit's children with boundaries as a GeoJSON FeatureCollection."""
        unit = self._get(code)
        features = []
        for child in selectors.orgunit_children_for(user=request.user, unit=unit).filter(boundary__isnull=False):
            props = UnitSerializer(child).data
            features.append({"type": "Feature", "geometry": child.boundary, "properties": props})
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(request=UnitCreateSerializer,
                   responses={201: UnitDetailSerializer, **error_responses(400, 401, 403)})
    def create(self, request: Request) -> Response:
        """Create a unit under a parent (code, level and boundary are checked)."""
        s = UnitCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        parent = _unit_ref(request.user, "parent", d["parent"]) if d["parent"] else None
        unit = services.orgunit_create(actor=request.user, code=d["code"], name=d["name"], level=d["level"],
                                       parent=parent, kind=d["kind"], boundary=d["boundary"])
        return self._detail(unit.code, status.HTTP_201_CREATED)

    @extend_schema(request=UnitUpdateSerializer,
                   responses={200: UnitDetailSerializer, **error_responses(400, 401, 403, 404)})
    def partial_update(self, request: Request, code: str) -> Response:
        """Rename a unit and/or replace its boundary; both or neither."""
        unit = self._get(code)
        s = UnitUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        with transaction.atomic():  # both changes or neither
            if "name" in d:
                unit = services.orgunit_rename(actor=request.user, unit=unit, name=d["name"])
            if "boundary" in d:
                unit = services.orgunit_set_boundary(actor=request.user, unit=unit, boundary=d["boundary"])
        return self._detail(unit.code)

    @extend_schema(request=UnitMoveSerializer,
                   responses={200: UnitDetailSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, code: str) -> Response:
        """Move a unit and its subtree under another parent; codes are re-issued."""
        unit = self._get(code)
        s = UnitMoveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        new_parent = _unit_ref(request.user, "parent", s.validated_data["parent"])
        unit = services.orgunit_move(actor=request.user, unit=unit, new_parent=new_parent,
                                     new_code=s.validated_data["code"])
        return self._detail(unit.code)


@extend_schema(tags=["units"])
class LocateView(APIView):
    """The micro-grid under a point, with the units above it that the caller may see."""

    permission_classes = STAFF_API

    @extend_schema(parameters=[LocateQuerySerializer],
                   responses={200: LocatedSerializer, **error_responses(400, 401, 403, 404)})
    def get(self, request: Request) -> Response:
        """Find the micro-grid under a point, with the units above it the caller may see."""
        q = parse_query(LocateQuerySerializer, request)
        micro_grid, chain = selectors.locate_for(user=request.user, lat=q["lat"], lon=q["lon"])
        return Response(LocatedSerializer({"micro_grid": micro_grid, "chain": chain}).data)


@extend_schema(tags=["posts"])
class PostViewSet(StaffViewSet):
    """Who holds which role where, within the caller's scope."""

    queryset = Post.objects.none()
    serializer_class = PostSerializer

    def _get(self, pk: Any) -> Post:
        try:
            return selectors.post_list_for(user=self.request.user, current_only=False).get(pk=pk)
        except (Post.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("未找到该岗位")) from None

    @extend_schema(parameters=[PostFilterSerializer],
                   responses={200: PostSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List posts in scope (history included unless current=true)."""
        f = parse_query(PostFilterSerializer, request)
        unit = _unit_ref(request.user, "unit", f["unit"]) if f.get("unit") else None
        rows = selectors.post_list_for(user=request.user, unit=unit, current_only=f["current"])
        if f.get("role"):
            rows = rows.filter(role=f["role"])
        return self.paginated(rows, PostSerializer)

    @extend_schema(request=PostCreateSerializer,
                   responses={201: PostSerializer, **error_responses(400, 401, 403)})
    def create(self, request: Request) -> Response:
        """Appoint a staff user or a resident to a role on a unit."""
        from shanzhi.people.selectors import resident_get_for

        s = PostCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = request.user
        unit = _unit_ref(user, "unit", d["unit"])
        holder = None
        if d["user"] is not None:
            holder = User.objects.filter(pk=d["user"], kind=UserKind.STAFF, is_active=True).first()
            if holder is None:
                msg = _("未找到该工作人员账号")
                raise DomainError(msg, fields={"user": [msg]})
        resident = None
        if d["resident"] is not None:
            resident = resolve("resident", lambda: resident_get_for(user=user, pk=d["resident"]),
                               _("未找到该居民"))
        department = None
        if d["department"]:
            department = Department.objects.filter(code=d["department"], is_active=True).select_related("unit").first()
            if department is None:  # answered like one out of the caller's reach (the service's check)
                msg = _("未找到该部门")
                raise DomainError(msg, fields={"department": [msg]}, code="invalid_target")
        post = services.post_appoint(actor=user, unit=unit, role=d["role"], user=holder, resident=resident,
                                     holder_name=d["holder_name"], department=department,
                                     start_date=d["start_date"], end_date=d["end_date"])
        return Response(PostSerializer(self._get(post.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PostEndSerializer,
                   responses={200: PostSerializer, **error_responses(400, 401, 403, 404)})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """End a post on a date (today by default); history is kept."""
        post = self._get(pk)
        s = PostEndSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.post_end(actor=request.user, post=post, end_date=s.validated_data["end_date"])
        return Response(PostSerializer(self._get(post.pk)).data)


@extend_schema(tags=["departments"])
class DepartmentViewSet(StaffViewSet):
    """Departments of the county and towns in the caller's scope."""

    queryset = Department.objects.none()
    serializer_class = DepartmentSerializer

    @extend_schema(parameters=[DepartmentFilterSerializer],
                   responses={200: DepartmentSerializer(many=True), **error_responses(400, 401, 403)})
    def list(self, request: Request) -> Response:
        """List departments of units in scope."""
        f = parse_query(DepartmentFilterSerializer, request)
        unit = _unit_ref(request.user, "unit", f["unit"]) if f.get("unit") else None
        return self.paginated(selectors.department_list_for(user=request.user, unit=unit), DepartmentSerializer)


__all__ = ["DepartmentViewSet", "LocateView", "PostViewSet", "StaffViewSet", "UnitViewSet", "parse_query",
           "resolve"]
