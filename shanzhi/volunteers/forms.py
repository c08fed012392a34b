"""Forms of the volunteers' and requests' pages; the services check everything again (and their refusals
land on the named field here)."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shanzhi.lib import parsing
from shanzhi.volunteers.models import RequestStatus, Skill, VolunteerStatus
from shanzhi.volunteers.services import MAX_INTRO, MAX_NOTE, MAX_REASON, MAX_TEXT

WEEKDAYS = [(0, _("周一")), (1, _("周二")), (2, _("周三")), (3, _("周四")), (4, _("周五")), (5, _("周六")),
            (6, _("周日"))]


def _required(what):
    return {"required": format_lazy("{}{}", _("请填写"), what)}


def _skill_label(s: Skill) -> str:
    return gettext(s.name)


class SkillChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _skill_label(obj)


class SkillsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _skill_label(obj)


class VolunteerForm(forms.Form):
    """Sign-up: skills, the days and hours one can serve (the same hours on each chosen day), the villages
    served (their own always), an intro; staff also choose their village."""

    village = forms.ModelChoiceField(label=_("所在村社"), queryset=None, required=False,
                                     error_messages={"invalid_choice": _("请选择村社")})
    skills = SkillsChoice(label=_("技能"), queryset=Skill.objects.none(), widget=forms.CheckboxSelectMultiple,
                          error_messages={"required": _("请至少选择一项技能"), "invalid_choice": _("技能无效"),
                                          "invalid_pk_value": _("技能无效")})
    weekdays = forms.TypedMultipleChoiceField(label=_("可服务日"), choices=WEEKDAYS, coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              error_messages={"invalid_choice": _("可服务日无效")})
    start = forms.TimeField(label=_("开始时刻"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                            error_messages={"invalid": _("时刻无效")})
    end = forms.TimeField(label=_("结束时刻"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                          error_messages={"invalid": _("时刻无效")})
    villages = forms.ModelMultipleChoiceField(label=_("还可服务的村社"), queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              error_messages={"invalid_choice": _("服务村社无效"),
                                                              "invalid_pk_value": _("服务村社无效")})
    intro = forms.CharField(label=_("个人简介"), max_length=MAX_INTRO, required=False, widget=forms.Textarea(
        attrs={"rows": 2}))

    def __init__(self, *args, villages=None, staff_villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        from shanzhi.org.models import OrgUnit

        self.fields["skills"].queryset = Skill.objects.filter(is_active=True)
        self.fields["villages"].queryset = villages if villages is not None else OrgUnit.objects.none()
        if staff_villages is None:
            del self.fields["village"]
        else:
            self.fields["village"].queryset = staff_villages
            self.fields["village"].required = True
            self.fields["village"].error_messages["required"] = gettext("请选择村社")

    def availability(self) -> list[dict]:
        cd = self.cleaned_data
        days, start, end = cd.get("weekdays") or [], cd.get("start"), cd.get("end")
        if not days:
            return []
        if start is None or end is None:
            raise parsing.invalid("start", gettext("请填写可服务的开始和结束时刻"))
        return [{"weekday": d, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")} for d in days]


class RequestForm(forms.Form):
    skill = SkillChoice(label=_("需要什么服务"), queryset=Skill.objects.none(), empty_label=None,
                        error_messages={"required": _("请选择服务类别"), "invalid_choice": _("请选择服务类别")})
    text = forms.CharField(label=_("需求说明"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages=_required(_("需求说明")))
    wanted_from = parsing.FormDateTimeField(label=_("希望服务时间"), required=False,
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    wanted_to = parsing.FormDateTimeField(label=_("最晚服务时间"), required=False,
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = Skill.objects.filter(is_active=True)


class FromCaseForm(RequestForm):
    text = None
    note = forms.CharField(label=_("交办说明（可选）"), max_length=MAX_NOTE, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages=_required(_("原因")))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因（可选）"), max_length=MAX_REASON, required=False)


class CheckForm(forms.Form):
    """Check-in (position and note optional) and check-out (what was done, an optional photo)."""

    lat = forms.CharField(label=_("纬度"), max_length=30, required=False, widget=forms.HiddenInput)
    lon = forms.CharField(label=_("经度"), max_length=30, required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(
        attrs={"rows": 2}))
    photo = forms.FileField(label=_("照片（可选）"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/*"}))

    def __init__(self, *args, checkout: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if checkout:
            self.fields["note"].label = gettext("服务记录")
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = gettext("请填写服务记录")
        else:
            del self.fields["photo"]


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("满意度"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect,
                                    error_messages={"required": _("请选择1至5星的满意度"),
                                                    "invalid_choice": _("请选择1至5星的满意度")})
    comment = forms.CharField(label=_("评价（可选）"), max_length=MAX_REASON, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    volunteer = forms.CharField(label=_("志愿者"), max_length=20, error_messages={"required": _("请选择志愿者")})
    note = forms.CharField(label=_("说明（可选）"), max_length=MAX_NOTE, required=False)


class TeamForm(forms.Form):
    unit = forms.CharField(label=_("设立单位编码"), max_length=20, error_messages=_required(_("设立单位编码")))
    name = forms.CharField(label=_("名称（可选）"), max_length=100, required=False)


class TeamMemberForm(forms.Form):
    volunteer = forms.CharField(label=_("志愿者"), max_length=20, error_messages={"required": _("请选择志愿者")})
    reason = forms.CharField(label=_("原因（可选）"), max_length=MAX_REASON, required=False)


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", gettext("全部"))] + [(v, gettext(lbl)) for v, lbl in RequestStatus.choices]


class VolunteerFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", gettext("全部"))] + [(v, gettext(lbl))
                                                                   for v, lbl in VolunteerStatus.choices]
