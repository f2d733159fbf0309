"""Running one parallel step: plan, hand mini batches to a backend, let the policy decide on
every attempt, commit and assemble the output.

The driver is the only writer of the ledger, the attempt CSV and the output; workers write only
attempt rows (to spool files) and their own log files. Everything about processes, Dask and
de-duplication is behind :class:`~daskprs.runtime.backend.Backend`; everything about retries,
re-queues and thresholds is in :class:`~daskprs.engine.policy.Policy`.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import shutil
import threading
import time
import uuid
from typing import Any

from daskprs.engine.accounting import Accounts, Thresholds
from daskprs.engine.ledger import Ledger
from daskprs.engine.policy import Action, Limits, Policy
from daskprs.engine.progress import Progress
from daskprs.engine.result import CANCELED, COMPLETED, FAILED, StepResult
from daskprs.logs.tree import StepLogs
from daskprs.output.assemble import assemble, output_file
from daskprs.rundir import RunDir, StepDir
from daskprs.runtime import environ
from daskprs.runtime.backend import Backend, Items
from daskprs.runtime.protocol import AttemptRecord, ProcessConfig
from daskprs.spec.bindings import fill_run_time
from daskprs.spec.model import ParallelStep
from daskprs.status import Attempt
from daskprs.urls import is_remote

__all__ = [
    "CANCELED",
    "COMPLETED",
    "FAILED",
    "Plan",
    "PlanTimeout",
    "StepResult",
    "plan_with_timeout",
    "resolve_outputs",
    "run_parallel_step",
]

MAX_GROUP = 64  # mini batches fused into one task at most
SYNC_EVERY = 1.0  # seconds between fsyncs of the ledger (it is flushed to the OS every batch)


def resolve_outputs(step: ParallelStep, paths: StepDir) -> dict[str, str]:
    """Absolute output paths: explicit ``path:`` or ``<step>/outputs/<name>``."""
    return {name: out.path or paths.output(name) for name, out in step.outputs.items()}


def plan_step(step: ParallelStep, input_path: str, work_dir: str) -> tuple[list[Any], str]:
    """The mini batches of the step's input, and the input kind ("rows" or "files")."""
    from daskprs.data import load_mltable, plan_mini_batches

    source: Any = input_path
    kind = "files"
    if step.input_data.type == "mltable":
        source = load_mltable(input_path)
        if source.is_tabular:
            kind = "rows"
    keys = list(step.partition_keys) if step.partition_keys else None
    pieces = plan_mini_batches(source, step.mini_batch_size, keys, work_dir=work_dir)
    return pieces, kind


Plan = tuple[list[Any], str, float]  # pieces, kind, seconds


class PlanTimeout(Exception):
    """Planning took longer than --first_task_creation_timeout."""


def plan_with_timeout(step: ParallelStep, input_path: str, state_dir: str) -> Plan | PlanTimeout:
    """Plan in a thread bounded by ``--first_task_creation_timeout``. Spec errors (a bad
    MLTable, missing data) propagate: they are found before any worker starts."""
    t0 = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(1)
    planning = pool.submit(plan_step, step, input_path, os.path.join(state_dir, "work"))
    try:
        pieces, kind = planning.result(timeout=step.prs.first_task_creation_timeout)
    except concurrent.futures.TimeoutError:
        return PlanTimeout(
            f"Unable to create any task within {step.prs.first_task_creation_timeout} seconds."
        )
    finally:
        pool.shutdown(wait=False)
    return pieces, kind, time.monotonic() - t0


