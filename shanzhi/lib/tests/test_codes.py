import datetime as dt

import pytest

from shanzhi.lib.codes import (
    CodeError,
    check_unit_code,
    id_number_birth_date,
    id_number_sex,
    make_id_number,
    mask_id_number,
    mask_phone,
    mask_text,
    normalise_id_number,
    normalise_phone,
)


def test_a_generated_id_number_is_valid_and_matches_the_person():
    n = make_id_number("330421", dt.date(1950, 6, 1), 137, "F")
    assert normalise_id_number(n) == n
    assert id_number_birth_date(n) == dt.date(1950, 6, 1)
    assert id_number_sex(n) == "F"


def test_old_residents_of_a_young_county_code_are_accepted():
    # 330421 dates from 1983; people born earlier still hold it.
    assert normalise_id_number(make_id_number("330421", dt.date(1930, 1, 2), 5, "M"))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("33042119900101123", "18位"),
        ("330421199001011234", "校验位"),
        ("330421199013011237", "出生日期"),
        ("3304211990010112AX", "格式"),
        ("990421199001011232", "地区码"),
    ],
)
def test_bad_id_numbers_are_refused_with_the_reason(value, reason):
    with pytest.raises(CodeError, match=reason):
        normalise_id_number(value)


def test_lowercase_x_is_accepted():
    assert normalise_id_number("33042119900101123x") == "33042119900101123X"


def test_masks_show_what_officials_print():
    assert mask_id_number("33042119900101123X") == "330421********123X"
    assert mask_phone("13800001234") == "138****1234"


@pytest.mark.parametrize("value", ["+86 138-0000-1234", "8613800001234", "13800001234"])
def test_phone_numbers_are_normalised(value):
    assert normalise_phone(value) == "13800001234"


@pytest.mark.parametrize("value", ["12800001234", "1380000123", "abc"])
def test_bad_phone_numbers_are_refused(value):
    with pytest.raises(CodeError, match="手机号"):
        normalise_phone(value)


def test_unit_codes_follow_their_parent():
    assert check_unit_code("330421112201001", "grid", "330421112201") == "330421112201001"
    with pytest.raises(CodeError, match="开头"):
        check_unit_code("330421112202001", "grid", "330421112201")
    with pytest.raises(CodeError, match="位"):
        check_unit_code("3304211122", "village", "330421112")
    with pytest.raises(CodeError, match="数字"):
        check_unit_code("33042111220A", "village", "330421112")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("电话13812345678", "电话138****5678"),
        ("身份证33042119900101123X，请核实", "身份证330421********123X，请核实"),
        ("身份证33042119900101123x", "身份证330421********123x"),
        ("联系 +86 138-1234-5678 或 8613900001111", "联系 +86 138****5678 或 86139****1111"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("座机0573-84123456", "座机0573-****3456"),
        ("13900001111/13900002222", "139****1111/139****2222"),
    ],
)
def test_phone_and_id_numbers_inside_text_are_masked(text, shown):
    assert mask_text(text) == shown


@pytest.mark.parametrize("text", ["诉求330421-20261127-00042", "金额1234567890123元", "2026-11-27 10:00",
                                  "路灯坏了三天", ""])
def test_other_numbers_and_plain_text_are_kept(text):
    assert mask_text(text) == text
