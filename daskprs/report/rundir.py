"""Reading a run directory for the report: job.json, each step's logs tree and perf CSVs.

Everything is optional: a run that is still going (or was killed) may lack job.json entries,
job_result.txt or whole steps, and its CSVs may end in a half-written line. What cannot be
read is noted in :attr:`RunView.problems` and otherwise skipped.
"""

from __future__ import annotations

import csv
import json
import os
import re
from typing import Any

from daskprs.report.settings import step_settings
from daskprs.report.view import (
    Attempt,
    Failure,
    PerfTable,
    RunView,
    StepView,
    float_or_none,
    parse_time,
)
from daskprs.rundir import (
    ATTEMPTS_CSV,
    COMMAND_LOG,
    JOB_ERROR,
    JOB_RESULT,
    PERF,
    USER_ERRORS,
    RunDir,
    StepDir,
)
from daskprs.spec.redact import redact

_RUNTIME_FRAME = re.compile(r"[\\/]daskprs[\\/]runtime[\\/]")
_CARETS = re.compile(r"^\s*[\^~]+\s*$")


# --------------------------------------------------------------------------- helpers


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(float(text)) if text not in (None, "") else default
    except ValueError:
        return default


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _read_csv(path: str) -> tuple[list[str], list[dict[str, str]]] | None:
    text = _read_text(path)
    if text is None:
        return None
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]  # a line still being written
    reader = csv.DictReader(text.splitlines())
    rows = [row for row in reader if None not in row and all(v is not None for v in row.values())]
    return list(reader.fieldnames or []), rows


def rel_href(run_dir: str, path: str) -> str:
    """``path`` as a link relative to the run dir (URL-quoted), or "" when outside it."""
    from urllib.parse import quote

    full = os.path.abspath(path if os.path.isabs(path) else os.path.join(run_dir, path))
    rel = os.path.relpath(full, run_dir)
    if rel.startswith(".."):
        return ""
    return quote(rel.replace(os.sep, "/"))


# --------------------------------------------------------------------------- loading


