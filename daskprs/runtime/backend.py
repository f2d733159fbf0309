"""The one seam between the driver and the workers: an execution backend.

The engine hands a backend groups of ``(mini batch, attempt)`` pairs and reads back
:class:`~daskprs.runtime.protocol.AttemptRecord` lists, each attempt exactly once, whatever
route it took. What a backend does not do: decide (retry, give up, fail the job — that is
:mod:`daskprs.engine.policy`), or write anything (the driver owns the ledger and the logs).

- :class:`DaskBackend` runs the groups as Dask tasks; a worker plugin owns each worker's
  entry-script processes (:mod:`daskprs.runtime.plugin`). Attempts reach the driver as they
  end (an in-process callback on the embedded cluster, batched Dask events elsewhere) and again
  in each task's result; a task that fails (its worker was lost, the task was lost) turns into
  ``WORKER_LOST`` records for its mini batches that had not reported.
- :class:`InProcessBackend` runs the same entry-process pool in this process's threads, with
  no Dask at all (joblib's ``SequentialBackend`` idea): engine tests need no cluster.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from daskprs.runtime.protocol import AttemptRecord, ProcessConfig
from daskprs.status import Attempt

Items = list[tuple[Any, int]]  # (mini batch piece, attempt number) pairs


@dataclass
class Started:
    """What a backend tells the engine after start: where the processes run."""

    config: ProcessConfig  # as the processes see it (worker addresses, shipped code)
    workers: int  # hosts of entry processes now
    processes_per_worker: int
    notes: list[str] = field(default_factory=list)
    capacity: int = 0  # hosts to plan work for (instance_count: more workers may join)


class Backend(Protocol):
    def start(self, config: ProcessConfig, instance_count: int) -> Started: ...

    def submit(self, items: Items, priority: int = 0) -> None: ...

    def next(self, timeout: float) -> list[AttemptRecord]: ...

    @property
    def in_flight(self) -> int: ...

    def abort(self) -> None: ...

    def cancel(self) -> None: ...

    def close(self) -> list[str]: ...


class _Inbox:
    """Where records arrive from any thread; :meth:`take` de-duplicates them.

    Each attempt may arrive twice: as it ends (``report``) and in its task's result. A
    ``(task, mini batch, attempt)`` triple is passed on once; once a task's result is in,
    anything else about that task is old."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.seen: dict[str, set[tuple[int, int]]] = {}
        self.finished: set[str] = set()

    def put_records(self, records: list[AttemptRecord]) -> None:
        self.q.put(("records", records))

    def take(self, timeout: float, on_done: Callable[[Any], list[AttemptRecord]]) -> list[Any]:
        """Everything that arrived (waiting up to ``timeout`` for the first), de-duplicated."""
        try:
            first = self.q.get(timeout=timeout) if timeout > 0 else self.q.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        while True:
            try:
                batch.append(self.q.get_nowait())
            except queue.Empty:
                break
        out: list[AttemptRecord] = []
        for kind, payload in batch:
            if kind == "records":
                out.extend(self._fresh(payload))
            else:  # a task ended: its records are final, the task is finished
                task, records = payload, on_done(payload)
                out.extend(self._fresh(records))
                self.finished.add(task)
                self.seen.pop(task, None)
        return out

    def _fresh(self, records: list[AttemptRecord]) -> list[AttemptRecord]:
        out = []
        for rec in records:
            if rec.task in self.finished:
                continue
            seen = self.seen.setdefault(rec.task, set())
            pair = (rec.mini_batch_id, rec.attempt)
            if pair in seen:
                continue
            seen.add(pair)
            out.append(rec)
        return out


def lost_records(task: str, items: Items, error: str) -> list[AttemptRecord]:
    """A task that failed as a whole: each of its mini batches was lost to the machinery."""
    return [
        AttemptRecord(piece.id, attempt, Attempt.WORKER_LOST, error=error, task=task)
        for piece, attempt in items
    ]


class _Tasks:
    """What both backends share: groups in flight as futures, records through an inbox."""

    lost_as = "the task failed"

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self.futures: dict[str, Any] = {}
        self.items: dict[str, Items] = {}
        self._n = itertools.count(1)
        self._lock = threading.Lock()

    def _task_done(self, key: str) -> list[AttemptRecord]:
        with self._lock:
            fut = self.futures.pop(key, None)
            items = self.items.pop(key, [])
        if fut is None or fut.cancelled():
            return []
        try:
            records: list[AttemptRecord] = fut.result()
        except Exception as exc:  # the task itself failed: its worker or the task was lost
            return lost_records(key, items, f"{self.lost_as}: {exc!r}")
        return records

    def next(self, timeout: float) -> list[AttemptRecord]:
        return self.inbox.take(timeout, self._task_done)

    @property
    def in_flight(self) -> int:
        return len(self.futures)


