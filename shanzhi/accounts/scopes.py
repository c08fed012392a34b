"""The one place that answers "may this user do this here".

A user's current posts give their scopes: each post covers its unit's subtree (one path prefix).
Each action lists the roles that may do it. Services call `require` (the gate, in the order
404 / 400 / 403) and `require_target`; selectors filter with `scope_q` / `unit_ids_q`; pages only ask
`may` / `may_somewhere` to show or hide things. Nothing else decides.
"""

from __future__ import annotations

from django.db.models import Q

from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied
from shanzhi.org.models import OrgUnit, Post, Role

R = Role
STAFF_ROLES = frozenset(Role)
REGISTRY_ROLES = frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE, R.GRID_HEAD, R.GRID_WORKER})

ACTIONS: dict[str, frozenset[str]] = {
    # see the tree, the map and counts
    "org.view": STAFF_ROLES,
    # create, rename, move units, edit boundaries
    "org.change": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF}),
    # appoint and end posts
    "org.posts": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    # households and residents, masked
    "people.view": REGISTRY_ROLES | {R.MICROGRID_HEAD},
    "people.change": REGISTRY_ROLES,
    # decrypt an ID number or phone, with a reason (audited)
    "people.reveal": REGISTRY_ROLES,
    "people.import": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    "audit.view": frozenset({R.COUNTY_ADMIN}),
    # cases: see those placed or handled in scope; act on those handled in scope
    "cases.view": STAFF_ROLES - {R.MICROGRID_HEAD},
    "cases.handle": REGISTRY_ROLES,
    "cases.verify": REGISTRY_ROLES,
    "cases.dispatch": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE, R.GRID_HEAD}),
    "cases.supervise": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF}),
    "cases.intake": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE, R.GRID_HEAD, R.GRID_WORKER,
                               R.MEDIATOR}),
    "open311.keys": frozenset({R.COUNTY_ADMIN}),
    # campaigns: declare and run (assign, reassign, sign off) / follow progress
    "campaigns.run": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    "campaigns.signoff": REGISTRY_ROLES,
    "campaigns.view": REGISTRY_ROLES | {R.MICROGRID_HEAD},
    # the mediation centre: register at the window, mediate and conclude, see the centre's disputes
    "mediation.intake": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE, R.MEDIATOR}),
    "mediation.handle": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE, R.MEDIATOR}),
    "mediation.view": STAFF_ROLES - {R.MICROGRID_HEAD},
    # councils: see a unit's councils, topics and meetings as staff; set them up and run them (a council's
    # secretary or chair also runs their own council: an object-level grant in councils.services); hide
    # comments and topics; act for a resident without a phone (audited)
    "councils.view": STAFF_ROLES - {R.DEPARTMENT_STAFF},
    "councils.run": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    "councils.moderate": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    "councils.proxy": frozenset({R.VILLAGE_CADRE, R.GRID_HEAD, R.GRID_WORKER, R.MICROGRID_HEAD}),
    # the legal service team: see the advisers' work in scope; appoint advisers and set their schedule
    # (an adviser answers their own villages' questions: an object-level grant in legal.services)
    "legal.view": STAFF_ROLES - {R.MICROGRID_HEAD, R.DEPARTMENT_STAFF},
    "legal.manage": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF}),
    # the adviser's own work (answer, hold a consultation, record a talk): no role gives it, only a current
    # appointment to the village (the grant in legal.access)
    "legal.advise": frozenset(),
    # bookable rooms (shanzhi.rooms): add, rename and take rooms out of use at a unit (seeing them and their
    # bookings is "org.view"; booking one is the booking app's own action, e.g. mediation.handle)
    "rooms.manage": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    # the moral-appraisal panel's county settings (the public criticism list 黑榜 and what it shows)
    "appraisal.configure": frozenset({R.COUNTY_ADMIN}),
    # the command centre and the grid evaluation of a unit (each indicator also needs its own app's view)
    "dashboard.view": STAFF_ROLES - {R.MICROGRID_HEAD},
    # configure the grid evaluation's weights and grade thresholds
    "dashboard.configure": frozenset({R.COUNTY_ADMIN}),
    # 百事服务团: see volunteers, requests, activities, the ledger and the store in scope; run them (approve
    # volunteers, teams, assign requests, activities, store items; a team's leader also runs their own team:
    # an object-level grant in volunteers.access); redeem at the store's counter; award civic points;
    # correct the ledger (a new entry with a reason)
    "volunteers.view": STAFF_ROLES - {R.DEPARTMENT_STAFF},
    "volunteers.run": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE}),
    "volunteers.counter": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF, R.VILLAGE_CADRE, R.GRID_HEAD, R.GRID_WORKER}),
    "volunteers.award": REGISTRY_ROLES,
    "volunteers.correct": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF}),
    # elections: follow the county's elections; set up rounds and elections (a village's election committee
    # runs its own election: an object-level grant in elections.access); check voters in at a station (no
    # role gives it: only being a station's clerk, the grant in elections.access)
    "elections.view": STAFF_ROLES - {R.MICROGRID_HEAD, R.DEPARTMENT_STAFF},
    "elections.run": frozenset({R.COUNTY_ADMIN, R.TOWN_STAFF}),
    "elections.clerk": frozenset(),
}

