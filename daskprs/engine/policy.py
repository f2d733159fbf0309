"""The fault policy: what happens after each attempt, in one place.

:meth:`Policy.decide` takes every attempt record a backend delivers and answers with one
:class:`Decision`: the attempt is **final** (it counts; its rows may be committed), the mini
batch is **retried** (a new attempt: the user's code failed and attempts are left), it is
**re-queued** with the same attempt number (it never ran, or daskprs's own machinery lost it),
or the record is only **logged** / **dropped**. A decision may also carry the cause that fails
the job.

Rules (docs/reliability.md has them with the figures):

- ``RUN_DONE`` is final. ``RUN_EXCEPTION`` / ``RUN_TIMEOUT`` / ``LOAD_TIMEOUT`` /
  ``PROCESS_CRASHED`` are retried until ``max_retries + 1`` attempts were made, then final;
  a final failure counts all the mini batch's items as failed.
- ``WORKER_LOST`` (the zygote, a worker or a Dask task was lost) is re-queued without using
  an attempt and without counting toward any threshold. A mini batch lost more than
  ``infra_losses`` times fails the job: a loop of infrastructure failures ends as ``Failed``,
  never as ``Completed``. A loss caused by a full disk fails the job at once.
- ``INIT_FAILED`` re-queues the mini batch; ``init_failures`` of them fail the job.
- ``NOT_RUN`` (handed back untouched) is re-queued; ``CANCELLED`` is logged, not final.
- After every final or retried attempt the three thresholds are checked (``Accounts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from daskprs.engine.accounting import Accounts
from daskprs.runtime.protocol import AttemptRecord
from daskprs.status import USER_FAILURES, Attempt

INFRA_LOSSES = 3  # a mini batch lost to the machinery more often than this fails the job


class Action(Enum):
    FINAL = "final"  # the attempt counts: ledger, accounts, its rows may be committed
    RETRY = "retry"  # submit again with attempt + 1
    REQUEUE = "requeue"  # submit again with the same attempt number
    LOG = "log"  # only a line in processed_mini-batches.csv
    DROP = "drop"  # nothing to do


@dataclass(frozen=True)
class Limits:
    max_attempts: int  # retry_settings.max_retries + 1
    init_failures: int  # init() failures that fail the job
    infra_losses: int = INFRA_LOSSES
    progress_timeout: float = float("inf")  # --progress_update_timeout


@dataclass(frozen=True)
class Decision:
    action: Action
    attempt: int = 0  # the attempt number to submit (RETRY / REQUEUE)
    cause: str = ""  # non-empty: the job fails with this
    message: str = ""  # a line for the progress overview
    log: bool = False  # a row of processed_mini-batches.csv although not FINAL / RETRY / LOG

    @property
    def logged(self) -> bool:
        """Whether the attempt is a row of processed_mini-batches.csv."""
        return self.log or self.action in (Action.FINAL, Action.RETRY, Action.LOG)

    @property
    def resubmit(self) -> bool:
        return self.action in (Action.RETRY, Action.REQUEUE)


@dataclass
class Policy:
    limits: Limits
    accounts: Accounts
    count_items: Callable[[int], int] = lambda _id: 0  # planned items of a mini batch
    init_failures: int = 0
    losses: dict[int, int] = field(default_factory=dict)  # WORKER_LOST per mini batch
    retried: int = 0

    def decide(self, rec: AttemptRecord) -> Decision:
        status = rec.status
        if status == Attempt.NOT_RUN:
            return Decision(Action.REQUEUE, rec.attempt)
        if status == Attempt.CANCELLED:
            return Decision(Action.LOG if rec.process else Action.DROP)
        if status == Attempt.INIT_FAILED:
            return self._init_failed(rec)
        if status == Attempt.WORKER_LOST:
            return self._lost(rec)
        if status in USER_FAILURES:
            return self._failed(rec)
        self.accounts.record(rec, final=True)
        return Decision(Action.FINAL, rec.attempt, cause=self.accounts.crossed() or "")

    def _failed(self, rec: AttemptRecord) -> Decision:
        final = rec.attempt >= self.limits.max_attempts
        if final and not rec.total:  # it never said how many items it had: count them
            rec.total = self.count_items(rec.mini_batch_id)
        rec.succeeded, rec.failed = 0, rec.total
        self.accounts.record(rec, final=final)
        cause = self.accounts.crossed() or ""
        if final:
            return Decision(Action.FINAL, rec.attempt, cause=cause)
        self.retried += 1
        return Decision(Action.RETRY, rec.attempt + 1, cause=cause)

    def _lost(self, rec: AttemptRecord) -> Decision:
        n = self.losses[rec.mini_batch_id] = self.losses.get(rec.mini_batch_id, 0) + 1
        self.accounts.infra_losses += 1
        if rec.extra.get("fatal"):
            return Decision(Action.LOG, cause=rec.error)
        if n > self.limits.infra_losses:
            cause = (
                f"Mini batch {rec.mini_batch_id} was lost to infrastructure failures {n} times "
                f"(more than {self.limits.infra_losses}); the last: {rec.error}"
            )
            return Decision(Action.LOG, cause=cause)
        return Decision(
            Action.REQUEUE,
            rec.attempt,
            message=f"mini batch {rec.mini_batch_id} re-queued (not counted): {rec.error}",
            log=True,
        )

    def _init_failed(self, rec: AttemptRecord) -> Decision:
        self.init_failures += 1
        self.accounts.init_failures = self.init_failures
        cause = ""
        if self.init_failures >= self.limits.init_failures:
            cause = (
                f"The init() in the entry script had raised exception for "
                f"{self.init_failures} times. {rec.error}"
            )
        return Decision(
            Action.REQUEUE,
            rec.attempt,
            cause=cause,
            message=f"init() failed in {rec.process}: {rec.error}",
        )

    def stalled(self, idle_seconds: float) -> str:
        """The cause when no attempt ended for longer than --progress_update_timeout."""
        if idle_seconds > self.limits.progress_timeout:
            return f"No progress update in {self.limits.progress_timeout:g} seconds."
        return ""
