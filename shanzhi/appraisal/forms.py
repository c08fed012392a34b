"""Forms of the moral-appraisal pages: nominate, complain (also for a resident), the hearing, the follow-up,
the county's settings. Forms read and label the fields; the services decide and refuse."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shanzhi.appraisal.models import UPHELD, ConductKind, DeedKind, Remedy
from shanzhi.lib import parsing


def _choices(choices) -> list[tuple[str, str]]:
    """Model choices with their Chinese labels looked up in the catalog (listed in views.CHOICE_LABELS)."""
    return [(value, gettext(label)) for value, label in choices]


class _Choices(forms.Form):
    """Choice labels translated when the form is made (the request's language), not at import."""

    choice_fields: dict[str, list] = {}

    def __init__(self, *args, villages: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.choice_fields.items():
            self.fields[name].choices = _choices(choices)
        if "village" in self.fields:
            self.fields["village"].choices = [(v.code, v.name) for v in villages or []]


class NominationForm(_Choices):
    choice_fields = {"kind": DeedKind.choices}

    kind = forms.ChoiceField(label=_("推荐类别"), widget=forms.RadioSelect)
    nominee_name = forms.CharField(label=_("被推荐人姓名"), max_length=50)
    deed = forms.CharField(label=_("主要事迹"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}))
    anonymous = forms.BooleanField(label=_("不公开我的姓名"), required=False)


class DeskNominationForm(NominationForm):
    village = forms.ChoiceField(label=_("村（社区）"))
    field_order = ["village", "kind", "nominee_name", "deed", "anonymous"]


class ComplaintForm(_Choices):
    choice_fields = {"kind": ConductKind.choices}

    kind = forms.ChoiceField(label=_("行为类别"), widget=forms.RadioSelect)
    subject_name = forms.CharField(label=_("被反映人（可不填）"), max_length=50, required=False)
    act = forms.CharField(label=_("行为经过"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}))
    occurred_on = parsing.FormDateField(label=_("发生日期（可不填）"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))


class DeskComplaintForm(ComplaintForm):
    village = forms.ChoiceField(label=_("村（社区）"))
    resident = forms.CharField(label=_("代居民反映：居民编号（可不填）"), required=False, max_length=30,
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    field_order = ["village", "resident", "kind", "subject_name", "act", "occurred_on"]

    def clean_resident(self) -> int | None:
        value = (self.cleaned_data.get("resident") or "").strip()
        if not value:
            return None
        found = parsing.id_or_none(value)
        if found is None:
            raise forms.ValidationError(_("居民编号应为数字"))
        return found


class HearingForm(_Choices):
    choice_fields = {"proposed": [c for c in Remedy.choices if c[0] in UPHELD]}

    heard_on = parsing.FormDateField(label=_("评议日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    heard = forms.CharField(label=_("听取意见的人员（只填姓名）"), max_length=500,
                            widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))
    findings = forms.CharField(label=_("评议意见"), max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}))
    proposed = forms.ChoiceField(label=_("建议处理（提交表决）"), widget=forms.RadioSelect)
    public_text = forms.CharField(label=_("公示内容（县里开启曝光台时可能公开，请勿写姓名、电话）"), required=False,
                                  max_length=200)


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("回访情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}))
    corrected = forms.BooleanField(label=_("已改正"), required=False)


class SettingsForm(forms.Form):
    blacklist_enabled = forms.BooleanField(label=_("开启曝光台（黑榜）"), required=False)
    show_names = forms.BooleanField(label=_("公示当事人姓名"), required=False)
    show_text = forms.BooleanField(label=_("公示评议时填写的公示内容"), required=False)
    show_decision = forms.BooleanField(label=_("公示处理决定"), required=False)
