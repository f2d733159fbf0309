"""The report's per-step plots as inline SVG: the mini-batch timeline (one lane per entry-script
process), throughput over time and resource usage. All plots of a step share one time axis and
one left margin, so they line up when stacked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from daskprs.report.svg import (
    Scale,
    esc,
    fmt_number,
    fmt_seconds,
    nice_max,
    num,
    time_axis,
    value_axis,
)
from daskprs.report.view import Attempt, StepView
from daskprs.status import LABELS
from daskprs.status import Attempt as S

WIDTH = 1000
LEFT = 140
RIGHT = 16
# Beyond this many attempts the timeline draws a selection (noted under it): every attempt that
# did not succeed, then the longest ones. A 1,000-unit-wide chart cannot show more, and each
# bar costs ~80 us to render and ~250 bytes of page.
MAX_BARS = 2000

STATUS_COLORS: dict[str, str] = {
    S.RUN_DONE: "#2f9e67",
    "SHORT_RETURN": "#a3b93b",
    S.RUN_EXCEPTION: "#d64545",
    S.RUN_TIMEOUT: "#e8871e",
    S.PROCESS_CRASHED: "#8e44ad",
    S.LOAD_TIMEOUT: "#c9a227",
    S.CANCELLED: "#9aa5b1",
    S.WORKER_LOST: "#5b6b7c",
}
STATUS_LABELS: dict[str, str] = {**LABELS, "SHORT_RETURN": "done, short return"}
PALETTE = ["#2f6fdb", "#e8871e", "#2f9e67", "#d64545", "#8e44ad", "#17a2b8", "#c9a227", "#6c757d"]


def status_key(a: Attempt) -> str:
    return "SHORT_RETURN" if a.short_return else a.status


def _natural(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


@dataclass(frozen=True)
class Window:
    t0: float
    t1: float

    @classmethod
    def of(cls, step: StepView) -> Window | None:
        span = step.window
        if span is None:
            return None
        t0, t1 = span
        return cls(t0, max(t1, t0 + 0.2))

    def x(self) -> Scale:
        return Scale(self.t0, self.t1, LEFT, WIDTH - RIGHT)


def _legend(keys: list[tuple[str, str, str]]) -> str:
    """HTML legend: (css colour, label, extra text)."""
    items = "".join(
        f'<span class="key"><i style="background:{c}"></i>{esc(label)}'
        f"{' <b>' + esc(extra) + '</b>' if extra else ''}</span>"
        for c, label, extra in keys
    )
    return f'<div class="legend">{items}</div>'


# --------------------------------------------------------------------------- timeline


_LANE_H, _BAR_H, _TOP = 24.0, 16.0, 8.0


def timeline(step: StepView, win: Window) -> str:
    """One lane per process, one bar per attempt (the failed ones and the longest when there
    are too many to draw), a legend of statuses and notes on what is not drawn."""
    started = [a for a in step.attempts if a.start is not None]
    drawn = _selected(started)
    lanes = sorted({a.process or "?" for a in drawn}, key=_natural)
    height = _TOP + _LANE_H * max(1, len(lanes)) + 26
    x = win.x()
    y_axis = _TOP + _LANE_H * len(lanes)
    parts = [
        f'<svg class="chart timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="Timeline of mini batches per process">',
        time_axis(x, y_axis, y_axis - _TOP, win.t0),
        *_lanes(lanes),
    ]
    lane_of = {lane: i for i, lane in enumerate(lanes)}
    parts.extend(_bar(a, x, _TOP + lane_of[a.process or "?"] * _LANE_H) for a in drawn)
    parts.append("</svg>")
    return "".join(parts) + _timeline_legend(started) + _timeline_note(step, started, drawn)


def _lanes(lanes: list[str]) -> list[str]:
    parts = []
    for i, lane in enumerate(lanes):
        y = _TOP + i * _LANE_H
        if i % 2 == 0:
            parts.append(
                f'<rect class="lane" x="{LEFT}" y="{y}" width="{WIDTH - LEFT - RIGHT}" '
                f'height="{_LANE_H}"/>'
            )
        parts.append(
            f'<text class="lane-label" x="{LEFT - 8}" y="{y + _LANE_H / 2}" text-anchor="end" '
            f'dominant-baseline="middle">{esc(lane)}</text>'
        )
    return parts


def _bar(a: Attempt, x: Scale, lane_y: float) -> str:
    """One attempt's bar, its tooltip, and its label when the bar is wide enough."""
    assert a.start is not None
    x0 = x(a.start)
    w = max(2.0, x(a.start + a.elapsed) - x0)
    y = lane_y + (_LANE_H - _BAR_H) / 2.0
    key = status_key(a)
    tip = (
        f"mini batch {a.mini_batch_id}, attempt {a.attempt}: {STATUS_LABELS.get(key, key)}"
        f"\n{a.process} · {fmt_seconds(a.elapsed)} (run() {fmt_seconds(a.run_seconds)})"
        f" · {a.succeeded}/{a.total} items"
        f"{chr(10) + a.error if a.error else ''}"
    )
    out = (
        f'<rect class="mb-bar" data-mini-batch="{a.mini_batch_id}" '
        f'data-attempt="{a.attempt}" data-status="{esc(a.status)}" x="{num(x0)}" '
        f'y="{num(y)}" width="{num(w)}" height="{_BAR_H}" rx="3" '
        f'fill="{STATUS_COLORS.get(key, "#6c757d")}"><title>{esc(tip)}</title></rect>'
    )
    label = str(a.mini_batch_id) + (f"·{a.attempt}" if a.attempt > 1 else "")
    if w >= 8 * len(label) + 6:
        out += (
            f'<text class="bar-label" x="{num(x0 + w / 2)}" y="{num(y + _BAR_H / 2)}" '
            f'text-anchor="middle" dominant-baseline="central">{esc(label)}</text>'
        )
    return out


