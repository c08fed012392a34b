"""Forms for the resident's case pages; the intake service does the real checking."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import Category, Kind
from shanzhi.lib.geometry import GeometryError, check_lat_lon

MAX_DESCRIPTION = 2000

WHERE_PIN = "pin"
WHERE_HOME = "home"


def new_key() -> str:
    """A fresh idempotency key for one rendering of the report form."""
    return uuid.uuid4().hex


class ReportForm(forms.Form):
    """What a resident raises. Every rule case_report checks is checked here first, so one round shows
    every error; the service still checks (and its errors land here too)."""

    # Fields drawn by hand in the template: where the summary's links go.
    error_anchors = {"kind": "id_kind_0", "category": "categories", "lat": "pin-map", "lon": "pin-map",
                     "where": "where-choice", "photos": "id_photos"}

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

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.category_obj: Category | None = None

    def clean_where(self) -> str:
        return self.cleaned_data.get("where") or WHERE_PIN

    def clean_kind(self) -> str:
        kind = self.cleaned_data.get("kind") or ""
        if kind not in Kind.values:
            raise forms.ValidationError(_("请选择求助或反映问题"))
        return kind

    def clean_category(self) -> str:
        code = (self.cleaned_data.get("category") or "").strip()
        self.category_obj = Category.objects.filter(code=code, is_active=True, children__isnull=True).first() \
            if code else None
        if self.category_obj is None:
            raise forms.ValidationError(_("请选择具体的类别"))
        return code

    def clean_description(self) -> str:
        text = (self.cleaned_data.get("description") or "").strip()
        if not text:
            raise forms.ValidationError(_("请描述问题"))
        if len(text) > MAX_DESCRIPTION:
            raise forms.ValidationError(_("描述不能超过2000字"))
        return text

    def clean(self):
        data = super().clean()
        if "where" in self.errors:
            return data
        lat, lon = self.point()
        if data.get("where") == WHERE_HOME:
            if self.household is None:
                self.add_error("where", _("您的账号尚未关联住户，不能使用“我家”，请在地图上标出位置"))
        elif lat is None and lon is None:
            if not (data.get("address") or "").strip():
                self.add_error("lat", _("请在地图上点选位置、使用当前位置，或选择“我家”"))
        elif lat is None or lon is None:
            self.add_error("lat", _("经纬度须同时提供"))
        else:
            try:
                check_lat_lon(lat, lon)
            except GeometryError as exc:
                self.add_error("lat", str(exc))
        return data

    def point(self) -> tuple[str | None, str | None]:
        """The raw pin (strings, checked by the service), or (None, None) when not given."""
        data = getattr(self, "cleaned_data", {})
        lat = (data.get("lat") or "").strip() or None
        lon = (data.get("lon") or "").strip() or None
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
