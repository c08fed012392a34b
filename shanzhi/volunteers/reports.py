"""Reports of the time bank: a volunteer's hours certificate for a period (DOCX), and the village's monthly
ranking 志愿之星 (who may see it; the numbers are `ranking.monthly_ranking`'s)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from shanzhi.accounts import scopes
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound
from shanzhi.lib.parsing import day_after, day_start, document_text
from shanzhi.org.models import Level, OrgUnit
from shanzhi.volunteers import access, ledger, ranking
from shanzhi.volunteers.models import Entry, EntryKind, Volunteer

FONT = "宋体"
MAX_DAYS = 3 * 366
HOURS_KINDS = (EntryKind.SERVICE, EntryKind.ACTIVITY, EntryKind.CORRECTION)


# ---- the certificate -----------------------------------------------------------------------------------

def volunteer_get(*, actor, pk: int) -> Volunteer:
    """A volunteer whose certificate the actor may have: themself, staff who see the service in their village,
    and the leaders above it. Anyone else: not found."""
    found = Volunteer.objects.select_related("village", "resident", "user").filter(pk=pk).first()
    if found is None or not may_certify(actor, found):
        raise NotFound("未找到该志愿者")
    return found


def may_certify(actor, volunteer: Volunteer) -> bool:
    if actor is None:
        return True
    own = access.volunteer_for(actor)
    if own is not None and own.pk == volunteer.pk:
        return True
    return scopes.may(actor, "volunteers.view", volunteer.village) or access.leads_at(actor, volunteer.village)


@dataclass(frozen=True)
class Line:
    day: dt.date
    kind: str
    what: str
    hours: Decimal


@dataclass(frozen=True)
class Certificate:
    volunteer: Volunteer
    first: dt.date
    last: dt.date
    hours: Decimal
    lines: list[Line]
    issued_on: dt.date


def certificate_for(*, actor, volunteer: Volunteer, first: dt.date, last: dt.date) -> Certificate:
    """The hours credited to the volunteer from `first` to `last` (local days), line by line."""
    if not may_certify(actor, volunteer):
        raise NotFound("未找到该志愿者")
    if last < first:
        raise DomainError("结束日期不能早于开始日期", fields={"last": ["结束日期不能早于开始日期"]})
    if (last - first).days > MAX_DAYS:
        raise DomainError("证明期间不能超过三年", fields={"first": ["证明期间不能超过三年"]})
    account = ledger.account_of_volunteer(volunteer)
    start, end = day_start(first), day_after(last)
    entries = (Entry.objects.filter(account=account, kind__in=HOURS_KINDS, at__gte=start, at__lt=end)
               .select_related("request__skill", "signup__activity").order_by("at", "id"))
    lines = []
    for e in entries:
        if e.kind == EntryKind.SERVICE and e.request is not None:
            what = f"{e.request.skill.name}服务（{e.request.number}）"
        elif e.kind == EntryKind.ACTIVITY and e.signup is not None:
            what = f"志愿活动：{e.signup.activity.title}"
        else:
            what = f"{e.get_kind_display()}：{e.note}" if e.note else e.get_kind_display()
        lines.append(Line(timezone.localdate(e.at), e.kind, what, e.hours))
    total = Decimal(entries.aggregate(h=Sum("hours"))["h"] or 0).quantize(Decimal("0.01"))
    return Certificate(volunteer, first, last, total, lines, clock.today())


def certificate_docx(cert: Certificate) -> bytes:
    """The certificate as a DOCX (宋体): name, village, period, total hours, the services and activities, the
    date and the issuing village. Every text through `document_text`."""
    t = document_text
    v = cert.volunteer
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    head = doc.add_paragraph()
    run = head.add_run("志愿服务时长证明")
    run.bold = True
    run.font.size = Pt(18)
    head.alignment = 1
    doc.add_paragraph(t(f"兹证明 {v.name} 同志（{v.village.name}百事服务团志愿者）于 {cert.first:%Y年%m月%d日} 至 "
                        f"{cert.last:%Y年%m月%d日} 期间参加志愿服务，累计服务时长 {cert.hours} 小时。"))
    services = [ln for ln in cert.lines if ln.kind == EntryKind.SERVICE]
    acts = [ln for ln in cert.lines if ln.kind == EntryKind.ACTIVITY]
    fixes = [ln for ln in cert.lines if ln.kind == EntryKind.CORRECTION]
    for title, rows in (("志愿服务", services), ("志愿活动", acts), ("更正", fixes)):
        if not rows:
            continue
        doc.add_paragraph(t(f"{title}（{len(rows)}项）"))
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("日期", "内容", "时长（小时）"), strict=True):
            cell.text = text
        for ln in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = ln.day.isoformat(), t(ln.what), str(ln.hours)
    if not cert.lines:
        doc.add_paragraph("本期间内无服务记录。")
    doc.add_paragraph("")
    doc.add_paragraph(t(f"出具单位：{v.village.name}百事服务团"))
    doc.add_paragraph(f"出具日期：{cert.issued_on:%Y年%m月%d日}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---- 志愿之星 ------------------------------------------------------------------------------------------

def may_see_ranking(user, village: OrgUnit) -> bool:
    """The village's residents, its volunteers, staff who see the service there and leaders above it."""
    if user is None:
        return True
    home = access.home_village(user)
    if home is not None and home.pk == village.pk:
        return True
    own = access.volunteer_for(user)
    if own is not None and own.village_id == village.pk:
        return True
    return scopes.may(user, "volunteers.view", village) or access.leads_at(user, village)


def village_ranking(*, actor, village: OrgUnit, year: int, month: int, limit: int = 10) -> list[ranking.Row]:
    if village.level != Level.VILLAGE or not may_see_ranking(actor, village):
        raise NotFound("未找到该村社")
    return ranking.monthly_ranking(village, year, month, limit=limit)


def villages_for(user, action: str = "volunteers.view") -> list[OrgUnit]:
    """Villages a desk user may pick (in their scope for `action`), the user's own village first."""
    out: list[OrgUnit] = []
    home = access.home_village(user)
    if home is not None:
        out.append(home)
    if scopes.may_somewhere(user, action):
        out += [u for u in OrgUnit.objects.filter(scopes.scope_q(user, action), level=Level.VILLAGE)
                .order_by("path")[:500] if home is None or u.pk != home.pk]
    return out
