"""Forms for the resident's case pages; the intake service does the real checking."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import Kind

WHERE_PIN = "pin"
WHERE_HOME = "home"


def new_key() -> str:
    """A fresh idempotency key for one rendering of the report form."""
    return uuid.uuid4().hex


class ReportForm(forms.Form):
    """What a resident raises; values go to case_report, whose field errors are shown here."""

    kind = forms.ChoiceField(label=_("类型"), choices=[(Kind.PROBLEM, _("反映问题")), (Kind.HELP, _("求助"))],
                             required=False, widget=forms.RadioSelect)
    category = forms.CharField(label=_("类别"), required=False, max_length=40)
    description = forms.CharField(label=_("描述"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}))
    where = forms.ChoiceField(label=_("位置"), required=False,
                              choices=[(WHERE_PIN, _("地图标点")), (WHERE_HOME, _("我家"))])
    lat = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    lon = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    address = forms.CharField(label=_("位置说明"), required=False, max_length=200)
    anonymous = forms.BooleanField(label=_("匿名"), required=False)
    is_public = forms.BooleanField(label=_("公开"), required=False)
    photos = forms.Field(label=_("照片"), required=False)  # read from request.FILES; here for its errors
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_where(self) -> str:
        return self.cleaned_data.get("where") or WHERE_PIN

    def point(self) -> tuple[str | None, str | None]:
        """The raw pin (strings, checked by the service), or (None, None) when not given."""
        lat = (self.cleaned_data.get("lat") or "").strip() or None
        lon = (self.cleaned_data.get("lon") or "").strip() or None
        return lat, lon


RATING_ERRORS = {"required": _("请选择1到5星"), "invalid_choice": _("请选择1到5星")}
SATISFIED_ERRORS = {"required": _("请选择满意或不满意"), "invalid_choice": _("请选择满意或不满意")}


class RateForm(forms.Form):
    """1-5 stars, satisfied or not, and an optional comment."""

    rating = forms.TypedChoiceField(label=_("评分"), choices=[(str(i), str(i)) for i in range(1, 6)], coerce=int,
                                    widget=forms.RadioSelect, error_messages=RATING_ERRORS)
    satisfied = forms.TypedChoiceField(label=_("是否满意"), choices=[("1", _("满意")), ("0", _("不满意"))],
                                       coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                       error_messages=SATISFIED_ERRORS)
    comment = forms.CharField(label=_("意见"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
                              error_messages={"max_length": _("意见不能超过500字")})
