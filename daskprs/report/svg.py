"""Small SVG building blocks for the report: scales, ticks, axes and escaping (stdlib only)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def num(x: float) -> str:
    """A compact coordinate."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if math.isfinite(x) else "0"


@dataclass(frozen=True)
class Scale:
    """Linear map from the domain [d0, d1] to the range [r0, r1]."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, x: float) -> float:
        span = self.d1 - self.d0
        if span <= 0:
            return self.r0
        return self.r0 + (x - self.d0) / span * (self.r1 - self.r0)


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def nice_max(value: float) -> float:
    """A round upper bound >= value (for y axes starting at 0)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    mag = 10 ** math.floor(math.log10(value))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * mag >= value:
            return m * mag
    return 10 * mag


def fmt_seconds(s: float) -> str:
    if abs(s) >= 3600:
        return f"{s / 3600:.4g} h"
    if abs(s) >= 120:
        return f"{s / 60:.4g} min"
    return f"{s:.4g} s"


def fmt_number(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.3g}k"
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.3g}"


def time_axis(x: Scale, y: float, height: float, t0: float) -> str:
    """Vertical grid lines and labels (seconds since ``t0``) along the bottom at ``y``."""
    parts = []
    for tick in nice_ticks(x.d0 - t0, x.d1 - t0, 8):
        px = num(x(tick + t0))
        parts.append(
            f'<line class="grid" x1="{px}" y1="{num(y - height)}" x2="{px}" y2="{num(y)}"/>'
            f'<text class="tick" x="{px}" y="{num(y + 14)}" text-anchor="middle">'
            f"{esc(fmt_seconds(tick))}</text>"
        )
    return "".join(parts)


def value_axis(y: Scale, x0: float, x1: float, unit: str = "") -> str:
    parts = []
    for tick in nice_ticks(min(y.d0, y.d1), max(y.d0, y.d1), 4):
        py = num(y(tick))
        parts.append(
            f'<line class="grid" x1="{num(x0)}" y1="{py}" x2="{num(x1)}" y2="{py}"/>'
            f'<text class="tick" x="{num(x0 - 6)}" y="{py}" text-anchor="end" '
            f'dominant-baseline="middle">{esc(fmt_number(tick))}{esc(unit)}</text>'
        )
    return "".join(parts)
