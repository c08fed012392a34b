"""`{% error_summary form parties extra=messages %}`: every error of a page's forms, listed once at the top.

Each item links to its field's anchor (the widget's id; a radio group's first choice; or the form's
`error_anchors[field]` for fields drawn by hand, such as a map or a row of chips). Formset rows are named
by `row_label` ("第%(n)s位当事人"). The shared script (static/shanzhi/forms.js) focuses the summary and
moves focus to a field when its link is followed; without script the links still scroll there.
"""

from __future__ import annotations

from django import forms, template
from django.utils.translation import gettext as _

register = template.Library()


def _anchor(form: forms.BaseForm, name: str) -> str:
    custom = getattr(form, "error_anchors", {}) or {}
    if name in custom:
        return custom[name]
    bound = form[name]
    if not bound.auto_id:
        return ""
    widget = bound.field.widget
    if isinstance(widget, forms.HiddenInput):
        return ""
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return bound.auto_id


def _form_items(form: forms.BaseForm, prefix: str = "") -> list[dict]:
    items = [{"field": "", "label": prefix.rstrip(" ·"), "message": str(m), "anchor": ""}
             for m in form.non_field_errors()]
    names = [n for n in form.fields if n in form.errors]  # in the form's order (its `field_order`)
    names += [n for n in form.errors if n not in form.fields and n != forms.forms.NON_FIELD_ERRORS]
    for name in names:
        errors = form.errors[name]
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else ""
        anchor = _anchor(form, name) if field is not None else ""
        for m in errors:
            items.append({"field": form.add_prefix(name), "label": f"{prefix}{label}", "message": str(m),
                          "anchor": anchor})
    return items


def summary_items(*forms_or_sets, extra=(), row_label: str = "") -> list[dict]:
    """Errors of forms and formsets in page order: each {"field", "label", "message", "anchor"}."""
    items: list[dict] = []
    for obj in forms_or_sets:
        if obj is None or not getattr(obj, "is_bound", False):
            continue
        if isinstance(obj, forms.BaseFormSet):
            items += [{"field": obj.prefix, "label": "", "message": str(m), "anchor": ""}
                      for m in obj.non_form_errors()]
            for n, f in enumerate(obj.forms, 1):
                prefix = (row_label or _("第%(n)s行")) % {"n": n} + " · "
                items += _form_items(f, prefix)
        else:
            items += _form_items(obj)
    items += [{"field": "", "label": "", "message": str(m), "anchor": ""} for m in extra or ()]
    return items


@register.inclusion_tag("_form_errors.html")
def error_summary(*forms_or_sets, extra=(), row_label: str = ""):
    return {"errors": summary_items(*forms_or_sets, extra=extra, row_label=row_label)}
