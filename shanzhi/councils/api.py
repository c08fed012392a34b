"""REST read endpoints of councils and their topics, scoped like the pages (staff by their posts, residents
their village's councils, members their own). An anonymous author's name is never here, nor the text of
a hidden topic or comment; other authors appear as surname + 某."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shanzhi.accounts.api import error_responses
from shanzhi.cases.public import mask_name
from shanzhi.councils import access, selectors
from shanzhi.councils.models import Comment, Council, CouncilType, Member, Topic, TopicStatus
from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.org.api import StaffViewSet, parse_query


class CouncilTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CouncilType
        fields = ["code", "name", "name_en", "membership", "levels", "quorum_percent", "majority", "raisers",
                  "supports_needed", "flags_to_hide", "public_meetings", "secret_ballot"]


class CouncilSerializer(serializers.ModelSerializer):
    type = CouncilTypeSerializer(read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True, help_text="code of the council's unit")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    members = serializers.SerializerMethodField(help_text="current members: name and position")

    class Meta:
        model = Council
        fields = ["id", "name", "type", "unit", "unit_name", "founded_on", "is_active", "members"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField(child=serializers.CharField())))
    def get_members(self, council: Council) -> list[dict]:
        rows = getattr(council, "current_list", None)
        if rows is None:
            rows = access.current_members(council).order_by("position", "started_on", "id")
        return [{"name": m.name, "position": m.position} for m in rows]


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField(help_text="surname + 某")
    text = serializers.SerializerMethodField(help_text="blank placeholder text when hidden")
    hidden = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_author(self, c: Comment) -> str:
        return mask_name(c.author_name)

    def get_text(self, c: Comment) -> str:
        return _(selectors.public_comment_text(c))


class TopicSerializer(serializers.ModelSerializer):
    council = serializers.IntegerField(source="council_id", read_only=True)
    council_name = serializers.CharField(source="council.name", read_only=True)
    title = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField(help_text="surname + 某; null when the author is anonymous")
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                            help_text="case category code, or null")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    by_proxy = serializers.SerializerMethodField(help_text="raised by a grid worker for a resident")

    class Meta:
        model = Topic
        fields = ["number", "council", "council_name", "kind", "title", "text", "category", "status",
                  "status_label", "author", "anonymous", "by_proxy", "support_count", "decline_reason", "hidden",
                  "created_at", "updated_at"]

    def get_title(self, t: Topic) -> str:
        return _(selectors.HIDDEN_TOPIC) if t.hidden else t.title

    def get_text(self, t: Topic) -> str:
        return "" if t.hidden else t.text

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, t: Topic) -> str | None:
        return selectors.public_author(t)

    def get_by_proxy(self, t: Topic) -> bool:
        return t.proxy_id is not None


class TopicDetailSerializer(TopicSerializer):
    comments = CommentSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "comments", "timeline"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_timeline(self, t: Topic) -> list[dict]:
        return [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
                 "at": e.created_at.isoformat()} for e in t.events.all()]


class CouncilFilterSerializer(serializers.Serializer):
    type = serializers.CharField(required=False, max_length=30, help_text="council type code, e.g. residents")


class TopicFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(required=False, choices=TopicStatus.values,
                                     error_messages={"invalid_choice": "状态无效"})
    council = parsing.ApiIdField(required=False, help_text="council id")
    type = serializers.CharField(required=False, max_length=30, help_text="council type code")


NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="topic number")


@extend_schema(tags=["councils"])
class CouncilViewSet(StaffViewSet):
    """Councils the caller may see."""

    permission_classes = [permissions.IsAuthenticated]
    queryset = Council.objects.none()
    serializer_class = CouncilSerializer

    @extend_schema(parameters=[CouncilFilterSerializer],
                   responses={200: CouncilSerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List the councils in scope, by type."""
        f = parse_query(CouncilFilterSerializer, request)
        rows = selectors.council_list_for(user=request.user, type_code=f.get("type", "")).prefetch_related(
            Prefetch("members", Member.objects.filter(access.current_q()).order_by("position", "started_on", "id"),
                     to_attr="current_list"))
        return self.paginated(rows, CouncilSerializer)

    @extend_schema(responses={200: CouncilSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        """Show a council with its current members."""
        return Response(CouncilSerializer(selectors.council_get_for(user=request.user, pk=pk)).data)


@extend_schema(tags=["councils"])
class CouncilTopicViewSet(StaffViewSet):
    """Topics of the councils the caller may see, by number."""

    permission_classes = [permissions.IsAuthenticated]
    queryset = Topic.objects.none()
    serializer_class = TopicSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9A-Za-z-]+"

    @extend_schema(parameters=[TopicFilterSerializer],
                   responses={200: TopicSerializer(many=True), **error_responses(400, 401)})
    def list(self, request: Request) -> Response:
        """List topics in scope, newest first, by status, council and council type."""
        f = parse_query(TopicFilterSerializer, request)
        council = None
        if f.get("council"):
            try:
                council = selectors.council_get_for(user=request.user, pk=f["council"])
            except NotFound:
                raise DomainError(_("未找到该议事组织"), fields={"council": [_("未找到该议事组织")]}) from None
        rows = selectors.topic_list_for(user=request.user, council=council, status=f.get("status", ""))
        if f.get("type"):
            rows = rows.filter(council__type__code=f["type"])
        return self.paginated(rows.select_related("category"), TopicSerializer)

    @extend_schema(parameters=[NUMBER], responses={200: TopicDetailSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, number: str) -> Response:
        """Show a topic with its comments (hidden ones without their text) and its timeline."""
        topic = selectors.topic_get_for(user=request.user, number=number)
        topic = (Topic.objects.select_related("council", "category")
                 .prefetch_related(Prefetch("comments", Comment.objects.order_by("created_at", "id")), "events")
                 .get(pk=topic.pk))
        return Response(TopicDetailSerializer(topic).data)
