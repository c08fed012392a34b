"""The one parsing helper: dates, datetimes, ids and numbers with limits, refused with the field named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def refused(fn, *args, **kw) -> dict:
    with pytest.raises(DomainError) as caught:
        fn(*args, **kw)
    assert caught.value.status == 400
    return caught.value.fields


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_dates_beyond_the_limits_are_refused_naming_the_field(value):
    fields = refused(parsing.parse_date, "since", value)
    assert list(fields) == ["since"] and "超出可用范围" in fields["since"][0]


@pytest.mark.parametrize("value", ["garbage", "2026-02-30", "2026-1-5", "20261125", "1" * 40, "２０２６-01-01"])
def test_malformed_dates_are_refused_naming_the_field(value):
    fields = refused(parsing.parse_date, "since", value)
    assert "since 应为日期" in fields["since"][0]


def test_dates_inside_the_limits_are_read_and_empty_is_none():
    assert parsing.parse_date("d", " 2026-11-25 ") == dt.date(2026, 11, 25)
    assert parsing.parse_date("d", parsing.MIN_DATE.isoformat()) == parsing.MIN_DATE
    assert parsing.parse_date("d", parsing.MAX_DATE.isoformat()) == parsing.MAX_DATE
    assert parsing.parse_date("d", "") is None and parsing.parse_date("d", None) is None
    assert "请填写" in refused(parsing.parse_date, "d", "", required=True)["d"][0]


def test_the_days_at_the_limits_have_midnights_on_both_sides_in_shanghai():
    assert parsing.day_start(parsing.MIN_DATE).astimezone(dt.UTC).date() == dt.date(1899, 12, 31)
    assert parsing.day_after(parsing.MAX_DATE) == dt.datetime(3000, 1, 1, tzinfo=parsing.local_tz())
    assert parsing.day_after(parsing.MAX_DATE).astimezone(dt.UTC).year == 2999


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00",
                                   "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                   "2999-12-31T23:00:00-12:00", "1900-01-01T00:30:00+14:00"])
def test_datetimes_whose_instant_leaves_the_calendar_are_refused_not_overflowed(value):
    fields = refused(parsing.parse_datetime, "start_date", value)
    assert "start_date 超出可用范围" in fields["start_date"][0]


def test_datetimes_with_offsets_name_that_instant_in_shanghai_time():
    parsed = parsing.parse_datetime("t", "2026-11-25T02:00:00Z")
    assert parsed == dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI) and parsed.utcoffset() == dt.timedelta(hours=8)
    assert parsing.parse_datetime("t", "2026-11-25T10:00:00 08:00") == dt.datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)
    assert parsing.parse_datetime("t", "2026-11-25T10:00:00+0800") == dt.datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)
    assert parsing.parse_datetime("t", "2026-11-25T10:00") == dt.datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)


def test_a_required_offset_and_date_only_values():
    assert "带时区" in refused(parsing.parse_datetime, "end_date", "2026-11-25T10:00:00", require_offset=True)["end_date"][0]
    assert "end_date" in refused(parsing.parse_datetime, "end_date", "2026-11-25")
    assert parsing.parse_datetime("t", "2026-11-25", allow_date=True) == dt.datetime(2026, 11, 25, tzinfo=SHANGHAI)
    assert "超出可用范围" in refused(parsing.parse_datetime, "t", "9999-12-31", allow_date=True)["t"][0]
    for garbage in ("garbage", "1" * 40, "2026-11-25T25:00:00Z", "2026-11-25T10:00:00+99:00"):
        assert "t" in refused(parsing.parse_datetime, "t", garbage)


def test_periods_are_in_order_and_no_longer_than_allowed():
    period = parsing.parse_period("from", "to", "2026-11-01", "2026-11-30", max_days=90)
    assert period.start == dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    assert period.end == dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert "to 不能早于 from" in refused(parsing.parse_period, "from", "to", "2026-11-30", "2026-11-01")["to"][0]
    assert "90天" in refused(parsing.parse_period, "from", "to", "2026-01-01", "2026-11-01", max_days=90)["to"][0]
    assert "from" in refused(parsing.parse_period, "from", "to", "0001-01-01", "2026-11-01")
    open_ended = parsing.parse_period("from", "to", "", "2026-11-30")
    assert open_ended.first is None and open_ended.start is None and open_ended.last == dt.date(2026, 11, 30)


@pytest.mark.parametrize("value", ["1" * 40, str(2**63), "0", "-1", "abc", "1.5", "1e3", "²", "１２", " ", "", None])
def test_values_that_cannot_be_an_id_are_not_found_rather_than_an_overflow(value):
    assert parsing.id_or_none(value) is None


def test_ids_in_range_are_read_and_a_named_id_is_a_400_otherwise():
    assert parsing.id_or_none("42") == 42 and parsing.id_or_none(str(2**63 - 1)) == 2**63 - 1
    assert parsing.id_or_none(7) == 7 and parsing.id_or_none(True) is None
    assert refused(parsing.parse_id, "absent", "1" * 40, message="请指定缺席的责任人") == {"absent": ["请指定缺席的责任人"]}
    assert "to 应为有效的编号" in refused(parsing.parse_id, "to", "c:1")["to"][0]
    assert parsing.parse_id("to", "", required=False) is None


def test_integers_are_ascii_digits_within_bounds():
    assert parsing.parse_int("n", "-12", min_value=-20) == -12
    for bad, words in [("1_000", "整数"), ("1e3", "整数"), ("１２", "整数"), ("1" * 40, "整数"),
                       ("101", "不能大于 100"), ("0", "不能小于 1")]:
        assert words in refused(parsing.parse_int, "n", bad, min_value=1, max_value=100)["n"][0]


def test_numbers_and_points_refuse_nan_infinity_exponents_and_out_of_range():
    assert parsing.parse_decimal("x", "12.345", places=2) == Decimal("12.35")
    assert parsing.parse_float("x", "-0.5") == -0.5
    for bad in ("nan", "inf", "-Infinity", "1e400", "1,5", "0x10"):
        assert "x 应为数字" in refused(parsing.parse_float, "x", bad)["x"][0]
    assert parsing.parse_lat_lon("30.8", "120.9") == (30.8, 120.9)
    assert parsing.parse_lat_lon("", "") == (None, None)
    assert "不能大于 90" in refused(parsing.parse_lat_lon, "90.5", "120")["lat"][0]
    assert "不能小于 -180" in refused(parsing.parse_lat_lon, "30", "-181")["lon"][0]
    assert "须同时填写" in refused(parsing.parse_lat_lon, "30", "")["lon"][0]


def test_text_for_documents_loses_only_what_xml_cannot_hold():
    assert parsing.document_text("甲方\x00乙方\x0b\x1f\x7f：\t一\n二\r\n\ud800") == "甲方乙方：\t一\n二\r\n"
    assert parsing.document_text(None) == ""


def test_form_and_api_fields_refuse_the_calendar_edges_naming_the_field():
    from django import forms
    from rest_framework import serializers

    class Filter(forms.Form):
        since = parsing.FormDateField(label="上报起", required=False)
        until = parsing.FormDateTimeField(label="延期至", required=False)

    form = Filter({"since": "9999-12-31", "until": "0001-01-01T00:00"})
    assert not form.is_valid()
    assert form.errors["since"] == ["上报起：日期超出可用范围（1900-01-01 至 2999-12-31）"]
    assert form.errors["until"] == ["延期至：时间超出可用范围（1900-01-01 至 2999-12-31）"]
    assert Filter({"since": "2026-11-25", "until": ""}).is_valid()

    class Body(serializers.Serializer):
        day = parsing.ApiDateField(required=False)
        at = parsing.ApiDateTimeField(required=False)
        household = parsing.ApiIdField(required=False)

    body = Body(data={"day": "0001-01-01", "at": "9999-12-31T23:59:59+14:00", "household": "1" * 40})
    assert not body.is_valid()
    assert set(body.errors) == {"day", "at", "household"}
    ok = Body(data={"day": "2026-11-25", "at": "2026-11-25T02:00:00Z", "household": "3"})
    assert ok.is_valid(), ok.errors
    assert ok.validated_data["at"] == dt.datetime(2026, 11, 25, 10, tzinfo=SHANGHAI)
