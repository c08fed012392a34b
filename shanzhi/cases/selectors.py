"""Reads of cases across permission lines. Out of scope and missing both raise NotFound."""

from __future__ import annotations

import operator
from contextlib import nullcontext
from dataclasses import dataclass
from functools import reduce

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from shanzhi.accounts import scopes
from shanzhi.cases.models import OPEN_STATUSES, Case, Status
from shanzhi.lib import paging, parsing
from shanzhi.lib.errors import NotFound
from shanzhi.org.models import Department, Level, OrgUnit, Post

SMALL_SCOPE = 300  # units; a village holds ~80, a town ~1,500


@dataclass
class Visibility:
    """What a user may see, as branches each answerable from one index: `everything` (superusers and posts
    on the root units), else the union of `subtree` (placed or handled at a unit in their cases.view
    scope) and `personal` (reported by, assigned to, followed by them; their department's cases under each
    department post's unit)."""

    everything: bool
    subtree: list[Q]
    personal: list[Q]
    large: bool = False  # more than SMALL_SCOPE units in scope: a town or more, listed by walking

    @property
    def branches(self) -> list[Q]:
        return self.subtree + self.personal

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.branches


def visibility_for(user) -> Visibility:
    """The branches of what `user` may see (the same set as `case_list_for`). Queries: the cached posts and
    department grants, `covers_all`'s root units, and the ids of the units in scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Visibility(False, [], [])
    personal = [Q(reporter_id=user.pk), Q(assignee_id=user.pk),
                Q(id__in=Case.followers.through.objects.filter(user_id=user.pk).values("case_id"))]
    subtree: list[Q] = []
    large = False
    if scopes.is_staff_user(user):
        if scopes.paths_for(user, "cases.view"):
            if scopes.covers_all(user, "cases.view"):
                return Visibility(True, [], [])
            in_scope = OrgUnit.objects.filter(scopes.scope_q(user, "cases.view")).values("id")
            ids = list(in_scope[:SMALL_SCOPE + 1].values_list("id", flat=True))
            # A small scope (a grid, a village) as the ids themselves: planners then estimate each branch from
            # its own index statistics. A large one (a town) stays a subquery, cheap to plan, walked anyway.
            units = ids if len(ids) <= SMALL_SCOPE else in_scope
            subtree = [Q(unit_id__in=units), Q(handling_unit_id__in=units)]
            large = len(ids) > SMALL_SCOPE
        for dept_id, path in scopes.department_grants(user):
            personal.append(Q(department_id=dept_id,
                              unit_id__in=OrgUnit.objects.filter(path__startswith=path).values("id")))
    return Visibility(False, subtree, personal, large)


def case_list_for(*, user) -> QuerySet[Case]:
    """Cases a user may see: staff by place or handling unit in scope, by assignment or department;
    residents their own and those they follow. Cost: one query.

    One OR of the branches (`visibility_branches`): the form for testing one case or a few (get, exists,
    a join from disputes), where each branch is a probe into a small materialised set. To list a large
    scope page by page use `case_list_page`, which enumerates or walks by index instead.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    followed = Case.followers.through.objects.filter(user_id=user.pk).values("case_id")
    q = Q(reporter_id=user.pk) | Q(assignee_id=user.pk) | Q(id__in=followed)
    if scopes.is_staff_user(user):
        prefixes = scopes.paths_for(user, "cases.view")
        if prefixes == [""]:
            return Case.objects.all()
        if prefixes:
            units = OrgUnit.objects.filter(scopes.scope_q(user, "cases.view")).values("id")
            q |= Q(unit_id__in=units) | Q(handling_unit_id__in=units)
        if scopes.department_grants(user):
            q |= scopes.department_q(user, "department", "unit")
    return Case.objects.filter(q)