# ------------------------------------------------------------------------------------- Dask
class DaskBackend(_Tasks):
    """Mini batches as Dask tasks on the workers of ``client``."""

    lost_as = "the Dask task was lost"

    def __init__(self, client: Any, *, ship_code: bool = False) -> None:
        super().__init__()
        self.client = client
        self.ship_code = ship_code
        self.config: ProcessConfig | None = None
        self._forward: _Forwarder | None = None
        self._plugin_name = ""

    def start(self, config: ProcessConfig, instance_count: int) -> Started:
        from daskprs.runtime import plugin
        from daskprs.runtime.code import pack

        placement = _place(instance_count, self.client)
        config = dataclasses.replace(config, worker_addresses=placement.chosen)
        if self.ship_code:
            archive, code_hash = pack(config.code_dir)
            config = dataclasses.replace(config, code_archive=archive, code_hash=code_hash)
        self.config = config
        worker_plugin = plugin.PrsWorkerPlugin(config)
        self._plugin_name = worker_plugin.name
        self.client.register_plugin(worker_plugin, name=worker_plugin.name)
        plugin.register_local_sink(config.run_id, self._on_local)
        # Client.unsubscribe_topic (distributed 2026.8) keeps the handler: hand it a forwarder
        # that is cut at close, so the client does not keep the run's state alive
        self._forward = _Forwarder(self._on_event)
        self.client.subscribe_topic(plugin.event_topic(config.run_id), self._forward)
        capacity = max(placement.workers, instance_count)  # more may join
        return Started(
            config, placement.workers, config.processes_per_worker, placement.notes, capacity
        )

    def submit(self, items: Items, priority: int = 0) -> None:
        from daskprs.runtime.plugin import run_group

        assert self.config is not None
        if not items:
            return
        key = f"daskprs-{self.config.run_id}-{next(self._n)}"
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
        with self._lock:
            self.futures[key] = fut
            self.items[key] = items
        fut.add_done_callback(lambda f: self.inbox.q.put(("done", str(f.key))))

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """Dask event subscription: a batch of attempts reported by a worker as they ended."""
        records = [AttemptRecord.from_dict(d) for d in event[1].get("records", ())]
        self.inbox.put_records(records)

    def _on_local(self, records: list[AttemptRecord]) -> None:
        """The same, from a worker living in this process (no Dask message involved)."""
        self.inbox.put_records(records)

    def abort(self) -> None:
        from daskprs.runtime.plugin import abort_run

        assert self.config is not None
        with contextlib.suppress(Exception):  # a worker may be gone already
            self.client.run(abort_run, self.config.run_id)

    def cancel(self) -> None:
        if self.futures:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self.futures.values()), force=True)
            self.futures.clear()
            self.items.clear()

    def close(self) -> list[str]:
        """shutdown() on every worker at once; the plugin, topic and sink are removed."""
        from daskprs.runtime import plugin

        if self.config is None:
            return []
        run_id = self.config.run_id
        errors: list[str] = []
        try:
            per_worker = self.client.run(plugin.close_run, run_id, on_error="return")
            for result in per_worker.values():
                if isinstance(result, list):
                    errors.extend(result)
                elif isinstance(result, BaseException):
                    errors.append(f"closing the entry processes failed: {result!r}")
        except Exception as exc:  # the cluster is gone: its processes went with it
            errors.append(f"closing the entry processes failed: {exc!r}")
        plugin.unregister_local_sink(run_id)
        if self._forward is not None:
            self._forward.target = None
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(plugin.event_topic(run_id))
        with contextlib.suppress(Exception):
            self.client.unregister_worker_plugin(self._plugin_name)
        self.config = None
        return errors


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


def _place(instance_count: int, client: Any) -> Placement:
    """instance_count -> Dask workers: the first instance_count workers (sorted by address);
    every worker when the cluster has fewer, with a note saying so."""
    addresses = sorted(client.scheduler_info(n_workers=-1)["workers"])
    notes: list[str] = []
    if not addresses:
        return Placement(1, None, ["the cluster has no workers yet; waiting for some"])
    if instance_count >= len(addresses):
        if instance_count > len(addresses):
            notes.append(
                f"instance_count is {instance_count} but the cluster has {len(addresses)} "
                f"worker(s); running on {len(addresses)}"
            )
        return Placement(len(addresses), None, notes)
    return Placement(instance_count, tuple(addresses[:instance_count]), notes)


# -------------------------------------------------------------------------------- in-process
class InProcessBackend(_Tasks):
    """The entry-process pool driven from this process's threads: no Dask, no cluster.

    ``instance_count`` x ``processes_per_worker`` entry processes, one pool per instance
    (``node000``, ``node001``, ...), one thread per process."""

    def __init__(self) -> None:
        super().__init__()
        self.pools: list[Any] = []
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._next_pool = itertools.count()

    def start(self, config: ProcessConfig, instance_count: int) -> Started:
        from daskprs.runtime.plugin import ProcessPool

        instances = max(1, instance_count)
        for i in range(instances):
            pool = ProcessPool(config, f"node{i:03d}")
            pool.start()
            self.pools.append(pool)
        threads = instances * max(1, config.processes_per_worker)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            threads, thread_name_prefix="daskprs-inprocess"
        )
        return Started(config, instances, config.processes_per_worker, capacity=instances)

    def submit(self, items: Items, priority: int = 0) -> None:
        assert self._executor is not None
        if not items:
            return
        key = f"inprocess-{next(self._n)}"
        pool = self.pools[next(self._next_pool) % len(self.pools)]

        def report(rec: AttemptRecord) -> None:
            rec.task = key
            self.inbox.put_records([rec])

        def task() -> list[AttemptRecord]:
            records = pool.run_group(items, report)
            for rec in records:
                rec.task = key
            return records

        with self._lock:
            fut = self._executor.submit(task)
            self.futures[key] = fut
            self.items[key] = items
        fut.add_done_callback(lambda _f: self.inbox.q.put(("done", key)))

    def abort(self) -> None:
        for pool in self.pools:
            pool.abort()

    def cancel(self) -> None:
        with self._lock:
            for fut in self.futures.values():
                fut.cancel()

    def close(self) -> list[str]:
        errors: list[str] = []
        for pool in self.pools:
            errors.extend(pool.close())  # which kills what is marked with the run
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        return errors
