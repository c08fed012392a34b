"""Voter cards (选民证): the QR code of a card's token, drawn as inline SVG for the print page. The clerk
scans it at check-in and finds the entry by `Voter.card_token` (a random hex string of ours, never data a
person typed)."""

from __future__ import annotations

import segno
from django.utils.safestring import mark_safe

from shanzhi.elections.models import Voter


def card_qr(voter: Voter) -> str:
    """The card token as an inline SVG QR code (segno draws paths only; the token is 32 hex digits)."""
    token = voter.card_token
    if not token.isalnum() or not token.isascii():
        raise ValueError("card token must be ASCII letters and digits")
    return mark_safe(segno.make(token, error="m").svg_inline(scale=3, border=2, dark="#000", light="#fff"))
