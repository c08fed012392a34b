"""The legal team's configuration in the admin: the list of question categories (audited by ScopedAdmin)."""

from django.contrib import admin

from shanzhi.accounts.admin import ScopedAdmin
from shanzhi.legal.models import Category


@admin.register(Category)
class CategoryAdmin(ScopedAdmin):
    """The small configurable list of legal question categories; superusers add, rename and retire them."""

    scope_action = "legal.view"
    scope_field = None
    editable_fields = ("code", "name", "sort", "is_active")
    superuser_may_add = True
    fields = ("code", "name", "sort", "is_active")
    list_display = ("code", "name", "sort", "is_active")