# The elected village committee works as the village cadres do: every action a village cadre may take,
# its chair, vice-chairs and members may take too (one rule, not a copy per action).
COMMITTEE_ROLES = frozenset({R.COMMITTEE_CHAIR, R.COMMITTEE_VICE, R.COMMITTEE_MEMBER})
ACTIONS = {action: roles | COMMITTEE_ROLES if R.VILLAGE_CADRE in roles else roles
           for action, roles in ACTIONS.items()}


def _posts(user) -> list[tuple[str, str]]:
    """Current (role, unit path) pairs of a user; cached on the user object for the request."""
    cached = getattr(user, "_shanzhi_posts", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        pairs: list[tuple[str, str]] = []
    else:
        holder = Q(user_id=user.pk)
        if getattr(user, "resident_id", None):
            holder |= Q(resident_id=user.resident_id)
        pairs = list(Post.objects.filter(holder & Post.current_q()).values_list("role", "unit__path"))
    user._shanzhi_posts = pairs
    return pairs


def forget(user) -> None:
    """Drop the cached posts (after a post changes within the same request)."""
    for attr in ("_shanzhi_posts", "_shanzhi_departments"):
        if hasattr(user, attr):
            delattr(user, attr)


def paths_for(user, action: str) -> list[str]:
    """Minimal list of path prefixes where the user may do `action` (superusers: the whole tree)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    if getattr(user, "is_superuser", False) and user.is_active:
        return [""]
    roles = ACTIONS[action]
    prefixes = sorted({path for role, path in _posts(user) if role in roles})
    minimal: list[str] = []
    for p in prefixes:  # sorted, so an ancestor comes before its descendants
        if not any(p.startswith(m) for m in minimal):
            minimal.append(p)
    return minimal


def may(user, action: str, unit: OrgUnit | str) -> bool:
    """May `user` do `action` on `unit` (an OrgUnit or its path)?"""
    path = unit.path if isinstance(unit, OrgUnit) else unit
    return any(path.startswith(p) for p in paths_for(user, action))


def scope_q(user, action: str, field: str = "") -> Q:
    """Q restricting rows to the user's scope; `field` leads to the row's OrgUnit ("" for OrgUnit)."""
    key = f"{field}__path__startswith" if field else "path__startswith"
    prefixes = paths_for(user, action)
    if not prefixes:
        return Q(pk__in=[])
    if prefixes == [""]:
        return Q()
    q = Q()
    for p in prefixes:
        q |= Q(**{key: p})
    return q


def roots_for(user, action: str = "org.view") -> list[OrgUnit]:
    """The top units of a user's scope, for a home page."""
    prefixes = paths_for(user, action)
    if prefixes == [""]:
        return list(OrgUnit.objects.filter(parent__isnull=True))
    return list(OrgUnit.objects.filter(path__in=prefixes))


def department_grants(user) -> list[tuple[int, str]]:
    """(department id, unit path) of the user's current department staff posts, held by the user or by
    their resident record. A department post grants its department's work under the post's unit only."""
    cached = getattr(user, "_shanzhi_departments", None)
    if cached is not None:
        return cached
    pairs: list[tuple[int, str]] = []
    if getattr(user, "is_authenticated", False) and user.is_active:
        holder = Q(user_id=user.pk)
        if getattr(user, "resident_id", None):
            holder |= Q(resident_id=user.resident_id)
        pairs = sorted(set(
            Post.objects.filter(holder, Post.current_q(), role=Role.DEPARTMENT_STAFF, department__isnull=False)
            .values_list("department_id", "unit__path")))
    user._shanzhi_departments = pairs
    return pairs


def may_department(user, department_id: int | None, unit: OrgUnit | str) -> bool:
    """Does a department post of the user grant work of `department_id` placed at `unit`?"""
    if user is None or not department_id:
        return False
    path = unit.path if isinstance(unit, OrgUnit) else unit
    return any(d == department_id and path.startswith(p) for d, p in department_grants(user))


def department_q(user, department_field: str = "department", unit_field: str = "unit") -> Q:
    """Q for rows of the user's departments placed under each department post's unit."""
    q = Q(pk__in=[])
    for dept_id, path in department_grants(user):
        q |= Q(**{f"{department_field}_id": dept_id}) & Q(**{
            f"{unit_field}_id__in": OrgUnit.objects.filter(path__startswith=path).values("id")})
    return q


def is_staff_user(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or _posts(user))


# ---- the gate -------------------------------------------------------------------------------------
#
# Every service and selector asks here, in one order that leaks nothing:
#   1. not visible to the actor            -> NotFound (404, the same answer as a missing object)
#   2. not allowed in the object's state   -> DomainError (400), raised by the caller's `state` check
#   3. visible but not allowed to the actor -> PermissionDenied (403)
# `actor=None` is the system (commands run by the operator, sweeps, the demo generator): it passes 1 and 3
# but never skips the state check.

def view_action(action: str) -> str:
    """The action that makes an object of `action` visible ("cases.handle" -> "cases.view")."""
    app = action.split(".", 1)[0]
    view = f"{app}.view"
    return view if view in ACTIONS else "org.view"


def covers_all(user, action: str) -> bool:
    """Does the user's scope for `action` cover the whole tree (superusers, or a post on a root unit)?"""
    if user is None:
        return True
    prefixes = paths_for(user, action)
    if prefixes == [""]:
        return True
    roots = _root_paths()
    return bool(roots) and all(r in prefixes for r in roots)


def _root_paths() -> list[str]:
    return list(OrgUnit.objects.filter(parent__isnull=True).values_list("path", flat=True))


def may_somewhere(user, action: str) -> bool:
    """Does the user hold `action` anywhere (to show a section or a button; the service still checks)?"""
    return bool(paths_for(user, action))


def require(actor, action: str, unit: OrgUnit | str | None, *, what: str = "", granted: bool = False,
            visible: bool | None = None, state=None) -> None:
    """The one gate: raise NotFound, the caller's state error, or PermissionDenied, in that order.

    `granted` is an object-level grant the caller's rule gives (assigned to you, your department's case,
    you are the household's responsible person); `visible` overrides "may see it" where a selector
    decides visibility (a case you reported or follow); `state` is a callable raising DomainError when
    the object's state forbids the action. `what` names the object in the 404 ("该诉求").
    """
    if actor is None:
        if state is not None:
            state()
        return
    allowed = granted or (unit is not None and may(actor, action, unit))
    if visible is None:
        visible = allowed or (unit is not None and may(actor, view_action(action), unit))
    if not (visible or allowed):
        raise NotFound(f"未找到{what}" if what else "未找到")
    if state is not None:
        state()
    if not allowed:
        raise PermissionDenied("您的岗位无权进行此操作")


def require_target(actor, action: str, unit: OrgUnit | str | None, *, field: str, message: str) -> None:
    """A target of an action (a department dispatched to, a person given a household) must lie in the
    actor's scope for `action`. Missing and out of scope give the same 400, naming the field."""
    if actor is None:
        return
    if unit is None or not may(actor, action, unit):
        raise DomainError(message, fields={field: [message]}, code="invalid_target")


def subtree_q(unit: OrgUnit | str, field: str = "") -> Q:
    """Q for rows whose unit (reached through `field`, "" for OrgUnit itself) lies under `unit`."""
    path = unit.path if isinstance(unit, OrgUnit) else unit
    key = f"{field}__path__startswith" if field else "path__startswith"
    return Q(**{key: path})


def unit_ids_q(user, action: str, field: str) -> Q:
    """Q restricting `field` (a foreign key to OrgUnit) to units in scope, as one indexed subquery.

    Cheaper than `scope_q` through a join on large tables: the database finds the unit ids by the
    path index, then the rows by their own index on `field`."""
    prefixes = paths_for(user, action)
    if not prefixes:
        return Q(pk__in=[])
    if prefixes == [""]:
        return Q()
    return Q(**{f"{field}__in": OrgUnit.objects.filter(scope_q(user, action)).values("id")})


def in_any(path: str, prefixes: list[str]) -> bool:
    """Is `path` under one of the prefixes (the user's minimal scope list from `paths_for`)?"""
    return any(path.startswith(p) for p in prefixes)


def reaches(user, action: str, unit: OrgUnit | str) -> bool:
    """May the user do `action` at `unit` or anywhere below it (to open a unit's page that leads to
    their own part, e.g. a village page for a grid worker of one of its grids)?"""
    path = unit.path if isinstance(unit, OrgUnit) else unit
    return any(path.startswith(p) or p.startswith(path) for p in paths_for(user, action))


def holders_q(action: str, field: str = "") -> Q:
    """Q for Post rows (reached through `field`, "" for Post) whose role may do `action`: who to notify or
    offer in a picker, without reading role lists outside this module. Scope still comes from the unit."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    key = f"{field}__role__in" if field else "role__in"
    return Q(**{key: sorted(ACTIONS[action])})


def path_q(user, action: str, field: str) -> Q:
    """Q restricting rows whose `field` holds a copy of a unit path (an audit row's `unit_path`) to the
    user's scope for `action`; rows of no unit are not included (the caller decides about those)."""
    prefixes = paths_for(user, action)
    if not prefixes:
        return Q(pk__in=[])
    if prefixes == [""]:
        return Q()
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field}__startswith": p})
    return q


def held_roles(user) -> frozenset[str]:
    """The roles of the user's current posts (to choose a landing page; permissions still come from
    ACTIONS). No query beyond the cached posts."""
    return frozenset(role for role, _path in _posts(user))
