from daskprs.engine.accounting import Accounts, Thresholds
from daskprs.runtime.protocol import RUN_DONE, RUN_EXCEPTION, RUN_TIMEOUT, AttemptRecord


def rec(i, attempt, status, total=10, succeeded=None):
    if succeeded is None:
        succeeded = total if status == RUN_DONE else 0
    return AttemptRecord(
        i, attempt, status, total=total, succeeded=succeeded, failed=total - succeeded
    )


def test_latest_attempt_counts_and_retry_success_clears_failure():
    acc = Accounts(3, append_row=True, thresholds=Thresholds(mini_batch_error_threshold=0))
    acc.record(rec(0, 1, RUN_EXCEPTION), final=False)
    assert acc.failed_mini_batches == 1 and acc.failed_items == 10
    assert "mini_batch_error_threshold 0" in acc.crossed()
    acc.record(rec(0, 2, RUN_DONE), final=True)
    assert acc.failed_mini_batches == 0 and acc.failed_items == 0 and acc.succeeded_items == 10
    assert acc.crossed() is None


def test_short_return_fails_mini_batch_only_with_append_row():
    for append_row, failed in ((True, 1), (False, 0)):
        acc = Accounts(1, append_row=append_row, thresholds=Thresholds())
        acc.record(rec(0, 1, RUN_DONE, total=10, succeeded=7), final=True)
        assert acc.failed_mini_batches == failed
        assert acc.failed_items == 3 and acc.succeeded_items == 7


def test_thresholds_are_strictly_greater_and_minus_one_disables():
    acc = Accounts(4, append_row=False, thresholds=Thresholds(2, 25, 50.0))
    acc.record(rec(0, 3, RUN_TIMEOUT), final=True)
    acc.record(rec(1, 3, RUN_EXCEPTION), final=True)
    assert acc.crossed() is None  # 2 failed mini batches, 20 items, 50 %: none strictly greater
    acc.record(rec(2, 3, RUN_EXCEPTION, total=5), final=True)
    assert "failed mini batches is 3" in acc.crossed()
    off = Accounts(4, append_row=False, thresholds=Thresholds(-1, -1, 100))
    for i in range(4):
        off.record(rec(i, 1, RUN_EXCEPTION), final=True)
    assert off.crossed() is None


def test_error_threshold_counts_items_and_percent():
    acc = Accounts(10, append_row=False, thresholds=Thresholds(-1, 15, 100))
    acc.record(rec(0, 1, RUN_EXCEPTION), final=True)
    acc.record(rec(1, 1, RUN_DONE, total=10, succeeded=4), final=True)
    assert "failed items is 16" in acc.crossed()
    pct = Accounts(10, append_row=False, thresholds=Thresholds(-1, -1, 10))
    pct.record(rec(0, 1, RUN_EXCEPTION), final=True)
    assert pct.crossed() is None
    pct.record(rec(1, 1, RUN_EXCEPTION), final=True)
    assert "allowed_failed_percent" in pct.crossed()
