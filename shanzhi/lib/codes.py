"""Codes Chinese officials use: division codes, grid codes, ID numbers, phone numbers."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

# Length of a unit's code by level (DESIGN.md §4). A micro-grid hangs off a grid (15+3) or a compound (17+3).
CODE_LENGTHS = {
    "county": (6,),
    "town": (9,),
    "village": (12,),
    "grid": (15,),
    "compound": (17,),
    "microgrid": (18, 20),
}
# How many digits a level adds to its parent's code.
CODE_SUFFIX = {"town": 3, "village": 3, "grid": 3, "compound": 2, "microgrid": 3}


class CodeError(ValueError):
    """A code that is malformed for its purpose; the message is user-facing Chinese."""


def check_unit_code(code: str, level: str, parent_code: str | None) -> str:
    """Validate a unit code for its level and parent; return it normalised."""
    code = (code or "").strip()
    if not code.isdigit():
        raise CodeError(f"编码“{code}”只能包含数字")
    if len(code) not in CODE_LENGTHS[level]:
        wanted = "或".join(str(n) for n in CODE_LENGTHS[level])
        raise CodeError(f"编码“{code}”应为{wanted}位（当前{len(code)}位）")
    if parent_code is not None:
        if not code.startswith(parent_code) or len(code) - len(parent_code) != CODE_SUFFIX[level]:
            raise CodeError(f"编码“{code}”应以上级编码“{parent_code}”开头并加{CODE_SUFFIX[level]}位")
    return code


# Province-level prefixes of GB/T 2260 (11 Beijing ... 82 Macao).
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
              53, 54, 61, 62, 63, 64, 65, 71, 81, 82}


def normalise_id_number(value: str) -> str:
    """Validate a GB 11643 resident ID number (18 chars, checksum, birth date); return upper-case.

    python-stdnum's full validate() also requires the area code to have existed in the birth year,
    which refuses real numbers (a Jiashan resident born in 1950 holds 330421..., a code from 1983):
    numbers carry the area where they were issued. So we check the province prefix instead.
    """
    raw = ric.compact(value or "")
    if len(raw) != 18:
        raise CodeError(f"身份证号应为18位（当前{len(raw)}位）")
    if not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise CodeError("身份证号格式错误（前17位应为数字，末位为数字或X）")
    if raw[17] != ric.calc_check_digit(raw):
        raise CodeError("身份证号校验位错误")
    try:
        born = ric.get_birth_date(raw)
    except StdnumError as exc:
        raise CodeError("身份证号中的出生日期无效") from exc
    if born.year < 1890:
        raise CodeError("身份证号中的出生日期无效")
    if int(raw[:2]) not in _PROVINCES:
        raise CodeError("身份证号的地区码无效")
    return raw


def id_number_birth_date(id_number: str) -> dt.date:
    return ric.get_birth_date(id_number)


def id_number_sex(id_number: str) -> str:
    """Return 'M' or 'F' from the 17th digit (odd is male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def make_id_number(area: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid ID number: area (6), birth date, 2-digit sequence + sex digit, checksum."""
    seq = f"{sequence % 100:02d}"
    sex_digit = (sequence // 100) % 5 * 2 + (1 if sex == "M" else 0)
    body = f"{area}{birth:%Y%m%d}{seq}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last char


_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(value: str) -> str:
    """Validate a mainland mobile number (11 digits, optional +86); return the 11 digits."""
    raw = re.sub(r"[\s\-]", "", value or "")
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("86") and len(raw) == 13:
        raw = raw[2:]
    if not _PHONE_RE.match(raw):
        raise CodeError(f"手机号“{value}”格式错误（应为11位，以1开头）")
    return raw


def mask_id_number(id_number: str) -> str:
    """Mask an ID number as officials print it: 330421********1234."""
    return id_number[:6] + "*" * 8 + id_number[-4:] if id_number else ""


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if phone else ""


# ---- personal numbers written inside free text ----------------------------------------------------
#
# Residents and staff type phone and ID numbers into descriptions and notes ("电话13812345678").
# Text published beyond staff shows them masked like the registry does. Full-width digits count too,
# and a number is only taken whole (never the middle of a longer run of digits). Over-masking a long
# number that merely looks like one is the safe side.
_DIGIT = "[0-9\uff10-\uff19]"
_SEP = "[-\u2010-\u2015\uff0d \t\u3000]"
_ID_IN_TEXT = re.compile(rf"(?<!{_DIGIT}){_DIGIT}{{17}}[0-9\uff10-\uff19Xx\uff38\uff58](?![0-9\uff10-\uff19])")
_MOBILE_IN_TEXT = re.compile(
    rf"(?<!{_DIGIT})((?:[+\uff0b]?(?:86|\uff18\uff16)){_SEP}?)?([1\uff11][3-9\uff13-\uff19]{_DIGIT}(?:{_SEP}?{_DIGIT}){{8}})"
    rf"(?!{_DIGIT})")
_LANDLINE_IN_TEXT = re.compile(rf"(?<!{_DIGIT})([0\uff10]{_DIGIT}{{2,3}})({_SEP}?)({_DIGIT}{{7,8}})(?!{_DIGIT})")


def _digits_only(text: str) -> str:
    return re.sub(_SEP, "", text)


def _mask_mobile(m: re.Match) -> str:
    digits = _digits_only(m.group(2))
    return (m.group(1) or "") + digits[:3] + "****" + digits[-4:]


def _mask_landline(m: re.Match) -> str:
    number = m.group(3)
    return m.group(1) + m.group(2) + "*" * (len(number) - 4) + number[-4:]


def mask_text(text: str) -> str:
    """Mask ID numbers and phone numbers written inside free text, as the registry masks them.

    "电话13812345678" -> "电话138****5678"; "身份证33042119900101123X" -> "身份证330421********123X";
    "0573-84123456" -> "0573-****3456". Everything else is kept as written.
    """
    if not text:
        return text or ""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE_IN_TEXT.sub(_mask_mobile, text)
    return _LANDLINE_IN_TEXT.sub(_mask_landline, text)
