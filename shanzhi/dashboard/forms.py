"""The evaluation scheme form: weights per indicator and grade thresholds, every error shown at once."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.dashboard.evaluation import (
    WeightSpec,
    default_mapping,
    known_keys,
    mapping_label,
    parse_month,
    scheme_errors,
)
from shanzhi.dashboard.evaluation_models import EvaluationScheme, Mapping
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError

BLANK_ROWS = 2
MAX_ROWS = 30


class SchemeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("方案名称"), max_length=100)
    effective_from = forms.CharField(label=gettext_lazy("生效月份"), max_length=7,
                                     widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))
    grade_a = forms.DecimalField(label=gettext_lazy("A 级最低分"), max_digits=5, decimal_places=1)
    grade_b = forms.DecimalField(label=gettext_lazy("B 级最低分"), max_digits=5, decimal_places=1)
    grade_c = forms.DecimalField(label=gettext_lazy("C 级最低分"), max_digits=5, decimal_places=1)
    grade_d = forms.DecimalField(label=gettext_lazy("D 级最低分"), max_digits=5, decimal_places=1)

    def __init__(self, *args, scheme: EvaluationScheme | None = None, **kwargs):
        self.scheme = scheme
        data = kwargs.get("data") if "data" in kwargs else (args[0] if args else None)
        own = [w.indicator_key for w in scheme.weights.all()] if scheme is not None else []
        if data is not None:
            rows = max([int(k[4:]) + 1 for k in data if k.startswith("key_") and k[4:].isascii()
                        and k[4:].isdigit() and len(k) < 8 and int(k[4:]) < MAX_ROWS], default=1)
        else:
            rows = len(own) + BLANK_ROWS
        if scheme is not None and data is None:
            kwargs.setdefault("initial", self._initial(scheme))
        super().__init__(*args, **kwargs)
        self.keys = known_keys(own)
        self.rows = max(rows, 1)
        for i in range(self.rows):
            n = i + 1
            self.fields[f"key_{i}"] = forms.ChoiceField(
                label=_("第%(n)s行 指标") % {"n": n}, required=False, choices=[("", "——")] + self.keys,
                error_messages={"invalid_choice": _("未知的指标：%(value)s")})
            self.fields[f"weight_{i}"] = forms.DecimalField(label=_("第%(n)s行 权重") % {"n": n}, required=False,
                                                            max_digits=5, decimal_places=1)
            self.fields[f"mapping_{i}"] = forms.ChoiceField(label=_("第%(n)s行 计分方式") % {"n": n},
                                                            required=False, choices=[("", _("按指标默认"))]
                                                            + [(m, mapping_label(m)) for m in Mapping.values])
            self.fields[f"target_{i}"] = forms.FloatField(label=_("第%(n)s行 目标值") % {"n": n}, required=False)
            self.fields[f"limit_{i}"] = forms.FloatField(label=_("第%(n)s行 限值") % {"n": n}, required=False)

    @staticmethod
    def _initial(scheme: EvaluationScheme) -> dict:
        initial = {"name": scheme.name, "effective_from": scheme.effective_from.strftime("%Y-%m"),
                   "grade_a": scheme.grade_a, "grade_b": scheme.grade_b, "grade_c": scheme.grade_c,
                   "grade_d": scheme.grade_d}
        for i, w in enumerate(scheme.weights.all()):
            initial.update({f"key_{i}": w.indicator_key, f"weight_{i}": w.weight, f"mapping_{i}": w.mapping,
                            f"target_{i}": w.target, f"limit_{i}": w.limit})
        return initial

    def row_fields(self) -> list[dict]:
        """The bound fields of each row, for the template."""
        return [{name: self[f"{name}_{i}"] for name in ("key", "weight", "mapping", "target", "limit")}
                for i in range(self.rows)]

    def clean(self):
        data = super().clean()
        month = data.get("effective_from")
        if month:
            try:
                data["effective_from"] = parse_month("effective_from", month, default=clock.today()).first
            except DomainError:
                self.add_error("effective_from", _("生效月份应写作 年-月，如 2026-11"))
                data.pop("effective_from", None)
        specs: list[tuple[int, WeightSpec]] = []
        for i in range(self.rows):
            if any(f"{name}_{i}" in self.errors for name in ("key", "weight", "mapping", "target", "limit")):
                continue
            key, weight = data.get(f"key_{i}") or "", data.get(f"weight_{i}")
            if not key and weight is None:
                continue  # a blank row
            if not key:
                self.add_error(f"key_{i}", _("请选择指标"))
                continue
            if weight is None:
                self.add_error(f"weight_{i}", _("请填写权重"))
                continue
            specs.append((i, WeightSpec(key, weight, data.get(f"mapping_{i}") or default_mapping(key),
                                        data.get(f"target_{i}"), data.get(f"limit_{i}"))))
        grades = {g: data.get(g) for g in ("grade_a", "grade_b", "grade_c", "grade_d")}
        complete = not any(f"key_{i}" in self.errors or f"weight_{i}" in self.errors for i in range(self.rows))
        for name, messages in scheme_errors(specs, grades, {k for k, _l in self.keys}).items():
            if name == "weights" and not complete:
                continue  # the sum of a table with a bad row says nothing more
            for m in messages:
                self.add_error(None if name == "weights" else name, m)
        data["weights"] = [s for _i, s in specs]
        data["grades"] = {g: v if v is not None else Decimal(0) for g, v in grades.items()}
        return data
