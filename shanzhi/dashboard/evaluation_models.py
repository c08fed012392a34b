"""The grid evaluation's configuration (网格考核方案): weights per indicator and grade thresholds.

Self-contained (no foreign key outside these two models), so the dashboard's models can be merged around it.
"""

from __future__ import annotations

from django.db import models


class Mapping(models.TextChoices):
    """How an indicator's value becomes points out of 100."""

    SHARE = "share", "比例×100（越高越好）"
    SHARE_INVERSE = "share_inverse", "100−比例×100（越低越好）"
    TARGET_LIMIT = "target_limit", "目标值得满分，限值得 0 分，之间线性"


class EvaluationScheme(models.Model):
    name = models.CharField("方案名称", max_length=100)
    active = models.BooleanField("启用", default=True)
    # The first day of the first month the scheme applies to; a month uses the latest active scheme
    # that has started.
    effective_from = models.DateField("生效月份")
    # The lowest total (0..100) of each grade; below grade_d is E.
    grade_a = models.DecimalField("A 级最低分", max_digits=5, decimal_places=1, default=90)
    grade_b = models.DecimalField("B 级最低分", max_digits=5, decimal_places=1, default=80)
    grade_c = models.DecimalField("C 级最低分", max_digits=5, decimal_places=1, default=70)
    grade_d = models.DecimalField("D 级最低分", max_digits=5, decimal_places=1, default=60)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        app_label = "dashboard"
        ordering = ["-effective_from", "-id"]
        verbose_name = "网格考核方案"
        verbose_name_plural = "网格考核方案"

    def __str__(self) -> str:
        return self.name

    @property
    def thresholds(self) -> list[tuple[str, float]]:
        """(grade, lowest total) from A to D."""
        return [("A", float(self.grade_a)), ("B", float(self.grade_b)), ("C", float(self.grade_c)),
                ("D", float(self.grade_d))]


class EvaluationWeight(models.Model):
    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.CASCADE, related_name="weights",
                               verbose_name="方案")
    indicator_key = models.CharField("指标", max_length=100)  # a registry key ("cases.on_time_rate")
    weight = models.DecimalField("权重", max_digits=5, decimal_places=1)  # the weights of a scheme sum to 100
    mapping = models.CharField("计分方式", max_length=16, choices=Mapping.choices, default=Mapping.SHARE)
    target = models.FloatField("目标值", null=True, blank=True)  # TARGET_LIMIT only: 100 points here ...
    limit = models.FloatField("限值", null=True, blank=True)  # ... 0 points here, linear between
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        app_label = "dashboard"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "indicator_key"], name="evaluation_weight_unique_key")]
        verbose_name = "考核指标权重"
        verbose_name_plural = "考核指标权重"

    def __str__(self) -> str:
        return f"{self.indicator_key} {self.weight}"


__all__ = ["EvaluationScheme", "EvaluationWeight", "Mapping"]
