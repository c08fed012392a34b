"""Forms of the registry pages: list search and the audited reveal of an ID number or phone."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.people.models import CareTag


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    tag = forms.ChoiceField(label=_("关爱标签"), required=False)

    def __init__(self, *args, tags: list[CareTag] | None = None, english: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("全部"))]
        choices += [(t.code, t.name_en if english else t.name) for t in (tags or [])]
        self.fields["tag"].choices = choices


class RevealForm(forms.Form):
    """Which identifier to reveal and why; both are checked by the service (one rule, one place, after the
    gate), which names every wrong field at once."""

    field = forms.CharField(label=_("查看"), required=False, max_length=20,
                            widget=forms.Select(choices=[("id_number", _("身份证号")), ("phone", _("手机号"))]))
    reason = forms.CharField(label=_("事由"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("例如：核实身份办理业务")}))
