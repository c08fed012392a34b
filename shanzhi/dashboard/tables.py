"""A table as data: what a page shows, an XLSX or CSV export writes and a DOCX report prints are the same
rows, so the numbers never differ between them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    text: str  # as shown ("93.2%", "—", "天凝镇")
    value: object = None  # the raw value written to XLSX (a number, a date) or None to write `text`
    href: str = ""  # the list behind the number, or the drill-down page of a unit


@dataclass
class Table:
    key: str  # a slug naming the table in export URLs ("children", "overdue", "ranking")
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""  # shown under the table and written to the export (periods, error bounds)
