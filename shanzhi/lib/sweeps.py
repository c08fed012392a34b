"""All idempotent background sweeps, run together by `shanzhi serve` and `shanzhi sweep`."""

from __future__ import annotations

import datetime as dt


def sweep_all(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every app's sweep once; return their counts merged."""
    from shanzhi.campaigns.sweep import sweep as campaigns_sweep
    from shanzhi.cases.sweep import sweep as cases_sweep

    return {**cases_sweep(now), **campaigns_sweep(now)}
