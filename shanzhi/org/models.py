"""The grid: org units with boundaries and a materialised path, departments, and posts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Level(models.TextChoices):
    COUNTY = "county", "县"
    TOWN = "town", "镇/街道"
    VILLAGE = "village", "村/社区"
    GRID = "grid", "网格"
    COMPOUND = "compound", "小区"
    MICROGRID = "microgrid", "微网格"


LEVEL_DEPTH = {
    Level.COUNTY: 0,
    Level.TOWN: 1,
    Level.VILLAGE: 2,
    Level.GRID: 3,
    Level.COMPOUND: 4,
    Level.MICROGRID: 5,
}
# Which parent levels a level may hang under.
PARENT_LEVELS = {
    Level.COUNTY: (),
    Level.TOWN: (Level.COUNTY,),
    Level.VILLAGE: (Level.TOWN,),
    Level.GRID: (Level.VILLAGE,),
    Level.COMPOUND: (Level.GRID,),
    Level.MICROGRID: (Level.GRID, Level.COMPOUND),
}


class UnitKind(models.TextChoices):
    COUNTY = "county", "县"
    TOWN = "town", "镇"
    SUBDISTRICT = "subdistrict", "街道"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"
    COMPOUND = "compound", "小区"
    STAIRWELL = "stairwell", "楼道"
    VILLAGER_GROUP = "villager_group", "村小组"


class OrgUnit(models.Model):
    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Codes of every ancestor and self, each followed by "/": a subtree is one prefix filter.
    path = models.CharField("路径", max_length=200, unique=True)
    boundary = models.JSONField("边界", null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    centre_lat = models.FloatField(null=True, blank=True)
    centre_lon = models.FloatField(null=True, blank=True)
    # Rolled-up counts over the subtree; kept by services and refreshed by org.rollups.
    household_count = models.PositiveIntegerField("户数", default=0)
    resident_count = models.PositiveIntegerField("人数", default=0)
    floating_count = models.PositiveIntegerField("流动人口", default=0)
    staff_count = models.PositiveIntegerField("工作人员", default=0)
    grid_worker_count = models.PositiveIntegerField("专职网格员", default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = "网格单元"
        verbose_name_plural = "网格单元"
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]

    @property
    def residents_per_grid_worker(self) -> float | None:
        return round(self.resident_count / self.grid_worker_count, 0) if self.grid_worker_count else None

    def subtree_q(self, field: str = "") -> Q:
        """Q for rows whose unit is this unit or below; `field` is the path to the OrgUnit."""
        prefix = f"{field}__path__startswith" if field else "path__startswith"
        return Q(**{prefix: self.path})


class Department(models.Model):
    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="departments", verbose_name="所属单位")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "部门"
        verbose_name_plural = "部门"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", "县级管理员"
    TOWN_STAFF = "town_staff", "镇街工作人员"
    VILLAGE_CADRE = "village_cadre", "村社干部"
    GRID_HEAD = "grid_head", "网格长"
    GRID_WORKER = "grid_worker", "专职网格员"
    MICROGRID_HEAD = "microgrid_head", "微网格长"
    DEPARTMENT_STAFF = "department_staff", "部门工作人员"
    MEDIATOR = "mediator", "调解员"
    # the elected village committee (村民委员会) or community residents' committee (居民委员会), given by the
    # elections app when a result is certified; they work as the village cadres do (accounts/scopes.py)
    COMMITTEE_CHAIR = "committee_chair", "村（居）委会主任"
    COMMITTEE_VICE = "committee_vice", "村（居）委会副主任"
    COMMITTEE_MEMBER = "committee_member", "村（居）委会委员"


# The unit level each role is held at.
ROLE_LEVELS = {
    Role.COUNTY_ADMIN: (Level.COUNTY,),
    Role.TOWN_STAFF: (Level.TOWN,),
    Role.VILLAGE_CADRE: (Level.VILLAGE,),
    Role.GRID_HEAD: (Level.GRID,),
    Role.GRID_WORKER: (Level.GRID,),
    Role.MICROGRID_HEAD: (Level.MICROGRID,),
    Role.DEPARTMENT_STAFF: (Level.COUNTY, Level.TOWN),
    Role.MEDIATOR: (Level.COUNTY, Level.TOWN, Level.VILLAGE),
    Role.COMMITTEE_CHAIR: (Level.VILLAGE,),
    Role.COMMITTEE_VICE: (Level.VILLAGE,),
    Role.COMMITTEE_MEMBER: (Level.VILLAGE,),
}


class Post(models.Model):
    """Who holds which role on which unit, and from when to when."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="posts", verbose_name="单位")
    role = models.CharField("岗位", max_length=20, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    holder_name = models.CharField("姓名", max_length=50)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="posts")
    start_date = models.DateField("任职开始")
    end_date = models.DateField("任职结束", null=True, blank=True)

    class Meta:
        ordering = ["unit__path", "role"]
        verbose_name = "岗位"
        verbose_name_plural = "岗位"
        indexes = [models.Index(fields=["role", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(resident__isnull=False), name="post_has_holder"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.get_role_display()} {self.holder_name}"

    @staticmethod
    def current_q(on=None, prefix: str = "") -> Q:
        """Q for posts in force on a date (today by default)."""
        from shanzhi.lib import clock

        day = on or clock.today()
        return Q(**{f"{prefix}start_date__lte": day}) & (
            Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
        )
