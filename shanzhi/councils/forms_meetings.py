"""Forms of the meeting, vote and decision pages. They read and name bad input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.councils.models import DecisionOutcome
from shanzhi.lib import parsing

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def _when(label):
    return parsing.FormDateTimeField(label=label, input_formats=DATETIME_FORMATS,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"))


def _text(label, max_length: int, rows: int = 0, required: bool = True):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget)


class MeetingForm(forms.Form):
    title = _text(_("会议名称"), 100)
    starts_at = _when(_("开始时间"))
    ends_at = _when(_("结束时间"))
    room = forms.ModelChoiceField(label=_("会议室"), queryset=None, required=False, empty_label=_("不预订会议室"))
    place = _text(_("其他地点"), 100, required=False)
    is_public = forms.BooleanField(label=_("公开会议（在村里动态中公告）"), required=False)
    topics = forms.ModelMultipleChoiceField(label=_("议程（已受理的议题）"), queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, rooms, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms
        self.fields["topics"].queryset = topics
        self.fields["topics"].label_from_instance = lambda t: f"{t.number} {t.title}"

    def clean(self):
        data = super().clean()
        if not data.get("room") and not (data.get("place") or "").strip() and "place" not in self.errors:
            self.add_error("place", _("请选择会议室或填写会议地点"))
        return data


class ReasonForm(forms.Form):
    reason = _text(_("取消原因"), 500, rows=2)


class CloseForm(forms.Form):
    minutes = _text(_("会议纪要"), 20000, rows=8)


class AgendaForm(forms.Form):
    topic = forms.ModelChoiceField(label=_("议题"), queryset=None, empty_label=None)

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        self.fields["topic"].label_from_instance = lambda t: f"{t.number} {t.title}"


class AttendForm(forms.Form):
    member = forms.ModelChoiceField(label=_("成员"), queryset=None, empty_label=None)
    present = forms.TypedChoiceField(label=_("到会"), choices=[("1", _("到会")), ("0", _("未到会"))],
                                     coerce=lambda v: v == "1", initial="1")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: m.name


class MotionForm(forms.Form):
    text = _text(_("表决事项"), 2000, rows=2)
    topic = forms.ModelChoiceField(label=_("针对议题"), queryset=None, required=False, empty_label=_("（不针对具体议题）"))
    secret = forms.BooleanField(label=_("无记名表决"), required=False)

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        self.fields["topic"].label_from_instance = lambda t: f"{t.number} {t.title}"


class HandsForm(forms.Form):
    motion = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    yes = forms.IntegerField(label=_("赞成"), min_value=0, max_value=10_000)
    no = forms.IntegerField(label=_("反对"), min_value=0, max_value=10_000)
    abstain = forms.IntegerField(label=_("弃权"), min_value=0, max_value=10_000)


class MotionCloseForm(forms.Form):
    motion = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DecisionForm(forms.Form):
    topic = forms.ModelChoiceField(label=_("议题"), queryset=None, empty_label=None)
    outcome = forms.ChoiceField(label=_("决定结果"), choices=[(v, _(label)) for v, label in DecisionOutcome.choices])
    text = _text(_("决定内容"), 5000, rows=3)
    referred_to = _text(_("转交至"), 100, required=False)
    motion = forms.ModelChoiceField(label=_("依据的表决"), queryset=None, required=False,
                                    empty_label=_("（协商一致，未经表决）"))

    def __init__(self, *args, topics, motions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        self.fields["topic"].label_from_instance = lambda t: f"{t.number} {t.title}"
        self.fields["motion"].queryset = motions
        self.fields["motion"].label_from_instance = lambda m: f"#{m.pk} {m.text[:30]}"


class CodeForm(forms.Form):
    code = forms.CharField(label=_("签到码"), max_length=12)


class VoteForm(forms.Form):
    motion = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    choice = forms.ChoiceField(label=_("表决"), choices=[("yes", _("赞成")), ("no", _("反对")), ("abstain", _("弃权"))],
                               widget=forms.RadioSelect)


class CaseForm(forms.Form):
    category = forms.ModelChoiceField(label=_("诉求类别"), queryset=None, empty_label=None)
    description = _text(_("需要办理的事项"), 2000, rows=3)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["category"].label_from_instance = lambda c: c.name


class TaskForm(forms.Form):
    title = _text(_("任务"), 200)
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=None, empty_label=None)
    due_on = parsing.FormDateField(label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = str


class TaskDoneForm(forms.Form):
    task = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100)
    note = _text(_("进展情况"), 2000, rows=2)
