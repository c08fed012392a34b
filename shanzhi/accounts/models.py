"""Users (staff with passwords, residents with phone codes) and one-time login codes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class UserKind(models.TextChoices):
    STAFF = "staff", "工作人员"
    RESIDENT = "resident", "居民"


class User(AbstractUser):
    kind = models.CharField("账号类型", max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    resident = models.OneToOneField(
        "people.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="user"
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class OneTimeCode(models.Model):
    """A login code sent by SMS; stored hashed, expires, limited attempts."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
