"""Signals other apps listen to (the moral-appraisal panel puts an adopted nomination on the honour roll)."""

from django.dispatch import Signal

# sent by the decision service inside its transaction, after the Decision row and the topic's "decide" step:
# topic_decided.send(sender=Decision, decision=decision, actor=actor, now=now)
topic_decided = Signal()
# sent when a topic reaches "done" (every case and task of its decision finished)
topic_done = Signal()
