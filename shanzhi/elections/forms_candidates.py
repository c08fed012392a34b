"""Forms of the candidates, stations and proxies pages. They read and check the input's shape (every field
named, in Chinese); the rules (who may, conflicts, limits, dates) are the services'."""

from __future__ import annotations

import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from shanzhi.elections.candidates import MAX_REASON, MAX_STATEMENT, NominationLine
from shanzhi.elections.models import CommitteeRole, StaffRole, StationKind
from shanzhi.people.models import CareTag

MAX_COUNT = 1_000_000
MAX_LINES = 500
POSITION_WORDS = {"主任": CommitteeRole.CHAIR, "副主任": CommitteeRole.VICE_CHAIR, "委员": CommitteeRole.MEMBER,
                  "chair": CommitteeRole.CHAIR, "vice_chair": CommitteeRole.VICE_CHAIR, "member": CommitteeRole.MEMBER}


def _required(label):
    return {"required": format_lazy("{}{}", _("请填写"), label)}


def _count(label, required: bool = True):
    return forms.IntegerField(label=label, min_value=0, max_value=MAX_COUNT, required=required, initial=0, error_messages={
        **_required(label), "invalid": format_lazy("{}{}", label, _("应为整数")),
        "min_value": format_lazy("{}{}", label, _("不能小于0")),
        "max_value": format_lazy("{}{}", label, _("超出允许范围"))})


def _reason(label, required: bool = True):
    return forms.CharField(label=label, max_length=MAX_REASON, required=required, error_messages={
        **_required(label), "max_length": format_lazy("{}{}", label, _("不能超过200字"))})


class TallyForm(forms.Form):
    """A station's count of nomination ballots; one line per nominee: 选民证号 职位 票数."""

    station = forms.TypedChoiceField(label=_("投票站"), coerce=int, error_messages={
        "required": _("请选择投票站"), "invalid_choice": _("请选择本次选举的投票站")})
    issued = _count(_("发出选票"))
    returned = _count(_("收回选票"))
    valid = _count(_("有效票"))
    invalid = _count(_("无效票"))
    blank = _count(_("空白票"), required=False)
    lines = forms.CharField(label=_("提名结果（每行：选民证号 职位 票数）"), required=False, max_length=50_000,
                            widget=forms.Textarea(attrs={"rows": 10, "placeholder": "330421112201-0001 主任 25"}),
                            error_messages={"max_length": _("提名结果过长")})

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [("", "—")] + [(s.pk, s.name) for s in stations]

    def clean_lines(self) -> list[NominationLine]:
        out = []
        rows = [r.strip() for r in (self.cleaned_data.get("lines") or "").splitlines() if r.strip()]
        if len(rows) > MAX_LINES:
            raise forms.ValidationError(gettext("提名结果不能超过%(n)s行") % {"n": MAX_LINES})
        errors = []
        for i, row in enumerate(rows, start=1):
            parts = re.split(r"[\s,，、]+", row)
            if len(parts) != 3:
                errors.append(gettext("第%(i)s行应为：选民证号 职位 票数") % {"i": i})
                continue
            number, word, votes = parts
            position = POSITION_WORDS.get(word)
            if position is None:
                errors.append(gettext("第%(i)s行：职位应为主任、副主任或委员") % {"i": i})
                continue
            if not votes.isascii() or not votes.isdigit() or int(votes) > MAX_COUNT:
                errors.append(gettext("第%(i)s行：票数应为整数") % {"i": i})
                continue
            out.append(NominationLine(voter=number, position=position, votes=int(votes)))
        if errors:
            raise forms.ValidationError(errors[:20])
        return out


class WithdrawForm(forms.Form):
    candidate = forms.TypedChoiceField(label=_("候选人"), coerce=int, error_messages={
        "required": _("请选择候选人"), "invalid_choice": _("请选择本次选举的候选人")})
    reason = _reason(_("退出原因"))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].choices = [("", "—")] + [
            (c.pk, f"{c.name}（{gettext(c.get_position_display())}）") for c in candidates]


