"""The worker lifecycle: a Dask worker plugin owns each worker's entry-script processes.

``setup`` starts ``processes_per_worker`` entry-script processes (they run init() at once, in
parallel); the task function :func:`run_group` borrows one and runs its mini batches in order;
``teardown`` calls shutdown() in each live process. This is the only module that touches Dask
worker internals.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import os
import queue
import re
import threading
from collections.abc import Callable
from typing import Any

from distributed import WorkerPlugin, get_worker

from daskprs.runtime import environ, reaper
from daskprs.runtime.code import unpack
from daskprs.runtime.monitor import ResourceMonitor
from daskprs.runtime.process import EntryProcess
from daskprs.runtime.protocol import AttemptRecord, ProcessConfig
from daskprs.status import Attempt

_setup_lock = threading.Lock()


def plugin_name(run_id: str) -> str:
    return f"daskprs-{run_id}"


def node_name(worker: Any) -> str:
    name = str(worker.name)
    if name.isdigit():
        return f"node{int(name):03d}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "node"


class ProcessPool:
    """The entry-script processes of one step on one Dask worker."""

    def __init__(self, config: ProcessConfig, node: str) -> None:
        self.config = config
        self.node = node
        self._free: queue.Queue[EntryProcess] = queue.Queue()
        self._all: list[EntryProcess] = []
        self._count = 0
        self._lock = threading.Lock()
        self._close_lock = threading.Lock()
        self.aborted = False
        # Every process is started from this one long-lived thread: a child asks Linux to kill
        # it when the thread that started it ends (PR_SET_PDEATHSIG), so that thread must live
        # as long as the pool, not be a Dask task thread.
        self._spawner = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="daskprs-spawn")

    def start(self) -> None:
        """Start the processes in the background: each joins the free list once it is forked
        and has its init message (init() runs on in it), so neither the worker plugin's setup
        nor the driver waits for the forks (5-10 ms each, one after the other)."""
        for _ in range(max(1, self.config.processes_per_worker)):
            self._spawn(to_free_list=True)

    def _spawn(self, to_free_list: bool = False) -> EntryProcess:
        """A new entry process (started from the spawner thread). Refused once the pool is
        closing: a replacement started by a task that is still winding down would outlive
        the step. ``to_free_list``: do not wait; the process joins the free list when started
        (or failed to: the borrower then replaces it)."""
        with self._lock:
            if self._closing:
                raise RuntimeError("the entry-process pool is closed")
            name = f"process{self._count:03d}"
            self._count += 1
            proc = EntryProcess(self.config, self.node, name)
            self._all.append(proc)
            started = self._spawner.submit(self._start, proc, to_free_list)
        if not to_free_list:
            started.result()
        return proc

    def _start(self, proc: EntryProcess, to_free_list: bool) -> None:
        try:
            proc.start()
            if self.aborted:  # started while abort() went by: it would run init() for nothing
                proc.aborted = True
                proc.kill()
        finally:
            if to_free_list:
                self._free.put(proc)

    _closing = False

    def run_group(
        self, items: list[tuple[Any, int]], report: Callable[[AttemptRecord], None] | None = None
    ) -> list[AttemptRecord]:
        """Run the pieces in order in one process; ``report`` sees each attempt as it ends (the
        driver hears of failures and progress without waiting for the whole group).

        A failure of daskprs's own machinery (a process that cannot be started, a broken
        pipe) ends the group: the mini batch in hand is WORKER_LOST and the rest are handed
        back untouched, so none of them uses one of the user's attempts."""
        records: list[AttemptRecord] = []
        proc = self._free.get()
        index = 0
        try:
            while index < len(items):
                piece, attempt = items[index]
                if self.aborted:
                    if proc.sent_ahead:  # it is running this one: stop it
                        proc.aborted = True
                        proc.kill()
                    records.extend(_untouched(items[index:], Attempt.CANCELLED))
                    break
                if not proc.alive and not proc.fresh:
                    proc = self._replace(proc)  # died since it last ran (its zygote was lost)
                error = proc.wait_ready()
                if error and self.aborted:  # killed in init() by abort(): not an init failure
                    records.extend(_untouched(items[index:], Attempt.CANCELLED))
                    break
                if error:
                    records.extend(self._init_failed(proc, items[index:], error))
                    proc = self._replace(proc)
                    break
                rec = proc.run(piece, attempt, items[index + 1 : index + 9])
                records.append(rec)
                index += 1
                if report is not None:
                    report(rec)
                if not proc.alive:  # timed out or crashed: a fresh process runs init() again
                    proc = self._replace(proc)
        except Exception as exc:  # noqa: BLE001 - daskprs's own failure, not the user's
            records.extend(_machinery_failed(proc, items[index:], exc, report))
            proc.kill()
        finally:
            if proc.sent_ahead:  # left early (an error above): the mini batch it runs is stale
                proc.kill()
            self._free.put(proc)  # a dead one is replaced by the next borrower
        return records

    def _init_failed(
        self, proc: EntryProcess, items: list[tuple[Any, int]], error: str
    ) -> list[AttemptRecord]:
        """init() failed in ``proc``: the first mini batch is INIT_FAILED, the rest NOT_RUN."""
        return _first_failed(
            items, Attempt.INIT_FAILED, proc, error, _error_file(self.config, proc)
        )

    def _replace(self, proc: EntryProcess) -> EntryProcess:
        proc.kill()
        if self.aborted:
            return proc
        return self._spawn()

    def live_processes(self) -> list[tuple[str, int]]:
        with self._lock:
            procs = list(self._all)
        return [(p.name, p.proc.pid) for p in procs if p.proc is not None and p.alive]

    def abort(self) -> None:
        """Stop now: kill every process in the middle of a mini batch or still in init()
        (a task waiting for one would otherwise hold the step until init() ends)."""
        self.aborted = True
        with self._lock:
            procs = list(self._all)
        for proc in procs:
            if proc.busy or proc.fresh:
                proc.aborted = True
                proc.kill()

    def close(self) -> list[str]:
        """shutdown() in every live process, in parallel, each bounded by the config's
        ``shutdown_timeout``; every process is gone afterwards. Returns the errors."""
        with self._close_lock:
            if self._closed is None:
                self._closed = self._close()
            return self._closed

    def _close(self) -> list[str]:
        with self._lock:
            self._closing = True
        self._spawner.shutdown(wait=True)  # starts already asked for finish first
        with self._lock:
            procs = list(self._all)
        errors: list[str] = []

        def stop(p: EntryProcess) -> None:
            if self.aborted and p.busy:
                p.kill(reap=False)
                return
            err = p.shutdown(reap=False)
            if err:
                errors.append(f"{p.label}: {err}")

        threads = [threading.Thread(target=stop, args=(p,)) for p in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self._reap(procs)
        return errors

    def _reap(self, procs: list[EntryProcess]) -> None:
        """One scan of the host's processes once every entry process has ended: what each
        one started, and anything else marked with this run, is killed."""
        found = reaper.snapshot()
        for proc in procs:
            proc.reap(found)
        reaper.kill(reaper.marked(found, environ.RUN_ID, self.config.run_id))

    _closed: list[str] | None = None


def _machinery_failed(
    proc: EntryProcess,
    items: list[tuple[Any, int]],
    exc: Exception,
    report: Callable[[AttemptRecord], None] | None,
) -> list[AttemptRecord]:
    """daskprs failed to run ``items[0]``: WORKER_LOST (reported at once), the rest NOT_RUN."""
    if not items:
        return []
    records = _first_failed(
        items, Attempt.WORKER_LOST, proc, f"daskprs could not run the mini batch: {exc!r}"
    )
    if report is not None:
        report(records[0])
    return records


def _first_failed(
    items: list[tuple[Any, int]], status: str, proc: EntryProcess, error: str, error_file: str = ""
) -> list[AttemptRecord]:
    """The first mini batch of ``items`` failed with ``status`` in ``proc``; the rest did not
    run (NOT_RUN: re-queued, no attempt charged)."""
    (piece, attempt), rest = items[0], items[1:]
    failed = AttemptRecord(
        piece.id, attempt, status, process=proc.label, error=error, error_file=error_file
    )
    return [failed, *_untouched(rest, Attempt.NOT_RUN)]


def _untouched(items: list[tuple[Any, int]], status: str) -> list[AttemptRecord]:
    return [AttemptRecord(piece.id, attempt, status) for piece, attempt in items]


def _error_file(config: ProcessConfig, proc: EntryProcess) -> str:
    return os.path.join(config.logs_dir, "user", "error", proc.node, f"{proc.name}.txt")


class PrsWorkerPlugin(WorkerPlugin):
    """Registered once per step run; ``name`` makes it unique to (run dir, step)."""

    def __init__(self, config: ProcessConfig) -> None:
        self.config = config
        self.name = plugin_name(config.run_id)
        self.pool: ProcessPool | None = None
        self.monitor: ResourceMonitor | None = None

    def setup(self, worker: Any) -> None:
        chosen = self.config.worker_addresses
        if chosen is None or worker.address in chosen:
            self.ensure_pool(worker)
        # other workers start a pool only if a task reaches them (a chosen worker was lost)

    def ensure_pool(self, worker: Any) -> ProcessPool:
        with _setup_lock:
            if self.pool is not None:
                return self.pool
            config = self.config
            if config.code_archive is not None:
                code_dir = unpack(config.code_archive, config.code_hash)
                config = dataclasses.replace(config, code_dir=code_dir, code_archive=None)
            node = node_name(worker)
            pool = ProcessPool(config, node)
            pool.start()
            self.monitor = ResourceMonitor(
                os.path.join(config.logs_dir, "sys", "perf", node),
                config.resource_monitor_interval,
                pool.live_processes,
                config.logs_dir,
            )
            self.monitor.start()
            self.pool = pool
            return pool

    def close(self) -> list[str]:
        """shutdown() in every entry process (bounded), then kill anything they started that
        is still running. Returns the shutdown errors (once; later calls return the same)."""
        if self.monitor is not None:
            self.monitor.stop()
        if self.pool is not None:
            return self.pool.close()  # which kills what is marked with the run, once
        reaper.kill_marked(environ.RUN_ID, self.config.run_id)
        return []

    def teardown(self, worker: Any) -> None:
        self.close()


def _pool(run_id: str) -> ProcessPool:
    worker = get_worker()
    plugin = worker.plugins.get(plugin_name(run_id))
    if not isinstance(plugin, PrsWorkerPlugin):
        raise RuntimeError(f"daskprs plugin {plugin_name(run_id)} is not set up on {worker.name}")
    return plugin.pool or plugin.ensure_pool(worker)


def event_topic(run_id: str) -> str:
    return f"daskprs-{run_id}"


# run id -> the driver's callback, when the driver lives in this process (the embedded cluster
# runs its workers in the driver's process): attempts reach it with no Dask message at all.
_LOCAL_SINKS: dict[str, Callable[[list[AttemptRecord]], None]] = {}
_LOCAL_INTERVAL = 0.05  # seconds a success may wait for others before the local sink sees it


def register_local_sink(run_id: str, sink: Callable[[list[AttemptRecord]], None]) -> None:
    _LOCAL_SINKS[run_id] = sink


def unregister_local_sink(run_id: str) -> None:
    _LOCAL_SINKS.pop(run_id, None)


class RecordBatcher:
    """Hands attempts to ``publish`` in batches: a batch goes out ``interval`` seconds after
    its first record or at ``max_records``; an attempt that is not RUN_DONE goes out at once
    (with what is buffered), so the driver's fail-fast sees failures without delay.

    Each batch wakes the driver's loop once (for the local sink: a queue hand-over, then the
    attempt log and the ledger written and flushed); one wake-up per attempt cost the embedded
    driver about 60 us of GIL per mini batch on B4."""

    def __init__(
        self,
        publish: Callable[[list[AttemptRecord]], None],
        interval: float = 0.1,
        max_records: int = 32,
    ) -> None:
        self.publish = publish
        self.interval = interval
        self.max_records = max_records
        self._lock = threading.Lock()
        self._buf: list[AttemptRecord] = []
        self._timer: threading.Timer | None = None

    def add(self, rec: AttemptRecord) -> None:
        with self._lock:
            self._buf.append(rec)
            if rec.status != Attempt.RUN_DONE or len(self._buf) >= self.max_records:
                self._send_locked()
            elif self._timer is None:
                self._timer = threading.Timer(self.interval, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            self._send_locked()

    def discard(self) -> None:
        """The task is returning every record in its result: what is buffered need not go."""
        with self._lock:
            self._buf = []
            self._cancel_locked()

    def _send_locked(self) -> None:
        self._cancel_locked()
        if self._buf:
            batch, self._buf = self._buf, []
            self.publish(batch)

    def _cancel_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class EventBatcher(RecordBatcher):
    """Publishes attempts as Dask events, batched (:class:`RecordBatcher`).

    One Dask event per attempt costs the driver about 1 ms of CPU (worker stream, scheduler
    broker, client subscription); a batch costs about the same as one attempt did."""

    def __init__(
        self, worker: Any, topic: str, interval: float = 0.1, max_records: int = 32
    ) -> None:
        super().__init__(self._log_event, interval, max_records)
        self.worker = worker
        self.topic = topic

    def _log_event(self, records: list[AttemptRecord]) -> None:
        self.worker.log_event(self.topic, {"records": [rec.to_dict() for rec in records]})


def run_group(run_id: str, items: list[tuple[Any, int]]) -> list[AttemptRecord]:
    """The Dask task: run these (piece, attempt) pairs in one entry-script process, in order.

    Each attempt also reaches the driver as soon as it ends — through an in-process callback
    when the driver is in this process, else as Dask events, batched either way; every record
    carries the task key, so the driver counts each one once whichever way it arrives first."""
    worker = get_worker()
    task = str(worker.get_current_task())
    sink = _LOCAL_SINKS.get(run_id)
    batcher = (
        RecordBatcher(sink, _LOCAL_INTERVAL)
        if sink is not None
        else EventBatcher(worker, event_topic(run_id))
    )

    def report(rec: AttemptRecord) -> None:
        rec.task = task
        batcher.add(rec)

    try:
        records = _pool(run_id).run_group(items, report)
    except BaseException:
        batcher.flush()  # the task fails: the attempts that ended must still be heard of
        raise
    batcher.discard()
    for rec in records:
        rec.task = task
    return records


async def close_run(run_id: str, dask_worker: Any = None) -> list[str]:
    """Run on every worker at once with Client.run at the end of a step: shutdown() in all
    entry processes in parallel. Returns this worker's shutdown errors.

    A coroutine, and the work in a thread: workers that share one event loop (the embedded
    cluster) would otherwise close one after another."""
    worker = dask_worker or get_worker()
    plugin = worker.plugins.get(plugin_name(run_id))
    if isinstance(plugin, PrsWorkerPlugin):
        return await asyncio.to_thread(plugin.close)
    return []


def abort_run(run_id: str, dask_worker: Any = None) -> None:
    """Run on every worker with Client.run when the job fails fast."""
    worker = dask_worker or get_worker()
    plugin = worker.plugins.get(plugin_name(run_id))
    if isinstance(plugin, PrsWorkerPlugin) and plugin.pool is not None:
        plugin.pool.abort()
