"""Signals other apps listen to, so cases never import them (mediation picks up dispute cases)."""

from django.dispatch import Signal

# Sent inside the step's transaction after a timeline event: sender=Case, case=..., action="report" | "escalate" | ...
case_event = Signal()
