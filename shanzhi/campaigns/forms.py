"""Forms of the staff campaign pages: declare a night visit or an incident, reassign, sign off, sites."""

from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from shanzhi.campaigns.models import Rule
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


def households_of(label: str) -> str:
    """"指示病例" -> "指示病例户号", "受影响户" -> "受影响户号": the household-number label of a type's word."""
    return f"{label}号" if label.endswith("户") else f"{label}户号"


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
    """Declare an emergency of one incident type and choose the affected households in one step; the type
    gives the measures offered and the words (an evacuation never speaks of quarantine)."""

    kind = forms.CharField(widget=forms.HiddenInput, required=False)
    type = forms.CharField(label=_("事件名称"), max_length=50, required=False)
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
    measure = forms.ChoiceField(label=_("管控措施"), widget=forms.RadioSelect)
    measure_days = forms.IntegerField(label=_("管控天数"), min_value=1, max_value=60, initial=14)
    capacity = forms.IntegerField(label=_("每个中心户联系户数上限（另加本户）"), min_value=1, max_value=1000,
                                  required=False)

    def __init__(self, *args, incident_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident_type = incident_type
        declared = [m for m in incident_type.measures.all() if m.at_declaration] if incident_type else []
        self.fields["measure"].choices = [(m.code, m.name) for m in declared]
        if declared:
            self.fields["measure"].initial = declared[0].code
            self.fields["measure"].label = incident_type.measures_label
            self.fields["measure_days"].label = _("%(what)s天数") % {"what": incident_type.measures_label}
            if incident_type.period_days:
                self.fields["measure_days"].initial = incident_type.period_days
        else:  # measures are recorded per household in the field: nothing to choose here
            del self.fields["measure"]
            del self.fields["measure_days"]
        if incident_type is not None:
            self.fields["kind"].initial = incident_type.code
            self.fields["type"].widget.attrs["placeholder"] = incident_type.name
            self.fields["index_household"].label = households_of(incident_type.index_label)
            if incident_type.person_label:
                self.fields["index_person"].label = incident_type.person_label
            else:
                del self.fields["index_person"]
            self.fields["contacts"].label = _("%(what)s（每行一个，或用逗号分隔）") % {
                "what": households_of(incident_type.contacts_label)}
            self.fields["scope_mode"].choices = [
                ("village", _("%(what)s所在村社") % {"what": incident_type.index_label}),
                ("radius", _("地图上一点周围的半径范围")),
                ("contacts", _("%(what)s清单") % {"what": households_of(incident_type.contacts_label)}),
                ("polygon", _("在地图上绘制区域"))]
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
        index = self.incident_type.index_label if self.incident_type else _("指示病例")
        if mode == "village" and not data.get("index_household"):
            self.add_error("index_household", _("按%(what)s所在村社选择时，请填写%(number)s") % {
                "what": index, "number": households_of(index)})
        elif mode == "radius" and (data.get("lat") is None or data.get("lon") is None):
            self.add_error("lat", _("请在地图上点选中心点，或填写经纬度"))
        elif mode == "radius" and data.get("radius_m") is None:
            self.add_error("radius_m", _("请填写半径"))
        elif mode == "contacts" and not data.get("contacts") and not data.get("index_household"):
            what = self.incident_type.contacts_label if self.incident_type else _("密切接触者")
            self.add_error("contacts", _("请填写%(what)s") % {"what": households_of(what)})
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
    site = forms.IntegerField(label=_("集中点"))
    room = forms.CharField(label=_("房间"), max_length=20)
