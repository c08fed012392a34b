"""Households, residents with encrypted identifiers, central households, cadre registration."""

from __future__ import annotations

from django.db import models

from shanzhi.lib import codes, crypto


class Registration(models.TextChoices):
    REGISTERED = "registered", "户籍"
    FLOATING = "floating", "流动"
    MIXED = "mixed", "人户混合"


class CareTag(models.Model):
    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=30)
    name_en = models.CharField("英文名", max_length=40)

    class Meta:
        ordering = ["id"]
        verbose_name = "关爱标签"
        verbose_name_plural = "关爱标签"

    def __str__(self) -> str:
        return self.name


# Created by a data migration; codes are stable for import files and the API.
DEFAULT_CARE_TAGS = [
    ("elderly_alone", "独居老人", "Elderly living alone"),
    ("disabled", "残疾人", "Disabled"),
    ("low_income", "低保户", "Low income"),
    ("veteran", "退役军人", "Veteran"),
    ("party_member", "党员", "Party member"),
    ("left_behind_child", "留守儿童", "Left-behind child"),
    ("serious_illness", "重病", "Serious illness"),
]


class Household(models.Model):
    number = models.CharField("户号", max_length=30, unique=True)
    micro_grid = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="households", verbose_name="微网格"
    )
    address = models.CharField("地址", max_length=200)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    registration = models.CharField("户籍类型", max_length=12, choices=Registration.choices)
    central_household = models.ForeignKey(
        "CentralHousehold", null=True, blank=True, on_delete=models.SET_NULL, related_name="members",
        verbose_name="党员中心户",
    )
    is_active = models.BooleanField("在册", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "户"
        verbose_name_plural = "户"

    def __str__(self) -> str:
        return f"{self.number} {self.address}"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女"
    GRANDPARENT = "grandparent", "祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"
    TENANT = "tenant", "租户"


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", "在住"
    MOVED_OUT = "moved_out", "迁出"
    DECEASED = "deceased", "死亡"


class Resident(models.Model):
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="residents", verbose_name="户"
    )
    name = models.CharField("姓名", max_length=50, db_index=True)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    id_number_enc = models.TextField("身份证号（密文）")
    id_number_hash = models.CharField(max_length=64, unique=True)
    phone_enc = models.TextField("手机号（密文）", blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Masks are stored so lists never decrypt; they reveal nothing the mask rules do not show.
    id_number_masked = models.CharField("身份证号", max_length=18)
    phone_masked = models.CharField("手机号", max_length=11, blank=True)
    relation = models.CharField("与户主关系", max_length=12, choices=Relation.choices, default=Relation.OTHER)
    residence = models.CharField("人口类型", max_length=12, choices=Registration.choices[:2])
    tags = models.ManyToManyField(CareTag, blank=True, related_name="residents", verbose_name="关爱标签")
    status = models.CharField("状态", max_length=12, choices=ResidentStatus.choices, default=ResidentStatus.ACTIVE)
    status_date = models.DateField("状态日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = "居民"
        verbose_name_plural = "居民"
        indexes = [models.Index(fields=["household", "status"])]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        """Store a validated ID number encrypted, hashed and masked."""
        self.id_number_enc = crypto.encrypt(value)
        self.id_number_hash = crypto.lookup_hash(value)
        self.id_number_masked = codes.mask_id_number(value)

    def set_phone(self, value: str) -> None:
        self.phone_enc = crypto.encrypt(value)
        self.phone_hash = crypto.lookup_hash(value)
        self.phone_masked = codes.mask_phone(value)

    def id_number_plain(self) -> str:
        """Decrypt; only for audited reveals and exports."""
        return crypto.decrypt(self.id_number_enc)

    def phone_plain(self) -> str:
        return crypto.decrypt(self.phone_enc)


class Residency(models.Model):
    """One stay of a resident in a household: history is kept when people move, leave or die."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="residencies")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residencies")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    moved_in = models.DateField("迁入日期")
    moved_out = models.DateField("迁出日期", null=True, blank=True)
    reason = models.CharField("原因", max_length=100, blank=True)

    class Meta:
        ordering = ["resident_id", "moved_in", "id"]
        verbose_name = "居住记录"
        verbose_name_plural = "居住记录"


class CentralHousehold(models.Model):
    """A party-member central household 党员中心户 that looks after up to N households."""

    household = models.OneToOneField(Household, on_delete=models.PROTECT, related_name="as_central")
    leader = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="central_households")
    capacity = models.PositiveSmallIntegerField("联系户上限", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党员中心户"
        verbose_name_plural = "党员中心户"

    def __str__(self) -> str:
        return f"{self.leader.name}（{self.household.address}）"


class CadreKind(models.TextChoices):
    PARTY_MEMBER = "party_member", "党员"
    CADRE = "cadre", "机关干部"


class CadreRegistration(models.Model):
    """A party member or cadre who registered with the village they live in (进村报到)."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="registrations")
    village = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="cadre_registrations")
    kind = models.CharField("类型", max_length=14, choices=CadreKind.choices)
    work_unit = models.CharField("工作单位", max_length=100, blank=True)
    registered_on = models.DateField("报到日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        ordering = ["village_id", "registered_on"]
        verbose_name = "进村报到"
        verbose_name_plural = "进村报到"
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "village"], condition=models.Q(ended_on__isnull=True),
                name="one_open_registration_per_village",
            )
        ]
