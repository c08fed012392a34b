"""百事服务团's configuration and records in the admin (audited, scope-filtered by ScopedAdmin).

Superusers edit the configurable lists (skills, civic acts) and the county's points rule here. Volunteers,
store items and the ledger are read here only: their writes go through the services (approval, the store's
counter, corrections), and the ledger is append-only, so nobody may change or delete an entry.
"""

from django.contrib import admin

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.volunteers.models import CivicAct, Entry, PointsRule, Skill, StoreItem, Volunteer


@admin.register(Skill)
class SkillAdmin(ScopedAdmin):
    """The configurable list of skills (维修, 理发, 陪诊...); superusers add, rename and retire them."""

    scope_action = "volunteers.view"
    scope_field = None
    editable_fields = ("code", "name", "name_en", "sort", "is_active")
    superuser_may_add = True
    fields = ("code", "name", "name_en", "sort", "is_active")
    list_display = ("code", "name", "name_en", "sort", "is_active")


@admin.register(CivicAct)
class CivicActAdmin(ScopedAdmin):
    """The civic acts the county rewards with points, and how many."""

    scope_action = "volunteers.view"
    scope_field = None
    editable_fields = ("code", "name", "points", "is_active")
    superuser_may_add = True
    fields = ("code", "name", "points", "is_active")
    list_display = ("code", "name", "points", "is_active")


@admin.register(PointsRule)
class PointsRuleAdmin(ScopedAdmin):
    """The county's one conversion rule (made by the migration): hours → points, the cap per service."""

    scope_action = "volunteers.view"
    scope_field = None
    editable_fields = ("points_per_hour", "max_hours_per_service")
    fields = ("points_per_hour", "max_hours_per_service", "updated_at")
    list_display = ("id", "points_per_hour", "max_hours_per_service", "updated_at")


@admin.register(StoreItem)
class StoreItemAdmin(ScopedAdmin):
    """Items of the villages' points stores: read here (stock changes only at the store's counter); a
    superuser may take an item off the shelf."""

    scope_action = "volunteers.view"
    scope_field = "village"
    editable_fields = ("is_active",)
    fields = ("village", "name", "price", "stock", "is_active", "created_at")
    list_display = ("name", "village", "price", "stock", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("village",)
    search_fields = ("name",)


@admin.register(Volunteer)
class VolunteerAdmin(ScopedAdmin):
    """The volunteers of the villages in scope (approval, pause and leave go through the pages)."""

    scope_action = "volunteers.view"
    scope_field = "village"
    fields = ("name", "village", "status", "status_reason", "intro", "applied_at", "approved_at", "updated_at")
    list_display = ("name", "village", "status", "applied_at", "approved_at")
    list_filter = ("status",)
    list_select_related = ("village",)
    search_fields = ("name",)


@admin.register(Entry)
class EntryAdmin(ScopedAdmin):
    """The time bank's ledger, read-only: no add, change or delete (a correction is a new entry)."""

    scope_action = "volunteers.view"
    scope_field = "village"
    fields = ("account", "kind", "hours", "points", "village", "at", "source", "request", "signup", "item",
              "corrects", "note", "actor", "created_at")
    list_display = ("at", "account", "kind", "hours", "points", "village", "source")
    list_filter = ("kind",)
    list_select_related = ("account", "village")
    search_fields = ("source", "account__name")

    def has_change_permission(self, request, obj=None) -> bool:
        return False
