"""The run directory's layout, in one place (drawn below; docs/logs.md describes the logs). Every writer and reader asks
these objects for paths instead of joining names by hand.

::

    <run-dir>/
      job.json                  the job: resolved spec, status, driver, per-step results
      report.html               the static report
      .daskprs.lock             held (flock) by the one driver of this run dir
      logs/<step>/              the parent's copy of a step's logs (--copy_logs_to_parent)
      <step>/
        outputs/<output>        uri_file: the file; uri_folder / mltable: a folder
        logs/                   the Azure logs tree (daskprs.logs.tree)
          job_result.txt, job_error.txt, readme.txt, job_progress_overview.<YYYYMMDDHH>.txt
          sys/job_report/processed_mini-batches.csv   one row per attempt
          sys/perf/<node>/      resource samples
          user/{stdout,stderr,error,entry_script_log}/<node>/<process>...
        state/
          ledger.jsonl          one line per attempt that counted or was retried (resume)
          plan.json             the plan's fingerprint (resume refuses a changed plan)
          parts/                spool files of attempt rows, until the output is assembled
          work/                 planning's scratch (key files of partition_keys)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

JOB_JSON = "job.json"
REPORT = "report.html"
LOCK = ".daskprs.lock"
JOB_RESULT = "job_result.txt"
PERF = os.path.join("sys", "perf")
JOB_ERROR = "job_error.txt"
USER_ERRORS = os.path.join("user", "error")
COMMAND_LOG = os.path.join("user_logs", "std_log.txt")
ATTEMPTS_CSV = os.path.join("sys", "job_report", "processed_mini-batches.csv")


@dataclass(frozen=True)
class StepDir:
    root: str  # <run-dir>/<step>

    @property
    def name(self) -> str:
        return os.path.basename(self.root)

    @property
    def logs(self) -> str:
        return os.path.join(self.root, "logs")

    @property
    def outputs(self) -> str:
        return os.path.join(self.root, "outputs")

    def output(self, name: str) -> str:
        return os.path.join(self.outputs, name)

    @property
    def state(self) -> str:
        return os.path.join(self.root, "state")

    @property
    def ledger(self) -> str:
        return os.path.join(self.state, "ledger.jsonl")

    @property
    def plan(self) -> str:
        return os.path.join(self.state, "plan.json")

    @property
    def parts(self) -> str:
        return os.path.join(self.state, "parts")

    @property
    def work(self) -> str:
        return os.path.join(self.state, "work")

    @property
    def completed_marker(self) -> str:
        """A command step's mark of success (``--resume`` skips it)."""
        return os.path.join(self.state, "completed")

    @property
    def command_log(self) -> str:
        """A command step's stdout and stderr, where Azure puts them."""
        return os.path.join(self.logs, COMMAND_LOG)

    @property
    def job_result(self) -> str:
        return os.path.join(self.logs, JOB_RESULT)

    def perf(self, node: str = "") -> str:
        return os.path.join(self.perf_root, node) if node else self.perf_root

    @property
    def perf_root(self) -> str:
        return os.path.join(self.logs, PERF)


@dataclass(frozen=True)
class RunDir:
    root: str

    @classmethod
    def at(cls, path: str) -> RunDir:
        return cls(os.path.abspath(path))

    @property
    def job_json(self) -> str:
        return os.path.join(self.root, JOB_JSON)

    @property
    def report(self) -> str:
        return os.path.join(self.root, REPORT)

    @property
    def lock(self) -> str:
        return os.path.join(self.root, LOCK)

    def step(self, name: str) -> StepDir:
        return StepDir(os.path.join(self.root, name))

    def parent_logs(self, step: str) -> str:
        return os.path.join(self.root, "logs", step)