def _timeline_legend(started: list[Attempt]) -> str:
    counts: dict[str, int] = {}
    for a in started:
        counts[status_key(a)] = counts.get(status_key(a), 0) + 1
    return _legend(
        [
            (STATUS_COLORS.get(k, "#6c757d"), STATUS_LABELS.get(k, k), str(n))
            for k, n in sorted(counts.items(), key=lambda kv: list(STATUS_COLORS).index(kv[0]))
            if k in STATUS_COLORS
        ]
        + [("#6c757d", k, str(n)) for k, n in counts.items() if k not in STATUS_COLORS]
    )


def _timeline_note(step: StepView, started: list[Attempt], drawn: list[Attempt]) -> str:
    notes = []
    if len(started) > len(drawn):
        notes.append(
            f"Showing {len(drawn)} of {len(started)} attempts: every one that did not succeed, "
            "then the longest."
        )
    if len(step.attempts) > len(started):
        notes.append(f"{len(step.attempts) - len(started)} attempts have no start time.")
    return f'<p class="note">{esc(" ".join(notes))}</p>' if notes else ""


def _selected(started: list[Attempt]) -> list[Attempt]:
    """What the timeline draws, in time order: all, or at most MAX_BARS of them."""
    if len(started) > MAX_BARS:
        ranked = sorted(started, key=lambda a: (status_key(a) == "RUN_DONE", -a.elapsed))
        started = ranked[:MAX_BARS]
    return sorted(started, key=lambda a: (a.start or 0.0, a.mini_batch_id))


# --------------------------------------------------------------------------- line charts


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]]
    color: str = ""
    step: bool = False  # draw as a step function (cumulative counts)


