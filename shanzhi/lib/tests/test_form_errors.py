"""The shared error summary: every error of a page's forms once, at the top, each linked to its field."""

from __future__ import annotations

import re

from django import forms
from django.template import Context, Template


def summary(html: str) -> list[str]:
    """The messages of the error summary at the top of a page, in order (used by the apps' form tests)."""
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert box, "no error summary on the page"
    return [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li[^>]*>(.*?)</li>", box.group(0), re.S)]


class Pet(forms.Form):
    name = forms.CharField(label="名字", error_messages={"required": "请填写名字"})
    kind = forms.ChoiceField(label="种类", choices=[("cat", "猫"), ("dog", "狗")], widget=forms.RadioSelect,
                             error_messages={"required": "请选择种类"})
    where = forms.CharField(label="位置", required=False, widget=forms.HiddenInput)
    error_anchors = {"where": "the-map"}

    def clean(self):
        super().clean()
        self.add_error("where", "请在地图上标出")
        raise forms.ValidationError("整张表都不对")


Pets = forms.formset_factory(Pet, extra=0)


def render(*objects, **kw) -> str:
    names = " ".join(f"o{i}" for i in range(len(objects)))
    extra = ' extra=extra' if "extra" in kw else ""
    tpl = Template("{% load form_errors %}{% error_summary " + names + extra + ' row_label="第%(n)s只" %}')
    return tpl.render(Context({f"o{i}": o for i, o in enumerate(objects)} | kw))


def test_every_error_is_listed_with_a_link_to_its_field():
    form = Pet({})
    html = render(form)
    assert summary(html) == ["整张表都不对", "名字：请填写名字", "种类：请选择种类", "位置：请在地图上标出"]
    assert 'href="#id_name"' in html and 'href="#id_kind_0"' in html and 'href="#the-map"' in html
    assert 'tabindex="-1"' in html and "data-error-summary" in html and "请修改以下4处后再提交" in html


def test_formset_rows_are_named_and_extra_messages_come_last():
    rows = Pets({"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0", "form-0-name": "咪咪", "form-0-kind": "cat", "form-1-kind": "dog"},
                prefix="form")
    html = render(rows, extra=["至少要有一只狗"])
    messages = summary(html)
    assert "第2只 · 名字：请填写名字" in messages and messages[-1] == "至少要有一只狗"
    assert 'href="#id_form-1-name"' in html


def test_nothing_is_drawn_for_a_form_without_errors_or_not_sent():
    assert render(Pet()).strip() == ""
