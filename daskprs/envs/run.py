"""What a run does with its steps' environments: prepare them before anything runs, write the
logs tree (``<step>/logs/sys/environment/``), build on the workers in cluster mode, and hand
each step its interpreter. :class:`RunEnvironments` is the one object the engine holds."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from daskprs.atomic import write_text
from daskprs.envs.cluster import WorkerBuildError, ensure_on_workers
from daskprs.envs.prepare import LOG_DIR, EnvOptions, StepEnv, prepare_environments
from daskprs.rundir import RunDir
from daskprs.spec.model import PipelineJob


@dataclass
class RunEnvironments:
    options: EnvOptions = field(default_factory=EnvOptions)
    steps: dict[str, StepEnv] = field(default_factory=dict)

    @classmethod
    def prepare(
        cls, job: PipelineJob, options: Any, *, local: bool, message: Any = None
    ) -> RunEnvironments:
        """Every step's environment (built now when ``local``); spec errors (exit 2)."""
        opts = EnvOptions.coerce(options)
        steps = prepare_environments(
            job, opts, local=local, message=message or (lambda _text: None)
        )
        return cls(opts, steps)

    def write_logs(self, run_dir: str, only: str | None = None) -> None:
        """``environment.json`` per step (what ran it) and a copy of the build log."""
        for name, env in self.steps.items():
            if only is not None and name != only:
                continue
            folder = os.path.join(RunDir(run_dir).step(name).logs, LOG_DIR)
            os.makedirs(folder, exist_ok=True)
            if env.built is not None and os.path.exists(env.built.log):
                shutil.copyfile(env.built.log, os.path.join(folder, "build.log"))
            with open(os.path.join(folder, "environment.json"), "w", encoding="utf-8") as fh:
                json.dump(env.as_dict(), fh, indent=2)

    def interpreter(self, step: str) -> tuple[str, str] | None:
        env = self.steps.get(step)
        return env.interpreter() if env is not None else None

    def record(self, step: str, info: dict[str, Any]) -> None:
        """Into the step's summary (job.json, the report): which environment ran it."""
        if step in self.steps:
            info["environment"] = self.steps[step].as_dict()

    def build_on_workers(self, step: str, client: Any, run_dir: str) -> str:
        """Cluster mode, as a parallel step starts: every worker builds or reuses the step's
        environment. "" when ready, else the cause that fails the step (the worker's own
        error), also written to the step's job_result.txt."""
        env = self.steps.get(step)
        if env is None or not env.remote or env.request is None:
            return ""
        try:
            (python, pythonpath), results = ensure_on_workers(
                client, env.request, self.options.directory
            )
        except WorkerBuildError as exc:
            cause = f"the step's environment could not be built: {exc}"
            sd = RunDir(run_dir).step(step)
            os.makedirs(sd.logs, exist_ok=True)
            write_text(sd.job_result, f"{cause}\n")
            return cause
        env.python, env.pythonpath = python, pythonpath
        env.workers = results
        self.write_logs(run_dir, only=step)
        return ""
