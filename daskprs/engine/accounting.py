"""Per-mini-batch accounting and the three error thresholds (docs/reliability.md).

Counts follow each mini batch's *latest* attempt, as Azure does: a mini batch that failed and is
waiting for a retry counts as failed until the retry succeeds. Thresholds fail when the count is
strictly greater; -1 (or 100 %) disables them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from daskprs.runtime.protocol import AttemptRecord
from daskprs.status import Attempt


@dataclass(frozen=True)
class Thresholds:
    mini_batch_error_threshold: int = -1
    error_threshold: int = -1  # failed items
    allowed_failed_percent: float = 100.0


@dataclass(slots=True)
class MiniBatchState:
    total: int = 0  # items (rows or files); known after the first load
    succeeded: int = 0
    failed_items: int = 0
    failed: bool = False  # counts toward the mini batch thresholds
    finished: bool = False  # no more attempts will be made
    status: str = ""
    attempts: int = 0


@dataclass
class Accounts:
    n_mini_batches: int
    append_row: bool
    thresholds: Thresholds
    states: dict[int, MiniBatchState] = field(default_factory=dict)
    # running totals over states (kept incrementally: the hot path is per mini batch)
    failed_mini_batches: int = 0
    failed_items: int = 0
    succeeded_items: int = 0
    total_items: int = 0
    finished: int = 0
    finished_ok: int = 0  # finished and not failed
    init_failures: int = 0
    infra_losses: int = 0  # WORKER_LOST attempts (re-queued, never counted as failures)

    def record(self, rec: AttemptRecord, *, final: bool) -> None:
        st = self.states.setdefault(rec.mini_batch_id, MiniBatchState())
        self._remove(st)
        st.attempts = max(st.attempts, rec.attempt)
        st.status = rec.status
        if rec.total or rec.status == Attempt.RUN_DONE:
            st.total = rec.total
        if rec.status == Attempt.RUN_DONE:
            st.succeeded = rec.succeeded
            st.failed_items = st.total - rec.succeeded
            # a short return (fewer results than items) fails the mini batch only when rows
            # are appended (append_row_to); its missing items count as failed items either way
            st.failed = st.failed_items > 0 and self.append_row
        else:
            st.succeeded = 0
            st.failed_items = st.total
            st.failed = True
        st.finished = final
        self._add(st)

    def _remove(self, st: MiniBatchState) -> None:
        self.failed_mini_batches -= int(st.failed)
        self.failed_items -= st.failed_items
        self.succeeded_items -= st.succeeded
        self.total_items -= st.total
        self.finished -= int(st.finished)
        self.finished_ok -= int(st.finished and not st.failed)

    def _add(self, st: MiniBatchState) -> None:
        self.failed_mini_batches += int(st.failed)
        self.failed_items += st.failed_items
        self.succeeded_items += st.succeeded
        self.total_items += st.total
        self.finished += int(st.finished)
        self.finished_ok += int(st.finished and not st.failed)

    def crossed(self) -> str | None:
        """The failure cause when a threshold is crossed, else None."""
        t = self.thresholds
        if (
            t.mini_batch_error_threshold > -1
            and self.failed_mini_batches > t.mini_batch_error_threshold
        ):
            return (
                f"The number of failed mini batches is {self.failed_mini_batches}, which exceeds "
                f"mini_batch_error_threshold {t.mini_batch_error_threshold}."
            )
        if t.error_threshold > -1 and self.failed_items > t.error_threshold:
            return (
                f"The number of failed items is {self.failed_items}, which exceeds error "
                f"threshold {t.error_threshold}."
            )
        if 0 <= t.allowed_failed_percent < 100 and self.n_mini_batches:
            percent = 100.0 * self.failed_mini_batches / self.n_mini_batches
            if percent > t.allowed_failed_percent:
                return (
                    f"The failed mini batches are {percent:.1f}% of {self.n_mini_batches} "
                    f"({self.failed_mini_batches} failed), which exceeds --allowed_failed_percent "
                    f"{t.allowed_failed_percent:g}."
                )
        return None

    def counts(self) -> dict[str, int]:
        return {
            "mini_batches": self.n_mini_batches,
            "processed_mini_batches": self.finished,
            "failed_mini_batches": self.failed_mini_batches,
            "succeeded_mini_batches": self.finished_ok,
            "items": self.total_items,
            "succeeded_items": self.succeeded_items,
            "failed_items": self.failed_items,
            "init_failures": self.init_failures,
            "infra_losses": self.infra_losses,
        }
