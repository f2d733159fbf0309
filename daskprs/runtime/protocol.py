"""What crosses process boundaries: the entry-script process configuration and attempt records.

Kept small and picklable: the driver ships a :class:`ProcessConfig` once per step (inside the
worker plugin) and mini-batch pieces per task; workers send back :class:`AttemptRecord` lists.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from daskprs.status import USER_FAILURES, Attempt

# Attempt statuses (daskprs.status explains each and who is charged)
RUN_DONE = Attempt.RUN_DONE
RUN_EXCEPTION = Attempt.RUN_EXCEPTION
RUN_TIMEOUT = Attempt.RUN_TIMEOUT
PROCESS_CRASHED = Attempt.PROCESS_CRASHED
LOAD_TIMEOUT = Attempt.LOAD_TIMEOUT
CANCELLED = Attempt.CANCELLED
WORKER_LOST = Attempt.WORKER_LOST
INIT_FAILED = Attempt.INIT_FAILED
NOT_RUN = Attempt.NOT_RUN

FAILED_STATUSES = USER_FAILURES


@dataclass(frozen=True)
class ProcessConfig:
    """Everything an entry-script process needs to start, run init() and report."""

    run_id: str  # unique per (run dir, step): names the plugin and keys worker state
    step_name: str
    code_dir: str
    entry_script: str  # path relative to code_dir ("score.py") or a dotted module name
    argv: tuple[str, ...]  # sys.argv[1:] for the entry script (runtime args, then user args)
    environment: dict[str, str] = field(repr=False)  # user + AZUREML_*; secrets: no repr
    logs_dir: str  # <step>/logs
    parts_dir: str  # <step>/state/parts: committed-attempt output parts
    output_dir: str  # AZUREML_BI_OUTPUT_PATH
    logging_level: str = "INFO"
    append_row: bool = False  # write return values as rows (append_row_to) or only count them
    dataframe_header: bool = False  # --append_row_dataframe_header
    task_overhead_timeout: float = 30.0  # seconds to load a mini batch
    run_timeout: float = 60.0  # seconds for one run() call
    processes_per_worker: int = 1
    shutdown_timeout: float = 60.0  # seconds for shutdown() (config daskprs.shutdown-timeout)
    resource_monitor_interval: float = 600.0  # sys/perf sampling; 0 turns it off
    process_memory_limit: int | None = None  # bytes of RSS; past it the process is killed
    # code shipping to workers that do not share the driver's disk (runtime.code)
    code_archive: bytes | None = None
    code_hash: str = ""
    # the workers chosen to host entry processes (instance_count of them); None: every worker
    worker_addresses: tuple[str, ...] | None = None
    # a step's own environment (daskprs.envs): entry processes start fresh in this interpreter
    # (``~`` expanded on the worker) with daskprs's runtime on PYTHONPATH, instead of forking
    # from the zygote; None: the worker's own Python
    python: str | None = None
    python_path: str = ""


@dataclass(slots=True)  # the driver keeps one per mini batch: slots halve its size
class AttemptRecord:
    """One attempt at one mini batch, as processed_mini-batches.csv and the ledger record it."""

    mini_batch_id: int
    attempt: int
    status: str
    process: str = ""  # "<node>/<processNNN>"
    start_time: float = 0.0  # unix time the attempt was dispatched to the process
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    elapsed_seconds: float = 0.0
    run_seconds: float = 0.0
    error: str = ""  # one line; the full traceback is in user/error/<node>/<process>.txt
    error_file: str = ""
    part: str = ""  # the spool file holding the rows (relative to parts_dir), "" when none
    part_offset: int = 0  # where the rows start in it
    part_bytes: int = 0
    header: str = ""  # DataFrame header line, for --append_row_dataframe_header
    returned: int = 0  # len(run() return value)
    task: str = ""  # the Dask task that made the attempt (dedupes events and results)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_failure(self) -> bool:
        return self.status in FAILED_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (what ``dataclasses.asdict`` gives, without its recursive
        deep copy: this runs for every attempt on the driver)."""
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["extra"] = dict(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttemptRecord:
        """The record from :meth:`to_dict`'s output; unknown keys are ignored."""
        return cls(**{k: d[k] for k in _FIELD_NAMES if k in d})


_FIELD_NAMES = tuple(AttemptRecord.__dataclass_fields__)


def spool_name(node: str, process_name: str, run_id: str) -> str:
    """One spool file per entry process and driver session: a process orphaned by a killed
    driver can never write into a file that a resumed run commits from."""
    return f"{run_id}.{node}.{process_name}.spool"


class LoadStatus:
    """A 32-byte block of shared memory (a memory-mapped file) through which an entry process
    tells its parent that a mini batch's data is loaded, and how many items it has, without a
    pipe message: a message wakes the parent thread (on a busy host, a context switch per
    mini batch), while the parent needs the count only when the mini batch times out or the
    process dies (then all its items are counted as failed), and the time only to switch from
    the load deadline to run()'s.

    The n-th ``run`` message a process receives is mini batch ``seq`` n. The process writes
    ``seq`` first, then the count and ``time.monotonic()`` (one clock for every process on
    the host), then ``seq`` again; the parent reads in the other order and believes the block
    only when both copies equal the ``seq`` it asks about (a write it overlapped is ignored).
    """

    _SEQ = struct.Struct("=q")
    _DATA = struct.Struct("=qd")  # items (-1: loading failed), loaded at (monotonic seconds)
    SIZE = 32

    def __init__(self, path: str) -> None:
        with open(path, "r+b") as fh:
            self._mm = mmap.mmap(fh.fileno(), self.SIZE)

    @classmethod
    def create(cls) -> tuple[LoadStatus, str]:
        """A new block in a private temporary file; (block, path for the process to open)."""
        fd, path = tempfile.mkstemp(prefix="daskprs-load-", suffix=".status")
        try:
            os.write(fd, b"\0" * cls.SIZE)
        finally:
            os.close(fd)
        return cls(path), path

    def write(self, seq: int, items: int | None) -> None:
        mm = self._mm
        self._SEQ.pack_into(mm, 0, seq)
        self._DATA.pack_into(mm, 8, -1 if items is None else items, time.monotonic())
        self._SEQ.pack_into(mm, 24, seq)

    def read(self, seq: int) -> tuple[int | None, float] | None:
        """(items or None when loading failed, when loading ended) if mini batch ``seq`` is
        loaded; None when it is not (yet)."""
        mm = self._mm
        if self._SEQ.unpack_from(mm, 24)[0] != seq:
            return None
        items, loaded_at = self._DATA.unpack_from(mm, 8)
        if self._SEQ.unpack_from(mm, 0)[0] != seq:
            return None
        return (None if items < 0 else items), loaded_at

    def close(self) -> None:
        with contextlib.suppress(BufferError, ValueError):
            self._mm.close()
