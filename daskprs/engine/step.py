"""Running one parallel step: plan, submit mini batches to Dask, account, retry, fail fast,
commit and assemble the output.

The driver is the only writer of the ledger, the attempt CSV and the output; workers write only
attempt parts (atomically) and their own log files.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import os
import queue
import shutil
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from distributed import Client, Future

from daskprs.engine.accounting import Accounts, Thresholds
from daskprs.engine.ledger import Ledger
from daskprs.engine.progress import Progress
from daskprs.logs.tree import StepLogs
from daskprs.output.assemble import assemble, is_url, output_file
from daskprs.runtime.code import pack
from daskprs.runtime.plugin import (
    NOT_RUN,
    PrsWorkerPlugin,
    abort_run,
    event_topic,
    plugin_name,
    register_local_sink,
    run_group,
    unregister_local_sink,
)
from daskprs.runtime.protocol import (
    CANCELLED,
    INIT_FAILED,
    PROCESS_CRASHED,
    RUN_DONE,
    AttemptRecord,
    ProcessConfig,
)
from daskprs.spec.bindings import fill_run_time
from daskprs.spec.model import ParallelStep

COMPLETED = "Completed"
FAILED = "Failed"
MAX_GROUP = 64  # mini batches fused into one Dask task at most
SYNC_EVERY = 1.0  # seconds between fsyncs of the ledger (it is flushed to the OS every batch)


@dataclass
class StepResult:
    name: str
    status: str
    cause: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    logs_dir: str = ""
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "cause": self.cause,
            "counts": self.counts,
            "outputs": self.outputs,
            "logs": self.logs_dir,
            "seconds": round(self.seconds, 3),
            **self.info,
        }


@dataclass
class StepPaths:
    step_dir: str
    logs: str
    state: str
    parts: str
    ledger: str

    @classmethod
    def of(cls, run_dir: str, step: str) -> StepPaths:
        step_dir = os.path.join(run_dir, step)
        state = os.path.join(step_dir, "state")
        return cls(
            step_dir,
            os.path.join(step_dir, "logs"),
            state,
            os.path.join(state, "parts"),
            os.path.join(state, "ledger.jsonl"),
        )


def resolve_outputs(step: ParallelStep, paths: StepPaths) -> dict[str, str]:
    """Absolute output paths: explicit ``path:`` or ``<step>/outputs/<name>``."""
    resolved = {}
    for name, out in step.outputs.items():
        resolved[name] = out.path or os.path.join(paths.step_dir, "outputs", name)
    return resolved


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


class _Run:
    """The state of one step run on the driver."""

    def __init__(
        self,
        step: ParallelStep,
        client: Client,
        paths: StepPaths,
        pieces: list[Any],
        logs: StepLogs,
        ledger: Ledger,
        accounts: Accounts,
        config: ProcessConfig,
        progress: Progress,
    ) -> None:
        self.step = step
        self.client = client
        self.paths = paths
        self.pieces = {p.id: p for p in pieces}
        self.logs = logs
        self.ledger = ledger
        self.accounts = accounts
        self.config = config
        self.progress = progress
        self.max_attempts = step.retry.max_retries + 1
        self.done_q: queue.Queue[Future | AttemptRecord | dict[str, Any]] = queue.Queue()
        # (mini batch, attempt) pairs heard of, per task still running: each attempt arrives
        # twice (as it ends, then in the task's result); a finished task's set is dropped
        self.seen: dict[str, set[tuple[int, int]]] = {}
        self.finished_tasks: set[str] = set()
        self.futures: dict[str, Future] = {}
        self.items: dict[str, list[tuple[Any, int]]] = {}
        self.outstanding: set[int] = set()
        self.pending: collections.deque[tuple[list[tuple[Any, int]], int]] = collections.deque()
        self.window = 8  # tasks in flight at most (retries come on top)
        self.retried = 0
        self.cause = ""
        self.cause_file = ""  # the traceback file job_result.txt points at
        self._n = 0
        self.last_progress = time.monotonic()
        self._last_sync = self._last_progress_shown = 0.0
        init_limit = 3 * max(1, step.max_concurrency_per_instance) * max(1, step.instance_count)
        self.init_failure_limit = init_limit

    # -- submission ---------------------------------------------------------------------------
    def submit(self, items: list[tuple[Any, int]], priority: int = 0) -> None:
        if not items:
            return
        self._n += 1
        key = f"daskprs-{self.config.run_id}-{self._n}"
        chosen = self.config.worker_addresses
        fut = self.client.submit(
            run_group,
            self.config.run_id,
            items,
            key=key,
            pure=False,
            retries=0,
            priority=priority,
            workers=list(chosen) if chosen else None,
            allow_other_workers=bool(chosen),  # a lost chosen worker's work may move
        )
        self.futures[key] = fut
        self.items[key] = items
        fut.add_done_callback(self.done_q.put)

    def submit_all(self, todo: list[tuple[Any, int]], processes: int) -> None:
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
        while self.pending and len(self.futures) < self.window and not self.cause:
            chunk, priority = self.pending.popleft()
            self.submit(chunk, priority=priority)

    # -- results --------------------------------------------------------------------------------
    def on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """Dask event subscription: a batch of attempts reported by a worker as they ended."""
        self.done_q.put(event[1])

    def on_local(self, rec: AttemptRecord) -> None:
        """The same, from a worker living in this process (no Dask message involved)."""
        self.done_q.put(rec)

    def handle(self, item: Future | AttemptRecord | dict[str, Any]) -> None:
        if isinstance(item, AttemptRecord):
            self.handle_records([item])
            return
        if isinstance(item, dict):  # Dask adds its own keys (e.g. "worker") to an event
            self.handle_records([AttemptRecord.from_dict(d) for d in item.get("records", ())])
            return
        fut = item
        key = str(fut.key)
        items = self.items.pop(key, [])
        self.futures.pop(key, None)
        if fut.status == "cancelled":
            return
        try:
            records: list[AttemptRecord] = fut.result()
        except Exception as exc:  # the Dask task itself failed (worker lost too often, ...)
            records = [
                AttemptRecord(
                    piece.id,
                    attempt,
                    PROCESS_CRASHED,
                    error=f"the Dask task was lost: {exc!r}",
                    task=key,
                )
                for piece, attempt in items
            ]
        self.handle_records(records)
        # everything the task did was in its result: anything about it arriving later is old
        self.finished_tasks.add(key)
        self.seen.pop(key, None)
        self.top_up()

    def handle_records(self, records: list[AttemptRecord]) -> None:
        resubmit: list[tuple[Any, int]] = []
        for rec in records:
            if rec.task in self.finished_tasks:
                continue
            seen = self.seen.setdefault(rec.task, set())
            pair = (rec.mini_batch_id, rec.attempt)
            if pair in seen:  # reported as it ended and again in the task's result
                continue
            seen.add(pair)
            piece = self.pieces[rec.mini_batch_id]
            if rec.status == NOT_RUN:
                resubmit.append((piece, rec.attempt))
                continue
            if rec.status == CANCELLED:
                if rec.process:  # stopped in flight by the fail-fast: an attempt, not final
                    self.logs.attempt(rec)
                continue
            if rec.status == INIT_FAILED:
                self.accounts.init_failures += 1
                self.logs.overview(f"init() failed in {rec.process}: {rec.error}")
                if self.accounts.init_failures >= self.init_failure_limit and not self.cause:
                    self.cause = (
                        f"The init() in the entry script had raised exception for "
                        f"{self.accounts.init_failures} times. {rec.error}"
                    )
                    self.cause_file = rec.error_file
                resubmit.append((piece, rec.attempt))
                continue
            final = rec.status == RUN_DONE or rec.attempt >= self.max_attempts
            self.logs.attempt(rec)
            self.ledger.append(rec, final)
            files = getattr(piece, "files", None)
            hint = len(files) if files is not None else None
            self.accounts.record(rec, final=final, total_hint=hint)
            self.last_progress = time.monotonic()
            if final:
                self.outstanding.discard(rec.mini_batch_id)
            else:
                self.retried += 1
                resubmit.append((piece, rec.attempt + 1))
            if rec.is_failure and not self.cause_file:
                self.cause_file = rec.error_file
        if not self.cause:
            crossed = self.accounts.crossed()
            if crossed:
                self.cause = crossed
        if not self.cause and resubmit:
            self.submit(resubmit, priority=1)

    def loop(self, progress_timeout: float) -> None:
        while self.outstanding and not self.cause:
            try:
                item = self.done_q.get(timeout=0.5)
            except queue.Empty:
                if time.monotonic() - self.last_progress > progress_timeout:
                    self.cause = f"No progress update in {progress_timeout:g} seconds."
                continue
            self.handle(item)
            while not self.cause:  # drain what else is done, then flush once
                try:
                    self.handle(self.done_q.get_nowait())
                except queue.Empty:
                    break
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
        try:
            self.client.run(abort_run, self.config.run_id)
        except Exception:  # a worker may be gone already
            pass
        deadline = time.monotonic() + grace
        # attempts reported by event need not be waited for: only the tasks themselves
        while self.futures and time.monotonic() < deadline:
            try:
                self.handle(self.done_q.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
        if self.futures:
            self.client.cancel(list(self.futures.values()), force=True)
        self.ledger.flush()
        self.logs.flush()


def run_parallel_step(
    step: ParallelStep,
    client: Client,
    run_dir: str,
    input_path: str,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    outputs: dict[str, str] | None = None,
    ship_code: bool = False,
    input_paths: dict[str, str] | None = None,
    plan: Plan | PlanTimeout | None = None,
) -> StepResult:
    t_start = time.monotonic()
    progress = progress or Progress()
    paths = StepPaths.of(run_dir, step.name)
    os.makedirs(paths.parts, exist_ok=True)
    outputs = outputs or resolve_outputs(step, paths)
    for name, out in step.outputs.items():
        target = outputs[name]
        if not is_url(target):
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
    thresholds = Thresholds(
        step.mini_batch_error_threshold,
        step.prs.error_threshold if step.prs.error_threshold != -1 else step.error_threshold,
        step.prs.allowed_failed_percent,
    )
    accounts = Accounts(len(pieces), append_row=bool(append_to), thresholds=thresholds)
    for rec in ledger.final.values():
        accounts.record(rec, final=True)

    config = _process_config(step, paths, outputs, kind, input_paths or {})
    placement = _place(step, client)
    config = dataclasses.replace(config, worker_addresses=placement.chosen)
    if ship_code:
        archive, code_hash = pack(step.code_dir)
        config = dataclasses.replace(config, code_archive=archive, code_hash=code_hash)
    for note in placement.notes:
        progress.message(note)
        logs.overview(note)
    run = _Run(step, client, paths, pieces, logs, ledger, accounts, config, progress)
    todo = [(p, ledger.attempts.get(p.id, 0) + 1) for p in pieces if p.id not in ledger.final]
    progress.start(step.name, len(pieces))
    progress.update({**accounts.counts(), "retried": 0})
    ledger.open()

    plugin = PrsWorkerPlugin(config)
    # Client.unsubscribe_topic (distributed 2026.8) keeps the handler: hand it a forwarder that
    # is cut after the run, so the client does not keep the run's state alive.
    forward = _Forwarder(run.on_event)
    status = COMPLETED
    try:
        if todo:
            client.register_plugin(plugin, name=plugin.name)
            register_local_sink(config.run_id, run.on_local)
            client.subscribe_topic(event_topic(config.run_id), forward)
            workers = max(placement.workers, step.instance_count)  # more may join
            run.submit_all(todo, processes=workers * step.max_concurrency_per_instance)
            run.loop(step.prs.effective_progress_update_timeout(step.retry.timeout))
        if not run.cause:
            run.cause = accounts.crossed() or ""
        if run.cause:
            status = FAILED
            run.abort()
    except KeyboardInterrupt:
        run.abort()
        raise
    finally:
        ledger.close()
        logs.flush()
        if todo:
            unregister_local_sink(config.run_id)
            forward.target = None
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(event_topic(config.run_id))
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(plugin_name(config.run_id))
        progress.close()

    counts = accounts.counts()
    counts["retried"] = run.retried
    if status == COMPLETED and append_to and counts["succeeded_items"] == 0 and pieces:
        status = FAILED
        run.cause = (
            "No succeeded mini batch item returned from run(). Please check 'response: run()' "
            "in https://aka.ms/batch-inference-documentation."
        )
    if status == COMPLETED and append_to:
        committed = [
            ledger.final[i] for i in sorted(ledger.final) if ledger.final[i].status == RUN_DONE
        ]
        target = output_file(outputs[append_to], output_type)
        n_bytes = assemble(paths.parts, committed, target, step.prs.append_row_dataframe_header)
        logs.overview(
            f"Finished concatenating {len(committed)} files ({n_bytes} bytes) into {target}."
        )
        shutil.rmtree(paths.parts, ignore_errors=True)
        outputs = {**outputs, append_to: target}
    _write_result(logs, step, status, run, counts)
    logs.close()
    result = StepResult(
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
            "workers_used": placement.workers,
            "processes_per_worker": step.max_concurrency_per_instance,
            "placement_notes": placement.notes,
        },
    )
    return result


class _Forwarder:
    def __init__(self, target: Any) -> None:
        self.target = target

    def __call__(self, event: Any) -> None:
        target = self.target
        if target is not None:
            target(event)


@dataclass
class Placement:
    workers: int  # Dask workers hosting entry processes
    chosen: tuple[str, ...] | None  # their addresses, when not every worker is used
    notes: list[str]


def _place(step: ParallelStep, client: Client) -> Placement:
    """instance_count -> Dask workers: the first instance_count workers (sorted by address);
    every worker when the cluster has fewer, with a note saying so."""
    addresses = sorted(client.scheduler_info(n_workers=-1)["workers"])
    notes: list[str] = []
    if not addresses:
        return Placement(1, None, ["the cluster has no workers yet; waiting for some"])
    if step.instance_count >= len(addresses):
        if step.instance_count > len(addresses):
            notes.append(
                f"instance_count is {step.instance_count} but the cluster has {len(addresses)} "
                f"worker(s); running on {len(addresses)}"
            )
        return Placement(len(addresses), None, notes)
    return Placement(step.instance_count, tuple(addresses[: step.instance_count]), notes)


def _process_config(
    step: ParallelStep,
    paths: StepPaths,
    outputs: dict[str, str],
    kind: str,
    input_paths: dict[str, str],
) -> ProcessConfig:
    folder_outputs = [
        outputs[n]
        for n, o in step.outputs.items()
        if o.type != "uri_file" and n != step.append_row_to and not is_url(outputs[n])
    ]
    output_dir = folder_outputs[0] if folder_outputs else os.path.join(paths.step_dir, "outputs")
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
    env["AZUREML_BI_OUTPUT_PATH"] = output_dir
    env["AZUREML_NODE_COUNT"] = str(step.instance_count)
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
    )


def _write_result(logs: StepLogs, step: ParallelStep, status: str, run: _Run, counts: dict) -> None:
    if status == COMPLETED:
        logs.result(
            [
                f"The ParallelRunStep processed all mini batches. There are "
                f"{counts['mini_batches']} mini batches with {counts['items']} items. Processed "
                f"{counts['processed_mini_batches']} mini batches containing {counts['items']} "
                f"items, {counts['succeeded_items']} succeeded, {counts['failed_items']} failed. "
                f"The error threshold is {run.accounts.thresholds.error_threshold}. "
                f"Failed mini batches: {counts['failed_mini_batches']} "
                f"(mini_batch_error_threshold {step.mini_batch_error_threshold}).",
            ]
        )
        logs.overview(f"All {counts['mini_batches']} mini batches have been processed.")
    else:
        where = run.cause_file or os.path.join(
            logs.dir, "sys", "job_report", "processed_mini-batches.csv"
        )
        logs.result(
            [
                run.cause,
                f"Open {where} first. Processed {counts['processed_mini_batches']} of "
                f"{counts['mini_batches']} mini batches: {counts['failed_mini_batches']} failed, "
                f"{counts['failed_items']} failed items, {counts['succeeded_items']} succeeded "
                "items. See logs/readme.txt for the layout of logs.",
            ]
        )
        logs.overview(f"Progress update stopped for reasons: [{run.cause}]")
    _write_errors(logs)


def _write_errors(logs: StepLogs) -> None:
    """job_error.txt: the first line of every traceback file, per process."""
    lines: list[str] = []
    error_root = os.path.join(logs.dir, "user", "error")
    for root, _dirs, files in sorted(os.walk(error_root)):
        for name in sorted(files):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as fh:
                heads = [ln.rstrip() for ln in fh if ln[:1].isdigit()]
            for head in heads:
                lines.append(f"{os.path.relpath(path, logs.dir)}: {head}")
    logs.errors(lines)
