"""``logs/sys/perf/<node>/``: CPU, memory and disk usage every ``--resource_monitor_interval``
seconds (0 turns it off), sampled with psutil on each node, as Azure's PRS does."""

from __future__ import annotations

import csv
import datetime as dt
import os
import threading
from collections.abc import Callable

import psutil

NODE_HEADER = [
    "time",
    "cpu_percent",
    "memory_total_mb",
    "memory_used_mb",
    "memory_percent",
    "load_1m",
]
DISK_HEADER = ["time", "path", "total_mb", "used_mb", "free_mb", "percent"]
PROC_HEADER = ["time", "process", "pid", "cpu_percent", "rss_mb", "num_threads", "status"]


class ResourceMonitor:
    def __init__(
        self,
        perf_dir: str,
        interval: float,
        processes: Callable[[], list[tuple[str, int]]],
        disk_path: str,
    ) -> None:
        self.dir = perf_dir
        self.interval = interval
        self.processes = processes  # () -> [(process name, pid)] of live entry processes
        self.disk_path = disk_path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._procs: dict[int, psutil.Process] = {}

    def start(self) -> None:
        if self.interval <= 0:
            return
        os.makedirs(self.dir, exist_ok=True)
        psutil.cpu_percent(None)  # prime the counters
        self._thread = threading.Thread(target=self._loop, name="daskprs-perf", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()  # a last sample, so that even a short job has its figures

    def _loop(self) -> None:
        self.sample()
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat()
        mem = psutil.virtual_memory()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        self._append(
            "node_resource_usage.csv",
            NODE_HEADER,
            [[now, psutil.cpu_percent(None), mem.total >> 20, mem.used >> 20, mem.percent, load]],
        )
        try:
            disk = psutil.disk_usage(self.disk_path)
            self._append(
                "node_disk_usage.csv",
                DISK_HEADER,
                [
                    [
                        now,
                        self.disk_path,
                        disk.total >> 20,
                        disk.used >> 20,
                        disk.free >> 20,
                        disk.percent,
                    ]
                ],
            )
        except OSError:
            pass
        rows = []
        for name, pid in self.processes():
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                    proc.cpu_percent(None)
                with proc.oneshot():
                    rows.append(
                        [
                            now,
                            name,
                            pid,
                            proc.cpu_percent(None),
                            proc.memory_info().rss >> 20,
                            proc.num_threads(),
                            proc.status(),
                        ]
                    )
            except psutil.Error:
                self._procs.pop(pid, None)
        self._append("processes_resource_usage.csv", PROC_HEADER, rows)

    def _append(self, name: str, header: list[str], rows: list[list[object]]) -> None:
        path = os.path.join(self.dir, name)
        new = not os.path.exists(path)
        with open(path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(header)
            writer.writerows(rows)
