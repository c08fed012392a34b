"""One way to read dates, times and numbers from a request: with limits, and a Chinese error naming the field.

Every filter and form reads its dates and numbers here (or through the form and serializer fields at the
end of this module), so a value at the calendar's edges (0001-01-01, 9999-12-31, with any offset), a
40-digit id or garbage answers 400 naming the field, never a 5xx. Refusals are DomainError with
fields={name: [message]}; the API renders them in its error format, Open311 in the GeoReport one, and
`add_to_form` puts them on a Django form.

Limits: dates from MIN_DATE to MAX_DATE, so a day's local midnight, the day after and a week around it
always exist in Asia/Shanghai and in UTC; ids from 1 to MAX_ID (a signed 64-bit integer, the largest
primary key any of our databases stores): a bigger or non-numeric id is simply not found.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from shanzhi.lib.errors import DomainError

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
MAX_ID = 2**63 - 1

_INT = re.compile(r"[+-]?[0-9]{1,30}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An ISO 8601 / W3C datetime: date, T or space, hh:mm[:ss[.ffffff]], optional Z or ±hh[:mm].
_DATETIME = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?P<time>[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)"
                       r"(?P<tz>Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?")
_SPACE_OFFSET = re.compile(r" ([0-9]{2}:?[0-9]{2})$")  # an unencoded "+" in a query string arrives as a space
_NUMBER = re.compile(r"[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})")


def invalid(name: str, message: str) -> DomainError:
    """The one refusal of this module: a 400 naming the field."""
    return DomainError(message, fields={name: [message]})


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _shown(value: str) -> str:
    return value[:40]


def _range_message(name: str) -> str:
    return _("%(name)s 超出可用范围（%(min)s 至 %(max)s）") % {
        "name": name, "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}


# ---- dates ---------------------------------------------------------------------------------------

def check_date(name: str, day: dt.date | None, *, min_value: dt.date = MIN_DATE,
               max_value: dt.date = MAX_DATE) -> dt.date | None:
    """A date already parsed (by a form or a serializer) inside the limits, else a 400 naming the field."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    if not (min_value <= day <= max_value):
        raise invalid(name, _("%(name)s 超出可用范围（%(min)s 至 %(max)s）") % {
            "name": name, "min": min_value.isoformat(), "max": max_value.isoformat()})
    return day


def parse_date(name: str, value, *, required: bool = False, min_value: dt.date = MIN_DATE,
               max_value: dt.date = MAX_DATE) -> dt.date | None:
    """A calendar day written YYYY-MM-DD; empty is None (or a 400 when required)."""
    text = _text(value)
    if not text:
        if required:
            raise invalid(name, _("请填写%(name)s") % {"name": name})
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise invalid(name, _("%(name)s 应为日期，格式 年-月-日，例如 2026-11-25（收到“%(value)s”）") % {
            "name": name, "value": _shown(text)}) from None
    return check_date(name, day, min_value=min_value, max_value=max_value)


# ---- datetimes -----------------------------------------------------------------------------------

def local_tz() -> dt.tzinfo:
    """The configured time zone (Asia/Shanghai by default)."""
    return timezone.get_default_timezone()


def day_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of a day (aware). Days inside the limits always have one."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_tz())


def day_after(day: dt.date) -> dt.datetime:
    """Local midnight at the end of a day: the exclusive upper bound of a filter "up to this day"."""
    return day_start(day + dt.timedelta(days=1))


