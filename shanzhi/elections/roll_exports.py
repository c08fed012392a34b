"""The published roll as a download: XLSX (openpyxl) and DOCX (python-docx), per village or per grid.

Name, sex, micro-grid and number only: no ID number, no phone, no address. Text goes through
`parsing.document_text` (characters XML cannot hold removed) and never starts a formula in XLSX.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from shanzhi.elections.models import Election
from shanzhi.lib.parsing import document_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [_("选民证号"), _("姓名"), _("性别"), _("微网格")]


def _row(v) -> list[str]:
    sex = _("男") if v.sex == "M" else _("女") if v.sex == "F" else ""
    return [v.number, v.name, sex, v.micro_grid.name if v.micro_grid_id else ""]


def title(election: Election, area: str = "") -> str:
    return _("%(village)s选民名单%(area)s") % {"village": election.unit.name, "area": f"（{area}）" if area else ""}


def subtitle(election: Election) -> str:
    text = _("选举日：%(day)s") % {"day": election.election_day.isoformat()}
    if election.roll_published_at:
        text += "　" + _("公布日期：%(day)s") % {"day": election.roll_published_at.date().isoformat()}
    return text


def _cell(text: str) -> str:
    text = document_text(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def roll_xlsx(election: Election, voters, area: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = document_text(election.unit.name)[:31] or "roll"
    ws.append([_cell(title(election, area))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_cell(subtitle(election))])
    ws.append(headers())
    for c in ws[3]:
        c.font = Font(bold=True)
    count = 0
    for v in voters:
        ws.append([_cell(x) for x in _row(v)])
        count += 1
    ws.append([])
    ws.append([_("共%(n)s人") % {"n": count}])
    for col, width in zip("ABCD", (22, 14, 6, 20), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def roll_docx(election: Election, voters, area: str = "") -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(document_text(title(election, area)), level=1)
    doc.add_paragraph(document_text(subtitle(election)))
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers(), strict=True):
        cell.text = text
    count = 0
    for v in voters:
        cells = table.add_row().cells
        for cell, text in zip(cells, _row(v), strict=True):
            cell.text = document_text(text)
        count += 1
    doc.add_paragraph(_("共%(n)s人") % {"n": count})
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
