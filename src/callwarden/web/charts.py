"""Small bar charts drawn on the server as inline SVG: no script, no library, no network.

Each chart has a ``<title>`` and an ``aria-label`` so a screen reader tells what it shows, and
a table beside it on the page carries the same figures.

>>> svg = bars([("a", 3), ("b", 1)], label="calls")
>>> svg.startswith("<svg") and 'aria-label="calls"' in svg and svg.count("<rect") == 2
True
>>> stacked([("10:00", 2, 1)], ("answered", "not"), label="x").count("<rect")  # 2 + legend
4
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bars", "stacked"]

_COLOURS = ("#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df", "#57606a")
_W, _H, _PAD = 640, 180, 28


def _frame(label: str, body: str, width: int) -> Markup:
    text = escape(label)
    return Markup(  # noqa: S704  (every piece of text in it went through html.escape)
        f'<svg class="chart" viewBox="0 0 {width} {_H + _PAD + 16}" role="img" '
        f'aria-label="{text}" xmlns="http://www.w3.org/2000/svg"><title>{text}</title>'
        f"{body}</svg>"
    )


def _axis(top: float, width: int) -> str:
    return (
        f'<line x1="{_PAD}" y1="{_H}" x2="{width}" y2="{_H}" stroke="#8c959f"/>'
        f'<text x="2" y="12" font-size="11" fill="#24292f">{top:g}</text>'
        f'<text x="2" y="{_H}" font-size="11" fill="#24292f">0</text>'
    )


def _ticks(labels: Sequence[str], step: float, width: int) -> str:
    every = max(1, len(labels) // 12)
    out = []
    for i, name in enumerate(labels):
        if i % every == 0:
            x = _PAD + i * step + step / 2
            out.append(
                f'<text x="{x:.1f}" y="{_H + 14}" font-size="10" text-anchor="middle" '
                f'fill="#24292f">{escape(name)}</text>'
            )
    return "".join(out)


def bars(items: Sequence[tuple[str, float]], *, label: str, colour: str = _COLOURS[0]) -> Markup:
    """One bar per (label, value)."""
    width = max(_W, _PAD + 14 * len(items))
    top = max((v for _, v in items), default=0) or 1
    step = (width - _PAD) / max(1, len(items))
    rects = []
    for i, (name, value) in enumerate(items):
        h = _H * value / top
        rects.append(
            f'<rect x="{_PAD + i * step + 1:.1f}" y="{_H - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(name)}: {value:g}</title></rect>'
        )
    return _frame(
        label,
        _axis(top, width) + "".join(rects) + _ticks([n for n, _ in items], step, width),
        width,
    )


def stacked(
    items: Sequence[tuple[str, float, float]], series: tuple[str, str], *, label: str
) -> Markup:
    """Two series stacked per label (answered below, not answered above)."""
    width = max(_W, _PAD + 6 * len(items))
    top = max((a + b for _, a, b in items), default=0) or 1
    step = (width - _PAD) / max(1, len(items))
    rects = []
    for i, (name, low, high) in enumerate(items):
        x = _PAD + i * step + 0.5
        base: float = _H
        for value, colour, what in ((low, _COLOURS[0], series[0]), (high, _COLOURS[1], series[1])):
            if value <= 0:
                continue
            h = _H * value / top
            rects.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{max(step - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} {escape(what)}: '
                f"{value:g}</title></rect>"
            )
            base -= h
    legend = (
        f'<rect x="{width - 200}" y="2" width="10" height="10" fill="{_COLOURS[0]}"/>'
        f'<text x="{width - 186}" y="11" font-size="11">{escape(series[0])}</text>'
        f'<rect x="{width - 100}" y="2" width="10" height="10" fill="{_COLOURS[1]}"/>'
        f'<text x="{width - 86}" y="11" font-size="11">{escape(series[1])}</text>'
    )
    return _frame(
        label,
        _axis(top, width) + "".join(rects) + legend + _ticks([n for n, *_ in items], step, width),
        width,
    )
