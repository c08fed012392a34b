"""The tables of the grid evaluation and of a unit's monthly report, as data (shanzhi.dashboard.tables),
so the page, the XLSX/CSV exports and the DOCX print the same numbers; the DOCX itself; the sparklines."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from shanzhi.dashboard import registry
from shanzhi.dashboard.evaluation import DASH, GRADES, Evaluation, GridScore, indicator_label
from shanzhi.dashboard.tables import Cell, Table
from shanzhi.lib.parsing import document_text
from shanzhi.lib.periods import Period
from shanzhi.org.models import Level, OrgUnit

FONT = "宋体"  # as the mediation agreement: SimSun, East Asian font set explicitly


def month_label(period: Period) -> str:
    return period.first.strftime("%Y-%m")


def _num(value: float | None, text: str | None = None) -> Cell:
    if value is None:
        return Cell(DASH)
    return Cell(text if text is not None else f"{value:.1f}", value)


def _int(value: int | None) -> Cell:
    return Cell(DASH) if value is None else Cell(str(value), value)


def _ind_cell(ind: registry.Indicator | None, value) -> Cell:
    if value is None:
        return Cell(DASH)
    if ind is None:
        return Cell(f"{value}", value)
    return Cell(registry.format_value(ind, value), value)


def _sorted(scores: list[GridScore]) -> list[GridScore]:
    return sorted(scores, key=lambda s: (s.town.code if s.town else "", s.village.code if s.village else "",
                                         s.rank_village is None, s.rank_village or 0, s.grid.code))


# ---- the evaluation's tables ---------------------------------------------------------------------------

def ranking_table(ev: Evaluation, shown_keys: set[str]) -> Table:
    """Every grid with its indicators (those the viewer may see), points, total, grade and ranks."""
    keys = [p.key for p in (ev.scores[0].parts if ev.scores else []) if p.key in shown_keys]
    headers = [_("网格"), _("编码"), _("所属村/社区"), _("所属镇/街道")]
    for key in keys:
        headers += [indicator_label(key), _("%(name)s得分") % {"name": indicator_label(key)}]
    headers += [_("总分"), _("等级"), _("村内排名"), _("镇内排名")]
    rows = []
    for s in _sorted(ev.scores):
        parts = {p.key: p for p in s.parts}
        row = [Cell(s.grid.name), Cell(s.grid.code), Cell(s.village.name if s.village else DASH),
               Cell(s.town.name if s.town else DASH)]
        for key in keys:
            p = parts[key]
            row += [_ind_cell(registry.get(key), p.value), _num(p.points)]
        row += [_num(s.total), Cell(s.grade), _int(s.rank_village), _int(s.rank_town)]
        rows.append(row)
    return Table("ranking", _("网格考核排名"), headers, rows, ev.note)


def _group_of(unit: OrgUnit, s: GridScore) -> OrgUnit:
    """The row of the grade distribution a grid counts in: towns on a county's page, villages on a town's."""
    if unit.level == Level.COUNTY and s.town is not None:
        return s.town
    if unit.level == Level.TOWN and s.village is not None:
        return s.village
    return unit


def grades_table(unit: OrgUnit, ev: Evaluation) -> Table:
    """How many grids got each grade, per town (county page) or village (town page), with the mean."""
    groups: dict[int, tuple[OrgUnit, list[GridScore]]] = {}
    for s in _sorted(ev.scores):
        g = _group_of(unit, s)
        groups.setdefault(g.id, (g, []))[1].append(s)
    headers = [_("单位"), _("网格数"), *GRADES, _("未评分"), _("平均分")]
    rows = []
    lines = list(groups.values())
    if len(lines) != 1 or lines[0][0].id != unit.id:
        lines.append((unit, list(ev.scores)))
    for group, members in lines:
        totals = [s.total for s in members if s.total is not None]
        mean = round(sum(totals) / len(totals), 2) if totals else None
        name = group.name if group.id != unit.id or len(lines) == 1 else _("%(name)s合计") % {"name": unit.name}
        rows.append([Cell(name), _int(len(members))]
                    + [_int(sum(1 for s in members if s.grade == g)) for g in GRADES]
                    + [_int(sum(1 for s in members if s.total is None)), _num(mean)])
    return Table("grades", _("等级分布"), headers, rows, ev.note)


@dataclass
class Spark:
    """A server-drawn sparkline: polylines (breaks where a month had no score) and dots, 0..100 scale."""

    width: int
    height: int
    lines: list[str]
    dots: list[tuple[float, float, str]]  # x, y, title

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def sparkline(periods: list[Period], totals: list[float | None], width: int = 120, height: int = 28) -> Spark:
    n = len(totals)
    pad = 2
    step = (width - 2 * pad) / (n - 1) if n > 1 else 0
    lines, dots, current = [], [], []
    for i, (p, t) in enumerate(zip(periods, totals, strict=True)):
        if t is None:
            if current:
                lines.append(" ".join(current))
            current = []
            continue
        x, y = round(pad + i * step, 1), round(pad + (height - 2 * pad) * (1 - t / 100), 1)
        current.append(f"{x},{y}")
        dots.append((x, y, f"{month_label(p)}: {t:.1f}"))
    if current:
        lines.append(" ".join(current))
    return Spark(width, height, [ln for ln in lines if " " in ln], dots)


def trend_table(ev: Evaluation, periods: list[Period], totals: dict[int, list[float | None]]) -> Table:
    """Each grid's total for the last twelve months."""
    headers = [_("网格"), _("所属村/社区")] + [month_label(p) for p in periods]
    rows = [[Cell(s.grid.name), Cell(s.village.name if s.village else DASH)]
            + [_num(t) for t in totals.get(s.grid.id, [])] for s in _sorted(ev.scores)]
    return Table("trend", _("近十二个月总分"), headers, rows,
                 _("每月按当月生效的考核方案计分；“—”为该月无数据。"))


