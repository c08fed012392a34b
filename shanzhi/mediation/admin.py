"""Configuration of the mediation centre in the admin: dispute types, centres, and teams (audited; rooms are shanzhi.rooms, managed at /rooms/)."""

from django.contrib import admin

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.mediation.models import Centre, DisputeType, Team


@admin.register(DisputeType)
class DisputeTypeAdmin(ScopedAdmin):
    """The configurable list of dispute types; superusers add and rename them."""

    scope_action = "mediation.view"
    scope_field = None
    editable_fields = ("code", "name", "category", "default_level", "sort")
    superuser_may_add = True
    fields = ("code", "name", "category", "default_level", "sort")
    list_display = ("code", "name", "category", "default_level", "sort")


@admin.register(Centre)
class CentreAdmin(ScopedAdmin):
    scope_action = "mediation.view"
    scope_field = "unit"
    editable_fields = ("name", "is_active")
    fields = ("unit", "name", "is_active")
    list_display = ("name", "unit", "is_active")


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    scope_action = "mediation.view"
    scope_field = "centre__unit"
    editable_fields = ("name", "department", "is_active")
    superuser_may_add = True
    fields = ("centre", "name", "department", "is_active")
    list_display = ("name", "centre", "department", "is_active")

