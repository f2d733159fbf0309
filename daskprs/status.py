"""Every status daskprs writes: of one attempt at a mini batch, and of a step or job.

Both are ``str`` enums, so they compare equal to, and serialise as, their plain text
(``Attempt.RUN_DONE == "RUN_DONE"``; ``json.dumps`` and ``csv`` write ``RUN_DONE``). Labels and
colours for the report live in :mod:`daskprs.report`, keyed by these members.

Attempt statuses, and who is charged:

============== ====================================================== ====================
status         meaning                                                charged to
============== ====================================================== ====================
RUN_DONE       run() returned                                          -
RUN_EXCEPTION  run() (or loading the mini batch) raised                the user's attempts
RUN_TIMEOUT    run() passed retry_settings.timeout; process killed     the user's attempts
LOAD_TIMEOUT   loading passed --task_overhead_timeout; process killed  the user's attempts
PROCESS_CRASHED the entry process died during run() (segfault, OOM)    the user's attempts
CANCELLED      stopped by the fail-fast                                nobody (not final)
WORKER_LOST    our machinery or the Dask worker was lost               nobody: re-queued
============== ====================================================== ====================

``INIT_FAILED`` and ``NOT_RUN`` never reach the CSV: they say a mini batch was handed back
without an attempt (init() failed in the process meant to run it; the run was aborted).
"""

from __future__ import annotations

from enum import Enum


class _Text(str, Enum):
    """A str enum that formats as its value on every Python >= 3.10."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Attempt(_Text):
    RUN_DONE = "RUN_DONE"
    RUN_EXCEPTION = "RUN_EXCEPTION"
    RUN_TIMEOUT = "RUN_TIMEOUT"
    PROCESS_CRASHED = "PROCESS_CRASHED"
    LOAD_TIMEOUT = "LOAD_TIMEOUT"
    CANCELLED = "CANCELLED"
    WORKER_LOST = "WORKER_LOST"
    INIT_FAILED = "INIT_FAILED"
    NOT_RUN = "NOT_RUN"


#: attempts that failed because of the user's code or data (they use up an attempt)
USER_FAILURES = frozenset(
    {Attempt.RUN_EXCEPTION, Attempt.RUN_TIMEOUT, Attempt.PROCESS_CRASHED, Attempt.LOAD_TIMEOUT}
)


class Job(_Text):
    """Status of a job and of each of its steps (job.json, the report, ``job show``)."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"  # interrupted (SIGINT, SIGTERM); resumable
    SKIPPED = "Skipped"  # a step not run because a step it depends on failed


FINAL_JOB_STATUSES = frozenset({Job.COMPLETED, Job.FAILED, Job.CANCELED})

#: how the report and the logs name each attempt status
LABELS: dict[str, str] = {
    Attempt.RUN_DONE: "done",
    Attempt.RUN_EXCEPTION: "exception",
    Attempt.RUN_TIMEOUT: "timeout",
    Attempt.PROCESS_CRASHED: "process crashed",
    Attempt.LOAD_TIMEOUT: "load timeout",
    Attempt.CANCELLED: "cancelled",
    Attempt.WORKER_LOST: "lost by daskprs (re-run, not counted)",
}
