"""Where outputs may go: never over the job's inputs, its code or its run directory, and never
over an existing file unless the user says so (``--overwrite``).

Azure writes every output to a fresh datastore path, so a job there cannot destroy data. Here
an output ``path:`` is any local path or URL, so the same promise needs checks:

- :func:`check_output_paths` (while loading, before anything runs): an output may not be, hold,
  or lie inside an input (or the data files an input MLTable names) or a code folder; a
  ``uri_file`` output may not be an existing folder, nor a folder output an existing file.
- :func:`check_run_outputs` (when a run starts, and in ``job validate``): an output may not be,
  hold, or lie inside the run directory's own files (``job.json``, ``report.html``, the
  lock, the pipeline ``logs/``, each step's folder other than its ``outputs/``); and a file the job
  would write outside the run directory may not exist yet unless ``overwrite`` is given.
  Resuming a run may replace what that run wrote itself (``job.json`` lists it).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

from daskprs.errors import PipelineSpecError
from daskprs.rundir import JOB_JSON, LOCK, REPORT, RunDir
from daskprs.spec.files import is_inside
from daskprs.spec.model import InputSpec, OutputSpec, ParallelStep, PipelineJob
from daskprs.urls import is_remote

APPEND_ROW_FILE = "parallel_run_step.txt"  # daskprs.output.assemble's name for folder outputs


@dataclass(frozen=True)
class _Output:
    step: str
    spec: OutputSpec
    key: str  # dotted key of its path: jobs.<step>.outputs.<name>.path or outputs.<name>.path
    path: str  # the real (symlinks resolved) local path, or the URL


def _outputs(job: PipelineJob) -> Iterator[_Output]:
    pipeline = job.raw.get("type") == "pipeline"
    for name, step in job.steps.items():
        for out in step.outputs.values():
            if out.path is None:
                continue
            if out.parent_output or not pipeline:
                key = f"outputs.{out.parent_output or out.name}.path"
            else:
                key = f"jobs.{name}.outputs.{out.name}.path"
            path = out.path if is_remote(out.path) else os.path.realpath(out.path)
            yield _Output(name, out, key, path)


def _fail(job: PipelineJob, out: _Output, message: str) -> None:
    raise PipelineSpecError(
        f"{out.spec.path}: {message}", file=job.source_file, key=out.key
    ) from None


def _overlap(a: str, b: str) -> bool:
    return is_inside(a, b) or is_inside(b, a)


# --------------------------------------------------------------------------- at load time


def check_output_paths(job: PipelineJob) -> PipelineJob:
    """Outputs clear of the inputs and the code; a file output is not a folder (and back).
    Returns ``job``."""
    guarded = list(_guarded(job))
    for out in _outputs(job):
        if is_remote(out.path):
            continue
        if out.spec.type == "uri_file" and os.path.isdir(out.path):
            _fail(job, out, "is a folder; a uri_file output names the file to write")
        if out.spec.type != "uri_file" and os.path.isfile(out.path):
            _fail(job, out, f"is a file; a {out.spec.type} output names a folder")
        for what, path in guarded:
            if _overlap(out.path, path):
                _fail(
                    job,
                    out,
                    f"overlaps {what} ({path}); the output would overwrite what the job reads "
                    "or runs. Write it to a path of its own (or leave path out: the output then "
                    "goes to the run directory)",
                )
    return job


def _guarded(job: PipelineJob) -> Iterator[tuple[str, str]]:
    """(what, real path) of everything an output must stay clear of."""
    seen: set[str] = set()
    specs: list[tuple[str, InputSpec]] = [(f"input {n}", s) for n, s in job.inputs.items()]
    for name, step in job.steps.items():
        specs += [(f"input {n} of step {name}", s) for n, s in step.inputs.items()]
        if step.code_dir:
            code = os.path.realpath(step.code_dir)
            if code not in seen:
                seen.add(code)
                yield f"the code folder of step {name}", code
    for what, spec in specs:
        if spec.path is None or spec.type == "literal" or is_remote(spec.path):
            continue
        for path in [spec.path, *_mltable_data(spec)]:
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                yield what, real


def _mltable_data(spec: InputSpec) -> list[str]:
    """The local files and folders an MLTable input names (its own folder is checked apart)."""
    if spec.type != "mltable" or spec.path is None:
        return []
    from daskprs.data.mltable_spec import load_mltable

    try:
        table = load_mltable(spec.path)
    except Exception:  # noqa: BLE001 - a broken MLTable is reported where it is read
        return []
    out = []
    for entry in table.paths:
        value = str(entry.value)
        if is_remote(value):
            continue
        if entry.kind == "pattern":  # the fixed part before the first wildcard
            value = value[: min((value.find(c) for c in "*?[" if c in value), default=None)]
            value = os.path.dirname(value) if not value.endswith(os.sep) else value
        out.append(value)
    return [p for p in out if p and not glob.has_magic(p)]


# --------------------------------------------------------------------------- at run time


def check_run_outputs(
    job: PipelineJob, run_dir: str | None, overwrite: bool = False, resume: bool = False
) -> None:
    """Outputs clear of the run directory's own files; no existing file replaced unasked."""
    run_real = os.path.realpath(run_dir) if run_dir else None
    ours = _written_before(run_dir) if resume and run_dir else set()
    for out in _outputs(job):
        local = not is_remote(out.path)
        if local and run_real is not None:
            _check_run_dir(job, out, run_real)
            if is_inside(out.path, run_real):
                continue  # inside the run dir: the run's own
        if overwrite or out.spec.path in ours:
            continue
        target = _target(job, out)
        if target is not None and _exists(target, local):
            _fail(
                job,
                out,
                f"{target} exists already; pass --overwrite to replace it (daskprs.run(..., "
                "overwrite=True)), or write the output to a new path",
            )


