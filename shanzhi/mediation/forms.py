"""Forms of the mediation centre's pages: the reception window, the dispute page's actions, the period."""

from __future__ import annotations

from django import forms
from django.utils.timezone import localtime
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from shanzhi.lib import parsing
from shanzhi.lib.codes import CodeError, normalise_id_number, normalise_phone
from shanzhi.mediation.models import DisputeType, Kind, Performance, Result, Role

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
PARTY_FIELDS = ("role", "name", "id_number", "phone", "representative", "claim")
MAX_PARTIES = 20


def _choices(choices) -> list[tuple[str, str]]:
    """Model choices with their Chinese labels looked up in the catalog (listed in views.CHOICE_LABELS)."""
    return [(value, _(label)) for value, label in choices]


def _when(label):
    return parsing.FormDateTimeField(label=label, input_formats=DATETIME_FORMATS,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class ReceptionForm(forms.Form):
    """A walk-in dispute or petition: kind, type, summary and where the parties live."""

    kind = forms.ChoiceField(label=_("类别"), choices=_choices(Kind.choices), initial=Kind.DISPUTE, widget=forms.RadioSelect)
    type = forms.ModelChoiceField(label=_("纠纷类型"), queryset=DisputeType.objects.none(), empty_label=None)
    summary = forms.CharField(label=pgettext_lazy("mediation", "事由"), max_length=200,
                              widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200}))
    unit = forms.CharField(label=_("所在微网格/单位编码"), required=False, max_length=20,
                           widget=forms.TextInput(attrs={"list": "unit-codes", "inputmode": "numeric",
                                                         "autocomplete": "off"}))
    household = forms.CharField(label=_("或户号"), required=False, max_length=30)
    confirm_repeat = forms.BooleanField(label=_("确认并关联登记"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = DisputeType.objects.order_by("sort", "code")
        self.fields["type"].label_from_instance = lambda t: gettext(t.name)

    def clean(self):
        data = super().clean()
        if not (data.get("unit") or "").strip() and not (data.get("household") or "").strip():
            self.add_error("unit", _("请填写当事人所在的微网格/单位编码或户号"))
        return data


class PartyForm(forms.Form):
    """One party row; the service checks ID numbers and phones and names the row that is wrong."""

    role = forms.ChoiceField(label=_("身份"), choices=_choices(Role.choices))
    name = forms.CharField(label=_("姓名/名称"), required=False, max_length=100)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=20,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    representative = forms.CharField(label=_("代理人"), required=False, max_length=100)
    claim = forms.CharField(label=pgettext_lazy("mediation", "诉求"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 1, "maxlength": 2000}))

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any((data.get(f) or "").strip() for f in PARTY_FIELDS if f != "role")

    # The service's checks of a row, made here too so one round names every wrong row.
    def clean_id_number(self) -> str:
        value = (self.cleaned_data.get("id_number") or "").strip()
        if value:
            try:
                normalise_id_number(value)
            except CodeError as exc:
                raise forms.ValidationError(str(exc)) from None
        return value

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip()
        if value:
            try:
                normalise_phone(value)
            except CodeError as exc:
                raise forms.ValidationError(str(exc)) from None
        return value

    def clean(self):
        data = super().clean()
        filled = any((self.data.get(self.add_prefix(f)) or "").strip() for f in PARTY_FIELDS if f != "role")
        if filled and not (data.get("name") or "").strip() and "name" not in self.errors:
            self.add_error("name", _("请填写姓名"))
        return data


def party_set_errors(rows: list[dict], kind: str) -> list[str]:
    """What the parties as a whole lack (dispute_register refuses the same): an applicant; a respondent in a
    dispute."""
    errors = []
    if not any(r.get("role") == Role.APPLICANT for r in rows):
        errors.append(gettext("至少需要一位申请人"))
    if kind == Kind.DISPUTE and not any(r.get("role") == Role.RESPONDENT for r in rows):
        errors.append(gettext("纠纷至少需要一位被申请人"))
    return errors


PartyFormSet = forms.formset_factory(PartyForm, extra=0, max_num=MAX_PARTIES, validate_max=True,
                                     absolute_max=MAX_PARTIES)


class ScheduleForm(forms.Form):
    room = forms.ModelChoiceField(label=_("调解室"), queryset=None, empty_label=None)
    mediators = forms.ModelMultipleChoiceField(label=_("调解员"), queryset=None,
                                               widget=forms.CheckboxSelectMultiple)
    starts_at = _when(_("开始时间"))
    ends_at = _when(_("结束时间"))

    def __init__(self, *args, rooms, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms
        self.fields["mediators"].queryset = mediators
        self.fields["mediators"].label_from_instance = str


class RecordForm(forms.Form):
    session = forms.ModelChoiceField(label=_("调解场次"), queryset=None, empty_label=None)
    attended = forms.MultipleChoiceField(label=_("到场当事人"), required=False, widget=forms.CheckboxSelectMultiple)
    minutes = forms.CharField(label=_("调解笔录"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, sessions, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = lambda s: (
            f"{localtime(s.starts_at):%m-%d %H:%M}–{localtime(s.ends_at):%H:%M} {s.room.name}")
        self.fields["attended"].choices = [(str(p.pk), f"{p.name}（{gettext(p.get_role_display())}）") for p in parties]


class AgreementForm(forms.Form):
    terms = forms.CharField(label=_("协议条款"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class SignForm(forms.Form):
    agreement = forms.IntegerField(widget=forms.HiddenInput)


class ConcludeForm(forms.Form):
    result = forms.ChoiceField(label=_("调解结果"), choices=_choices(Result.choices))
    referred_to = forms.CharField(label=_("转办去向（转办时填写）"), required=False, max_length=100)
    note = forms.CharField(label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(forms.Form):
    note = forms.CharField(label=_("上报原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class HandoverForm(forms.Form):
    team = forms.ModelChoiceField(label=_("交办团队/部门窗口"), queryset=None, empty_label=None)
    note = forms.CharField(label=_("交办说明"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class FollowUpForm(forms.Form):
    agreement = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(label=_("履行情况"), choices=_choices(Performance.choices))
    note = forms.CharField(label=_("回访记录"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PeriodForm(forms.Form):
    start = parsing.FormDateField(label=_("起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = parsing.FormDateField(label=_("止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("结束日期不能早于开始日期"))
        return data


class WeekForm(forms.Form):
    week = parsing.FormDateField(required=False)


class DisputeFilterForm(forms.Form):
    """The dispute list's filters (the command centre's mediation numbers link here with the same ones)."""

    RESULTS = (("", _("全部")), ("resolved", _("已化解")), ("open", _("未办结")))

    unit = forms.CharField(label=_("单位编码"), required=False, max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    since = parsing.FormDateField(label=_("登记起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = parsing.FormDateField(label=_("登记止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    result = forms.ChoiceField(label=_("调解结果"), required=False)
    first_time = forms.BooleanField(label=_("一次化解"), required=False)
    on_time = forms.BooleanField(label=_("按期化解"), required=False)
    level = forms.ChoiceField(label=_("化解层级"), required=False,
                              choices=(("", _("全部")), ("village", _("村/社区及以下")), ("town", _("镇/街道及以下"))))
    repeat = forms.BooleanField(label=_("重复纠纷"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [*self.RESULTS, *_choices(Result.choices)]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("结束日期不能早于开始日期"))
        return data

    def errors_named(self) -> list[str]:
        """Every error with its field's label first (the choice and code fields' own messages do not name it)."""
        out = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            for e in errors:
                out.append(e if not label or str(e).startswith(str(label)) else
                           gettext("%(label)s：%(message)s") % {"label": label, "message": e})
        return out