# ---- the monthly report's tables -----------------------------------------------------------------------

def indicators_table(unit: OrgUnit, period: Period, inds: list[registry.Indicator]) -> Table:
    """The unit's visible indicators for the month, the month before and the same month a year earlier.

    Cost: three registry.values calls on the one unit."""
    keys = [i.key for i in inds]
    now = registry.values([unit], period, keys)[unit.id] if keys else {}
    before = registry.values([unit], period.previous(), keys)[unit.id] if keys else {}
    year = registry.values([unit], period.year_before(), keys)[unit.id] if keys else {}
    headers = [_("指标"), month_label(period), _("上月"), _("环比"), _("去年同月"), _("同比")]
    rows = []
    for ind in inds:
        a, b, c = now.get(ind.key), before.get(ind.key), year.get(ind.key)
        current = _ind_cell(ind, a)
        current.href = ind.drill(unit, period) if ind.drill is not None and a is not None else ""
        rows.append([Cell(ind.label), current, _ind_cell(ind, b), _change(ind, a, b),
                     _ind_cell(ind, c), _change(ind, a, c)])
    return Table("indicators", _("%(name)s %(month)s 指标") % {"name": unit.name, "month": month_label(period)},
                 headers, rows, _("环比对上月，同比对去年同月；份额的变化以百分点（pp）计。"))


def _change(ind: registry.Indicator, now, before) -> Cell:
    got = registry.change(ind, now, before)
    if got is None:
        return Cell(DASH)
    return Cell(got["shown"], got["diff"] * 100 if ind.fmt == "pct" else got["diff"])


def children_table(unit: OrgUnit, children: list[OrgUnit], period: Period,
                   inds: list[registry.Indicator]) -> Table:
    """The unit's children with each visible indicator for the month. Cost: one registry.values call."""
    keys = [i.key for i in inds]
    got = registry.values(children, period, keys) if keys and children else {}
    headers = [_("下级单位"), *[i.label for i in inds]]
    rows = [[Cell(c.name), *[_ind_cell(i, got.get(c.id, {}).get(i.key)) for i in inds]] for c in children]
    return Table("children", _("下级单位指标"), headers, rows, month_label(period))


# ---- DOCX --------------------------------------------------------------------------------------------

def report_docx(title: str, subtitle: str, tables: list[Table]) -> bytes:
    """The report as DOCX: 宋体, a title, then each table with a repeated bold header row and its note."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    if max((len(t.headers) for t in tables), default=0) > 7:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    head = doc.add_paragraph()
    run = head.add_run(document_text(title))
    run.bold = True
    run.font.size = Pt(18)
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    head.alignment = 1
    if subtitle:
        sub = doc.add_paragraph(document_text(subtitle))
        sub.alignment = 1
    for n, table in enumerate(tables):
        if n:
            doc.add_page_break()
        h = doc.add_paragraph()
        hr = h.add_run(document_text(table.title))
        hr.bold = True
        hr.font.size = Pt(14)
        grid = doc.add_table(rows=1, cols=max(len(table.headers), 1))
        grid.style = "Table Grid"
        header = grid.rows[0]
        tr_pr = header._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
        for cell, text in zip(header.cells, table.headers, strict=False):
            cell.text = ""
            r = cell.paragraphs[0].add_run(document_text(text))
            r.bold = True
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row, strict=False):
                cell.text = document_text(value.text)
        if not table.rows:
            doc.add_paragraph(_("（无数据）"))
        if table.note:
            note = doc.add_paragraph(document_text(table.note))
            note.runs[0].italic = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
