"""Two live emergencies for the demo county, declared and partly worked through the campaign services:
an epidemic (home quarantine, with check-ins) in 新联村's first grid and a flood evacuation (转移安置) in
洋桥村's first grid, so the board, the walk lists and the check-in pages have something true to show."""

from __future__ import annotations

import datetime as dt

from shanzhi.campaigns import services as svc
from shanzhi.campaigns.models import IncidentType, Measure, Outcome, Target
from shanzhi.campaigns.scope import resolve
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError
from shanzhi.people.models import Household

EPIDEMIC_GRID = "330421112201001"  # 新联村第一网格 (worker_a's)
FLOOD_GRID = "330421102201001"  # 洋桥村第一网格 (worker_c's)
INDEX_HOUSEHOLD = "330421112201001001-001"


def _declare(code: str, grid: str, **kw):
    """Declare through the service as the system; widen the capacity when the grid has few central households."""
    kind = IncidentType.objects.get(code=code)
    scope = resolve(actor=None, units=[grid])
    for capacity in (10, 30, 100):
        try:
            return svc.incident_declare(actor=None, kind=kind, scope=scope, capacity=capacity, **kw)
        except DomainError as exc:
            if exc.code != "capacity":
                raise
    return None


def generate_incidents() -> dict[str, int]:
    """Declare both incidents and record some outcomes; returns households per incident. Idempotent enough
    for a fresh demo (the demo refuses a non-empty database)."""
    now = clock.now()
    index = Household.objects.filter(number=INDEX_HOUSEHOLD).first()
    epidemic = _declare("epidemic", EPIDEMIC_GRID, type="新冠肺炎密切接触", occurred_at=now - dt.timedelta(hours=5),
                        place="新联村一组", measure=Measure.HOME, measure_days=14, index_household=index,
                        index_person="张某（指示病例）", now=now - dt.timedelta(hours=4))
    flood = _declare("evacuation", FLOOD_GRID, type="台风“海葵”防汛转移", occurred_at=now - dt.timedelta(hours=3),
                     place="洋桥村沿河低洼片", now=now - dt.timedelta(hours=3))
    out = {}
    if epidemic is not None:
        targets = list(Target.objects.filter(campaign=epidemic).order_by("route_order", "id"))
        for n, t in enumerate(targets):
            if n % 5 < 3:
                svc.visit_record(actor=None, target=t, outcome=Outcome.NOTIFIED, now=now - dt.timedelta(hours=3))
            if n % 5 < 2:
                svc.visit_record(actor=None, target=t, outcome=Outcome.IN_PLACE, now=now - dt.timedelta(hours=2))
        out["epidemic"] = len(targets)
    if flood is not None:
        targets = list(Target.objects.filter(campaign=flood).order_by("route_order", "id"))
        for n, t in enumerate(targets):
            at = now - dt.timedelta(minutes=120 - n % 100)
            if n % 4 == 0:
                svc.visit_record(actor=None, target=t, outcome="transferred", now=at)
            elif n % 4 == 1:
                svc.visit_record(actor=None, target=t, outcome="sheltered", note="安置到村文化礼堂", now=at)
            elif n % 10 == 2:
                svc.visit_record(actor=None, target=t, outcome="stayed", note="二层楼房、老人不愿离开，已留联系人",
                                 now=at)
        out["flood"] = len(targets)
    return out
