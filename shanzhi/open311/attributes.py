"""Open311 service attributes: the extra questions a service definition asks, and checking the answers.

Attributes are defined here (not in the database) because each maps onto a real field of a case:

* every help category (kind 求助) asks ``priority`` (singlevaluelist, optional): ``normal`` 一般 or
  ``urgent`` 紧急, which sets the case priority and so its deadline. ``critical`` is kept for staff.

Problem categories have no attributes (their ``metadata`` is false). POST answers arrive as
``attribute[code]=value`` (``attribute[code][]=value`` for multivaluelist); unknown codes, values not in
the list and missing required answers are refused with a 400 naming the attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shanzhi.cases.models import Category, Kind, Priority
from shanzhi.lib.errors import DomainError


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool
    description: str
    order: int
    values: tuple[tuple[str, str], ...] = field(default=())
    datatype_description: str = ""
    variable: bool = True

    def as_dict(self) -> dict:
        """Return the attribute as the spec lays it out."""
        return {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
            "values": [{"key": k, "name": n} for k, n in self.values],
        }


def attributes_for(category: Category) -> list[Attribute]:
    """The attributes a service (a leaf category) asks for, in order."""
    attrs: list[Attribute] = []
    if category.kind == Kind.HELP:
        attrs.append(Attribute(
            code="priority", datatype="singlevaluelist", required=False, order=1,
            description=_("紧急程度（不填为一般）"),
            values=((Priority.NORMAL.value, _("一般")), (Priority.URGENT.value, _("紧急")))))
    return attrs


def parse_attributes(post, category: Category) -> dict[str, str | list[str]]:
    """Read ``attribute[code]`` answers from form data and check them against the definition."""
    defined = {a.code: a for a in attributes_for(category)}
    answers: dict[str, str | list[str]] = {}
    errors: dict[str, list[str]] = {}
    for key in post:
        if not key.startswith("attribute["):
            continue
        multi = key.endswith("[]")
        inner = key[len("attribute["):-3 if multi else -1] if key.endswith("]") else ""
        if not inner or inner not in defined:
            errors[key] = [_("未知的属性“%(code)s”") % {"code": inner or key}]
            continue
        attr = defined[inner]
        values = [v.strip() for v in post.getlist(key) if v.strip()]
        if not values:
            continue
        allowed = {k for k, _n in attr.values}
        if attr.datatype == "multivaluelist":
            bad = [v for v in values if v not in allowed]
            if bad:
                errors[inner] = [_("属性“%(code)s”的取值“%(value)s”无效") % {"code": inner, "value": bad[0]}]
            else:
                answers[inner] = values
            continue
        if len(values) > 1:
            errors[inner] = [_("属性“%(code)s”只能有一个取值") % {"code": inner}]
        elif attr.datatype == "singlevaluelist" and values[0] not in allowed:
            errors[inner] = [_("属性“%(code)s”的取值“%(value)s”无效（可选：%(allowed)s）")
                             % {"code": inner, "value": values[0], "allowed": ", ".join(sorted(allowed))}]
        else:
            answers[inner] = values[0]
    for code, attr in defined.items():
        if attr.required and code not in answers and code not in errors:
            errors[code] = [_("缺少必填属性“%(code)s”") % {"code": code}]
    if errors:
        raise DomainError("；".join(m for ms in errors.values() for m in ms),
                          fields={f"attribute[{k}]" if not k.startswith("attribute[") else k: v
                                  for k, v in errors.items()})
    return answers
