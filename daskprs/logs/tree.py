"""Writers for ``<step>/logs/``: job_result.txt, job_error.txt, readme.txt, the progress
overview and sys/job_report/processed_mini-batches.csv (docs/logs.md)."""

from __future__ import annotations

import csv
import datetime as dt
import os
from typing import IO

from daskprs.atomic import write_text
from daskprs.rundir import ATTEMPTS_CSV, JOB_ERROR, JOB_RESULT
from daskprs.runtime.protocol import AttemptRecord

CSV_HEADER = [
    "mini_batch_id",
    "attempt",
    "process",
    "start_time",
    "total",
    "succeeded",
    "failed",
    "elapsed_seconds",
    "run_seconds",
    "status",
    "error",
]

README = """\
This folder holds the logs of the parallel step "{step}", laid out as Azure ML's parallel job
lays them out.

job_result.txt          The result of the step. On failure: the cause in the first line, then
                        the file to open.
job_error.txt           A summary of the errors raised by the entry script (init/run/shutdown).
job_progress_overview.<YYYYMMDDHH>.txt
                        Progress lines ("<UTC time> <message>"), one file per hour.
sys/job_report/processed_mini-batches.csv
                        One row per attempt at a mini batch: {columns}.
sys/perf/<node>/        CPU, memory and disk usage every --resource_monitor_interval seconds.
user/stdout/<node>/<process>.stdout.txt
                        print() output and the root logger of each entry-script process.
user/stderr/<node>/<process>.stderr.txt
                        stderr of each entry-script process (native crash dumps land here).
user/error/<node>/<process>.txt
                        Full tracebacks of exceptions raised by init(), run() and shutdown().
user/entry_script_log/<node>/<process>.log.txt
                        The EntryScript().logger of each process.

<node> is a Dask worker (node000, node001, ...); <process> is an entry-script process
(process000, ...). A process replaced after a timeout, a crash or an init() failure gets a new
number, so several process files per node are normal.
"""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class StepLogs:
    def __init__(self, logs_dir: str, step: str) -> None:
        self.dir = logs_dir
        self.step = step
        os.makedirs(os.path.join(logs_dir, "sys", "job_report"), exist_ok=True)
        for sub in ("stdout", "stderr", "error", "entry_script_log"):
            os.makedirs(os.path.join(logs_dir, "user", sub), exist_ok=True)
        self.csv_path = os.path.join(logs_dir, ATTEMPTS_CSV)
        self._csv_fh: IO[str] = open(self.csv_path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.writer(self._csv_fh)
        if self._csv_fh.tell() == 0:  # new, or left empty by a failed write (disk full)
            self._csv.writerow(CSV_HEADER)
            self._csv_fh.flush()
        with open(os.path.join(logs_dir, "readme.txt"), "w", encoding="utf-8") as fh:
            fh.write(README.format(step=step, columns=", ".join(CSV_HEADER)))

    def overview(self, message: str) -> None:
        now = utc_now()
        path = os.path.join(self.dir, f"job_progress_overview.{now:%Y%m%d%H}.txt")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{now.replace(tzinfo=None).isoformat()} {message}\n")

    def attempt(self, rec: AttemptRecord) -> None:
        start = (
            dt.datetime.fromtimestamp(rec.start_time, dt.timezone.utc) if rec.start_time else None
        )
        self._csv.writerow(
            [
                rec.mini_batch_id,
                rec.attempt,
                rec.process,
                start.replace(tzinfo=None).isoformat() if start else "",
                rec.total,
                rec.succeeded,
                rec.failed,
                f"{rec.elapsed_seconds:.3f}",
                f"{rec.run_seconds:.3f}",
                rec.status,
                rec.error,
            ]
        )

    def flush(self) -> None:
        self._csv_fh.flush()

    def close(self) -> None:
        self._csv_fh.close()

    def result(self, lines: list[str]) -> None:
        write_text(os.path.join(self.dir, JOB_RESULT), "\n".join(lines) + "\n")

    def errors(self, lines: list[str]) -> None:
        write_text(os.path.join(self.dir, JOB_ERROR), "\n".join(lines) + ("\n" if lines else ""))
