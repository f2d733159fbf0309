"""The pipeline graph: one box per step, in columns by dependency depth, edges from the steps
whose outputs a step consumes, coloured by status; each box links to the step's section."""

from __future__ import annotations

from daskprs.report.svg import esc, num
from daskprs.report.view import StepView

STEP_COLORS = {
    "Completed": ("#e7f6ee", "#2f9e67"),
    "Failed": ("#fdecec", "#d64545"),
    "Running": ("#e8f0fd", "#2f6fdb"),
    "Skipped": ("#f1f3f5", "#868e96"),
    "Not started": ("#f8f9fa", "#adb5bd"),
    "Not run": ("#f8f9fa", "#adb5bd"),
}
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 210, 64, 70, 22, 16


def depths(steps: list[StepView]) -> dict[str, int]:
    names = {s.name for s in steps}
    deps = {s.name: [d for d in s.depends_on if d in names] for s in steps}
    depth: dict[str, int] = {}

    def visit(name: str, seen: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        if name in seen:  # a cycle cannot run; do not loop on it
            return 0
        d = 1 + max((visit(p, seen | {name}) for p in deps[name]), default=-1)
        depth[name] = d
        return d

    for s in steps:
        visit(s.name, frozenset())
    return depth


def anchor(name: str) -> str:
    return "step-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts_line(step: StepView) -> str:
    c = step.counts
    if "mini_batches" in c:
        text = f"{c.get('processed_mini_batches', 0)}/{c['mini_batches']} mini batches"
        if c.get("failed_mini_batches"):
            text += f", {c['failed_mini_batches']} failed"
        return text
    return step.kind or "step"


def pipeline_graph(steps: list[StepView]) -> str:
    if not steps:
        return '<p class="empty">No steps recorded.</p>'
    depth = depths(steps)
    columns: dict[int, list[StepView]] = {}
    for s in steps:
        columns.setdefault(depth[s.name], []).append(s)
    rows = max(len(col) for col in columns.values())
    width = PAD * 2 + len(columns) * BOX_W + (len(columns) - 1) * GAP_X
    height = PAD * 2 + rows * BOX_H + (rows - 1) * GAP_Y
    pos: dict[str, tuple[float, float]] = {}
    for d, col in sorted(columns.items()):
        offset = (height - (len(col) * BOX_H + (len(col) - 1) * GAP_Y)) / 2
        for i, s in enumerate(col):
            pos[s.name] = (PAD + d * (BOX_W + GAP_X), offset + i * (BOX_H + GAP_Y))
    parts = [
        f'<svg class="graph" viewBox="0 0 {width} {height}" width="{width}" '
        f'style="max-width:100%" role="img" aria-label="Pipeline graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#868e96"/></marker></defs>',
    ]
    for s in steps:
        for dep in s.depends_on:
            if dep not in pos:
                continue
            x1, y1 = pos[dep][0] + BOX_W, pos[dep][1] + BOX_H / 2
            x2, y2 = pos[s.name][0], pos[s.name][1] + BOX_H / 2
            mid = (x1 + x2) / 2
            parts.append(
                f'<path class="edge" d="M{num(x1)},{num(y1)} C{num(mid)},{num(y1)} '
                f'{num(mid)},{num(y2)} {num(x2 - 2)},{num(y2)}" marker-end="url(#arrow)"/>'
            )
    for s in steps:
        x, y = pos[s.name]
        fill, stroke = STEP_COLORS.get(s.status, ("#f8f9fa", "#adb5bd"))
        parts.append(
            f'<a href="#{anchor(s.name)}"><g class="step-node" data-step="{esc(s.name)}" '
            f'data-status="{esc(s.status)}">'
            f'<rect x="{num(x)}" y="{num(y)}" width="{BOX_W}" height="{BOX_H}" rx="10" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
            f'<rect x="{num(x)}" y="{num(y)}" width="7" height="{BOX_H}" rx="3" fill="{stroke}"/>'
            f'<text class="node-name" x="{num(x + 18)}" y="{num(y + 22)}">{esc(_short(s.name))}</text>'
            f'<text class="node-status" x="{num(x + 18)}" y="{num(y + 40)}" fill="{stroke}">'
            f"{esc(s.status)}"
            f'<tspan class="node-kind" fill="#6c757d"> · {esc(s.kind or "step")}</tspan></text>'
            f'<text class="node-counts" x="{num(x + 18)}" y="{num(y + 56)}">'
            f"{esc(_counts_line(s))}</text>"
            f"<title>{esc(s.name)}: {esc(s.status)}{' - ' + esc(s.cause) if s.cause else ''}"
            "</title></g></a>"
        )
    parts.append("</svg>")
    return "".join(parts)
