"""The report's stylesheet, inlined into report.html (kept as a string: no package data)."""

CSS = """\
:root {
  --fg: #1f2933; --muted: #6c757d; --line: #e3e7eb; --bg: #f4f6f8; --card: #fff;
  --ok: #2f9e67; --bad: #d64545; --run: #2f6fdb; --skip: #868e96;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
a { color: var(--run); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header.top { background: #1f2933; color: #fff; padding: 18px 32px 16px; border-bottom: 5px solid var(--skip); }
header.top.st-Completed { border-bottom-color: var(--ok); }
header.top.st-Failed { border-bottom-color: var(--bad); }
header.top.st-Running { border-bottom-color: var(--run); }
.brand { font-size: 12px; letter-spacing: .08em; text-transform: uppercase; color: #9aa5b1; }
.headline { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; margin: 2px 0 8px; }
h1 { font-size: 24px; margin: 0; font-weight: 650; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 26px; margin: 0; font-size: 13px; color: #cbd2d9; }
.meta div { display: flex; gap: 6px; }
.meta dt { color: #9aa5b1; }
.meta dd { margin: 0; color: #fff; word-break: break-all; }
main { max-width: 1180px; margin: 0 auto; padding: 22px 24px 40px; }
.pill { display: inline-block; padding: 2px 11px; border-radius: 999px; font-size: 12.5px; font-weight: 650;
  background: #e9ecef; color: #495057; vertical-align: middle; }
.pill.st-Completed { background: #d3f0e0; color: #1e7a4c; }
.pill.st-Failed { background: #fbd9d9; color: #a82828; }
.pill.st-Running { background: #dae6fb; color: #1f56b8; }
header .pill { font-size: 14px; padding: 3px 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px;
  margin: 0 0 20px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.card > h2 { margin: 0 0 12px; font-size: 18px; display: flex; align-items: center; gap: 10px; }
h3 { font-size: 14px; margin: 22px 0 8px; color: #334e68; text-transform: uppercase; letter-spacing: .04em; }
.alert { border-left: 6px solid var(--bad); background: #fff7f7; }
.alert h2 { color: #a82828; }
.alert .cause { font-size: 16px; font-weight: 600; margin: 4px 0; }
.alert .where { margin: 2px 0 10px; color: #52606d; }
.notice { border-left: 6px solid var(--run); background: #f5f8ff; }
.notice.warn { border-left-color: #c9a227; background: #fffbea; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 4px 0 14px; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: #fbfcfd; }
.stat .v { font-size: 20px; font-weight: 650; }
.stat .k { font-size: 12px; color: var(--muted); }
.stat.bad .v { color: var(--bad); }
.stat.ok .v { color: var(--ok); }
pre.result { background: #f8f9fa; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px;
  white-space: pre-wrap; margin: 0; }
pre.result.failed { background: #fff5f5; border-color: #f3c4c4; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f8f9fa; }
table.kv td:first-child { font-family: ui-monospace, Menlo, "DejaVu Sans Mono", monospace; font-size: 12.5px; white-space: nowrap; }
table.kv td.default { color: var(--muted); }
table.kv td.default::after { content: " (default)"; font-size: 11px; }
details summary { cursor: pointer; color: #334e68; font-weight: 600; margin: 8px 0; }
details pre { background: #f8f9fa; border: 1px solid var(--line); border-radius: 8px; padding: 10px; overflow: auto; }
svg.chart { width: 100%; height: auto; display: block; }
svg.graph { display: block; margin: 4px auto; height: auto; }
svg .grid { stroke: #edf0f2; stroke-width: 1; }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .tick { font-size: 11px; fill: #7b8794; }
svg .lane { fill: #f6f8fa; }
svg .lane-label { font-size: 11.5px; fill: #52606d; font-family: ui-monospace, Menlo, "DejaVu Sans Mono", monospace; }
svg .bar-label { font-size: 10px; fill: #fff; font-weight: 600; pointer-events: none; }
svg .mb-bar:hover { stroke: #1f2933; stroke-width: 1.5; }
svg .series { stroke-width: 2; stroke-linejoin: round; }
svg .edge { fill: none; stroke: #868e96; stroke-width: 2; }
svg .node-name { font-size: 15px; font-weight: 700; fill: #1f2933; }
svg .node-status { font-size: 12.5px; font-weight: 650; }
svg .node-counts { font-size: 11.5px; fill: #52606d; }
svg a:hover rect:first-child { filter: brightness(0.97); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; color: #52606d; margin: 4px 0 0 140px; }
.legend .key { display: inline-flex; align-items: center; gap: 6px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; }
.sub { font-size: 12.5px; color: #52606d; margin: 10px 0 2px; font-weight: 600; }
.caption, .note, .empty { color: var(--muted); font-size: 12.5px; margin: 2px 0 6px; }
table.failures { table-layout: fixed; }
table.failures th:nth-child(1) { width: 70px; }
table.failures th:nth-child(2) { width: 140px; }
table.failures th:nth-child(3) { width: 172px; }
table.failures td:nth-child(3) { white-space: nowrap; }
table.failures th:nth-child(5) { width: 210px; }
table.failures td { overflow-wrap: anywhere; }
table.failures .line { font-weight: 600; color: #a82828; margin-bottom: 4px; word-break: break-word; }
table.failures pre { margin: 0; background: #fff5f5; border: 1px solid #f3c4c4; border-radius: 6px; padding: 6px 8px;
  max-height: 170px; overflow: auto; white-space: pre; font-size: 11.5px; }
tr.recovered td { color: #52606d; }
tr.recovered .line { color: #b7791f; }
.outcome { font-weight: 650; white-space: nowrap; }
.outcome.failed { color: var(--bad); }
.outcome.recovered { color: var(--ok); }
ul.links { margin: 0; padding-left: 18px; columns: 2; }
ul.errors { margin: 0; padding-left: 18px; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 0 0 30px; }
"""
