"""Council types and councils in the admin: the types' rules are edited here (superusers, audited)."""

from django.contrib import admin

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.councils.models import Council, CouncilType

TYPE_FIELDS = ("code", "name", "name_en", "purpose", "membership", "levels", "quorum_percent", "majority", "raisers",
               "supports_needed", "flags_to_hide", "public_meetings", "secret_ballot", "is_active", "sort")


@admin.register(CouncilType)
class CouncilTypeAdmin(ScopedAdmin):
    """The county's council types and their rules (quorum, majority, who raises topics, supports needed)."""

    scope_action = "councils.view"
    scope_field = None
    editable_fields = TYPE_FIELDS
    superuser_may_add = True
    fields = TYPE_FIELDS
    list_display = ("code", "name", "raisers", "supports_needed", "majority", "is_active")


@admin.register(Council)
class CouncilAdmin(ScopedAdmin):
    scope_action = "councils.view"
    scope_field = "unit"
    editable_fields = ("name", "is_active")
    fields = ("type", "unit", "name", "founded_on", "is_active")
    list_display = ("name", "type", "unit", "is_active")
