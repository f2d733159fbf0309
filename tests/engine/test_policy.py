"""The fault policy's decisions, one rule at a time (no cluster: records are made by hand)."""

from __future__ import annotations

from daskprs.engine.accounting import Accounts, Thresholds
from daskprs.engine.policy import Action, Limits, Policy
from daskprs.runtime.protocol import AttemptRecord
from daskprs.status import Attempt


def policy(n=10, max_attempts=3, thresholds=None, counts=None, **limits):
    accounts = Accounts(n, append_row=True, thresholds=thresholds or Thresholds())
    return Policy(
        Limits(max_attempts=max_attempts, init_failures=limits.pop("init_failures", 3), **limits),
        accounts,
        (lambda i: counts[i]) if counts else (lambda i: 0),
    )


def rec(mb, attempt, status, **kw):
    return AttemptRecord(mb, attempt, status, **kw)


def test_user_failures_retry_until_the_last_attempt_then_count_all_planned_items():
    p = policy(counts={0: 40})
    first = p.decide(rec(0, 1, Attempt.RUN_TIMEOUT))
    assert (first.action, first.attempt) == (Action.RETRY, 2)
    last = p.decide(rec(0, 3, Attempt.PROCESS_CRASHED))
    assert last.action is Action.FINAL
    # the process never said how many rows it had: the planned count is used
    assert p.accounts.failed_items == 40
    assert p.accounts.failed_mini_batches == 1
    assert p.retried == 1


def test_a_known_total_is_kept_for_a_timeout():
    p = policy(max_attempts=1, counts={0: 999})
    r = rec(0, 1, Attempt.RUN_TIMEOUT, total=12)
    assert p.decide(r).action is Action.FINAL
    assert (r.total, r.failed, p.accounts.failed_items) == (12, 12, 12)


def test_worker_lost_is_requeued_without_an_attempt_or_a_threshold_count():
    p = policy(thresholds=Thresholds(0, 0, 0.0))  # any counted failure would fail the job
    d = p.decide(rec(5, 2, Attempt.WORKER_LOST, error="the Dask task was lost"))
    assert (d.action, d.attempt, d.cause) == (Action.REQUEUE, 2, "")
    assert d.logged  # a row in processed_mini-batches.csv
    assert p.accounts.failed_mini_batches == 0 and p.accounts.failed_items == 0
    assert p.accounts.infra_losses == 1


def test_a_loop_of_infrastructure_losses_fails_the_job():
    p = policy(infra_losses=2)
    assert not p.decide(rec(1, 1, Attempt.WORKER_LOST)).cause
    assert not p.decide(rec(1, 1, Attempt.WORKER_LOST)).cause
    third = p.decide(rec(1, 1, Attempt.WORKER_LOST, error="gone"))
    assert third.action is Action.LOG
    assert "lost to infrastructure failures 3 times" in third.cause


def test_a_full_disk_fails_the_job_at_once():
    r = rec(1, 1, Attempt.WORKER_LOST, error="No space left on device while writing x.spool")
    r.extra["fatal"] = True
    d = policy().decide(r)
    assert d.cause.startswith("No space left")


def test_init_failures_requeue_then_fail_the_job_at_the_cap():
    p = policy(init_failures=2)
    d = p.decide(rec(0, 1, Attempt.INIT_FAILED, process="node000/process000", error="boom"))
    assert (d.action, d.attempt, d.cause) == (Action.REQUEUE, 1, "")
    assert "init() failed" in d.message
    assert "2 times" in p.decide(rec(0, 1, Attempt.INIT_FAILED, error="boom")).cause


def test_not_run_and_cancelled():
    p = policy()
    assert p.decide(rec(0, 1, Attempt.NOT_RUN)).action is Action.REQUEUE
    assert p.decide(rec(0, 1, Attempt.CANCELLED)).action is Action.DROP
    assert p.decide(rec(0, 1, Attempt.CANCELLED, process="n/p")).action is Action.LOG


def test_thresholds_are_checked_on_every_counted_attempt():
    p = policy(max_attempts=1, thresholds=Thresholds(0, -1, 100.0))
    assert p.decide(rec(0, 1, Attempt.RUN_DONE, total=3, succeeded=3)).cause == ""
    assert "mini_batch_error_threshold 0" in p.decide(rec(1, 1, Attempt.RUN_EXCEPTION)).cause


def test_stalled():
    p = policy(progress_timeout=10.0)
    assert p.stalled(5) == ""
    assert "No progress update in 10 seconds" in p.stalled(11)
