"""Forms of the staff case pages: queue filters, one-tap actions, dispatch targets and intake."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import OPEN_STATUSES, Category, Kind, Priority, Status, Supervision
from shanzhi.lib import parsing
from shanzhi.lib.codes import CodeError, normalise_phone
from shanzhi.lib.geometry import GeometryError, check_lat_lon


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; the content check is the service's (images.validate_images)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _status_choices(statuses) -> list[tuple[str, str]]:
    return [("", _("全部状态")), *[(s, _(Status(s).label)) for s in statuses]]


def leaf_categories() -> list[Category]:
    """Active leaf categories, in catalogue order. Cost: one query."""
    return list(Category.objects.filter(is_active=True, children__isnull=True, parent__isnull=False)
                .select_related("parent").order_by("sort", "code"))


def category_filter_choices() -> list[tuple[str, str]]:
    rows = Category.objects.filter(is_active=True).order_by("sort", "code").values_list("code", "name", "parent_id")
    return [("", _("全部类别")), *[(code, name if parent else f"【{name}】") for code, name, parent in rows]]


class QueueFilterForm(forms.Form):
    """The grid worker's queue: status, overdue, category, unit."""

    status = forms.ChoiceField(label=_("状态"), required=False)
    overdue = forms.BooleanField(label=_("只看超期"), required=False)
    category = forms.ChoiceField(label=_("类别"), required=False)
    unit = forms.CharField(label=_("单位编码"), required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _status_choices(OPEN_STATUSES)
        self.fields["category"].choices = category_filter_choices()


class ListFilterForm(QueueFilterForm):
    """The subtree list: the queue's filters plus supervision, pending extension, still open and reported dates."""

    supervision = forms.ChoiceField(label=_("督办"), required=False)
    extension = forms.BooleanField(label=_("待批延期"), required=False)
    open = forms.BooleanField(label=_("只看未结"), required=False)
    closed = forms.BooleanField(label=_("只看已结"), required=False)
    since = parsing.FormDateField(label=_("上报起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = parsing.FormDateField(label=_("上报止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _status_choices(Status.values)
        self.fields["supervision"].choices = [("", _("全部")), ("any", _("已督办")),
                                              *[(s, Supervision(s).label) for s in Supervision.values if s]]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("结束日期不能早于开始日期"))
        return data


class ActionForm(forms.Form):
    """Inputs of any one-tap action; each action reads the fields it needs and the service checks them."""

    note = forms.CharField(label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleImageField(label=_("照片"))
    until = parsing.FormDateTimeField(label=_("延期至"), required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    level = forms.ChoiceField(label=_("督办等级"), required=False,
                              choices=[(s, Supervision(s).label) for s in Supervision.values if s])
    original = forms.CharField(label=_("原诉求编号"), required=False, max_length=24)
    target = forms.CharField(label=_("派遣给"), required=False, max_length=60)


class BulkDispatchForm(forms.Form):
    target = forms.CharField(label=_("派遣给"), max_length=60,
                             error_messages={"required": _("请选择派遣对象")})
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class IntakeForm(forms.Form):
    """A case raised by staff on behalf of a caller (hotline) or found on patrol."""

    field_order = ["reporter_name", "reporter_phone", "anonymous", "kind", "priority", "category", "description",
                   "address", "photos", "lat", "lon"]  # as the page shows them (the error summary follows)

    kind = forms.ChoiceField(label=_("类型"), choices=Kind.choices, initial=Kind.PROBLEM)
    category = forms.ChoiceField(label=_("类别"), error_messages={"required": _("请选择具体的类别"),
                                                                "invalid_choice": _("请选择具体的类别")})
    priority = forms.ChoiceField(label=_("紧急程度"), choices=Priority.choices, initial=Priority.NORMAL)
    description = forms.CharField(label=_("描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                                  error_messages={"required": _("请描述问题")})
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    lon = forms.FloatField(label=_("经度"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reporter_name = forms.CharField(label=_("来电人"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("来电号码"), required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))
    anonymous = forms.BooleanField(label=_("匿名（不对公众显示姓名）"), required=False)
    photos = MultipleImageField(label=_("照片"))

    def __init__(self, *args, patrol: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.patrol = patrol
        self.categories = {c.code: c for c in leaf_categories()}
        self.fields["category"].choices = [("", _("请选择")), *[
            (c.code, f"{c.parent.name} / {c.name}") for c in self.categories.values()]]
        if patrol:
            for name in ("reporter_name", "reporter_phone", "anonymous"):
                del self.fields[name]

    def clean_category(self) -> Category:
        code = self.cleaned_data["category"]
        if code not in self.categories:
            raise forms.ValidationError(_("请选择具体的类别"))
        return self.categories[code]

    def clean_reporter_phone(self) -> str:
        phone = (self.cleaned_data.get("reporter_phone") or "").strip()
        if phone:
            try:
                normalise_phone(phone)
            except CodeError as exc:
                raise forms.ValidationError(str(exc)) from None
        return phone

    def clean(self):
        """Every rule of case_report checked here, so one round names every error."""
        data = super().clean()
        has_lat, has_lon = data.get("lat") is not None, data.get("lon") is not None
        if has_lat != has_lon and "lat" not in self.errors and "lon" not in self.errors:
            self.add_error("lat", _("经纬度须同时提供"))
        elif has_lat and has_lon:
            try:
                check_lat_lon(data["lat"], data["lon"])
            except GeometryError as exc:
                self.add_error("lat", str(exc))
        if self.patrol and not (has_lat and has_lon) and "lat" not in self.errors:
            self.add_error("lat", _("巡查上报须在地图上标出位置"))
        return data
