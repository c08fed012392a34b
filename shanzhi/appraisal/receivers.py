"""The panel's topics are decided by the council engine: its decision reaches this app here."""

from __future__ import annotations

from shanzhi.appraisal import services


def topic_decided(sender, *, decision, actor=None, now=None, **kwargs) -> None:
    """An adopted nomination goes on the honour roll; a complaint gets its remedy (inside the decision's
    transaction, so the decision and the honour roll commit together)."""
    if decision.topic.kind not in ("nomination", "complaint"):
        return
    services.decision_apply(decision=decision, actor=actor, now=now)
