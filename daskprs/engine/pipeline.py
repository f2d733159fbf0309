"""Running a whole job: steps in dependency order, the run directory and job.json.

Order of events: take the run dir's lock; refuse a run dir that holds another
run (or, with ``--resume``, none, or a different plan); plan every step whose input exists —
bad data is a spec error here, before any worker starts, and a run dir this call created is
removed again; then run. Whatever ends the run (success, a failed step, Ctrl-C, SIGTERM, a full
disk, a lost cluster, a bug), job.json gets the final status before the lock is released.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from distributed import Client

from daskprs.atomic import write_text
from daskprs.data.input_cache import without_cache
from daskprs.engine import fingerprint
from daskprs.engine.cluster import open_client
from daskprs.engine.lock import RunLock
from daskprs.engine.plan import Plan, PlanTimeout, plan_with_timeout
from daskprs.engine.progress import Progress
from daskprs.engine.result import CANCELED, COMPLETED, FAILED, SKIPPED, StepResult
from daskprs.engine.step import resolve_outputs, run_parallel_step
from daskprs.envs import RunEnvironments
from daskprs.errors import PipelineSpecError
from daskprs.rundir import RunDir
from daskprs.spec.model import CommandStep, InputSpec, ParallelStep, PipelineJob, node_metadata
from daskprs.spec.output_paths import check_run_outputs
from daskprs.spec.redact import redact
from daskprs.status import Job

__all__ = ["JobResult", "default_run_dir", "run_job", "SKIPPED"]


@dataclass
class JobResult:
    name: str
    status: str
    run_dir: str
    steps: dict[str, StepResult] = field(default_factory=dict)
    cluster: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    report: str = ""  # <run_dir>/report.html
    cause: str = ""  # why the job ended Failed / Canceled when no step says so
    unchanged: bool = False  # --resume of a Completed run: returned as it was, nothing ran

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
            "status": str(self.status),
            "cause": self.cause,
            "run_dir": self.run_dir,
            "seconds": round(self.seconds, 3),
            "cluster": self.cluster,
            "steps": {n: s.summary() for n, s in self.steps.items()},
            "outputs": self.outputs,
            "report": self.report,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> JobResult:
        steps = {n: StepResult.from_summary(n, s) for n, s in doc.get("steps", {}).items()}
        return cls(
            doc.get("name", ""),
            doc.get("status", ""),
            doc.get("run_dir", ""),
            steps,
            dict(doc.get("cluster", {})),
            float(doc.get("seconds", 0.0)),
            doc.get("report", ""),
            doc.get("cause", ""),
        )


def default_run_dir(job: PipelineJob) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", job.name)
    return os.path.abspath(os.path.join("daskprs-runs", f"{safe}-{stamp}"))


def read_job_json(rd: RunDir) -> dict[str, Any] | None:
    try:
        with open(rd.job_json, encoding="utf-8") as fh:
            return dict(json.load(fh))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def run_job(
    job: PipelineJob,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    run_dir: str | None = None,
    resume: bool = False,
    force_replan: bool = False,
    progress: Progress | None = None,
    security: Any = None,
    overwrite: bool = False,
    input_cache: bool = True,
    environments: Any = None,
) -> JobResult:
    """``environments``: a :class:`daskprs.envs.EnvOptions`, or "current" / "build"."""
    rd = RunDir.at(run_dir or default_run_dir(job))
    lock = RunLock(rd).acquire(job.source_file)
    began = False
    try:
        previous = read_job_json(rd)
        _check_start(job, rd, previous, resume)
        check_run_outputs(job, rd.root, overwrite=overwrite, resume=resume)
        if resume and previous and previous.get("status") == Job.COMPLETED:
            done = JobResult.from_json(previous)  # finished: nothing to do, nothing touched
            done.unchanged = True
            return done
        plans = _plan_all(job, rd, resume=resume, force_replan=force_replan)
        job = job if input_cache else without_cache(job)  # DASKPRS_INPUT_CACHE=0 in entry processes
        progress = progress or Progress()
        # step environments (--environments build): built or found now; a bad one is a spec
        # error (exit 2) and the run dir goes
        local = client is None and scheduler is None
        step_envs = RunEnvironments.prepare(
            job, environments, local=local, message=progress.message
        )
        began = True
        return _run(job, rd, plans, client, scheduler, resume, progress, security, step_envs)
    finally:
        if not began and lock.created_dir:
            shutil.rmtree(rd.root, ignore_errors=True)  # a spec error: leave nothing behind
        lock.release()


def _check_start(job: PipelineJob, rd: RunDir, previous: dict | None, resume: bool) -> None:
    if previous is not None and not resume:
        raise PipelineSpecError(
            f"the run directory {rd.root} holds a run already; pass --resume to continue it, "
            "or choose another --run-dir",
            file=job.source_file,
        )
    if resume and previous is None:
        raise PipelineSpecError(
            f"--resume: no run to resume in {rd.root} (job.json is missing)",
            file=job.source_file,
        )


def _plan_all(
    job: PipelineJob, rd: RunDir, *, resume: bool, force_replan: bool
) -> dict[str, Plan | PlanTimeout]:
    """Plan every step whose input exists already: bad data fails here (exit 2), before any
    worker starts. On resume, each plan must match the one the run began with."""
    plans: dict[str, Plan | PlanTimeout] = {}
    for name, step in job.steps.items():
        if isinstance(step, ParallelStep) and step.input_data.from_step is None:
            sd = rd.step(name)
            plan = plan_with_timeout(step, _input_path(step.input_data, {}), sd.state)
            plans[name] = plan
            if not isinstance(plan, PlanTimeout):
                _check_fingerprint(job, step, rd, plan, resume, force_replan)
    return plans


def _check_fingerprint(
    job: PipelineJob, step: ParallelStep, rd: RunDir, plan: Plan, resume: bool, force: bool
) -> None:
    sd = rd.step(step.name)
    fp = fingerprint.fingerprint(step, _input_path(step.input_data, {}), plan[0], sd.work)
    if resume and not fingerprint.check(
        sd.plan, fp, step=step.name, source=job.source_file, force_replan=force
    ):
        _discard_state(rd, step.name)
    fingerprint.save(sd.plan, fp)


def _discard_state(rd: RunDir, step: str) -> None:
    """--force-replan: the step starts over (its ledger, spooled rows and logs go)."""
    sd = rd.step(step)
    for path in (sd.ledger, sd.plan):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    shutil.rmtree(sd.parts, ignore_errors=True)
    shutil.rmtree(sd.logs, ignore_errors=True)


def _run(
    job: PipelineJob,
    rd: RunDir,
    plans: dict[str, Plan | PlanTimeout],
    client: Client | None,
    scheduler: str | None,
    resume: bool,
    progress: Progress | None,
    security: Any,
    step_envs: RunEnvironments,
) -> JobResult:
    t0 = time.monotonic()
    step_envs.write_logs(rd.root)
    if scheduler is None and client is None:
        # entry processes fork from a pre-imported zygote: start it while the cluster starts
        from daskprs.runtime.zygote import warm_up

        warm_up()
    result = JobResult(job.name, Job.RUNNING, rd.root)
    _write_job_json(job, result, rd)
    progress = progress or Progress()
    try:
        with open_client(job, client=client, scheduler=scheduler, security=security) as (
            dask,
            info,
        ):
            result.cluster = info.as_dict()
            if info.dashboard:
                progress.message(f"Dask dashboard: {info.dashboard}")
            for note in info.notes:
                progress.message(note)
            steps = _Steps(job, rd, plans, dask, info.kind, resume, progress, step_envs)
            failed = steps.run_all(result)
        result.status = FAILED if failed else COMPLETED
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM (the CLI turns it into KeyboardInterrupt)
        result.status, result.cause = CANCELED, "interrupted; continue with --resume"
        raise
    except OSError as exc:
        result.status, result.cause = FAILED, describe_os_error(exc, rd.root)
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
    except BaseException as exc:
        result.status, result.cause = FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        result.seconds = time.monotonic() - t0
        _finish(job, result, rd)
    return result


@dataclass
class _Steps:
    """What running the steps of one job shares: the job, where it runs, what was planned."""

    job: PipelineJob
    rd: RunDir
    plans: dict[str, Plan | PlanTimeout]
    dask: Client
    cluster_kind: str
    resume: bool
    progress: Progress
    envs: RunEnvironments
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step -> its outputs

    def run_all(self, result: JobResult) -> set[str]:
        """Run the steps in order; a failed step skips what depends on it (every later step
        unless continue_on_step_failure). The names of the steps that did not complete."""
        failed: set[str] = set()
        for name, step in self.job.steps.items():
            blocked = [d for d in step.depends_on if d in failed]
            if blocked or (failed and not self.job.continue_on_step_failure):
                cause = f"not run: step {', '.join(blocked or sorted(failed))} failed"
                result.steps[name] = StepResult(name, SKIPPED, cause)
                failed.add(name)
                continue
            if isinstance(step, ParallelStep):
                res = self.parallel(name, step)
            elif isinstance(step, CommandStep):
                from daskprs.engine.command import run_command_step

                res = run_command_step(
                    step,
                    self.rd.root,
                    self.outputs,
                    resume=self.resume,
                    interpreter=self.envs.interpreter(name),
                )
            else:  # pragma: no cover - the parser only makes these two
                raise TypeError(step)
            self.envs.record(name, res.info)
            result.steps[name] = res
            self.outputs[name] = res.outputs
            if res.status != COMPLETED:
                failed.add(name)
            _write_job_json(self.job, result, self.rd)
        return failed

    def parallel(self, name: str, step: ParallelStep) -> StepResult:
        from daskprs.runtime.backend import DaskBackend

        sd = self.rd.step(name)
        env_error = self.envs.build_on_workers(name, self.dask, self.rd.root)
        if env_error:
            return StepResult(name, FAILED, env_error, logs_dir=sd.logs)
        input_path = _input_path(step.input_data, self.outputs)
        input_paths = {
            n: _input_path(spec, self.outputs)
            for n, spec in step.inputs.items()
            if spec.path is not None or spec.from_step is not None
        }
        plan = self.plans.get(name)
        if plan is None:  # its input is an earlier step's output: planned now
            plan = plan_with_timeout(step, input_path, sd.state)
            if not isinstance(plan, PlanTimeout):
                _check_dependent_fingerprint(self.job, step, self.rd, plan, input_path, self.resume)
        res = run_parallel_step(
            step,
            DaskBackend(self.dask, ship_code=self.cluster_kind != "embedded"),
            self.rd.root,
            input_path,
            resume=self.resume,
            progress=self.progress,
            outputs=resolve_outputs(step, sd),
            input_paths=input_paths,
            plan=plan,
            interpreter=self.envs.interpreter(name),
        )
        if step.prs.copy_logs_to_parent and os.path.isdir(res.logs_dir):
            # --copy_logs_to_parent: the pipeline's logs/<step>/ gets a copy
            shutil.copytree(res.logs_dir, self.rd.parent_logs(name), dirs_exist_ok=True)
        return res


def _check_dependent_fingerprint(
    job: PipelineJob, step: ParallelStep, rd: RunDir, plan: Plan, input_path: str, resume: bool
) -> None:
    """A step fed by an earlier step: its input was rewritten by that step when it ran again,
    so only the cut is compared (the file identities of a re-made input differ by design)."""
    sd = rd.step(step.name)
    fp = fingerprint.fingerprint(step, input_path, plan[0], sd.work)
    if resume and os.path.exists(sd.plan):
        try:
            with open(sd.plan, encoding="utf-8") as fh:
                old = json.load(fh)
        except (OSError, ValueError):
            old = {}
        for key in ("file_identities", "mltable"):
            old[key] = fp[key]
        if fingerprint.differences(old, fp):
            _discard_state(rd, step.name)  # its input changed shape: run it again
    fingerprint.save(sd.plan, fp)


def describe_os_error(exc: OSError, where: str) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on {exc.filename or where}: free space, then --resume"
    return f"{type(exc).__name__}: {exc}"


def _finish(job: PipelineJob, result: JobResult, rd: RunDir) -> None:
    """The final status in job.json (best effort on a full disk), then the report."""
    try:
        _write_job_json(job, result, rd)
    except OSError:
        # a full disk: the smallest document that says it
        with contextlib.suppress(OSError), open(rd.job_json, "w", encoding="utf-8") as fh:
            json.dump({"name": result.name, "status": str(result.status)}, fh)
    try:
        from daskprs.report import write_report

        result.report = write_report(rd.root)
    except Exception:  # noqa: BLE001 - the report must never hide the job's own outcome
        result.report = ""


def _input_path(spec: InputSpec, step_outputs: dict[str, dict[str, str]]) -> str:
    if spec.from_step is not None:
        step, out = spec.from_step
        return step_outputs[step][out]
    if spec.path is None:
        raise PipelineSpecError(f"input {spec.name} has no path")
    return spec.path


def plan_record(job: PipelineJob) -> dict[str, Any]:
    """job.json's ``plan``: the resolved pipeline for readers of the run dir (the report), so
    nothing is parsed twice: each step's type, what it depends on, its node as written merged
    with its component (environment_variables values: ***)."""
    return {
        name: {
            "type": "parallel" if isinstance(step, ParallelStep) else "command",
            "depends_on": list(step.depends_on),
            "settings": redact(step.written),
        }
        for name, step in job.steps.items()
    }


def _write_job_json(job: PipelineJob, result: JobResult, rd: RunDir) -> None:
    doc = result.as_dict()
    doc["source"] = job.source_file
    doc["updated"] = dt.datetime.now(dt.timezone.utc).isoformat()
    doc["driver"] = {"pid": os.getpid(), "host": socket.gethostname()}
    doc["plan"] = plan_record(job)
    doc["spec"] = redact(job.raw)  # environment_variables values: ***
    doc["nodes"] = redact({name: node_metadata(step) for name, step in job.steps.items()})
    write_text(rd.job_json, json.dumps(doc, indent=2, default=str), mode=0o600)  # holds the spec
