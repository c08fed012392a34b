"""Admin for units, departments and posts (scoped; see shanzhi.accounts.admin.ScopedAdmin)."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.org.models import Department, OrgUnit, Post
from shanzhi.org.services import orgunit_rename


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdmin):
    """Units are created, moved and re-bounded by the services; superusers may rename here."""

    scope_field = ""
    editable_fields = ("name",)
    fields = ("code", "name", "level", "kind", "parent", "path", "is_active", "household_count",
              "resident_count", "floating_count", "staff_count", "grid_worker_count", "created_at", "updated_at")
    list_display = ("code", "name", "level", "household_count", "resident_count", "grid_worker_count")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ()

    def save_model(self, request, obj, form, change) -> None:
        if change and "name" in form.changed_data:
            orgunit_rename(actor=request.user, unit=self.fresh(obj), name=obj.name)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    scope_field = "unit"
    editable_fields = ("name", "is_active")
    fields = ("code", "name", "unit", "is_active")
    list_display = ("code", "name", "unit", "is_active")
    list_select_related = ("unit",)
    search_fields = ("code", "name")


@admin.register(Post)
class PostAdmin(ScopedAdmin):
    """Read-only: posts are appointed and ended through the services (audited, counts rolled up)."""

    scope_field = "unit"
    fields = ("unit", "role", "holder_name", "user", "resident", "department", "start_date", "end_date")
    list_display = ("unit", "role", "holder_name", "start_date", "end_date")
    list_select_related = ("unit",)
    list_filter = ("role",)
    search_fields = ("holder_name", "unit__code", "unit__name")