def _check_run_dir(job: PipelineJob, out: _Output, run_dir: str) -> None:
    if is_inside(run_dir, out.path):
        _fail(job, out, f"holds the run directory {run_dir}; write the output elsewhere")
    if not is_inside(out.path, run_dir):
        return
    reserved = [os.path.join(run_dir, n) for n in (JOB_JSON, REPORT, LOCK, "logs")]
    for name in job.steps:
        sd = RunDir(run_dir).step(name)
        if is_inside(out.path, sd.root) and not is_inside(out.path, sd.outputs):
            reserved.append(sd.root)
    for path in reserved:
        if _overlap(out.path, path):
            _fail(
                job,
                out,
                f"overlaps {path}, which the run keeps its state in; write the output "
                f"elsewhere (outside {run_dir}, or under <run-dir>/<step>/outputs/)",
            )


def _target(job: PipelineJob, out: _Output) -> str | None:
    """The file daskprs (or the step) writes for ``out``: a uri_file output's path, or the
    append_row file inside a folder output; None for other folder outputs."""
    if out.spec.type == "uri_file":
        return out.path
    step = job.steps[out.step]
    if isinstance(step, ParallelStep) and step.append_row_to == out.spec.name:
        sep = "/" if is_remote(out.path) else os.sep
        return out.path.rstrip(sep) + sep + APPEND_ROW_FILE
    return None


def _exists(target: str, local: bool) -> bool:
    if local:
        return os.path.lexists(target)
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(target)
        return bool(fs.exists(path))
    except Exception:  # noqa: BLE001 - cannot tell (no credentials yet, ...): the write decides
        return False


def _written_before(run_dir: str) -> set[str]:
    """Output paths a previous attempt of this run wrote (job.json's ``outputs``)."""
    try:
        with open(os.path.join(run_dir, JOB_JSON), encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return set()
    outputs = doc.get("outputs") if isinstance(doc, dict) else None
    return {str(v) for v in outputs.values()} if isinstance(outputs, dict) else set()
