"""The county's and a town's overview of their elections (换届选举总览): every village's stage, the statutory
dates at risk, the roll and the turnout, counts per stage, filtered by round, town and stage.

Staff who may follow elections somewhere (`elections.view`) open it; a resident gets 404. What each sees
is decided by `selectors_overview` (the gate's scope): town staff see their town's villages only.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET

from shanzhi.elections import selectors_overview as sel
from shanzhi.elections.models import Stage
from shanzhi.lib import clock, parsing
from shanzhi.lib.errors import DomainError
from shanzhi.lib.views import staff_page

PER_PAGE = 200
# Labels stored as plain Chinese in the models: listed so the catalogue carries them.
LABELS = (gettext_noop("筹备"), gettext_noop("选民登记"), gettext_noop("选民名单已公布"), gettext_noop("提名候选人"),
          gettext_noop("正式候选人已公布"), gettext_noop("投票中"), gettext_noop("计票完成"), gettext_noop("另行选举"),
          gettext_noop("结果已公告"), gettext_noop("选举无效"))


def election_url(pk: int) -> str:
    """The election's desk page (set-up and roll work) when it is installed, else nothing."""
    try:
        return reverse("elections:election", kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


@staff_page(action="elections.view")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """All elections in my scope: the round's villages by stage, with the dates at risk and the turnout."""
    user = request.user
    errors: dict[str, str] = {}
    q = request.GET
    round_id = None
    try:
        round_id = parsing.parse_id("round", q.get("round"), required=False, message=_("换届编号无效"))
    except DomainError as exc:
        errors["round"] = str(exc)
    stage = (q.get("stage") or "").strip()
    if stage and stage not in Stage.values:
        errors["stage"] = _("阶段无效")
        stage = ""
    risky_only = q.get("risk") == "1"
    today = clock.today()
    town_code = (q.get("town") or "").strip()[:30]
    ov = sel.overview(user=user, today=today, round_id=round_id if "round" not in errors else None,
                      town_code=town_code, stage=stage, risky_only=risky_only)
    town = ov.extra.get("town")
    if ov.extra.get("town_unknown"):
        errors["town"] = _("未找到该镇（街道）")
    page = Paginator(ov.rows, PER_PAGE).get_page(q.get("page"))
    rows = [(r, election_url(r.election.pk)) for r in page.object_list]
    query = urlencode({k: v for k, v in (("round", ov.round.pk if ov.round else ""), ("town", town.code if town else ""),
                                         ("stage", stage), ("risk", "1" if risky_only else "")) if v})
    labels = {"round": _("换届"), "town": _("镇（街道）"), "stage": _("阶段")}
    return render(request, "elections/overview_home.html", {
        "ov": ov, "page": page, "rows": rows, "town": town, "stage": stage, "risky_only": risky_only,
        "query": query, "today": today,
        "errors": [f"{labels[k]}：{v}" for k, v in errors.items()],
    }, status=400 if errors else 200)