def _thin(points: list[tuple[float, float]], limit: int = 1200) -> list[tuple[float, float]]:
    """Every k-th point (and the last) when there are more than ``limit``: a plot 1000 units
    wide shows no more."""
    if len(points) <= limit:
        return points
    k = -(-len(points) // limit)
    return points[::k] + ([points[-1]] if (len(points) - 1) % k else [])


def line_chart(
    series: list[Series], win: Window, unit: str = "", y_max: float | None = None, height: int = 170
) -> str:
    series = [s for s in series if s.points]
    if not series:
        return '<p class="empty">No samples.</p>'
    top, bottom = 10, height - 24
    top_value = max(v for s in series for _, v in s.points)
    y = Scale(0.0, y_max if y_max is not None else nice_max(top_value * 1.05), bottom, top)
    x = win.x()
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img">',
        value_axis(y, LEFT, WIDTH - RIGHT, unit),
        time_axis(x, bottom, bottom - top, win.t0),
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>',
    ]
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        pts = _thin(sorted(s.points))
        coords: list[tuple[float, float]] = []
        for j, (t, v) in enumerate(pts):
            if s.step and j:
                coords.append((x(t), y(pts[j - 1][1])))
            coords.append((x(t), y(v)))
        path = " ".join(f"{num(px)},{num(py)}" for px, py in coords)
        parts.append(
            f'<polyline class="series" fill="none" stroke="{color}" points="{path}">'
            f"<title>{esc(s.label)}</title></polyline>"
        )
        if len(pts) <= 60:
            for t, v in pts:
                parts.append(
                    f'<circle cx="{num(x(t))}" cy="{num(y(v))}" r="2.6" fill="{color}">'
                    f"<title>{esc(s.label)}: {esc(fmt_number(v))}{esc(unit)} at "
                    f"{esc(fmt_seconds(t - win.t0))}</title></circle>"
                )
    parts.append("</svg>")
    legend = _legend(
        [(s.color or PALETTE[i % len(PALETTE)], s.label, "") for i, s in enumerate(series)]
    )
    return "".join(parts) + (legend if len(series) > 1 else "")


def throughput(step: StepView, win: Window) -> str:
    """Cumulative finished mini batches (done / failed attempts) and succeeded items."""
    ended = sorted((a for a in step.attempts if a.end is not None), key=lambda a: a.end or 0.0)
    if not ended:
        return '<p class="empty">No mini batch has finished yet.</p>'
    done: list[tuple[float, float]] = [(win.t0, 0.0)]
    failed: list[tuple[float, float]] = [(win.t0, 0.0)]
    items: list[tuple[float, float]] = [(win.t0, 0.0)]
    n_done = n_failed = n_items = 0
    for a in ended:
        assert a.end is not None
        if a.is_failure:
            n_failed += 1
            failed.append((a.end, n_failed))
        else:
            n_done += 1
            done.append((a.end, n_done))
        n_items += a.succeeded
        items.append((a.end, n_items))
    span = max(1e-9, (ended[-1].end or win.t0) - win.t0)
    rate = f"{n_items / span:,.0f} items/s, {len(ended) / span:,.2f} mini batches/s on average"
    charts = line_chart(
        [
            Series("attempts done", done, STATUS_COLORS["RUN_DONE"], step=True),
            Series("attempts failed", failed, STATUS_COLORS["RUN_EXCEPTION"], step=True),
        ],
        win,
        height=150,
    )
    item_chart = line_chart(
        [Series("succeeded items", items, "#2f6fdb", step=True)], win, height=150
    )
    return (
        f'<p class="caption">{esc(rate)}</p>'
        f'<div class="sub">Mini-batch attempts finished (cumulative)</div>{charts}'
        f'<div class="sub">Succeeded items (cumulative)</div>{item_chart}'
    )


def resources(step: StepView, win: Window) -> str:
    cpu, mem, rss = [], [], []
    for node, tables in sorted(step.perf.items()):
        node_table = tables.get("node_resource_usage.csv")
        if node_table is not None:
            cpu.append(Series(node, node_table.series("cpu_percent")))
            mem.append(Series(node, node_table.series("memory_used_mb")))
        procs = tables.get("processes_resource_usage.csv")
        if procs is not None:
            names = sorted({r.get("process", "") for r in procs.rows}, key=_natural)
            for name in names:
                rss.append(Series(f"{node}/{name}", procs.series("rss_mb", {"process": name})))
    if not cpu and not rss:
        return (
            '<p class="empty">No resource samples (sys/perf is empty; '
            "--resource_monitor_interval 0 turns it off).</p>"
        )
    out = []
    if cpu:
        out.append('<div class="sub">Node CPU (%)</div>' + line_chart(cpu, win, "%", 100.0))
        out.append('<div class="sub">Node memory used (MB)</div>' + line_chart(mem, win))
    if rss:
        out.append(
            '<div class="sub">Entry-script process memory, RSS (MB)</div>' + line_chart(rss, win)
        )
    return "".join(out)
