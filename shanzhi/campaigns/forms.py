"""Forms of the staff campaign pages: declare a night visit or an incident, reassign, sign off, sites."""

from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from shanzhi.campaigns.models import Measure, Rule
from shanzhi.campaigns.scope import MAX_RADIUS_M
from shanzhi.lib import clock, parsing

SPLIT = re.compile(r"[\s,，、;；]+")
DATETIME = {"type": "datetime-local"}


def split_numbers(text: str) -> list[str]:
    """Household numbers from free text: one per line, or separated by commas, spaces or 、."""
    seen: dict[str, None] = {}
    for n in SPLIT.split(text or ""):
        if n.strip():
            seen.setdefault(n.strip(), None)
    return list(seen)


def _dt_field(label, required: bool = True) -> forms.DateTimeField:
    return parsing.FormDateTimeField(label=label, required=required, widget=forms.DateTimeInput(attrs=DATETIME),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])


class NightVisitForm(forms.Form):
    """A night-visit campaign: name, units of the user's subtree, care tags, period, rule and capacity."""

    name = forms.CharField(label=_("名称"), max_length=100)
    units = forms.MultipleChoiceField(label=_("范围（村社、镇街或网格，可多选）"),
                                      widget=forms.SelectMultiple(attrs={"size": 8}))
    tags = forms.MultipleChoiceField(label=_("关爱标签"), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    tag_mode = forms.ChoiceField(label=_("关爱对象"), required=False, initial="first",
                                 choices=[("first", _("全部户，有关爱标签的户排在前面")),
                                          ("only", _("只包括有所选关爱标签的户"))],
                                 widget=forms.RadioSelect)
    starts_at = _dt_field(_("开始时间"), required=False)
    ends_at = _dt_field(_("结束时间"), required=False)
    rule = forms.ChoiceField(label=_("责任人规则"), initial=Rule.CENTRAL_HOUSEHOLD)
    capacity = forms.IntegerField(label=_("每人户数上限"), min_value=1, max_value=10000, initial=10)

    def __init__(self, *args, units: list[tuple[str, str]], tags: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = units
        self.fields["tags"].choices = tags
        self.fields["rule"].choices = [(Rule.CENTRAL_HOUSEHOLD, _("党员中心户")), (Rule.CADRE, _("进村报到党员干部")),
                                       (Rule.GRID_WORKER, _("网格员"))]

    def clean(self):
        """Every rule of campaign_create on these fields checked here too, so one round names every error."""
        data = super().clean()
        if data.get("tag_mode") == "only" and not data.get("tags"):
            self.add_error("tags", _("选择“只包括”时请至少选一个关爱标签"))
        ends, starts = data.get("ends_at"), data.get("starts_at") or clock.now()
        if ends is not None and "ends_at" not in self.errors and ends <= starts:
            self.add_error("ends_at", _("结束时间应晚于开始时间"))
        return data


SCOPE_MODES = [("village", _("指示病例所在村社")), ("radius", _("地图上一点周围的半径范围")),
               ("contacts", _("密切接触者户清单")), ("polygon", _("在地图上绘制区域"))]


class IncidentForm(forms.Form):
    """Declare an emergency and choose the affected households in one step."""

    type = forms.CharField(label=_("事件类型"), max_length=50)
    occurred_at = _dt_field(_("发生时间"))
    place = forms.CharField(label=_("地点"), max_length=200)
    index_household = forms.CharField(label=_("指示病例户号"), max_length=30, required=False)
    index_person = forms.CharField(label=_("指示病例/当事人"), max_length=50, required=False)
    contacts = forms.CharField(label=_("密切接触者户号（每行一个，或用逗号分隔）"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    scope_mode = forms.ChoiceField(label=_("影响范围"), choices=SCOPE_MODES, initial="village",
                                   widget=forms.RadioSelect)
    lat = forms.FloatField(label=_("纬度"), required=False)
    lon = forms.FloatField(label=_("经度"), required=False)
    radius_m = forms.FloatField(label=_("半径（米）"), required=False, initial=500,
                                widget=forms.NumberInput(attrs={"step": "any"}))
    polygon = forms.CharField(required=False, widget=forms.HiddenInput)
    measure = forms.ChoiceField(label=_("管控措施"), initial=Measure.HOME, widget=forms.RadioSelect)
    measure_days = forms.IntegerField(label=_("管控天数"), min_value=1, max_value=60, initial=14)
    capacity = forms.IntegerField(label=_("每个中心户联系户数上限"), min_value=1, max_value=1000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(Measure.HOME, _("居家隔离")), (Measure.CENTRALISED, _("集中隔离"))]
        self.fields["capacity"].initial = settings.SHANZHI["CENTRAL_HOUSEHOLD_CAPACITY"]
        self.fields["radius_m"].widget.attrs.update(min=1, max=MAX_RADIUS_M)

    def clean_contacts(self) -> list[str]:
        return split_numbers(self.cleaned_data.get("contacts", ""))

    def clean_polygon(self) -> dict | None:
        raw = (self.cleaned_data.get("polygon") or "").strip()
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("绘制的区域无效：无法读取")) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("绘制的区域无效：无法读取"))
        return data

    def clean(self):
        data = super().clean()
        mode = data.get("scope_mode")
        if mode == "village" and not data.get("index_household"):
            self.add_error("index_household", _("按指示病例所在村社选择时，请填写指示病例户号"))
        elif mode == "radius" and (data.get("lat") is None or data.get("lon") is None):
            self.add_error("lat", _("请在地图上点选中心点，或填写经纬度"))
        elif mode == "radius" and data.get("radius_m") is None:
            self.add_error("radius_m", _("请填写半径"))
        elif mode == "contacts" and not data.get("contacts") and not data.get("index_household"):
            self.add_error("contacts", _("请填写密切接触者户号"))
        elif mode == "polygon" and not data.get("polygon") and "polygon" not in self.errors:
            self.add_error("polygon", _("请在地图上点击绘制区域（至少3个点）"))
        return data


class ReassignForm(forms.Form):
    """Give one household to a chosen responsible person."""

    household = forms.CharField(label=_("户号"), max_length=30)
    to = forms.ChoiceField(label=_("新的责任人"))

    def __init__(self, *args, people: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = people


class SiteForm(forms.Form):
    """A centralised quarantine site."""

    unit = forms.ChoiceField(label=_("所属单位"))
    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    rooms = forms.IntegerField(label=_("房间数"), min_value=1, max_value=100000)
    capacity = forms.IntegerField(label=_("容量（人）"), min_value=1, max_value=100000)

    def __init__(self, *args, units: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units


class CheckInForm(forms.Form):
    """Check a person of a centralised-quarantine household into a site room."""

    target = forms.IntegerField(widget=forms.HiddenInput)
    resident = forms.IntegerField(widget=forms.HiddenInput)
    site = forms.IntegerField(label=_("隔离点"))
    room = forms.CharField(label=_("房间"), max_length=20)