# ---- long lists at a million cases ---------------------------------------------------------------
#
# A list page never counts or sorts more than it must. The plan depends on the size of what the user
# sees, probed first through each branch's own index (each count stops at GATHER_MAX + 1):
#   union  - the visible branches hold at most GATHER_MAX cases together (a grid worker, a village, a
#            resident): each branch is read through its own index, the union's (id, reported_at) sorted
#            here; the count is exact.
#   narrow - a filter names at most GATHER_MAX cases (an open status, a rare category): those are read
#            through that filter's index, tested for visibility, and sorted here; the count is exact.
#   walk   - a town or the county: the rows are walked newest first along CASE_WALK_INDEX, which holds
#            every column visibility and the common filters test, so the walk reads the index only and
#            stops after max(cap + 1, the page's end) rows; one walk gives the page and the capped count.

GATHER_MAX = 20_000
CASE_WALK_INDEX = "case_list_walk"


def _capped_counts(querysets: list[QuerySet], cap: int) -> list[int]:
    """min(rows, cap) of each queryset, all in one query; each count stops after `cap` rows."""
    parts, params = [], []
    for i, qs in enumerate(querysets):
        sql, p = qs.order_by().values("id")[:cap].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped_{i})")
        params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(n) for n in cursor.fetchone()]


def _walked(qs: QuerySet) -> tuple[str, list]:
    """SQL of `qs` walking CASE_WALK_INDEX. SQLite is told to (without statistics it would read a whole
    status through the status index and sort it); PostgreSQL chooses the walk from its statistics."""
    sql, params = qs.query.sql_with_params()
    if connection.vendor == "sqlite":
        table = f"FROM {connection.ops.quote_name(Case._meta.db_table)} "
        # The first FROM is the outer query's: subqueries come later, in the WHERE clause.
        sql = sql.replace(table, f"{table}INDEXED BY {connection.ops.quote_name(CASE_WALK_INDEX)} ", 1)
    return sql, list(params)


def list_plan(vis: Visibility, narrow: list[Q]) -> tuple[str, Q | None]:
    """('union', None), ('narrow', the smallest small filter) or ('walk', None); see above. A scope
    of more than SMALL_SCOPE units (a town, the county) is not probed for union: at scale it holds more
    than GATHER_MAX cases, and with few cases a walk is short anyway. One query (none with nothing to probe)."""
    branches = [] if vis.everything or vis.large else vis.branches
    probes = [Case.objects.filter(b) for b in branches] + [Case.objects.filter(n) for n in narrow]
    if not probes:
        return "walk", None
    sizes = _capped_counts(probes, GATHER_MAX + 1)
    n = len(branches)
    if branches and sum(sizes[:n]) <= GATHER_MAX:
        return "union", None
    small = [(size, i) for i, size in enumerate(sizes[n:]) if size <= GATHER_MAX]
    if small:
        return "narrow", narrow[min(small)[1]]
    return "walk", None


def _visible_q(vis: Visibility) -> Q:
    """Visibility as one filter for a walk: the subtree branches test columns of the walk index; the
    personal ones (a few cases each) are one id set."""
    if vis.everything:
        return Q()
    personal = [Case.objects.filter(b).order_by().values("id") for b in vis.personal]
    seen = vis.subtree + ([Q(id__in=personal[0].union(*personal[1:]))] if personal else [])
    return reduce(operator.or_, seen)