def count_items(piece: Any, timeout: float) -> int:
    """The items of a mini batch that never said how many it had (its load failed or timed
    out): its files, or its rows loaded here, in a thread bounded by ``timeout``; 0 when they
    cannot be loaded (the data is unreadable) in that time."""
    if piece.kind == "files":
        return len(piece.files)
    from daskprs.data import load_piece

    box: list[int] = []

    def load() -> None:
        try:
            box.append(len(load_piece(piece)))
        except Exception:  # noqa: BLE001 - unreadable: nothing to count
            pass

    thread = threading.Thread(target=load, name="daskprs-count-items", daemon=True)
    thread.start()
    thread.join(timeout)
    return box[0] if box else 0


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
    """``interpreter``: (python, PYTHONPATH) of the step's own environment (daskprs.envs)."""
    t_start = time.monotonic()
    progress = progress or Progress()
    paths = RunDir(run_dir).step(step.name)
    os.makedirs(paths.parts, exist_ok=True)
    outputs = outputs or resolve_outputs(step, paths)
    for name, out in step.outputs.items():
        target = outputs[name]
        if not is_remote(target):
            os.makedirs(
                os.path.dirname(target) if out.type == "uri_file" else target, exist_ok=True
            )
    logs = StepLogs(paths.logs, step.name)
    logs.overview("Start scheduling.")

    ledger = Ledger(paths.ledger)
    if resume:
        ledger.load()

    # -- plan, bounded by --first_task_creation_timeout
    if plan is None:
        plan = plan_with_timeout(step, input_path, paths.state)
    if isinstance(plan, PlanTimeout):
        cause = str(plan)
        logs.result([cause, "Reduce the input size or set --first_task_creation_timeout higher."])
        logs.close()
        return StepResult(step.name, FAILED, cause, logs_dir=paths.logs)
    pieces, kind, plan_seconds = plan
    logs.overview(f"Scheduled {len(pieces)} mini batches in {plan_seconds:.2f} seconds.")

    append_to = step.append_row_to
    output_type = step.outputs[append_to].type if append_to else ""
    policy = _policy(step, pieces)
    for rec in ledger.final.values():
        policy.accounts.record(rec, final=True)

    config = _process_config(step, paths, outputs, kind, input_paths or {})
    if interpreter is not None:
        config = dataclasses.replace(config, python=interpreter[0], python_path=interpreter[1])
    run = _Run(step, backend, pieces, logs, ledger, policy, progress)
    todo = [(p, ledger.attempts.get(p.id, 0) + 1) for p in pieces if p.id not in ledger.final]
    progress.start(step.name, len(pieces))
    progress.update({**policy.accounts.counts(), "retried": 0})
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
            run.cause = policy.accounts.crossed() or ""
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

    counts = policy.accounts.counts()
    counts["retried"] = run.retried
    if status == COMPLETED and append_to and counts["succeeded_items"] == 0 and pieces:
        status = FAILED
        run.cause = (
            "No succeeded mini batch item returned from run(). Please check 'response: run()' "
            "in https://aka.ms/batch-inference-documentation."
        )
    if status == COMPLETED and append_to:
        committed = [
            ledger.final[i]
            for i in sorted(ledger.final)
            if ledger.final[i].status == Attempt.RUN_DONE
        ]
        target = output_file(outputs[append_to], output_type)
        n_bytes = assemble(paths.parts, committed, target, step.prs.append_row_dataframe_header)
        logs.overview(
            f"Finished concatenating {len(committed)} files ({n_bytes} bytes) into {target}."
        )
        shutil.rmtree(paths.parts, ignore_errors=True)
        outputs = {**outputs, append_to: target}
    _write_result(logs, step, status, run, counts, shutdown_errors)
    logs.close()
    return StepResult(
        step.name,
        status,
        run.cause,
        counts,
        outputs,
        paths.logs,
        time.monotonic() - t_start,
        info={
            "plan_seconds": round(plan_seconds, 3),
            "kind": kind,
            **placement,
            "shutdown_errors": shutdown_errors,
        },
    )


def _policy(step: ParallelStep, pieces: list[Any]) -> Policy:
    thresholds = Thresholds(
        step.mini_batch_error_threshold,
        step.prs.error_threshold if step.prs.error_threshold != -1 else step.error_threshold,
        step.prs.allowed_failed_percent,
    )
    accounts = Accounts(len(pieces), append_row=bool(step.append_row_to), thresholds=thresholds)
    init_limit = 3 * max(1, step.max_concurrency_per_instance) * max(1, step.instance_count)
    limits = Limits(
        max_attempts=step.retry.max_retries + 1,
        init_failures=init_limit,
        progress_timeout=step.prs.effective_progress_update_timeout(step.retry.timeout),
    )
    by_id = {p.id: p for p in pieces}
    overhead = float(step.prs.task_overhead_timeout)
    return Policy(limits, accounts, lambda i: count_items(by_id[i], overhead))