def load_run(run_dir: str) -> RunView:
    run_dir = os.path.abspath(run_dir)
    problems: list[str] = []
    doc: dict[str, Any] = {}
    text = _read_text(os.path.join(run_dir, "job.json"))
    if text is None:
        problems.append("job.json is missing: the run has not started or its folder is incomplete")
    else:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            problems.append(f"job.json cannot be read: {exc}")
    spec = redact(doc.get("spec")) if isinstance(doc.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    source = str(doc.get("source") or "")
    run = RunView(
        run_dir=run_dir,
        name=str(doc.get("name") or spec.get("display_name") or os.path.basename(run_dir)),
        status=str(doc.get("status") or "Unknown"),
        source=source,
        updated=str(doc.get("updated") or ""),
        seconds=float_or_none(str(doc.get("seconds"))) if doc.get("seconds") is not None else None,
        cluster=dict(doc["cluster"]) if isinstance(doc.get("cluster"), dict) else {},
        description=str(spec.get("description") or ""),
        problems=problems,
    )
    if spec.get("display_name"):
        run.display_name = str(spec["display_name"])
    done = doc.get("steps") if isinstance(doc.get("steps"), dict) else {}
    assert isinstance(done, dict)
    plans = doc.get("plan") if isinstance(doc.get("plan"), dict) else {}
    assert isinstance(plans, dict)
    raw_steps = _raw_steps(spec, source, done)
    for name, plan in plans.items():
        if isinstance(plan, dict) and isinstance(plan.get("settings"), dict):
            raw_steps[str(name)] = redact(plan["settings"])
    names = list(raw_steps) + [n for n in done if n not in raw_steps]
    running_seen = False
    nodes = doc.get("nodes") if isinstance(doc.get("nodes"), dict) else {}
    assert isinstance(nodes, dict)
    for name in names:
        raw = raw_steps.get(name, {})
        summary = done.get(name) if isinstance(done.get(name), dict) else None
        plan = plans.get(name)
        step = _load_step(run_dir, name, raw, summary, run.status, running_seen, problems)
        if isinstance(plan, dict):
            step.depends_on = sorted(str(d) for d in plan.get("depends_on", ()))
        step.node = node_keys(nodes.get(name), raw)
        running_seen = running_seen or step.status == "Running"
        run.steps.append(step)
    return run


def node_keys(recorded: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """A step's node keys (display_name, description, tags...): job.json's ``nodes`` entry, or
    (a run written before it existed) the keys of the step's YAML."""
    if isinstance(recorded, dict):
        return recorded
    from daskprs.spec.keys import NODE_METADATA_KEYS

    return {k: raw[k] for k in NODE_METADATA_KEYS if raw.get(k) is not None}


def _raw_steps(
    spec: dict[str, Any], source: str, done: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each step's YAML: as the engine recorded it in job.json's ``plan`` (the node merged
    with its component), or, for a run written before it did, the node as written."""
    if spec.get("type") == "pipeline":
        jobs = spec.get("jobs") if isinstance(spec.get("jobs"), dict) else {}
        assert isinstance(jobs, dict)
        return {str(n): b if isinstance(b, dict) else {} for n, b in jobs.items()}
    if spec.get("type") in ("parallel", "command"):
        stem = os.path.splitext(os.path.basename(source))[0] if source else "job"
        name = next(iter(done), None) or str(spec.get("name") or stem)
        return {name: spec}
    return {}


def _load_step(
    run_dir: str,
    name: str,
    raw: dict[str, Any],
    summary: dict[str, Any] | None,
    job_status: str,
    running_seen: bool,
    problems: list[str],
) -> StepView:
    sd = RunDir(run_dir).step(name)
    logs = sd.logs
    if summary and isinstance(summary.get("logs"), str) and summary["logs"]:
        recorded = summary["logs"]
        if os.path.isdir(recorded) and rel_href(run_dir, recorded):
            logs = recorded
    kind = str(raw.get("type") or "")
    if not kind and os.path.isdir(os.path.join(logs, "sys")):
        kind = "parallel"
    step = StepView(
        name=name,
        kind=kind,
        status="",
        settings=step_settings(raw) if raw else None,
        logs_rel=os.path.relpath(logs, run_dir),
        logs_exists=os.path.isdir(logs),
    )
    _apply_summary(step, summary, job_status, running_seen)
    result = _read_text(os.path.join(logs, JOB_RESULT))
    if result is not None:
        step.result_lines = [ln for ln in result.splitlines() if ln.strip()]
        if not step.cause and step.status == "Failed" and step.result_lines:
            step.cause = step.result_lines[0]
    errors = _read_text(os.path.join(logs, JOB_ERROR))
    if errors:
        step.error_lines = [ln for ln in errors.splitlines() if ln.strip()]
    _load_attempts(step, logs, problems)
    _load_perf(step, logs)
    step.planned = _planned(sd)
    if not step.counts and step.attempts:
        step.counts = _counts_so_far(step.attempts, step.planned)
        step.counts_final = False
    step.failures = _failures(run_dir, logs, step.attempts)
    step.log_files = _log_files(run_dir, logs)
    return step


def _apply_summary(
    step: StepView, summary: dict[str, Any] | None, job_status: str, running_seen: bool
) -> None:
    """The step's record in job.json (status, counts, outputs...), or, without one, where the
    job got to: the first step with logs of a running job is the one running."""
    if summary is not None:
        step.status = str(summary.get("status") or "Unknown")
        step.cause = str(summary.get("cause") or "")
        counts = summary.get("counts")
        step.counts = (
            {k: _int(str(v)) for k, v in counts.items()} if isinstance(counts, dict) else {}
        )
        step.seconds = float_or_none(str(summary.get("seconds")))
        outputs = summary.get("outputs")
        if isinstance(outputs, dict):
            step.outputs = {str(k): str(v) for k, v in outputs.items()}
        step.command = str(summary.get("command") or "")
        env = summary.get("environment")
        step.environment = env if isinstance(env, dict) else {}
    elif job_status == "Running" and step.logs_exists and not running_seen:
        step.status = "Running"
    elif job_status == "Running":
        step.status = "Not started"
    else:
        step.status = "Not run"


def _load_attempts(step: StepView, logs: str, problems: list[str]) -> None:
    table = _read_csv(os.path.join(logs, ATTEMPTS_CSV))
    if table is None:
        return
    for row in table[1]:
        try:
            step.attempts.append(
                Attempt(
                    mini_batch_id=int(row["mini_batch_id"]),
                    attempt=_int(row.get("attempt"), 1),
                    process=row.get("process", ""),
                    start=parse_time(row.get("start_time", "")),
                    total=_int(row.get("total")),
                    succeeded=_int(row.get("succeeded")),
                    failed=_int(row.get("failed")),
                    elapsed=max(0.0, float_or_none(row.get("elapsed_seconds")) or 0.0),
                    run_seconds=float_or_none(row.get("run_seconds")) or 0.0,
                    status=row.get("status", ""),
                    error=row.get("error", ""),
                )
            )
        except (KeyError, ValueError):
            problems.append(f"{step.name}: a row of processed_mini-batches.csv was skipped")


def _load_perf(step: StepView, logs: str) -> None:
    perf = os.path.join(logs, PERF)
    try:
        nodes = sorted(os.listdir(perf))
    except OSError:
        return
    for node in nodes:
        folder = os.path.join(perf, node)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".csv"):
                continue
            table = _read_csv(os.path.join(folder, name))
            if table is not None:
                step.perf.setdefault(node, {})[name] = PerfTable(*table)


def _planned(sd: StepDir) -> int | None:
    """Mini batches planned, from the plan's fingerprint (``<step>/state/plan.json``)."""
    text = _read_text(sd.plan)
    try:
        value = json.loads(text)["mini_batches"] if text else None
    except (ValueError, KeyError, TypeError):
        return None
    return int(value) if isinstance(value, int) else None


def _counts_so_far(attempts: list[Attempt], planned: int | None) -> dict[str, int]:
    latest: dict[int, Attempt] = {}
    for a in attempts:
        if a.mini_batch_id not in latest or a.attempt >= latest[a.mini_batch_id].attempt:
            latest[a.mini_batch_id] = a
    failed = sum(1 for a in latest.values() if a.is_failure)
    return {
        "mini_batches": planned if planned is not None else len(latest),
        "processed_mini_batches": len(latest),
        "failed_mini_batches": failed,
        "succeeded_mini_batches": len(latest) - failed,
        "items": sum(a.total for a in latest.values()),
        "succeeded_items": sum(a.succeeded for a in latest.values()),
        "failed_items": sum(a.total - a.succeeded for a in latest.values()),
        "retried": sum(1 for a in attempts if a.attempt > 1),
    }


def _failures(run_dir: str, logs: str, attempts: list[Attempt]) -> list[Failure]:
    by_id: dict[int, list[Attempt]] = {}
    for a in attempts:
        by_id.setdefault(a.mini_batch_id, []).append(a)
    failures = []
    tracebacks: dict[str, str] = {}
    for mb_id in sorted(by_id):
        tries = sorted(by_id[mb_id], key=lambda a: a.attempt)
        if not any(a.is_failure or a.short_return for a in tries):
            continue
        last = tries[-1]
        fail = Failure(mb_id, tries, last.is_failure or last.short_return, "", "")
        bad = fail.last_failed
        node_proc = bad.process.replace("\\", "/")
        if node_proc and "/" in node_proc:
            error_file = os.path.join(logs, USER_ERRORS, *node_proc.split("/")) + ".txt"
            stderr_file = (
                os.path.join(logs, "user", "stderr", *node_proc.split("/")) + ".stderr.txt"
            )
            if bad.status == "RUN_EXCEPTION" and os.path.exists(error_file):
                if error_file not in tracebacks:
                    tracebacks[error_file] = _read_text(error_file) or ""
                fail.excerpt = traceback_excerpt(tracebacks[error_file], mb_id, bad.attempt)
                fail.link = rel_href(run_dir, error_file)
                fail.link_label = os.path.relpath(error_file, logs)
            elif not bad.short_return and os.path.exists(stderr_file):
                fail.link = rel_href(run_dir, stderr_file)
                fail.link_label = os.path.relpath(stderr_file, logs)
        failures.append(fail)
    return failures


def traceback_excerpt(text: str, mini_batch_id: int, attempt: int, lines: int = 8) -> str:
    """The end of the traceback the entry process wrote for this attempt: the user's frames and
    the exception, without the runtime's own frames and the ``^^^`` markers."""
    blocks = re.split(r"\n(?=\d{4}-\d\d-\d\dT\S+ )", text)
    wanted = f"mini batch {mini_batch_id} raised (attempt {attempt})"
    fallback = f"mini batch {mini_batch_id} raised"
    chosen = next((b for b in blocks if wanted in b.split("\n", 1)[0]), None)
    if chosen is None:
        chosen = next((b for b in reversed(blocks) if fallback in b.split("\n", 1)[0]), "")
    body: list[str] = []
    skipping = False
    for ln in chosen.rstrip().splitlines()[1:]:
        if ln.startswith("  File "):
            skipping = _RUNTIME_FRAME.search(ln) is not None
        elif not ln.startswith("    "):
            skipping = False
        if skipping or not ln.strip() or _CARETS.match(ln):
            continue
        body.append(ln)
    return "\n".join(body[-lines:])


def _log_files(run_dir: str, logs: str) -> list[tuple[str, str]]:
    out = []
    candidates = [
        JOB_RESULT,
        JOB_ERROR,
        "readme.txt",
        ATTEMPTS_CSV,
        COMMAND_LOG,
    ]
    try:
        candidates += sorted(n for n in os.listdir(logs) if n.startswith("job_progress_overview."))
    except OSError:
        return []
    for rel in candidates:
        path = os.path.join(logs, rel)
        if os.path.exists(path):
            out.append((rel.replace(os.sep, "/"), rel_href(run_dir, path)))
    return out
