"""The audit search form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.lib import parsing


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    action = forms.CharField(label=_("操作（前缀）"), required=False, max_length=60,
                             widget=forms.TextInput(attrs={"placeholder": "people.reveal"}))
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=60,
                                  widget=forms.TextInput(attrs={"placeholder": "people.resident"}))
    object_id = forms.CharField(label=_("对象ID"), required=False, max_length=40)
    date_from = parsing.FormDateField(label=_("开始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = parsing.FormDateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("对象或事由包含"), required=False, max_length=100)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期早于开始日期"))
        return data
