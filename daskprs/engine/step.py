"""Running one parallel step: plan, hand mini batches to a backend, let the policy decide on
every attempt, commit and assemble the output.

The driver is the only writer of the ledger, the attempt CSV and the output; workers write only
attempt rows (to spool files) and their own log files. Everything about processes, Dask and
de-duplication is behind :class:`~daskprs.runtime.backend.Backend`; everything about retries,
re-queues and thresholds is in :class:`~daskprs.engine.policy.Policy`.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import shutil
import time
from typing import Any

from daskprs.engine.configure import build_policy, process_config
from daskprs.engine.ledger import Ledger
from daskprs.engine.plan import Plan, PlanTimeout, plan_with_timeout
from daskprs.engine.policy import Action, Policy
from daskprs.engine.progress import Progress
from daskprs.engine.result import CANCELED, COMPLETED, FAILED, StepResult
from daskprs.engine.result_files import write_result
from daskprs.logs.tree import StepLogs
from daskprs.output.assemble import assemble, output_file
from daskprs.rundir import RunDir, StepDir
from daskprs.runtime.backend import Backend, Items
from daskprs.runtime.protocol import AttemptRecord, ProcessConfig
from daskprs.spec.model import ParallelStep
from daskprs.status import Attempt
from daskprs.urls import is_remote

__all__ = ["CANCELED", "COMPLETED", "FAILED", "StepResult", "resolve_outputs", "run_parallel_step"]

MAX_GROUP = 64  # mini batches fused into one task at most
SYNC_EVERY = 1.0  # seconds between fsyncs of the ledger (it is flushed to the OS every batch)


def resolve_outputs(step: ParallelStep, paths: StepDir) -> dict[str, str]:
    """Absolute output paths: explicit ``path:`` or ``<step>/outputs/<name>``."""
    return {name: out.path or paths.output(name) for name, out in step.outputs.items()}


class _Run:
    """The state of one step run on the driver."""

    def __init__(
        self,
        step: ParallelStep,
        backend: Backend,
        pieces: list[Any],
        logs: StepLogs,
        ledger: Ledger,
        policy: Policy,
        progress: Progress,
    ) -> None:
        self.step = step
        self.backend = backend
        self.pieces = {p.id: p for p in pieces}
        self.logs = logs
        self.ledger = ledger
        self.policy = policy
        self.accounts = policy.accounts
        self.progress = progress
        self.outstanding: set[int] = set()
        self.pending: collections.deque[tuple[Items, int]] = collections.deque()
        self.window = 8  # tasks in flight at most (retries come on top)
        self.cause = ""
        self.cause_file = ""  # the traceback file job_result.txt points at
        self.last_progress = time.monotonic()
        self._last_sync = self._last_progress_shown = 0.0

    @property
    def retried(self) -> int:
        return self.policy.retried

    # -- submission ---------------------------------------------------------------------------
    def submit_all(self, todo: Items, processes: int) -> None:
        """Cut the work into groups and keep a window of them in flight: enough that no
        process waits for its next group, few enough that the scheduler and the workers never
        hold a copy of the whole plan (a million mini batches would cost hundreds of MB)."""
        group = max(1, min(MAX_GROUP, len(todo) // max(1, processes * 4)))
        # each process runs one group and has the next one queued on its worker; a group
        # submitted later goes to whichever worker is free then (a worker joining mid-job too)
        self.window = max(4, 2 * processes + 2)
        self.pending = collections.deque(
            (todo[start : start + group], -start) for start in range(0, len(todo), group)
        )
        self.outstanding.update(piece.id for piece, _ in todo)
        self.last_progress = time.monotonic()
        self.top_up()

    def top_up(self) -> None:
        while self.pending and self.backend.in_flight < self.window and not self.cause:
            chunk, priority = self.pending.popleft()
            self.backend.submit(chunk, priority=priority)

    # -- results --------------------------------------------------------------------------------
    def handle_records(self, records: list[AttemptRecord]) -> None:
        resubmit: Items = []
        for rec in records:
            piece = self.pieces[rec.mini_batch_id]
            decision = self.policy.decide(rec)
            if decision.logged:
                self.logs.attempt(rec)
            if decision.message:
                self.logs.overview(decision.message)
            if decision.action in (Action.FINAL, Action.RETRY):
                final = decision.action is Action.FINAL
                self.ledger.append(rec, final)
                self.last_progress = time.monotonic()
                if final:
                    self.outstanding.discard(rec.mini_batch_id)
            if rec.is_failure and not self.cause_file:
                self.cause_file = rec.error_file
            if decision.cause and not self.cause:
                self.cause = decision.cause
                self.cause_file = rec.error_file or self.cause_file
            if decision.resubmit:
                resubmit.append((piece, decision.attempt))
        if not self.cause and resubmit:
            self.backend.submit(resubmit, priority=1)

    def loop(self) -> None:
        while self.outstanding and not self.cause:
            records = self.backend.next(timeout=0.5)
            if not records:
                self.cause = self.policy.stalled(time.monotonic() - self.last_progress)
                self.top_up()
                continue
            self.handle_records(records)
            self.top_up()
            self.logs.flush()  # the attempt log first, then the commit record
            now = time.monotonic()
            self.ledger.flush(sync=now - self._last_sync > SYNC_EVERY)
            if now - self._last_sync > SYNC_EVERY:
                self._last_sync = now
            if now - self._last_progress_shown > 0.2 or not self.outstanding:
                self._last_progress_shown = now
                self.progress.update({**self.accounts.counts(), "retried": self.retried})

    def abort(self, grace: float = 15.0) -> None:
        """Fail fast: kill the mini batches in flight; tasks not started yet return at once.

        The tasks are drained rather than cancelled, so an attempt that finished in the
        meantime is still recorded (and committed, for --resume), and one that was stopped is
        recorded as CANCELLED."""
        self.pending.clear()
        self.backend.abort()
        deadline = time.monotonic() + grace
        while self.backend.in_flight and time.monotonic() < deadline:
            records = self.backend.next(timeout=max(0.01, deadline - time.monotonic()))
            for rec in records:  # no new submissions: only record what finished
                decision = self.policy.decide(rec)
                if decision.logged:
                    self.logs.attempt(rec)
                if decision.action in (Action.FINAL, Action.RETRY):
                    self.ledger.append(rec, decision.action is Action.FINAL)
        self.backend.cancel()
        self.ledger.flush()
        self.logs.flush()


def run_parallel_step(
    step: ParallelStep,
    backend: Backend,
    run_dir: str,
    input_path: str,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    outputs: dict[str, str] | None = None,
    input_paths: dict[str, str] | None = None,
    plan: Plan | PlanTimeout | None = None,
    interpreter: tuple[str, str] | None = None,
) -> StepResult:
    """Plan (unless ``plan`` is given), run every mini batch not committed yet through
    ``backend``, assemble the output. ``interpreter``: (python, PYTHONPATH) of the step's own
    environment (daskprs.envs)."""
    t_start = time.monotonic()
    progress = progress or Progress()
    paths = RunDir(run_dir).step(step.name)
    outputs = outputs or resolve_outputs(step, paths)
    _make_output_dirs(step, paths, outputs)
    logs = StepLogs(paths.logs, step.name)
    logs.overview("Start scheduling.")
    ledger = Ledger(paths.ledger)
    if resume:
        ledger.load()

    if plan is None:  # bounded by --first_task_creation_timeout
        plan = plan_with_timeout(step, input_path, paths.state)
    if isinstance(plan, PlanTimeout):
        cause = str(plan)
        logs.result([cause, "Reduce the input size or set --first_task_creation_timeout higher."])
        logs.close()
        return StepResult(step.name, FAILED, cause, logs_dir=paths.logs)
    pieces, kind, plan_seconds = plan
    logs.overview(f"Scheduled {len(pieces)} mini batches in {plan_seconds:.2f} seconds.")

    policy = build_policy(step, pieces)
    for rec in ledger.final.values():
        policy.accounts.record(rec, final=True)
    config = process_config(step, paths, outputs, kind, input_paths or {})
    if interpreter is not None:
        config = dataclasses.replace(config, python=interpreter[0], python_path=interpreter[1])
    run = _Run(step, backend, pieces, logs, ledger, policy, progress)
    status, placement, shutdown_errors = _execute(run, config)

    counts = {**policy.accounts.counts(), "retried": run.retried}
    if status == COMPLETED and step.append_row_to:
        if counts["succeeded_items"] == 0 and pieces:
            status = FAILED
            run.cause = (
                "No succeeded mini batch item returned from run(). Please check 'response: "
                "run()' in https://aka.ms/batch-inference-documentation."
            )
        else:
            outputs = _assemble_output(step, paths, ledger, outputs, logs)
    write_result(
        logs,
        step,
        status,
        counts,
        cause=run.cause,
        cause_file=run.cause_file,
        error_threshold=policy.accounts.thresholds.error_threshold,
        shutdown_errors=shutdown_errors,
    )
    logs.close()
    info = {"plan_seconds": round(plan_seconds, 3), "kind": kind, **placement}
    info["shutdown_errors"] = shutdown_errors
    return StepResult(
        step.name, status, run.cause, counts, outputs, paths.logs, time.monotonic() - t_start, info
    )


def _make_output_dirs(step: ParallelStep, paths: StepDir, outputs: dict[str, str]) -> None:
    os.makedirs(paths.parts, exist_ok=True)
    for name, out in step.outputs.items():
        target = outputs[name]
        if not is_remote(target):
            os.makedirs(
                os.path.dirname(target) if out.type == "uri_file" else target, exist_ok=True
            )


def _execute(run: _Run, config: ProcessConfig) -> tuple[str, dict[str, Any], list[str]]:
    """Start the backend, run the mini batches not committed yet, stop it: (status, where the
    processes ran, shutdown() failures). The ledger and the logs are flushed and closed on
    every path, an exception included."""
    step, backend, ledger, logs, progress = (
        run.step,
        run.backend,
        run.ledger,
        run.logs,
        run.progress,
    )
    todo = [
        (p, ledger.attempts.get(i, 0) + 1) for i, p in run.pieces.items() if i not in ledger.final
    ]
    progress.start(step.name, len(run.pieces))
    progress.update({**run.accounts.counts(), "retried": 0})
    ledger.open()
    status = COMPLETED
    placement: dict[str, Any] = {}
    shutdown_errors: list[str] = []
    started = False
    try:
        if todo:
            info = backend.start(config, step.instance_count)
            started = True
            placement = {
                "workers_used": info.workers,
                "processes_per_worker": info.processes_per_worker,
                "placement_notes": info.notes,
            }
            for note in info.notes:
                progress.message(note)
                logs.overview(note)
            run.submit_all(todo, processes=info.capacity * step.max_concurrency_per_instance)
            run.loop()
        if not run.cause:
            run.cause = run.accounts.crossed() or ""
        if run.cause:
            status = FAILED
            if started:
                run.abort()
    except BaseException:
        if started:
            run.abort()
        raise
    finally:
        ledger.close()
        logs.flush()
        if started:
            shutdown_errors = backend.close()
            for line in shutdown_errors:
                logs.overview(f"shutdown: {line}")
        progress.close()
    return status, placement, shutdown_errors


def _assemble_output(
    step: ParallelStep, paths: StepDir, ledger: Ledger, outputs: dict[str, str], logs: StepLogs
) -> dict[str, str]:
    """Concatenate the committed parts, in mini-batch order, into the append_row_to output."""
    append_to = step.append_row_to
    assert append_to
    committed = [
        ledger.final[i] for i in sorted(ledger.final) if ledger.final[i].status == Attempt.RUN_DONE
    ]
    target = output_file(outputs[append_to], step.outputs[append_to].type)
    n_bytes = assemble(paths.parts, committed, target, step.prs.append_row_dataframe_header)
    logs.overview(f"Finished concatenating {len(committed)} files ({n_bytes} bytes) into {target}.")
    shutil.rmtree(paths.parts, ignore_errors=True)
    return {**outputs, append_to: target}