def check_datetime(name: str, value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime inside the limits (as written and in local time), else a 400 naming the field."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=local_tz())
    try:  # in UTC too: that is how the database stores it
        local, _utc = value.astimezone(local_tz()), value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise invalid(name, _range_message(name)) from None
    if not all(MIN_DATE <= d <= MAX_DATE for d in (value.date(), local.date())):
        raise invalid(name, _range_message(name))
    return local


def parse_datetime(name: str, value, *, required: bool = False, require_offset: bool = False,
                   allow_date: bool = False) -> dt.datetime | None:
    """An ISO 8601 / W3C datetime as an aware datetime in the local time zone.

    With an offset (Z, +08:00, +0800, -12) it means that instant; without one, local time (unless
    `require_offset`, as Open311 asks). With `allow_date`, a bare YYYY-MM-DD is that day's local midnight.
    """
    text = _text(value)
    if not text:
        if required:
            raise invalid(name, _("请填写%(name)s") % {"name": name})
        return None
    text = _SPACE_OFFSET.sub(r"+\1", text)
    example = "2026-11-25T10:00:00+08:00"
    if require_offset:
        bad = _("%(name)s 应为带时区的 ISO 8601 时间，例如 %(example)s（收到“%(value)s”）")
    else:
        bad = _("%(name)s 应为 ISO 8601 时间，例如 %(example)s（收到“%(value)s”）")
    bad = bad % {"name": name, "example": example, "value": _shown(text)}
    if allow_date and not require_offset and _DATE.fullmatch(text):
        return day_start(parse_date(name, text))
    match = _DATETIME.fullmatch(text)
    if match is None or (require_offset and not match.group("tz")):
        raise invalid(name, bad)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise invalid(name, bad) from None
    return check_datetime(name, parsed)


# ---- periods -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Whole days, both inclusive; `start`/`end` are the local midnights around them (end exclusive)."""

    first: dt.date | None
    last: dt.date | None

    @property
    def start(self) -> dt.datetime | None:
        return day_start(self.first) if self.first else None

    @property
    def end(self) -> dt.datetime | None:
        return day_after(self.last) if self.last else None


def check_period(first_name: str, last_name: str, first: dt.date | None, last: dt.date | None, *,
                 max_days: int | None = None) -> Period:
    """Two days already parsed: inside the limits, in order, and at most `max_days` apart."""
    check_date(first_name, first)
    check_date(last_name, last)
    if first and last and first > last:
        raise invalid(last_name, _("%(last)s 不能早于 %(first)s") % {"first": first_name, "last": last_name})
    if max_days is not None and first and last and (last - first).days > max_days:
        raise invalid(last_name, _("%(first)s 与 %(last)s 相隔不能超过%(days)s天") % {
            "first": first_name, "last": last_name, "days": max_days})
    return Period(first, last)


def parse_period(first_name: str, last_name: str, first, last, *, max_days: int | None = None) -> Period:
    """A range of days from two YYYY-MM-DD values (either may be empty)."""
    return check_period(first_name, last_name, parse_date(first_name, first), parse_date(last_name, last),
                        max_days=max_days)


# ---- numbers -------------------------------------------------------------------------------------

def parse_int(name: str, value, *, required: bool = False, min_value: int | None = None,
              max_value: int | None = None) -> int | None:
    """A whole number in ASCII digits (no 1e3, no 1_000, no full-width digits), inside the bounds."""
    text = _text(value)
    if not text:
        if required:
            raise invalid(name, _("请填写%(name)s") % {"name": name})
        return None
    if not _INT.fullmatch(text):
        raise invalid(name, _("%(name)s 应为整数（收到“%(value)s”）") % {"name": name, "value": _shown(text)})
    number = int(text)
    if min_value is not None and number < min_value:
        raise invalid(name, _("%(name)s 不能小于 %(min)s") % {"name": name, "min": min_value})
    if max_value is not None and number > max_value:
        raise invalid(name, _("%(name)s 不能大于 %(max)s") % {"name": name, "max": max_value})
    return number


def id_or_none(value) -> int | None:
    """An object id from the request, or None when it cannot be one (the caller answers "not found")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    text = _text(value)
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def parse_id(name: str, value, *, required: bool = True, message: str | None = None) -> int | None:
    """An object id named by a field: a 400 naming it when it is missing or cannot be an id."""
    text = _text(value)
    if not text and not required:
        return None
    number = id_or_none(text)
    if number is None:
        msg = message or _("%(name)s 应为有效的编号") % {"name": name}
        raise invalid(name, msg)
    return number


def parse_decimal(name: str, value, *, required: bool = False, min_value=None, max_value=None,
                  places: int | None = None) -> Decimal | None:
    """A decimal number written plainly (no exponent, no NaN or infinity), inside the bounds."""
    text = _text(value)
    if not text:
        if required:
            raise invalid(name, _("请填写%(name)s") % {"name": name})
        return None
    try:
        if not _NUMBER.fullmatch(text):
            raise InvalidOperation(text)
        number = Decimal(text)
    except InvalidOperation:
        raise invalid(name, _("%(name)s 应为数字（收到“%(value)s”）") % {"name": name, "value": _shown(text)}) from None
    if min_value is not None and number < Decimal(str(min_value)):
        raise invalid(name, _("%(name)s 不能小于 %(min)s") % {"name": name, "min": min_value})
    if max_value is not None and number > Decimal(str(max_value)):
        raise invalid(name, _("%(name)s 不能大于 %(max)s") % {"name": name, "max": max_value})
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number


def parse_float(name: str, value, *, required: bool = False, min_value: float | None = None,
                max_value: float | None = None) -> float | None:
    """A finite number as a float, inside the bounds."""
    number = parse_decimal(name, value, required=required, min_value=min_value, max_value=max_value)
    if number is None:
        return None
    result = float(number)
    if not math.isfinite(result):
        raise invalid(name, _("%(name)s 应为数字") % {"name": name})
    return result


def parse_lat_lon(lat, lon, *, lat_name: str = "lat", lon_name: str = "lon",
                  required: bool = False) -> tuple[float | None, float | None]:
    """A WGS84 point: both or neither (both when required), latitude -90..90 and longitude -180..180."""
    if not _text(lat) and not _text(lon) and not required:
        return None, None
    if not _text(lat) or not _text(lon):
        missing = lat_name if not _text(lat) else lon_name
        raise invalid(missing, _("%(lat)s 和 %(lon)s 须同时填写") % {"lat": lat_name, "lon": lon_name})
    return (parse_float(lat_name, lat, min_value=-90, max_value=90),
            parse_float(lon_name, lon, min_value=-180, max_value=180))


# ---- text that goes into documents ---------------------------------------------------------------

# Characters XML 1.0 (DOCX, XLSX) cannot hold: C0 controls but tab, newline and carriage return; DEL and the
# C1 controls; lone surrogates; U+FFFE and U+FFFF.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def document_text(value) -> str:
    """Text safe to write into a DOCX or XLSX: control characters XML cannot hold are removed."""
    return _NOT_IN_XML.sub("", "" if value is None else str(value))


# ---- adapters: Django forms, DRF serializers --------------------------------------------------------

def add_to_form(form: forms.Form, exc: DomainError) -> None:
    """Put a parsing refusal on a form: on the named fields it has, else as a form-wide error."""
    for name, messages in (exc.fields or {"__all__": [str(exc)]}).items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class _NamedErrors:
    """Form fields whose errors carry the field's label, so a list of errors at the top names them."""

    def clean(self, value):
        try:
            return super().clean(value)
        except forms.ValidationError as exc:
            if not self.label:
                raise
            raise forms.ValidationError([_("%(label)s：%(message)s") % {"label": self.label, "message": m}
                                         for m in exc.messages], code="invalid") from None


class FormDateField(_NamedErrors, forms.DateField):
    """A form's date, limited to MIN_DATE..MAX_DATE (so the day after and its midnights exist)."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not (MIN_DATE <= value <= MAX_DATE):
            raise forms.ValidationError(_("日期超出可用范围（%(min)s 至 %(max)s）") % {
                "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}, code="out_of_range")


class FormDateTimeField(_NamedErrors, forms.DateTimeField):
    """A form's local date and time, limited like FormDateField (no OverflowError in UTC or later)."""

    def to_python(self, value):
        try:
            result = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if result is not None:
            try:
                check_datetime("value", result)
            except DomainError:
                raise forms.ValidationError(_("时间超出可用范围（%(min)s 至 %(max)s）") % {
                    "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}, code="out_of_range") from None
        return result


class ApiDateField(serializers.DateField):
    """The API's date, limited to MIN_DATE..MAX_DATE."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not (MIN_DATE <= day <= MAX_DATE):
            raise serializers.ValidationError(_("日期超出可用范围（%(min)s 至 %(max)s）") % {
                "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}, code="out_of_range")
        return day


class ApiDateTimeField(serializers.DateTimeField):
    """The API's datetime, limited to MIN_DATE..MAX_DATE in local time and UTC (no OverflowError)."""

    def enforce_timezone(self, value):
        try:
            check_datetime("value", value)
        except DomainError:
            raise serializers.ValidationError(_("时间超出可用范围（%(min)s 至 %(max)s）") % {
                "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}, code="out_of_range") from None
        return super().enforce_timezone(value)


class ApiIdField(serializers.IntegerField):
    """An object id in the API: 1..MAX_ID (anything else is a 400 naming the field, never an overflow)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


__all__ = [
    "MAX_DATE", "MAX_ID", "MIN_DATE", "ApiDateField", "ApiDateTimeField", "ApiIdField", "FormDateField",
    "FormDateTimeField", "Period", "add_to_form", "check_date", "check_datetime", "check_period", "day_after",
    "day_start", "document_text", "id_or_none", "invalid", "local_tz", "parse_date", "parse_datetime", "parse_decimal",
    "parse_float", "parse_id", "parse_int", "parse_lat_lon", "parse_period",
]
