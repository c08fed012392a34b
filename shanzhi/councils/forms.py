"""Forms of the council pages; the services check everything again (and their refusals land here)."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import Category
from shanzhi.councils.models import ChosenBy, CouncilType, Position, TopicStatus
from shanzhi.councils.services import MAX_COMMENT, MAX_REASON, MAX_TEXT, MAX_TITLE
from shanzhi.lib import parsing
from shanzhi.lib.codes import CodeError, normalise_id_number


def _choices(choices) -> list[tuple[str, str]]:
    return [(value, gettext(label)) for value, label in choices]


def _required(what):
    return {"required": format_lazy("{}{}", _("请填写"), what)}


class IdNumberField(forms.CharField):
    """A resident's ID number, normalised (the view finds the resident by its hash)."""

    def __init__(self, **kw):
        kw.setdefault("max_length", 20)
        kw.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(**kw)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        try:
            return normalise_id_number(value)
        except CodeError as exc:
            raise forms.ValidationError(str(exc)) from None


class CouncilForm(forms.Form):
    type = forms.ModelChoiceField(label=_("类型"), queryset=CouncilType.objects.none(), empty_label=None,
                                  error_messages={"invalid_choice": _("请选择类型")})
    unit = forms.CharField(label=_("设立单位编码"), max_length=20, error_messages=_required(_("设立单位编码")))
    name = forms.CharField(label=_("名称（可选）"), max_length=100, required=False)
    founded_on = parsing.FormDateField(label=_("成立日期"), required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = CouncilType.objects.filter(is_active=True)
        self.fields["type"].label_from_instance = lambda t: gettext(t.name)


class MemberForm(forms.Form):
    """A resident by ID number (from the registry) or a staff user by user name."""

    id_number = IdNumberField(label=_("居民身份证号"), required=False)
    username = forms.CharField(label=_("或工作人员用户名"), max_length=150, required=False)
    position = forms.ChoiceField(label=_("职务"), choices=(), initial=Position.MEMBER)
    chosen_by = forms.ChoiceField(label=_("产生方式"), choices=(), initial=ChosenBy.ELECTED)
    started_on = parsing.FormDateField(label=_("任期开始"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    term_ends_on = parsing.FormDateField(label=_("任期届满"), required=False,
                                         widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].choices = _choices(Position.choices)
        self.fields["chosen_by"].choices = _choices(ChosenBy.choices)

    def clean(self):
        data = super().clean()
        if "id_number" not in self.errors and not data.get("id_number") and not (data.get("username") or "").strip():
            self.add_error("id_number", _("请填写居民身份证号或工作人员用户名"))
        return data


class MemberEndForm(forms.Form):
    reason = forms.CharField(label=_("离任原因"), max_length=MAX_REASON, error_messages=_required(_("离任原因")))
    ended_on = parsing.FormDateField(label=_("离任日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class TopicForm(forms.Form):
    """Raise a topic: title, text, up to 3 photos, optional category, anonymous to the public."""

    title = forms.CharField(label=_("标题"), max_length=MAX_TITLE, error_messages=_required(_("标题")))
    text = forms.CharField(label=_("内容"), max_length=MAX_TEXT, error_messages=_required(_("内容")),
                           widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_TEXT}))
    category = forms.ModelChoiceField(label=_("分类（可选）"), queryset=Category.objects.none(), required=False,
                                      to_field_name="code", error_messages={"invalid_choice": _("请选择有效的分类")})
    anonymous = forms.BooleanField(label=_("对公众匿名"), required=False)
    photos = forms.Field(label=_("照片"), required=False)  # read from request.FILES; here for its errors

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True, parent__isnull=False)


class ProxyForm(TopicForm):
    """A grid worker raises a topic for a resident without a phone."""

    id_number = IdNumberField(label=_("居民身份证号"), error_messages=_required(_("居民身份证号")))
    council_type = forms.ModelChoiceField(label=_("议事组织"), queryset=CouncilType.objects.none(), empty_label=None,
                                          to_field_name="code", error_messages={"invalid_choice": _("请选择议事组织")})
    field_order = ["id_number", "council_type", "title", "text", "category", "anonymous", "photos"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council_type"].queryset = CouncilType.objects.filter(is_active=True)
        self.fields["council_type"].label_from_instance = lambda t: gettext(t.name)


class ProxySupportForm(forms.Form):
    id_number = IdNumberField(label=_("居民身份证号"), error_messages=_required(_("居民身份证号")))
    topic = forms.CharField(label=_("议题编号"), max_length=32, error_messages=_required(_("议题编号")))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=MAX_TEXT, error_messages=_required(_("理由")),
                             widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    text = forms.CharField(label=_("评论"), max_length=MAX_COMMENT, error_messages=_required(_("评论内容")),
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_COMMENT}))


class FromCaseForm(forms.Form):
    council = forms.TypedChoiceField(label=_("提交至"), coerce=int, choices=(),
                                     error_messages={"invalid_choice": _("请选择议事组织"),
                                                     "required": _("请选择议事组织")})
    title = forms.CharField(label=_("议题标题（可选）"), max_length=MAX_TITLE, required=False)
    note = forms.CharField(label=_("说明（可选）"), max_length=MAX_TEXT, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, councils=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].choices = [(c.pk, c.name) for c in councils]


class FilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=())
    type = forms.CharField(required=False, max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", gettext("全部"))] + _choices(TopicStatus.choices)
