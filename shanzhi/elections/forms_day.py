"""Forms of election day's pages: the clerk's scan and search, the tally entry, certification. They read the
shape of the input; the rules (the roll, one ballot, counts, who may) are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.elections.counting import POSITIONS
from shanzhi.elections.models import Candidate, CommitteeRole
from shanzhi.elections.tally import COUNT_FIELDS
from shanzhi.lib.errors import DomainError
from shanzhi.lib.parsing import FormDateField, add_to_form

WRITE_IN_ROWS = 3
COUNT_LABELS = {"issued": _("发出选票"), "returned": _("收回选票"), "valid": _("有效票"), "invalid": _("无效票"),
                "blank": _("空白票（计入有效票）")}
POSITION_LABELS = {CommitteeRole.CHAIR: _("主任"), CommitteeRole.VICE_CHAIR: _("副主任"),
                   CommitteeRole.MEMBER: _("委员")}


class ScanForm(forms.Form):
    card_token = forms.CharField(label=_("选民证二维码"), max_length=200, required=False,
                                 widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                               "inputmode": "text", "data-scan-target": "1"}))


class FindForm(forms.Form):
    q = forms.CharField(label=_("姓名或选民证号"), max_length=50, required=False)


class TallyForm(forms.Form):
    """The counts, a votes field per official candidate of the round's positions, and write-in rows."""

    def __init__(self, *args, candidates: list[Candidate], seats: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields: list[str] = []  # the form field behind each line sent to the service
        for key, _label in COUNT_FIELDS:
            self.fields[key] = forms.CharField(label=COUNT_LABELS[key], max_length=10, required=key != "blank",
                                               widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
                                               error_messages={"required": _("请填写") + str(COUNT_LABELS[key])})
        self.candidates = [c for c in candidates if seats.get(c.position)]
        for c in self.candidates:
            self.fields[f"cand_{c.pk}"] = forms.CharField(
                label=f"{POSITION_LABELS[c.position]} · {c.name}", max_length=10, required=False,
                widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}))
        positions = [(p, POSITION_LABELS[p]) for p in POSITIONS if seats.get(p)]
        self.write_in_rows = []
        for i in range(WRITE_IN_ROWS):
            self.fields[f"w{i}_position"] = forms.ChoiceField(label=_("另选他人 · 职位"), choices=positions,
                                                              required=False)
            self.fields[f"w{i}_who"] = forms.CharField(label=_("另选他人 · 选民证号或姓名"), max_length=50,
                                                       required=False)
            self.fields[f"w{i}_votes"] = forms.CharField(label=_("另选他人 · 得票"), max_length=10, required=False,
                                                         widget=forms.NumberInput(attrs={"min": 0}))
            self.write_in_rows.append((self[f"w{i}_position"], self[f"w{i}_who"], self[f"w{i}_votes"]))

    @property
    def count_fields(self) -> list:
        return [self[k] for k, _label in COUNT_FIELDS]

    @property
    def candidate_fields(self) -> list:
        return [self[f"cand_{c.pk}"] for c in self.candidates]

    def counts(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k, _label in COUNT_FIELDS}

    def lines(self) -> list[dict]:
        out: list[dict] = []
        self.line_fields = []
        for c in self.candidates:
            votes = (self.cleaned_data.get(f"cand_{c.pk}") or "").strip()
            if votes:
                out.append({"position": c.position, "candidate": c.pk, "votes": votes})
                self.line_fields.append(f"cand_{c.pk}")
        for i in range(WRITE_IN_ROWS):
            who = (self.cleaned_data.get(f"w{i}_who") or "").strip()
            votes = (self.cleaned_data.get(f"w{i}_votes") or "").strip()
            if who or votes:
                out.append({"position": self.cleaned_data.get(f"w{i}_position") or "", "write_in": who,
                            "votes": votes})
                self.line_fields.append(f"w{i}_who" if not votes or who else f"w{i}_votes")
        return out

    def refuse(self, exc: DomainError) -> None:
        """Put the service's refusal on the field it names (a line's error on that line's field)."""
        fields: dict[str, list[str]] = {}
        for name, messages in exc.fields.items():
            target = name
            if name.startswith("lines[") and "]" in name:
                idx = name[6:name.index("]")]
                if idx.isdigit() and int(idx) < len(self.line_fields):
                    target = self.line_fields[int(idx)]
            fields.setdefault(target, []).extend(messages)
        add_to_form(self, DomainError(str(exc), fields=fields or None))


class CertifyForm(forms.Form):
    on = FormDateField(label=_("公告日期（新一届任期起始）"))
