"""Django admin for raw data maintenance, behind the same scopes as the pages.

Rules for every model registered through `ScopedAdmin`:
- only active `is_staff` users reach the admin at all (Django's own site check);
- a non-superuser sees only rows inside their scope (`shanzhi.accounts.scopes.scope_q`), and
  nothing at all of a model whose scope action they hold nowhere; out-of-scope rows answer like
  missing ones (Django redirects to the index saying the object does not exist);
- nobody adds or deletes rows here: units, posts, households and residents are created by the
  services (pages, API, import, demo), and history is kept, not deleted;
- superusers may change a few plain fields; the change goes through the service where one exists
  (rename a unit, update a household or resident) and is audited either way; service-maintained
  fields (codes, paths, counts, encrypted identifiers) are never editable and encrypted or hashed
  values are never shown.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.accounts.services import user_unlock
from shanzhi.audit.services import audit_record
from shanzhi.lib.errors import DomainError
from shanzhi.org.models import Post


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for the audit row."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value)
    return value


class ScopedAdmin(admin.ModelAdmin):
    """Read-only, scope-filtered admin; superusers may change `editable_fields` (audited)."""

    scope_action = "org.view"
    # Lookup path from the row to its OrgUnit ("" when the row is an OrgUnit); None: not scoped.
    scope_field: str | None = ""
    editable_fields: tuple[str, ...] = ()
    superuser_may_add = False
    list_per_page = 50
    show_full_result_count = False

    # permissions ---------------------------------------------------------------------------
    def _reaches(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return scopes.may_somewhere(user, self.scope_action)  # superusers: the whole tree, like any scope

    def has_module_permission(self, request) -> bool:
        return self._reaches(request)

    def has_view_permission(self, request, obj=None) -> bool:
        # Rows outside the scope never reach here: get_queryset filters them out first.
        return self._reaches(request)

    def has_add_permission(self, request) -> bool:
        return self.superuser_may_add and self._reaches(request) and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return bool(self.editable_fields) and self._reaches(request) and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # rows ----------------------------------------------------------------------------------
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser or self.scope_field is None:
            return qs
        return qs.filter(scopes.scope_q(request.user, self.scope_action, self.scope_field))

    def get_readonly_fields(self, request, obj=None):
        # Every admin here lists `fields` explicitly; only `editable_fields` are ever a form field.
        return [f for f in (self.fields or ()) if f not in self.editable_fields]

    def unit_path(self, obj) -> str:
        if self.scope_field is None:
            return ""
        target = obj
        for part in filter(None, self.scope_field.split("__")):
            target = getattr(target, part, None)
            if target is None:
                return ""
        return getattr(target, "path", "")

    # writes --------------------------------------------------------------------------------
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # the admin's transaction rolled back: nothing half-written
            self.message_user(request, str(exc), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change) -> None:
        """Save the plain fields directly and audit the change (models with no service)."""
        names = [n for n in form.changed_data if n in self.editable_fields]
        before = {n: plain(form.initial.get(n)) for n in names} if change else None
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action=f"admin.{obj._meta.label_lower}.{'change' if change else 'create'}",
                     obj=obj, unit_path=self.unit_path(obj), before=before,
                     after={n: plain(getattr(obj, n)) for n in names}, reason="Django admin")

    def fresh(self, obj):
        """The row as stored, for services that read the old values themselves."""
        return type(obj).objects.get(pk=obj.pk)


@admin.register(User)
class UserAdmin(ScopedAdmin):
    """Accounts; a non-superuser sees the accounts holding a current post where they may appoint."""

    scope_action = "org.posts"
    scope_field = "posts__unit"
    editable_fields = ("display_name", "is_active", "is_staff")
    fields = ("username", "display_name", "kind", "resident", "is_active", "is_staff", "is_superuser",
              "last_login", "date_joined")
    list_display = ("username", "display_name", "kind", "is_active", "is_staff", "last_login")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("username", "display_name")
    actions = ["unlock"]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        # One filter() call so the scope and the "current" test apply to the same post.
        return qs.filter(scopes.scope_q(request.user, self.scope_action, self.scope_field)
                         & Post.current_q(prefix="posts__")).distinct()

    @admin.action(description=_("解除登录锁定"))
    def unlock(self, request, queryset) -> None:
        done = 0
        for user in queryset:
            try:
                user_unlock(actor=request.user, user=user)
            except DomainError as exc:
                self.message_user(request, f"{user.username}：{exc}", level=messages.ERROR)
            else:
                done += 1
        self.message_user(request, _("已解除 %(n)s 个账号的锁定") % {"n": done})
