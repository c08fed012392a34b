"""The elections in the admin: the county's election rules are edited here (superusers, audited); rounds and
elections are read-only lists (their work goes through the election pages and services)."""

from django.contrib import admin

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.elections.models import Election, Round, Rules

RULE_FIELDS = ("roll_days_before", "objection_days", "answer_days", "candidates_days_before", "voting_age",
               "residence_years", "min_women", "proxy_limit", "proxy_close_relative_only", "min_scrutineers",
               "service_record_consent")


@admin.register(Rules)
class RulesAdmin(ScopedAdmin):
    """The election rules of a round: the national law's defaults, changed where the province differs."""

    scope_action = "elections.view"
    scope_field = None
    editable_fields = RULE_FIELDS
    fields = RULE_FIELDS
    list_display = ("id", "roll_days_before", "objection_days", "answer_days", "candidates_days_before",
                    "min_women", "proxy_limit")


@admin.register(Round)
class RoundAdmin(ScopedAdmin):
    scope_action = "elections.view"
    scope_field = "unit"
    fields = ("unit", "name", "election_day", "rules", "created_at")
    list_display = ("name", "unit", "election_day")


@admin.register(Election)
class ElectionAdmin(ScopedAdmin):
    scope_action = "elections.view"
    scope_field = "unit"
    fields = ("round", "unit", "election_day", "stage", "vice_chairs", "members", "min_women", "venue",
              "roll_published_at", "candidates_published_at", "voting_closed_at", "certified_on", "void_reason")
    list_display = ("unit", "round", "election_day", "stage")
    list_filter = ("stage",)
    list_select_related = ("unit", "round")
