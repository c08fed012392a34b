"""Forms of the legal team's pages. They read and check the input's shape (every field named, in Chinese);
the rules (who may, overlaps, limits) are the services'."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shanzhi.legal.models import Category, Outcome
from shanzhi.lib.errors import DomainError
from shanzhi.lib.parsing import FormDateField, add_to_form
from shanzhi.mediation.models import DisputeType, Role

PARTY_ROWS = 4
WEEKDAYS = [("", _("（按日期）")), ("0", _("周一")), ("1", _("周二")), ("2", _("周三")), ("3", _("周四")),
            ("4", _("周五")), ("5", _("周六")), ("6", _("周日"))]


class NamedChoiceField(forms.ModelChoiceField):
    """A choice of configured rows shown by their translated name (the names are in the catalogues)."""

    def label_from_instance(self, obj) -> str:
        return gettext(obj.name)


def _translated(choices) -> list[tuple[str, object]]:
    return [(value, _(label)) for value, label in choices]


def apply_error(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: on the fields it names (through `aliases`), else form-wide."""
    if aliases:
        exc = DomainError(str(exc), fields={aliases.get(k, k): v for k, v in exc.fields.items()}, code=exc.code)
    add_to_form(form, exc)


class AskForm(forms.Form):
    category = NamedChoiceField(label=_("问题类别"), queryset=Category.objects.none(), empty_label=None,
                                      widget=forms.RadioSelect, error_messages={
                                          "required": _("请选择问题类别"), "invalid_choice": _("请选择问题类别")})
    text = forms.CharField(label=_("问题"), max_length=2000, widget=forms.Textarea(attrs={"rows": 6}),
                           error_messages={"required": _("请填写问题"), "max_length": _("问题不能超过2000字")})
    is_public = forms.BooleanField(label=_("公开问答（不显示您的姓名，本村居民可见）"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("答复"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
                             error_messages={"required": _("请填写答复"), "max_length": _("答复不能超过5000字")})


class BookForm(forms.Form):
    topic = forms.CharField(label=_("咨询事项（可不填）"), max_length=200, required=False,
                            error_messages={"max_length": _("咨询事项不能超过200字")})


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("咨询结果"), choices=_translated(Outcome.choices), widget=forms.RadioSelect,
                                error_messages={"required": _("请选择咨询结果"),
                                                "invalid_choice": _("请选择咨询结果")})
    advice = forms.CharField(label=_("咨询意见"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
                             error_messages={"required": _("请填写咨询意见")})
    dispute_type = NamedChoiceField(label=_("纠纷类型"), queryset=DisputeType.objects.all(), required=False,
                                          to_field_name="code",
                                          error_messages={"invalid_choice": _("纠纷类型无效")})
    dispute_summary = forms.CharField(label=_("纠纷事由"), max_length=200, required=False)
    aid_office = forms.CharField(label=_("法律援助机构"), max_length=100, required=False)
    aid_note = forms.CharField(label=_("转介说明"), max_length=2000, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    confirm_repeat = forms.BooleanField(label=_("确认为新事项（同一当事人已有在办的同类纠纷时）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = [("", "—"), *_translated(Role.choices)]
        for i in range(1, PARTY_ROWS + 1):
            self.fields[f"party{i}_role"] = forms.ChoiceField(label=_("当事人%(n)s身份") % {"n": i}, choices=roles,
                                                              required=False)
            self.fields[f"party{i}_name"] = forms.CharField(label=_("当事人%(n)s姓名") % {"n": i}, max_length=100,
                                                            required=False)
            self.fields[f"party{i}_phone"] = forms.CharField(label=_("当事人%(n)s电话") % {"n": i}, max_length=20,
                                                             required=False)
            self.fields[f"party{i}_id_number"] = forms.CharField(label=_("当事人%(n)s身份证号") % {"n": i},
                                                                 max_length=18, required=False)
            self.fields[f"party{i}_claim"] = forms.CharField(label=_("当事人%(n)s诉求") % {"n": i},
                                                             max_length=500, required=False)

    def party_rows(self) -> list[list]:
        return [[self[f"party{i}_{f}"] for f in ("role", "name", "phone", "id_number", "claim")]
                for i in range(1, PARTY_ROWS + 1)]

    def parties(self) -> list[dict]:
        """The filled rows, numbered as the service numbers them (parties[1] is the first filled row)."""
        d = self.cleaned_data
        out = []
        self.row_of: dict[int, int] = {}
        for i in range(1, PARTY_ROWS + 1):
            row = {f: (d.get(f"party{i}_{f}") or "").strip() for f in ("role", "name", "phone", "id_number", "claim")}
            if any(row.values()):
                out.append(row)
                self.row_of[len(out)] = i
        return out

    def aliases(self) -> dict[str, str]:
        """Service field names (parties[2].name) to this form's (party3_name when row 2 was left empty)."""
        out = {"parties": "party1_role"}
        for n, i in getattr(self, "row_of", {}).items():
            for f in ("role", "name", "phone", "id_number", "claim"):
                out[f"parties[{n}].{f}"] = f"party{i}_{f}"
        return out


class TalkForm(forms.Form):
    village = forms.ChoiceField(label=_("村（社区）"), choices=(), error_messages={
        "required": _("请选择村（社区）"), "invalid_choice": _("请选择您受聘的村（社区）")})
    held_on = FormDateField(label=_("讲座日期"), error_messages={"required": _("请填写讲座日期")})
    topic = forms.CharField(label=_("讲座主题"), max_length=200, error_messages={"required": _("请填写讲座主题")})
    audience = forms.IntegerField(label=_("听众人数"), min_value=1, max_value=100000, error_messages={
        "required": _("请填写听众人数"), "invalid": _("听众人数应为整数")})

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, v.name) for v in villages]


class AppointForm(forms.Form):
    adviser = forms.CharField(label=_("法律顾问账号（用户名）"), max_length=150,
                              error_messages={"required": _("请填写法律顾问的用户名")})
    village = forms.CharField(label=_("村（社区）代码"), max_length=12, error_messages={"required": _("请填写村（社区）代码")})
    started_on = FormDateField(label=_("聘任开始"), error_messages={"required": _("请填写聘任开始日期")})
    term_ends_on = FormDateField(label=_("聘期届满"), error_messages={"required": _("请填写聘期届满日期")})


class EndForm(forms.Form):
    ended_on = FormDateField(label=_("解聘日期"), error_messages={"required": _("请填写解聘日期")})
    reason = forms.CharField(label=_("解聘原因"), max_length=200, error_messages={"required": _("请填写解聘原因")})


class DutyForm(forms.Form):
    weekday = forms.ChoiceField(label=_("每周"), choices=WEEKDAYS, required=False)
    on_date = FormDateField(label=_("或指定日期"), required=False)
    starts = forms.TimeField(label=_("开始时间"), error_messages={"required": _("请填写开始时间"),
                                                              "invalid": _("开始时间格式应为 时:分")})
    ends = forms.TimeField(label=_("结束时间"), error_messages={"required": _("请填写结束时间"),
                                                            "invalid": _("结束时间格式应为 时:分")})
    place = forms.CharField(label=_("地点"), max_length=100, error_messages={"required": _("请填写地点")})
    slot_minutes = forms.IntegerField(label=_("每段分钟"), initial=30, min_value=10, max_value=240, error_messages={
        "required": _("请填写每段时长"), "invalid": _("每段时长应为整数")})

    def clean_weekday(self):
        value = self.cleaned_data.get("weekday")
        return int(value) if value not in (None, "") else None

    def clean(self):
        d = super().clean()
        if d.get("starts") and d.get("ends") and d["ends"] <= d["starts"]:
            self.add_error("ends", _("结束时间应晚于开始时间"))
        return d


MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthForm(forms.Form):
    month = forms.CharField(label=_("月份"), required=False, max_length=7)

    def clean_month(self) -> dt.date | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        m = MONTH_RE.match(value)
        if not m or not (1 <= int(m.group(2)) <= 12) or not (1900 <= int(m.group(1)) <= 2999):
            raise forms.ValidationError(_("月份格式应为 年-月，如 2026-11"), code="invalid")
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
