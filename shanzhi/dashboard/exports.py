"""A dashboard Table as a download: XLSX (openpyxl) or CSV for Excel (UTF-8 with BOM).

The same rows as the page (shanzhi.dashboard.tables), so the numbers never differ. Text goes through
`parsing.document_text` (characters XML cannot hold removed) and can never run as a formula: a text cell
starting with = + - @ (or a tab or carriage return) is written as text in XLSX and behind an apostrophe in CSV.
"""

from __future__ import annotations

import csv
import io
import numbers
import unicodedata

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from shanzhi.dashboard.tables import Cell, Table
from shanzhi.lib import parsing
from shanzhi.lib.errors import DomainError
from shanzhi.lib.parsing import document_text

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MISSING = "—"
_SHEET_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def check_format(value: str | None) -> str:
    """The export format asked for; anything else is a 400 naming the field."""
    if value in FORMATS:
        return value
    message = _("导出格式只能是 xlsx 或 csv")
    raise DomainError(message, fields={"format": [message]})


def _number(cell: Cell):
    v = cell.value
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    return v


def _is_pct(cell: Cell) -> bool:
    return cell.text.rstrip().endswith("%")


def _text(cell: Cell) -> str:
    return document_text(cell.text) if cell.text != "" else (MISSING if cell.value is None else "")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_xlsx(table: Table) -> bytes:
    """The table as one XLSX sheet: bold header, numbers as numbers (shares with a % format), text as
    text, column widths from the content, the note under the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = (" ".join(document_text(table.title).translate(_SHEET_BAD).split()) or table.key or "Sheet")[:31]
    widths = [_width(document_text(h)) for h in table.headers]
    for col, header in enumerate(table.headers, 1):
        c = ws.cell(row=1, column=col)
        _put_text(c, document_text(header))
        c.font = Font(bold=True)
    for r, row in enumerate(table.rows, 2):
        for col, cell in enumerate(row, 1):
            target = ws.cell(row=r, column=col)
            number = _number(cell)
            if number is not None:
                target.value = number
                target.number_format = "0.0%" if _is_pct(cell) else ("0" if isinstance(number, int) else "0.0")
                shown = cell.text or str(number)
            else:
                shown = _text(cell)
                _put_text(target, shown)
            while len(widths) < col:
                widths.append(0)
            widths[col - 1] = max(widths[col - 1], _width(shown))
    if table.note:
        note = ws.cell(row=len(table.rows) + 3, column=1)
        _put_text(note, document_text(table.note))
        note.font = Font(italic=True)
    from openpyxl.utils import get_column_letter

    for col, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(w + 2, 6), 60)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _put_text(target, text: str) -> None:
    """Write text that is never read as a formula (openpyxl treats a leading "=" as one)."""
    target.value = text
    if text.startswith(FORMULA_START):
        target.data_type = "s"
        target.quotePrefix = True


def _csv_number(v) -> str:
    if isinstance(v, int):
        return str(v)
    return format(v, ".10g")


def table_csv(table: Table) -> bytes:
    """The table as CSV for Excel: UTF-8 with a BOM, numbers plain, "—" for missing, the note last."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([_csv_text(document_text(h)) for h in table.headers])
    for row in table.rows:
        out = []
        for cell in row:
            number = _number(cell)
            out.append(_csv_number(number) if number is not None else _csv_text(_text(cell)))
        w.writerow(out)
    if table.note:
        w.writerow([])
        w.writerow([_csv_text(document_text(table.note))])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def table_response(table: Table, fmt: str, filename: str) -> HttpResponse:
    """A download of `table` as `fmt` ("xlsx" or "csv") named `filename` (without the extension)."""
    fmt = check_format(fmt)
    if fmt == "xlsx":
        response = HttpResponse(table_xlsx(table), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    safe = document_text(filename).translate(_SHEET_BAD).replace("\n", " ").replace("\r", " ") or "table"
    response["Content-Disposition"] = content_disposition_header(True, f"{safe}.{fmt}")
    return response


def export_or_none(request: HttpRequest, tables: dict, stem: str) -> HttpResponse | None:
    """The download asked for with ?format=xlsx|csv&table=<key>; None when no format was asked."""
    fmt = request.GET.get("format")
    if fmt is None:
        return None
    fmt = check_format(fmt)
    key = request.GET.get("table") or next(iter(tables))
    if key not in tables:
        message = _("没有这张表：%(key)s") % {"key": parsing.document_text(key)[:40]}
        raise DomainError(message, fields={"table": [message]})
    table = tables[key]() if callable(tables[key]) else tables[key]
    return table_response(table, fmt, f"{stem}-{table.title}")