def case_list_page(*, user, where: Q | None = None, narrow: list[Q] | None = None, number: int = 1,
                   per_page: int = 50, cap: int = paging.DEFAULT_CAP, related: tuple[str, ...] = (),
                   plan: str = "") -> paging.CappedPage:
    """One page of the cases `user` may see that match `where`, newest first (-reported_at, -id), with
    the count exact up to `cap` (union and narrow: always exact). `narrow` lists filters implied by
    `where` that may name a small set; `plan` forces 'union', 'narrow' (the first of `narrow`) or 'walk'.

    Cost: a fixed number of queries, whatever the number of cases: the gate's (posts, root units, unit
    ids in scope, department posts), the plan's probe, the page's ids with the count (on PostgreSQL in a
    transaction with a planner setting), the page's rows with `related`. Rows read: at most GATHER_MAX per
    branch for union and narrow; for walk, the walk index down to max(cap + 1, the page's end).
    """
    where = where or Q()
    vis = visibility_for(user)
    if vis.nothing:
        return paging.CappedPage([], 1, paging.CappedPaginator(0, per_page, cap))
    chosen = None
    if not plan:
        plan, chosen = list_plan(vis, narrow or [])
    elif plan == "narrow":
        chosen = (narrow or [Q()])[0]
    if plan in ("union", "narrow"):
        if plan == "union":
            parts = [Case.objects.filter(b).filter(where).order_by().values_list("id", "reported_at")
                     for b in (vis.branches if not vis.everything else [Q()])]
            rows = list(parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0])
        else:
            source = Case.objects.filter(chosen).order_by().values("id")
            rows = list(Case.objects.filter(id__in=source).filter(where).filter(_visible_q(vis))
                        .order_by().values_list("id", "reported_at"))
        rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
        count, exact = len(rows), True
        number = paging.clamp(number, count, per_page, cap, exact=True)
        start = (number - 1) * per_page
        ids = [r[0] for r in rows[start:start + per_page + 1]]
    else:
        start = (number - 1) * per_page
        ids_qs = (Case.objects.filter(where).filter(_visible_q(vis)).order_by("-reported_at", "-id")
                  .values_list("id", flat=True))[:max(cap + 1, start + per_page + 1)]
        sql, params = _walked(ids_qs)
        postgres = connection.vendor == "postgresql"
        # (SQLite: no transaction, which would take the write lock: this project begins them IMMEDIATE.)
        with transaction.atomic() if postgres else nullcontext(), connection.cursor() as cursor:
            if postgres:
                # Sorting a filter's matches looks cheaper to the planner than walking when it expects
                # few, but the count needs cap + 1 of them; the walk reads the index only and stops there.
                cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(sql, params)
            walked = [r[0] for r in cursor.fetchall()]
        count, exact = len(walked), len(walked) <= cap
        if exact and start >= count:  # past the end: the last page, as Paginator.get_page does
            number = paging.clamp(number, count, per_page, cap, exact=True)
            start = (number - 1) * per_page
        ids = walked[start:start + per_page + 1]
        if not exact:
            count = max(cap + 1, start + len(ids))
    more, ids = len(ids) > per_page, ids[:per_page]
    by_id = Case.objects.select_related(*related).in_bulk(ids) if ids else {}
    return paging.CappedPage([by_id[i] for i in ids if i in by_id], number,
                             paging.CappedPaginator(count, per_page, cap, exact=exact), more=more)


def case_get_for(*, user, number_or_id) -> Case:
    qs = case_list_for(user=user).select_related("category", "unit", "handling_unit", "assignee", "department")
    try:
        if str(number_or_id).isdigit():
            return qs.get(pk=parsing.id_or_none(number_or_id) or 0)
        return qs.get(number=number_or_id)
    except Case.DoesNotExist:
        raise NotFound("未找到该诉求") from None


def case_visible(*, user, case: Case) -> bool:
    """May `user` see `case` at all (the 404 line of the gate). Cost: one query."""
    if user is None:
        return True
    return case_list_for(user=user).filter(pk=case.pk).exists()


def dispatch_departments_for(*, user) -> QuerySet[Department]:
    """Departments a user may dispatch cases to: active ones of units in their dispatch scope. One query.
    The dispatch service refuses any other (scopes.require_target), so page and API agree."""
    return (Department.objects.filter(scopes.unit_ids_q(user, "cases.dispatch", "unit"), is_active=True)
            .select_related("unit").order_by("code"))


def dispatch_people_for(*, user, units: list[OrgUnit]) -> QuerySet[Post]:
    """Current posts of active staff who may handle cases, at units under `units` and in the user's
    dispatch scope (those services.assignee_eligible accepts). One query."""
    under = reduce(operator.or_, (scopes.subtree_q(u) for u in units), Q(pk__in=[]))
    unit_ids = OrgUnit.objects.filter(under).filter(scopes.scope_q(user, "cases.dispatch")).values("id")
    return (Post.objects.filter(Post.current_q(), scopes.holders_q("cases.handle"), unit_id__in=unit_ids,
                                user__isnull=False, user__is_active=True)
            .select_related("unit", "user").order_by("unit__path", "role", "id"))


