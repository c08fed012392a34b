"""The agreement as a printable DOCX with a Chinese font (python-docx)."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from shanzhi.lib.parsing import document_text

FONT = "宋体"  # SimSun: present in every Chinese office installation; Word substitutes where missing
def agreement_docx(agreement) -> bytes:
    """Render the agreement text: title centred, body in 宋体 12 pt, East Asian font set explicitly."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    lines = document_text(agreement.text).splitlines()
    title, body = (lines[0], lines[1:]) if lines else ("人民调解协议书", [])
    head = doc.add_paragraph()
    run = head.add_run(title.strip() or "人民调解协议书")
    run.bold = True
    run.font.size = Pt(18)
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    head.alignment = 1
    for line in body:
        doc.add_paragraph(line)
    if agreement.signed_at:
        doc.add_paragraph(f"签署时间：{agreement.signed_at:%Y-%m-%d %H:%M}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