def _process_config(
    step: ParallelStep,
    paths: StepDir,
    outputs: dict[str, str],
    kind: str,
    input_paths: dict[str, str],
) -> ProcessConfig:
    folder_outputs = [
        outputs[n]
        for n, o in step.outputs.items()
        if o.type != "uri_file" and n != step.append_row_to and not is_remote(outputs[n])
    ]
    output_dir = folder_outputs[0] if folder_outputs else paths.outputs
    size = step.mini_batch_size
    if size is None:
        size = 1024 * 1024 if kind == "rows" else 10
    runtime_args = [
        "--scoring_module_name",
        step.entry_script,
        "--mini_batch_size",
        str(size),
        "--logging_level",
        step.logging_level,
        "--run_invocation_timeout",
        str(step.retry.timeout),
        "--run_max_try",
        str(step.retry.max_retries + 1),
        "--output",
        output_dir,
        "--process_count_per_node",
        str(step.max_concurrency_per_instance),
    ]
    env = dict(step.environment_variables)
    env[environ.OUTPUT_PATH] = output_dir
    env[environ.NODE_COUNT] = str(step.instance_count)
    return ProcessConfig(
        run_id=f"{step.name}-{uuid.uuid4().hex[:8]}",
        step_name=step.name,
        code_dir=step.code_dir,
        entry_script=step.entry_script,
        argv=(*runtime_args, *fill_run_time(step.program_arguments, input_paths, outputs)),
        environment=env,
        logs_dir=paths.logs,
        parts_dir=paths.parts,
        output_dir=output_dir,
        logging_level=step.logging_level,
        append_row=bool(step.append_row_to),
        dataframe_header=step.prs.append_row_dataframe_header,
        task_overhead_timeout=float(step.prs.task_overhead_timeout),
        run_timeout=float(step.retry.timeout),
        processes_per_worker=step.max_concurrency_per_instance,
        resource_monitor_interval=float(step.prs.resource_monitor_interval),
        process_memory_limit=step.prs.process_memory_limit,
        shutdown_timeout=_shutdown_timeout(),
    )


def _shutdown_timeout() -> float:
    """Seconds for an entry script's shutdown(): dask config ``daskprs.shutdown-timeout``
    (environment ``DASK_DASKPRS__SHUTDOWN_TIMEOUT``), default 60."""
    import dask.config

    return float(dask.config.get("daskprs.shutdown-timeout", 60.0))


def _write_result(
    logs: StepLogs,
    step: ParallelStep,
    status: str,
    run: _Run,
    counts: dict,
    shutdown_errors: list[str],
) -> None:
    lost = (
        f" {counts['infra_losses']} attempts were lost to infrastructure failures and re-run "
        "(not counted)."
        if counts.get("infra_losses")
        else ""
    )
    if status == COMPLETED:
        lines = [
            f"The ParallelRunStep processed all mini batches. There are "
            f"{counts['mini_batches']} mini batches with {counts['items']} items. Processed "
            f"{counts['processed_mini_batches']} mini batches containing {counts['items']} "
            f"items, {counts['succeeded_items']} succeeded, {counts['failed_items']} failed. "
            f"The error threshold is {run.accounts.thresholds.error_threshold}. "
            f"Failed mini batches: {counts['failed_mini_batches']} "
            f"(mini_batch_error_threshold {step.mini_batch_error_threshold}).{lost}",
        ]
        logs.overview(f"All {counts['mini_batches']} mini batches have been processed.")
    else:
        where = run.cause_file or os.path.join(
            logs.dir, "sys", "job_report", "processed_mini-batches.csv"
        )
        lines = [
            run.cause,
            f"Open {where} first. Processed {counts['processed_mini_batches']} of "
            f"{counts['mini_batches']} mini batches: {counts['failed_mini_batches']} failed, "
            f"{counts['failed_items']} failed items, {counts['succeeded_items']} succeeded "
            f"items.{lost} See logs/readme.txt for the layout of logs.",
        ]
        logs.overview(f"Progress update stopped for reasons: [{run.cause}]")
    if shutdown_errors:
        lines.append(f"shutdown() failed in {len(shutdown_errors)} process(es):")
        lines.extend(f"  {line}" for line in shutdown_errors)
    logs.result(lines)
    _write_errors(logs, shutdown_errors)


def _write_errors(logs: StepLogs, extra: list[str]) -> None:
    """job_error.txt: the first line of every traceback file, per process, and the shutdown()
    failures (a hung shutdown() leaves no traceback)."""
    lines: list[str] = []
    error_root = os.path.join(logs.dir, "user", "error")
    for root, _dirs, files in sorted(os.walk(error_root)):
        for name in sorted(files):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as fh:
                heads = [ln.rstrip() for ln in fh if ln[:1].isdigit()]
            for head in heads:
                lines.append(f"{os.path.relpath(path, logs.dir)}: {head}")
    lines.extend(f"shutdown: {line}" for line in extra)
    logs.errors(lines)