class TieForm(forms.Form):
    position = forms.ChoiceField(label=_("职位"), error_messages={
        "required": _("请选择职位"), "invalid_choice": _("请选择职位")})
    chosen = forms.TypedMultipleChoiceField(label=_("确定为正式候选人"), coerce=int, error_messages={
        "required": _("请选择确定为正式候选人的人"), "invalid_choice": _("所选的人不在票数相等的候选人之中")})
    reason = _reason(_("确定方式（如再次投票的结果）"))

    def __init__(self, *args, tied=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].choices = [(v, gettext(label)) for v, label in CommitteeRole.choices]
        self.fields["chosen"].choices = [(c.pk, f"{c.name}（{gettext(c.get_position_display())}）") for c in tied]
        self.fields["chosen"].widget = forms.CheckboxSelectMultiple(choices=self.fields["chosen"].choices)


class StationForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=[(StationKind.STATION, _("投票站")),
                                                       (StationKind.CENTRAL, _("中心会场"))],
                             error_messages={"required": _("请选择类型"), "invalid_choice": _("请选择类型")})
    name = forms.CharField(label=_("名称"), max_length=100, error_messages={
        **_required(_("名称")), "max_length": _("名称不能超过100字")})
    place = forms.CharField(label=_("地点"), max_length=200, required=False,
                            error_messages={"max_length": _("地点不能超过200字")})
    units = forms.MultipleChoiceField(label=_("覆盖网格"), required=False, widget=forms.CheckboxSelectMultiple,
                                      error_messages={"invalid_choice": _("请选择本村（社区）的网格")})

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(u.code, u.name) for u in units]


class MobileForm(forms.Form):
    name = forms.CharField(label=_("票箱名称"), max_length=60, error_messages={
        **_required(_("票箱名称")), "max_length": _("票箱名称不能超过60字")})
    units = forms.MultipleChoiceField(label=_("服务网格（不选为全村）"), required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      error_messages={"invalid_choice": _("请选择本村（社区）的网格")})
    tags = forms.MultipleChoiceField(label=_("关爱标签"), required=False, widget=forms.CheckboxSelectMultiple,
                                     error_messages={"invalid_choice": _("请选择关爱标签")})

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(u.code, u.name) for u in units]
        english = (get_language() or "").startswith("en")
        self.fields["tags"].choices = [(t.code, t.name_en if english and t.name_en else t.name)
                                       for t in CareTag.objects.order_by("code")]
        self.fields["tags"].initial = ["elderly_alone", "disabled"]


class StaffForm(forms.Form):
    station = forms.TypedChoiceField(label=_("投票站"), coerce=int, error_messages={
        "required": _("请选择投票站"), "invalid_choice": _("请选择本次选举的投票站")})
    role = forms.ChoiceField(label=_("职责"), error_messages={"required": _("请选择职责"),
                                                             "invalid_choice": _("请选择职责")})
    voter_number = forms.CharField(label=_("选民证号"), max_length=24, required=False,
                                   error_messages={"max_length": _("选民证号不能超过24位")})
    username = forms.CharField(label=_("工作人员账号（发票登记员）"), max_length=150, required=False,
                               error_messages={"max_length": _("账号过长")})

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [("", "—")] + [(s.pk, s.name) for s in stations]
        self.fields["role"].choices = [(v, gettext(label)) for v, label in StaffRole.choices]


class ProxyForm(forms.Form):
    grantor = forms.CharField(label=_("委托人选民证号"), max_length=24, error_messages={
        **_required(_("委托人选民证号")), "max_length": _("选民证号不能超过24位")})
    proxy = forms.CharField(label=_("受委托人选民证号"), max_length=24, error_messages={
        **_required(_("受委托人选民证号")), "max_length": _("选民证号不能超过24位")})
    reason = _reason(_("委托原因"))


class ConsentForm(forms.Form):
    consent = forms.BooleanField(label=_("同意公开我在平台上的履职记录（办件、夜访、议事、志愿服务的次数和时长）"),
                                 required=False)
    statement = forms.CharField(label=_("治村设想"), max_length=MAX_STATEMENT, required=False,
                                widget=forms.Textarea(attrs={"rows": 6}),
                                error_messages={"max_length": _("治村设想不能超过2000字")})
