"""Daily and monthly roll-ups behind the case and mediation indicators (see dashboard.rollups).

Every row is stored for the unit a case or dispute belongs to (its leaf) AND for every ancestor, at the
day and the month grain (a month row is keyed by its first day), so a unit's figure over a period is a
sum of its own rows: whole months from month rows, edge days from day rows. Counts are plain integers
(not Positive...: increments carry negative differences through INSERT ... ON CONFLICT, and a CHECK
would refuse the proposed row before the conflict is resolved). All-zero rows are deleted.
"""

from __future__ import annotations

from django.db import models

from shanzhi.cases.indicators import COUNTS


class Grain(models.TextChoices):
    DAY = "d", "日"
    MONTH = "m", "月"


class Measure(models.TextChoices):
    CASE_FIRST_RESPONSE = "case_first_response", "首次响应"
    CASE_CLOSE = "case_close", "办结"
    DISPUTE_RESOLVE = "dispute_resolve", "化解"


CASE_COUNT_FIELDS = tuple(COUNTS)
DISPUTE_COUNT_FIELDS = ("accepted", "resolved", "first_time", "on_time", "in_village", "in_town", "repeats",
                        "petitions")


class CaseRollup(models.Model):
    """Case counts (cases.indicators.COUNTS) of one unit's subtree, one category, one day or month."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("cases.Category", on_delete=models.CASCADE, related_name="+")
    reported = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    rework_base = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    closed_in_village = models.IntegerField(default=0)
    closed_in_town = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "day", "unit", "category"],
                                               name="case_rollup_key")]
        indexes = [models.Index(fields=["grain", "unit", "day"], name="case_rollup_sum")]


class DisputeRollup(models.Model):
    """Dispute counts of one unit's subtree (by the first centre's unit), one registered day or month."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+")
    accepted = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    first_time = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    in_village = models.IntegerField(default=0)
    in_town = models.IntegerField(default=0)
    repeats = models.IntegerField(default=0)
    petitions = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "day", "unit"], name="dispute_rollup_key")]
        indexes = [models.Index(fields=["grain", "unit", "day"], name="dispute_rollup_sum")]


class DurationRollup(models.Model):
    """How many durations of a measure fell in each log-scale bucket (dashboard.rollups.bucket_of)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=20, choices=Measure.choices)
    bucket = models.SmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "day", "unit", "measure", "bucket"],
                                               name="duration_rollup_key")]
        indexes = [models.Index(fields=["grain", "unit", "day"], name="duration_rollup_sum")]


# The grid evaluation's configuration (kept in its own module, named here so Django finds the models).
from shanzhi.dashboard.evaluation_models import EvaluationScheme, EvaluationWeight, Mapping  # noqa: E402,F401
