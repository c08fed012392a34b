"""The rooms desk's forms: add a room, rename it, pick a week."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.lib import parsing


class RoomForm(forms.Form):
    unit = forms.ChoiceField(label=_("所属单位"), choices=())
    name = forms.CharField(label=_("名称"), max_length=50)
    capacity = forms.IntegerField(label=_("容纳人数"), required=False, min_value=1, max_value=10000)

    def __init__(self, *args, units: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units


class RoomEditForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50)
    capacity = forms.IntegerField(label=_("容纳人数"), required=False, min_value=1, max_value=10000)


class WeekForm(forms.Form):
    week = parsing.FormDateField(required=False)
