"""The campaign's progress curve drawn by the server as inline SVG: no chart library on a phone.

`{% progress_svg curve %}` takes the board's curve (views_field._curve: bucket edges in epoch ms, the
origin and its label, and one cumulative series per line) and draws step lines on a grid with the
count at the top, the origin's dashed line, the first and last times and a legend. A few KB, no script;
colours are SVG attributes, so the Content-Security-Policy (no inline style) has nothing to refuse.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

COLOURS = {"notified": "#d4a72c", "in_place": "#1a7f37", "reached": "#b3261e"}
WIDTH, HEIGHT = 400, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 10, 28, 22


def _when(ms: int, *, with_day: bool) -> str:
    local = timezone.localtime(dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC))
    return local.strftime("%m-%d %H:%M" if with_day else "%H:%M")


def _nice_max(value: int) -> int:
    """The top of the y axis: the count itself rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


@register.simple_tag
def progress_svg(curve: dict) -> str:
    times, series = curve.get("times") or [], curve.get("series") or []
    if len(times) < 2 or not series:
        return ""
    t0, t1 = times[0], times[-1]
    top = _nice_max(max((max(s["data"], default=0) for s in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(ms: int) -> str:
        return f"{LEFT + plot_w * (ms - t0) / ((t1 - t0) or 1):.1f}"

    def y(n: int) -> str:
        return f"{TOP + plot_h * (1 - n / top):.1f}"

    parts = []
    for n in (0, top // 2, top) if top >= 2 else (0, top):  # grid lines and their counts
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d0d7de"/>'
                                 '<text x="{}" y="{}" text-anchor="end" dy="4">{}</text>',
                                 LEFT, y(n), WIDTH - RIGHT, y(n), LEFT - 4, y(n), n))
    ox = x(curve.get("origin", t0))
    parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#656d76" stroke-dasharray="4 3"/>'
                             '<text x="{}" y="{}" dx="3" fill="#656d76">{}</text>',
                             ox, TOP, ox, HEIGHT - BOTTOM, ox, TOP + 10, curve.get("origin_label", "")))
    with_day = _when(t0, with_day=True)[:5] != _when(t1, with_day=True)[:5]
    parts.append(format_html('<text x="{}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text>',
                             LEFT, HEIGHT - 6, _when(t0, with_day=with_day),
                             WIDTH - RIGHT, HEIGHT - 6, _when(t1, with_day=with_day)))
    legend_x = LEFT
    for s in series:
        colour = COLOURS.get(s.get("code"), "#0a58ca")
        points = []
        for i, (ms, n) in enumerate(zip(times, s["data"], strict=False)):
            points.append(f"{x(ms)},{y(n)}")
            if i + 1 < len(times):  # a step: hold the count until the next edge
                points.append(f"{x(times[i + 1])},{y(n)}")
        last = s["data"][-1] if s["data"] else 0
        parts.append(format_html(
            '<polyline data-series="{}" data-last="{}" points="{}" fill="none" stroke="{}" stroke-width="2">'
            '<title>{}：{}</title></polyline>', s.get("code", ""), last, " ".join(points), colour, s["name"], last))
        parts.append(format_html('<rect x="{}" y="6" width="12" height="8" fill="{}"/><text x="{}" y="14">{} {}</text>',
                                 legend_x, colour, legend_x + 16, s["name"], last))
        legend_x += 16 + 12 * len(s["name"]) + 7 * (len(str(last)) + 1) + 14
    body = format_html_join("", "{}", ((p,) for p in parts))
    return mark_safe(format_html('<svg viewBox="0 0 {} {}" width="100%" height="100%" font-size="12" fill="#1f2328" '
                                 'xmlns="http://www.w3.org/2000/svg" focusable="false">{}</svg>', WIDTH, HEIGHT, body))