def dispatch_units_for(*, user, units: list[OrgUnit]) -> QuerySet[OrgUnit]:
    """Towns, villages and grids strictly below `units` in the user's dispatch scope. One query."""
    below = reduce(operator.or_, (scopes.subtree_q(u) & ~Q(pk=u.pk) for u in units), Q(pk__in=[]))
    return (OrgUnit.objects.filter(below, scopes.scope_q(user, "cases.dispatch"), is_active=True,
                                   level__in=[Level.TOWN, Level.VILLAGE, Level.GRID]).order_by("path"))


def queue_for(*, user, status: str = "", overdue: bool = False, category: str = "", unit=None, now=None):
    """A handler's queue: open cases they may act on, soonest deadline first.

    What a user may act on is inside what they may see (every cases.handle role also has cases.view, and
    assignment and department posts are branches of both), so the queue needs no visibility filter: it
    is the union of its own branches, each read through its (assignee | handling_unit | department,
    status...) index restricted to the open statuses; a handler of the whole county reads the open
    statuses instead. Cost: one query when evaluated, after the root units (covers_all) and the unit ids
    of a small scope.
    """
    from shanzhi.lib import clock

    if user is None or not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    opened = Q(status=status) if status else Q(status__in=OPEN_STATUSES)
    if status and status not in OPEN_STATUSES:
        return Case.objects.none()
    if scopes.paths_for(user, "cases.handle") and scopes.covers_all(user, "cases.handle"):
        qs = Case.objects.filter(opened)
    else:
        branches = [Q(assignee_id=user.pk)]
        if scopes.paths_for(user, "cases.handle"):
            in_scope = OrgUnit.objects.filter(scopes.scope_q(user, "cases.handle")).values("id")
            ids = list(in_scope[:SMALL_SCOPE + 1].values_list("id", flat=True))  # as in visibility_for
            branches.append(Q(handling_unit_id__in=ids if len(ids) <= SMALL_SCOPE else in_scope))
        for dept_id, path in scopes.department_grants(user):
            branches.append(Q(department_id=dept_id,
                              unit_id__in=OrgUnit.objects.filter(path__startswith=path).values("id")))
        parts = [Case.objects.filter(b, opened).order_by().values("id") for b in branches]
        qs = Case.objects.filter(id__in=parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0])
    if overdue:
        qs = qs.filter(deadline_at__lt=now or clock.now())
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if unit is not None:
        qs = qs.filter(scopes.subtree_q(unit, "unit"))
    return qs.select_related("category", "unit", "handling_unit", "assignee").order_by("deadline_at", "id")


def resident_village(user) -> OrgUnit | None:
    """The village (or community) of a resident's household; None without one."""
    resident = getattr(user, "resident", None) if user is not None else None
    household = getattr(resident, "household", None) if resident is not None else None
    if household is None:
        return None
    return OrgUnit.objects.filter(code__in=household.micro_grid.ancestor_codes, level=Level.VILLAGE).first()


def village_public(*, village) -> QuerySet[Case]:
    """Non-private cases placed in a village: what its residents' feed shows (void and duplicates left out)."""
    return (Case.objects.filter(scopes.subtree_q(village, "unit"), is_public=True)
            .exclude(status__in=[Status.VOID, Status.DUPLICATE]))


def public_feed(*, village, limit: int = 50) -> QuerySet[Case]:
    """Non-private cases in a village, for residents, newest first (reporter names hidden when anonymous)."""
    return village_public(village=village).select_related("category").order_by("-reported_at")[:limit]


def followable_for(*, user) -> QuerySet[Case]:
    """Cases a resident may follow besides those they see: the open cases of their own village's feed.

    Nothing else in the county, whatever number or coordinates are posted. Cost: one query for the village.
    """
    village = resident_village(user)
    if village is None:
        return Case.objects.none()
    return village_public(village=village).filter(status__in=OPEN_STATUSES)
