"""Running a whole job: steps in dependency order, the run directory and job.json."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from distributed import Client

from daskprs.engine.cluster import open_client
from daskprs.engine.progress import Progress
from daskprs.engine.step import (
    COMPLETED,
    FAILED,
    Plan,
    PlanTimeout,
    StepPaths,
    StepResult,
    plan_with_timeout,
    resolve_outputs,
    run_parallel_step,
)
from daskprs.errors import PipelineSpecError
from daskprs.spec.model import CommandStep, InputSpec, ParallelStep, PipelineJob

SKIPPED = "Skipped"


@dataclass
class JobResult:
    name: str
    status: str
    run_dir: str
    steps: dict[str, StepResult] = field(default_factory=dict)
    cluster: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    report: str = ""  # <run_dir>/report.html

    @property
    def outputs(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, step in self.steps.items():
            for key, path in step.outputs.items():
                out[f"{name}.{key}"] = path
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "run_dir": self.run_dir,
            "seconds": round(self.seconds, 3),
            "cluster": self.cluster,
            "steps": {n: s.summary() for n, s in self.steps.items()},
            "outputs": self.outputs,
            "report": self.report,
        }


def default_run_dir(job: PipelineJob) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", job.name)
    return os.path.abspath(os.path.join("daskprs-runs", f"{safe}-{stamp}"))


def run_job(
    job: PipelineJob,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    run_dir: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    security: Any = None,
) -> JobResult:
    run_dir = os.path.abspath(run_dir or default_run_dir(job))
    job_json = os.path.join(run_dir, "job.json")
    if os.path.exists(job_json) and not resume:
        raise PipelineSpecError(
            f"the run directory {run_dir} holds a run already; pass --resume to continue it, "
            "or choose another --run-dir",
            file=job.source_file,
        )
    if resume and not os.path.exists(job_json):
        raise PipelineSpecError(
            f"--resume: no run to resume in {run_dir} (job.json is missing)", file=job.source_file
        )
    t0 = time.monotonic()
    # plan every step whose input exists already: bad data fails here (exit 2), before any
    # worker starts and before anything is written
    plans: dict[str, Plan | PlanTimeout] = {}
    for name, step in job.steps.items():
        if isinstance(step, ParallelStep) and step.input_data.from_step is None:
            state = StepPaths.of(run_dir, name).state
            plans[name] = plan_with_timeout(step, _input_path(step.input_data, {}), state)
    os.makedirs(run_dir, exist_ok=True)
    if scheduler is None and client is None:
        # entry processes fork from a pre-imported zygote: start it while the cluster starts
        from daskprs.runtime.zygote import warm_up

        warm_up()
    result = JobResult(job.name, "Running", run_dir)
    _write_job_json(job, result, job_json)
    progress = progress or Progress()
    with open_client(job, client=client, scheduler=scheduler, security=security) as (dask, info):
        result.cluster = info.as_dict()
        if info.dashboard:
            progress.message(f"Dask dashboard: {info.dashboard}")
        for note in info.notes:
            progress.message(note)
        failed_steps: set[str] = set()
        step_outputs: dict[str, dict[str, str]] = {}
        for name, step in job.steps.items():
            blocked = [d for d in step.depends_on if d in failed_steps]
            if blocked or (failed_steps and not job.continue_on_step_failure):
                cause = f"not run: step {', '.join(blocked or sorted(failed_steps))} failed"
                result.steps[name] = StepResult(name, SKIPPED, cause)
                failed_steps.add(name)
                continue
            if isinstance(step, ParallelStep):
                paths = StepPaths.of(run_dir, name)
                outputs = resolve_outputs(step, paths)
                input_path = _input_path(step.input_data, step_outputs)
                input_paths = {
                    n: _input_path(spec, step_outputs)
                    for n, spec in step.inputs.items()
                    if spec.path is not None or spec.from_step is not None
                }
                res = run_parallel_step(
                    step,
                    dask,
                    run_dir,
                    input_path,
                    resume=resume,
                    progress=progress,
                    outputs=outputs,
                    ship_code=info.kind != "embedded",
                    input_paths=input_paths,
                    plan=plans.get(name),
                )
                if step.prs.copy_logs_to_parent and os.path.isdir(res.logs_dir):
                    # --copy_logs_to_parent: the pipeline's logs/<step>/ gets a copy
                    shutil.copytree(
                        res.logs_dir, os.path.join(run_dir, "logs", name), dirs_exist_ok=True
                    )
            elif isinstance(step, CommandStep):
                from daskprs.engine.command import run_command_step

                res = run_command_step(step, run_dir, step_outputs, resume=resume)
            else:  # pragma: no cover - the parser only makes these two
                raise TypeError(step)
            result.steps[name] = res
            step_outputs[name] = res.outputs
            if res.status != COMPLETED:
                failed_steps.add(name)
            _write_job_json(job, result, job_json)
    result.seconds = time.monotonic() - t0
    result.status = FAILED if failed_steps else COMPLETED
    _write_job_json(job, result, job_json)
    from daskprs.report import write_report

    result.report = write_report(run_dir)
    return result


def _input_path(spec: InputSpec, step_outputs: dict[str, dict[str, str]]) -> str:
    if spec.from_step is not None:
        step, out = spec.from_step
        return step_outputs[step][out]
    if spec.path is None:
        raise PipelineSpecError(f"input {spec.name} has no path")
    return spec.path


def _write_job_json(job: PipelineJob, result: JobResult, path: str) -> None:
    doc = result.as_dict()
    doc["source"] = job.source_file
    doc["updated"] = dt.datetime.now(dt.timezone.utc).isoformat()
    doc["spec"] = job.raw
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, default=str)
    os.replace(tmp, path)
