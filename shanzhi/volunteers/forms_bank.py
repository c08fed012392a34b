"""Forms of the time bank's pages: they read the input's shape (every error names its field, in Chinese); the
rules (who may, balances, stock, capacity) are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.lib.errors import DomainError
from shanzhi.lib.parsing import FormDateField, FormDateTimeField, parse_decimal, parse_int
from shanzhi.volunteers.models import EntryKind, Skill


def _whole(label, value, *, min_value=None, max_value=None, required=True):
    try:
        return parse_int(str(label), value, required=required, min_value=min_value, max_value=max_value)
    except DomainError as exc:
        raise forms.ValidationError(str(exc)) from None


class CorrectionForm(forms.Form):
    points = forms.CharField(label=_("更正积分（可为负数）"), max_length=12,
                             error_messages={"required": _("请填写更正积分")})
    hours = forms.CharField(label=_("更正时长（小时，可为负数，可不填）"), max_length=12, required=False)
    reason = forms.CharField(label=_("更正原因"), max_length=200, required=False,
                             error_messages={"max_length": _("更正原因不能超过200字")})

    def clean_points(self):
        return _whole(_("更正积分"), self.cleaned_data["points"], min_value=-1_000_000, max_value=1_000_000)

    def clean_hours(self):
        try:
            value = parse_decimal(str(_("更正时长")), self.cleaned_data["hours"], min_value=-1000, max_value=1000,
                                  places=2)
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value if value is not None else 0

    def clean_reason(self):
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise forms.ValidationError(_("请填写更正原因"))
        return value


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + [
        (k.value, k.label) for k in EntryKind], error_messages={"invalid_choice": _("类型无效")})
    first = FormDateField(label=_("开始日期"), required=False)
    last = FormDateField(label=_("结束日期"), required=False)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)


class ItemForm(forms.Form):
    name = forms.CharField(label=_("商品名称"), max_length=50, error_messages={
        "required": _("请填写商品名称"), "max_length": _("商品名称不能超过50字")})
    price = forms.CharField(label=_("所需积分"), max_length=12, error_messages={"required": _("请填写所需积分")})
    stock = forms.CharField(label=_("库存"), max_length=12, error_messages={"required": _("请填写库存")})
    is_active = forms.BooleanField(label=_("上架"), required=False, initial=True)

    def clean_price(self):
        return _whole(_("所需积分"), self.cleaned_data["price"], min_value=1, max_value=1_000_000)

    def clean_stock(self):
        return _whole(_("库存"), self.cleaned_data["stock"], min_value=0, max_value=100_000)


class CounterForm(forms.Form):
    account_code = forms.CharField(label=_("积分码"), max_length=300, error_messages={
        "required": _("请扫描或输入积分码")})
    item = forms.CharField(label=_("兑换商品"), max_length=20, error_messages={"required": _("请选择兑换商品")})


class ActivityForm(forms.Form):
    team = forms.ModelChoiceField(label=_("服务团"), queryset=None, empty_label=None, error_messages={
        "required": _("请选择服务团"), "invalid_choice": _("请选择服务团")})
    title = forms.CharField(label=_("活动名称"), max_length=100, error_messages={
        "required": _("请填写活动名称"), "max_length": _("活动名称不能超过100字")})
    text = forms.CharField(label=_("活动内容"), max_length=5000, required=False, widget=forms.Textarea(
        attrs={"rows": 4}), error_messages={"max_length": _("活动内容不能超过5000字")})
    place = forms.CharField(label=_("地点"), max_length=200, error_messages={
        "required": _("请填写活动地点"), "max_length": _("活动地点不能超过200字")})
    skill = forms.ModelChoiceField(label=_("类别"), queryset=Skill.objects.filter(is_active=True), required=False,
                                   error_messages={"invalid_choice": _("类别无效")})
    starts_at = FormDateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                  error_messages={"required": _("请填写开始时间")})
    ends_at = FormDateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                error_messages={"required": _("请填写结束时间")})
    capacity = forms.CharField(label=_("名额"), max_length=8, error_messages={"required": _("请填写名额")})
    multiplier = forms.CharField(label=_("积分倍数（0.5–5）"), max_length=8, initial="1",
                                 error_messages={"required": _("请填写积分倍数")})

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_capacity(self):
        return _whole(_("名额"), self.cleaned_data["capacity"], min_value=1, max_value=10_000)

    def clean_multiplier(self):
        try:
            return parse_decimal(str(_("积分倍数")), self.cleaned_data["multiplier"], required=True, min_value="0.5",
                                 max_value=5, places=2)
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None


class CodeForm(forms.Form):
    code = forms.CharField(label=_("6位签到码"), max_length=6, min_length=6, error_messages={
        "required": _("请填写6位签到码"), "min_length": _("签到码为6位数字"), "max_length": _("签到码为6位数字")})


class PeriodForm(forms.Form):
    first = FormDateField(label=_("开始日期"), error_messages={"required": _("请填写开始日期")})
    last = FormDateField(label=_("结束日期"), error_messages={"required": _("请填写结束日期")})


class AwardForm(forms.Form):
    resident = forms.CharField(label=_("居民"), max_length=20, error_messages={"required": _("请选择居民")})
    act_code = forms.CharField(label=_("文明积分项目"), max_length=30, error_messages={
        "required": _("请选择文明积分项目")})
    note = forms.CharField(label=_("说明"), max_length=200, required=False, error_messages={
        "max_length": _("说明不能超过200字")})
    token = forms.CharField(widget=forms.HiddenInput, max_length=32, error_messages={
        "required": _("表单已失效，请刷新页面后重新提交"), "max_length": _("表单已失效，请刷新页面后重新提交")})
