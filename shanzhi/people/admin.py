"""Admin for the registry (scoped, masked; see shanzhi.accounts.admin.ScopedAdmin).

Encrypted and hashed identifiers are never listed here: only the stored masks.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.people.models import CadreRegistration, CareTag, Household, Resident
from shanzhi.people.services import household_update, resident_update


@admin.register(CareTag)
class CareTagAdmin(ScopedAdmin):
    """Shared reference list; superusers may add and rename tags (audited)."""

    scope_action = "people.view"
    scope_field = None
    editable_fields = ("code", "name", "name_en")
    superuser_may_add = True
    fields = ("code", "name", "name_en")
    list_display = ("code", "name", "name_en")

    def get_readonly_fields(self, request, obj=None):
        # The code is the stable key used by import files and the API: set once, never changed.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "code"] if obj is not None else fields


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    scope_action = "people.view"
    scope_field = "micro_grid"
    editable_fields = ("address", "registration", "lat", "lon")
    fields = ("number", "micro_grid", "address", "registration", "lat", "lon", "central_household",
              "is_active", "created_at", "updated_at")
    list_display = ("number", "address", "micro_grid", "registration", "is_active")
    list_select_related = ("micro_grid",)
    list_filter = ("registration", "is_active")
    search_fields = ("number", "address")

    def save_model(self, request, obj, form, change) -> None:
        changed = set(form.changed_data)
        kw = {}
        if "address" in changed:
            kw["address"] = obj.address
        if "registration" in changed:
            kw["registration"] = obj.registration
        if changed & {"lat", "lon"}:
            kw["lat"], kw["lon"] = obj.lat, obj.lon
        if kw:
            household_update(actor=request.user, household=self.fresh(obj), **kw)


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    scope_action = "people.view"
    scope_field = "household__micro_grid"
    editable_fields = ("name", "relation")
    fields = ("household", "name", "sex", "birth_date", "id_number_masked", "phone_masked", "relation",
              "residence", "care_tags", "status", "status_date", "created_at", "updated_at")
    list_display = ("name", "sex", "id_number_masked", "phone_masked", "household", "status")
    list_select_related = ("household",)
    list_filter = ("status", "residence", "sex")
    search_fields = ("name", "household__number")

    @admin.display(description=_("关爱标签"))
    def care_tags(self, obj) -> str:
        return "、".join(t.name for t in obj.tags.all())

    def save_model(self, request, obj, form, change) -> None:
        kw = {n: getattr(obj, n) for n in ("name", "relation") if n in form.changed_data}
        if kw:
            resident_update(actor=request.user, resident=self.fresh(obj), **kw)


@admin.register(CadreRegistration)
class CadreRegistrationAdmin(ScopedAdmin):
    """Read-only: registrations go through cadre_register (audited)."""

    scope_action = "people.view"
    scope_field = "village"
    fields = ("resident", "village", "kind", "work_unit", "registered_on", "ended_on")
    list_display = ("resident", "village", "kind", "registered_on", "ended_on")
    list_select_related = ("resident", "village")
    list_filter = ("kind",)
