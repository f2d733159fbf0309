"""The report page: one self-contained HTML document (inline CSS and SVG, no script, no
network) built from a :class:`~daskprs.report.view.RunView`."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from daskprs.report.charts import Window, resources, throughput, timeline
from daskprs.report.graph import anchor, pipeline_graph
from daskprs.report.rundir import rel_href
from daskprs.report.settings import Setting
from daskprs.report.style import CSS
from daskprs.report.svg import esc, fmt_seconds
from daskprs.report.view import Failure, RunView, StepView, parse_time
from daskprs.status import LABELS

MAX_FAILURE_ROWS = 200
_ABS_PATH = re.compile(r"(?<![\w/])(/[^\s\"'<>]+?)(?=[.,;:)]?(?:\s|$))")
_LOG_REL = re.compile(r"^((?:user|sys)/[^:\s]+):")


def _utc(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _status_class(status: str) -> str:
    return "st-" + re.sub(r"[^A-Za-z]", "", status)


def _pill(status: str, extra: str = "") -> str:
    return f'<span class="pill {_status_class(status)}"{extra}>{esc(status)}</span>'


def linkify(text: str, run_dir: str) -> str:
    """Escape ``text``; absolute paths inside the run dir become relative links."""
    out, last = [], 0
    for m in _ABS_PATH.finditer(text):
        href = rel_href(run_dir, m.group(1)) if m.group(1).startswith(run_dir) else ""
        if not href:
            continue
        out.append(esc(text[last : m.start(1)]))
        out.append(f'<a href="{href}">{esc(os.path.relpath(m.group(1), run_dir))}</a>')
        last = m.end(1)
    out.append(esc(text[last:]))
    return "".join(out)


# --------------------------------------------------------------------------- header, alerts


def _header(run: RunView) -> str:
    meta = [("Run dir", run.run_dir)]
    if run.display_name and run.display_name != run.name:
        meta.insert(0, ("Job", run.name))
    if run.source:
        meta.append(("Source", run.source))
    if run.seconds is not None and run.status != "Running":
        meta.append(("Duration", fmt_seconds(run.seconds)))
    if run.updated:
        updated = parse_time(run.updated)
        meta.append(("Updated", _utc(updated) if updated is not None else run.updated))
    cluster = run.cluster
    if cluster:
        text = str(cluster.get("kind", ""))
        if cluster.get("workers"):
            text += f", {cluster['workers']} workers"
        if cluster.get("address"):
            text += f" ({cluster['address']})"
        meta.append(("Cluster", text))
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
    desc = f'<p class="meta">{esc(run.description)}</p>' if run.description else ""
    return (
        f'<header class="top {_status_class(run.status)}"><div class="brand">daskprs run report'
        f'</div><div class="headline"><h1 id="job-name">{esc(run.display_name or run.name)}</h1>'
        f"{_pill(run.status, ' id=' + chr(34) + 'job-status' + chr(34))}</div>"
        f'{desc}<dl class="meta">{items}</dl></header>'
    )


def _failure_alert(run: RunView) -> str:
    failed = [s for s in run.steps if s.status == "Failed"]
    if run.status != "Failed" and not failed:
        return ""
    rows = []
    for s in failed:
        cause = s.cause or (s.result_lines[0] if s.result_lines else "the step failed")
        where = ""
        if len(s.result_lines) > 1 and s.result_lines[0] == cause:
            where = f'<p class="where">{linkify(" ".join(s.result_lines[1:]), run.run_dir)}</p>'
        elif s.result_lines:
            where = f'<p class="where">{linkify(" ".join(s.result_lines), run.run_dir)}</p>'
        rows.append(
            f'<p class="cause"><a href="#{anchor(s.name)}">{esc(s.name)}</a>: '
            f'<span class="cause-text">{esc(cause)}</span></p>{where}'
        )
    skipped = [s for s in run.steps if s.status == "Skipped"]
    if skipped:
        names = ", ".join(s.name for s in skipped)
        rows.append(f'<p class="where">Not run because of the failure: {esc(names)}.</p>')
    if not rows:
        rows.append('<p class="cause">The job failed; no step recorded a cause.</p>')
    return (
        f'<section class="card alert" id="failure"><h2>Why it failed</h2>{"".join(rows)}</section>'
    )


def _notices(run: RunView) -> str:
    out = []
    if run.status == "Running":
        out.append(
            '<section class="card notice" id="running"><strong>This run was still running</strong>'
            " when this report was written; counts are the ones recorded so far. Run "
            f"<code>python -m daskprs.report {esc(run.run_dir)}</code> again to refresh it.</section>"
        )
    if run.problems:
        items = "".join(f"<li>{esc(p)}</li>" for p in run.problems)
        out.append(
            f'<section class="card notice warn"><strong>Some files could not be read</strong>'
            f"<ul>{items}</ul></section>"
        )
    return "".join(out)


# --------------------------------------------------------------------------- a step


def _stats(step: StepView) -> str:
    c = step.counts
    cards: list[tuple[str, str, str]] = []
    if "mini_batches" in c:
        cards.append(
            (
                f"{c.get('processed_mini_batches', 0)}/{c['mini_batches']}",
                "mini batches processed",
                "",
            )
        )
        failed = c.get("failed_mini_batches", 0)
        cards.append((str(failed), "failed mini batches", "bad" if failed else "ok"))
        cards.append((str(c.get("retried", 0)), "retried attempts", ""))
        cards.append((f"{c.get('succeeded_items', 0):,}", "items succeeded", ""))
        failed_items = c.get("failed_items", 0)
        cards.append((f"{failed_items:,}", "items failed", "bad" if failed_items else "ok"))
        if c.get("init_failures"):
            cards.append((str(c["init_failures"]), "init() failures", "bad"))
    if step.seconds is not None:
        cards.append((fmt_seconds(step.seconds), "duration", ""))
    if not cards:
        return ""
    note = "" if step.counts_final else '<p class="note">Counted from the attempts so far.</p>'
    body = "".join(
        f'<div class="stat {cls}"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div></div>'
        for v, k, cls in cards
    )
    return f'<div class="stats">{body}</div>{note}'


def _kv_table(rows: list[Setting], title: str) -> str:
    if not rows:
        return ""
    body = "".join(
        f'<tr><td>{esc(r.key)}</td><td class="{"default" if r.default else ""}">'
        f"{esc(r.value)}</td></tr>"
        for r in rows
    )
    return f'<div><div class="sub">{esc(title)}</div><table class="kv">{body}</table></div>'


def _settings(step: StepView) -> str:
    s = step.settings
    if s is None:
        return ""
    tables = _kv_table(s.settings, "Step settings") + _kv_table(s.arguments, "Runtime arguments")
    yaml_block = (
        f"<details><summary>The step's YAML</summary><pre>{esc(s.yaml_text)}</pre></details>"
        if s.yaml_text
        else ""
    )
    return f'<h3>Settings</h3><div class="grid2">{tables}</div>{yaml_block}'


def _attempt_chain(f: Failure) -> str:
    return " → ".join(
        f"{a.attempt}: {LABELS.get(a.status, a.status)}" + (" (short)" if a.short_return else "")
        for a in f.attempts
    )


def _failures(step: StepView) -> str:
    if not step.failures:
        return ""
    ordered = sorted(step.failures, key=lambda f: (not f.final_failed, f.mini_batch_id))
    rows = []
    for f in ordered[:MAX_FAILURE_ROWS]:
        bad = f.last_failed
        line = bad.error or (
            f"{bad.total - bad.succeeded} of {bad.total} items missing from the return value"
            if bad.short_return
            else bad.status
        )
        excerpt = f"<pre>{esc(f.excerpt)}</pre>" if f.excerpt else ""
        link = f'<a href="{f.link}">{esc(f.link_label)}</a>' if f.link else ""
        outcome = "failed" if f.final_failed else "recovered"
        shown = "failed so far" if f.final_failed and step.status == "Running" else outcome
        rows.append(
            f'<tr class="failure {outcome}" data-mini-batch="{f.mini_batch_id}">'
            f'<td class="mono">{f.mini_batch_id}</td>'
            f'<td><span class="outcome {outcome}">{shown}</span><br>'
            f'<span class="note">{esc(_attempt_chain(f))}</span></td>'
            f'<td class="mono">{esc(bad.process)}</td>'
            f'<td class="err"><div class="line">{esc(line)}</div>{excerpt}</td>'
            f'<td class="mono">{link}</td></tr>'
        )
    more = ""
    if len(ordered) > MAX_FAILURE_ROWS:
        more = f'<p class="note">{len(ordered) - MAX_FAILURE_ROWS} more not shown; see the CSV.</p>'
    n_failed = sum(1 for f in step.failures if f.final_failed)
    n_rec = len(step.failures) - n_failed
    return (
        f'<h3>Failed mini batches</h3><p class="caption">{n_failed} failed, {n_rec} recovered '
        'on a retry.</p><table class="failures"><tr><th>Mini batch</th><th>Outcome · attempts'
        "</th><th>Process</th><th>Error (end of the traceback)</th><th>Open</th></tr>"
        f"{''.join(rows)}</table>{more}"
    )


def _error_lines(step: StepView, run: RunView) -> str:
    if not step.error_lines:
        return ""
    items = []
    for line in step.error_lines[:100]:
        m = _LOG_REL.match(line)
        if m:
            href = rel_href(run.run_dir, os.path.join(run.run_dir, step.logs_rel, m.group(1)))
            rest = line[m.end() :]
            items.append(f'<li><a href="{href}">{esc(m.group(1))}</a>:{esc(rest)}</li>')
        else:
            items.append(f"<li>{esc(line)}</li>")
    more = (
        f'<p class="note">{len(step.error_lines) - 100} more lines in job_error.txt.</p>'
        if len(step.error_lines) > 100
        else ""
    )
    return (
        f'<h3>Entry-script errors <span class="note">(job_error.txt)</span></h3>'
        f'<ul class="errors mono">{"".join(items)}</ul>{more}'
    )


def _outputs(step: StepView, run: RunView) -> str:
    rows = []
    if step.command:
        rows.append(f'<tr><td>command as run</td><td class="mono">{esc(step.command)}</td></tr>')
    for name, path in step.outputs.items():
        href = rel_href(run.run_dir, path) if os.path.exists(path) else ""
        shown = os.path.relpath(path, run.run_dir) if href else path
        value = f'<a href="{href}">{esc(shown)}</a>' if href else esc(shown)
        rows.append(f'<tr><td>outputs.{esc(name)}</td><td class="mono">{value}</td></tr>')
    if not rows:
        return ""
    return f'<h3>Outputs</h3><table class="kv">{"".join(rows)}</table>'


_ENV_KEYS = (
    ("mode", "mode"),
    ("hash", "hash"),
    ("python_version", "Python"),
    ("python", "interpreter"),
    ("path", "path"),
    ("built", "built by this run"),
    ("build_seconds", "build seconds"),
    ("lookup_seconds", "lookup seconds"),
    ("builder", "builder"),
    ("conda_file", "conda file"),
    ("image", "image (recorded, not used)"),
    ("reference", "registered environment"),
    ("unsatisfied", "not satisfied here"),
    ("notes", "notes"),
)


def _environment(step: StepView) -> str:
    """Which environment ran the step (``--environments``, docs/environments.md)."""
    env = step.environment
    if not env:
        return ""
    rows = []
    for key, label in _ENV_KEYS:
        if key in env and env[key] not in (None, "", []):
            value = env[key]
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            rows.append(f"<tr><td>{esc(label)}</td><td>{esc(text)}</td></tr>")
    for worker, info in sorted((env.get("workers") or {}).items()):
        how = "built" if info.get("built") else "reused"
        rows.append(f"<tr><td>{esc(worker)}</td><td>{esc(how)} ({info.get('host', '')})</td></tr>")
    return f'<h3>Environment</h3><table class="kv">{"".join(rows)}</table>'


def _node(step: StepView) -> str:
    """The node's own keys: its display name and description under the title, then a table of
    tags, properties and the other keys it gives (compute, experiment_name...)."""
    node = dict(step.node)
    shown = node.pop("display_name", None)
    desc = node.pop("description", None)
    out = ""
    if shown and shown != step.name:
        out += f'<p class="meta node-display-name">{esc(str(shown))}</p>'
    if desc:
        out += f'<p class="meta node-description">{esc(str(desc))}</p>'
    rows = [Setting(key, _shown(value), False) for key, value in node.items() if value is not None]
    return out + _kv_table(rows, "Node")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items()) or "(empty)"
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _step(step: StepView, run: RunView) -> str:
    parts = [
        f'<section class="card step" id="{anchor(step.name)}" data-step="{esc(step.name)}">',
        f'<h2><span class="step-name">{esc(step.name)}</span>{_pill(step.status)}'
        f'<span class="note">{esc(step.kind)}</span></h2>',
        _node(step),
        _stats(step),
    ]
    if step.result_lines:
        cls = "result failed" if step.status == "Failed" else "result"
        text = "\n".join(step.result_lines)
        parts.append(
            f'<div class="sub">job_result.txt</div><pre class="{cls}">'
            f"{linkify(text, run.run_dir)}</pre>"
        )
    elif step.cause:
        parts.append(f'<pre class="result">{esc(step.cause)}</pre>')
    parts.append(_outputs(step, run))
    parts.append(_environment(step))
    parts.append(_settings(step))
    win = Window.of(step)
    if step.attempts and win is not None:
        parts.append(
            f'<h3>Timeline</h3><p class="caption">Each bar is one attempt at a mini batch, in the '
            f"lane of the process that ran it; time is seconds since {esc(_utc(win.t0))}. Hover a "
            "bar for details.</p>"
        )
        parts.append(timeline(step, win))
        parts.append("<h3>Throughput</h3>" + throughput(step, win))
    elif step.kind == "parallel" and step.logs_exists:
        parts.append('<h3>Timeline</h3><p class="empty">No mini batch has been processed yet.</p>')
    if step.perf and win is not None:
        parts.append("<h3>Resources</h3>" + resources(step, win))
    parts.append(_failures(step))
    parts.append(_error_lines(step, run))
    if step.log_files:
        links = "".join(f'<li><a href="{h}">{esc(label)}</a></li>' for label, h in step.log_files)
        parts.append(
            f'<h3>Logs</h3><p class="caption">In <code>{esc(step.logs_rel)}/</code></p>'
            f'<ul class="links mono">{links}</ul>'
        )
    parts.append("</section>")
    return "".join(parts)


# --------------------------------------------------------------------------- the page


def render(run: RunView, generated: dt.datetime | None = None) -> str:
    generated = generated or dt.datetime.now(dt.timezone.utc)
    try:
        from importlib.metadata import version

        ver = version("daskprs")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        ver = ""
    body = [
        _header(run),
        "<main>",
        _failure_alert(run),
        _notices(run),
        f'<section class="card" id="pipeline"><h2>Pipeline</h2>{pipeline_graph(run.steps)}</section>',
        *(_step(s, run) for s in run.steps),
        "</main>",
        f"<footer>Written by daskprs {esc(ver)} at "
        f"{esc(generated.strftime('%Y-%m-%d %H:%M:%S UTC'))}. Links open files of the run "
        "directory, relative to this report.</footer>",
    ]
    title = f"{run.display_name or run.name} · {run.status} · daskprs"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
