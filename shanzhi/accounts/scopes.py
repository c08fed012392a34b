"""The one place that answers "may this user do this here".

A user's current posts give their scopes: each post covers its unit's subtree (one path prefix).
Each action lists the roles that may do it. Pages, API, commands and selectors all call `may`
or `scope_q`; nothing else decides.
"""

from __future__ import annotations

from django.db.models import Q

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
}


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
    if hasattr(user, "_shanzhi_posts"):
        del user._shanzhi_posts


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


def department_ids_for(user) -> list[int]:
    """Departments the user currently serves in (department staff posts)."""
    cached = getattr(user, "_shanzhi_departments", None)
    if cached is not None:
        return cached
    ids: list[int] = []
    if getattr(user, "is_authenticated", False) and user.is_active:
        ids = sorted(set(
            Post.objects.filter(Post.current_q(), user_id=user.pk, role=Role.DEPARTMENT_STAFF,
                                department__isnull=False).values_list("department_id", flat=True)))
    user._shanzhi_departments = ids
    return ids


def is_staff_user(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or _posts(user))
