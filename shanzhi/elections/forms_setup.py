"""Forms of the set-up and roll pages; the services check everything again (and their refusals land here)."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shanzhi.councils.forms import IdNumberField
from shanzhi.elections.models import Basis, CommitteeRole, Objection
from shanzhi.elections.roll import MAX_OBJECTION
from shanzhi.elections.services_setup import MAX_REASON
from shanzhi.lib import parsing

DATE = forms.DateInput(attrs={"type": "date"})


def _choices(choices) -> list[tuple[str, str]]:
    return [(value, gettext(label)) for value, label in choices]


def _required(what):
    return {"required": format_lazy("{}{}", _("请填写"), what)}


def _count(label, initial):
    return forms.IntegerField(label=label, min_value=0, max_value=7, initial=initial,
                              error_messages={**_required(label), "invalid": format_lazy("{}{}", label, _("应为整数")),
                                              "min_value": format_lazy("{}{}", label, _("不能小于0")),
                                              "max_value": format_lazy("{}{}", label, _("不能大于7"))})


class RoundForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, error_messages=_required(_("名称")))
    election_day = parsing.FormDateField(label=_("统一选举日"), widget=DATE, error_messages=_required(_("统一选举日")))
    roll_days_before = forms.IntegerField(label=_("选民名单至少提前公布（日）"), min_value=1, max_value=90, initial=20)
    objection_days = forms.IntegerField(label=_("公布后提出异议期限（日）"), min_value=1, max_value=30, initial=5)
    answer_days = forms.IntegerField(label=_("异议答复期限（日）"), min_value=1, max_value=30, initial=3)
    candidates_days_before = forms.IntegerField(label=_("正式候选人至少提前公布（日）"), min_value=1, max_value=60,
                                                initial=5)
    voting_age = forms.IntegerField(label=_("选民年龄（周岁）"), min_value=16, max_value=25, initial=18)
    residence_years = forms.IntegerField(label=_("非户籍居住满（年）可申请登记"), min_value=0, max_value=10, initial=1)
    min_women = forms.IntegerField(label=_("当选成员中至少妇女名额"), min_value=0, max_value=7, initial=1)
    proxy_limit = forms.IntegerField(label=_("每人最多接受委托（人）"), min_value=1, max_value=10, initial=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                label = field.label
                field.error_messages.update({
                    "required": format_lazy("{}{}", _("请填写"), label),
                    "invalid": format_lazy("{}{}", label, _("应为整数")),
                    "min_value": format_lazy("{}{}", label, _("超出允许范围")),
                    "max_value": format_lazy("{}{}", label, _("超出允许范围"))})


class ElectionForm(forms.Form):
    unit = forms.CharField(label=_("村（社区）编码"), max_length=20, error_messages=_required(_("村（社区）编码")))
    election_day = parsing.FormDateField(label=_("选举日（默认统一选举日）"), required=False, widget=DATE)
    vice_chairs = _count(_("副主任名额"), 1)
    members = _count(_("委员名额"), 3)
    min_women = _count(_("妇女名额"), 1)
    venue = forms.CharField(label=_("中心会场"), max_length=200, required=False)


class ElectionEditForm(ElectionForm):
    unit = None


class TownForm(forms.Form):
    town = forms.CharField(label=_("镇（街道）编码"), max_length=20, error_messages=_required(_("镇（街道）编码")))
    vice_chairs = _count(_("副主任名额"), 1)
    members = _count(_("委员名额"), 3)


class CommitteeForm(forms.Form):
    id_number = IdNumberField(label=_("居民身份证号"), error_messages=_required(_("居民身份证号")))
    role = forms.ChoiceField(label=_("职务"), choices=(), initial=CommitteeRole.MEMBER,
                             error_messages={"invalid_choice": _("请选择职务"), "required": _("请选择职务")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _choices(CommitteeRole.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=MAX_REASON, error_messages=_required(_("原因")))


class AdmitForm(forms.Form):
    id_number = IdNumberField(label=_("居民身份证号"), error_messages=_required(_("居民身份证号")))
    basis = forms.ChoiceField(label=_("登记依据"), choices=(), initial=Basis.HUKOU_AWAY,
                              error_messages={"invalid_choice": _("请选择登记依据"), "required": _("请选择登记依据")})
    reason = forms.CharField(label=_("登记说明"), max_length=MAX_REASON, error_messages=_required(_("登记说明")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basis"].choices = _choices(Basis.choices)


class RollFilterForm(forms.Form):
    area = forms.CharField(required=False, max_length=20)
    basis = forms.ChoiceField(required=False, choices=())
    status = forms.ChoiceField(required=False, choices=())
    q = forms.CharField(required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basis"].choices = [("", gettext("全部"))] + _choices(Basis.choices)
        self.fields["status"].choices = [("current", gettext("在册")), ("removed", gettext("已除名")),
                                         ("all", gettext("全部"))]


class ObjectionForm(forms.Form):
    raised_by_name = forms.CharField(label=_("异议人"), max_length=50, error_messages=_required(_("异议人")))
    id_number = IdNumberField(label=_("涉及居民身份证号（可选）"), required=False)
    text = forms.CharField(label=_("异议内容"), max_length=MAX_OBJECTION, error_messages=_required(_("异议内容")),
                           widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结论"), choices=(),
                                error_messages={"invalid_choice": _("请选择处理结论"), "required": _("请选择处理结论")})
    answer = forms.CharField(label=_("答复"), max_length=MAX_OBJECTION, error_messages=_required(_("答复")),
                             widget=forms.Textarea(attrs={"rows": 3}))
    id_number = IdNumberField(label=_("需更正的居民身份证号（异议未指明时）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = _choices(Objection.Outcome.choices)


class ResidentObjectionForm(forms.Form):
    text = forms.CharField(label=_("异议内容"), max_length=MAX_OBJECTION, error_messages=_required(_("异议内容")),
                           widget=forms.Textarea(attrs={"rows": 3}))
    about_me = forms.BooleanField(label=_("是关于我本人的登记"), required=False, initial=True)


class SuspensionForm(forms.Form):
    id_number = IdNumberField(label=_("居民身份证号"), error_messages=_required(_("居民身份证号")))
    reason = forms.CharField(label=_("原因"), max_length=MAX_REASON, error_messages=_required(_("原因")))
    starts_on = parsing.FormDateField(label=_("起始日期"), widget=DATE, error_messages=_required(_("起始日期")))
    ends_on = parsing.FormDateField(label=_("截止日期（可选）"), required=False, widget=DATE)
