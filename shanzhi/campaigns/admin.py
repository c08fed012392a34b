"""The county configures incident types and their measures in the admin (audited).

Whoever runs campaigns over the whole county (scopes.covers_all for "campaigns.run": the county admin, or
a superuser) adds and changes types and measures; other campaign staff may look; nobody deletes (incidents
keep their type)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from shanzhi.accounts import scopes
from shanzhi.accounts.admin import plain
from shanzhi.audit.services import audit_record
from shanzhi.campaigns.models import IncidentMeasure, IncidentType, Outcome

TYPE_FIELDS = ("code", "name", "sort", "is_active", "has_checkins", "period_days", "measures_label",
               "in_place_label", "index_label", "person_label", "contacts_label", "site_label")
MEASURE_FIELDS = ("code", "name", "sort", "at_declaration", "in_field", "needs_reason", "checkins", "uses_site")


def _configures(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and scopes.may_somewhere(user, "campaigns.run") and \
        scopes.covers_all(user, "campaigns.run")


def _sees(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and scopes.may_somewhere(user, "campaigns.view")


class MeasureFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            code = (form.cleaned_data or {}).get("code")
            if code and code in Outcome.values:  # a measure is recorded as an outcome: the codes must differ
                raise ValidationError(f"措施编码“{code}”与通用结果重名，请换一个")


class MeasureInline(admin.TabularInline):
    model = IncidentMeasure
    formset = MeasureFormSet
    fields = MEASURE_FIELDS
    extra = 1

    def has_view_permission(self, request, obj=None) -> bool:
        return _sees(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return _configures(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _configures(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    """Incident types (疫情隔离, 转移安置, 火灾, 寻人, 物资保障 are seeded) with their measures and words."""

    fields = TYPE_FIELDS
    list_display = ("name", "code", "has_checkins", "is_active", "sort")
    inlines = [MeasureInline]

    def has_module_permission(self, request) -> bool:
        return _sees(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _sees(request)

    def has_add_permission(self, request) -> bool:
        return _configures(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _configures(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        names = list(form.changed_data)
        before = {n: plain(form.initial.get(n)) for n in names} if change else None
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action=f"campaigns.incident_type.{'change' if change else 'create'}",
                     obj=obj, unit_path="", before=before, after={n: plain(getattr(obj, n)) for n in names},
                     reason="Django admin")

    def save_formset(self, request, form, formset, change) -> None:
        changed = [f for f in formset.forms if f.has_changed() and f.is_valid()]
        super().save_formset(request, form, formset, change)
        for f in changed:
            m = f.instance
            if m.pk:
                audit_record(actor=request.user, action="campaigns.incident_measure.save", obj=m, unit_path="",
                             after={n: plain(getattr(m, n)) for n in MEASURE_FIELDS}, reason="Django admin")
