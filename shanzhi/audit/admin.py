"""Audit log in the Django admin: view only, for everyone, superusers included."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.accounts import scopes
from shanzhi.audit.models import AuditEntry
from shanzhi.audit.selectors import audit_scope_q


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    fields = ("at", "actor_label", "action", "object_type", "object_id", "object_repr", "unit_path",
              "before", "after", "reason")
    readonly_fields = fields
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "object_repr")
    list_filter = ("object_type",)
    search_fields = ("actor_label", "=action", "object_repr", "=object_id", "reason")
    date_hierarchy = "at"
    list_per_page = 50
    show_full_result_count = False

    def _reaches(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and scopes.may_somewhere(user, "audit.view")

    def has_module_permission(self, request) -> bool:
        return self._reaches(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._reaches(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not self._reaches(request):
            return qs.none()
        return qs.filter(audit_scope_q(request.user))
