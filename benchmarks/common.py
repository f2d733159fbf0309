"""Shared helpers for the daskprs benchmarks: timing, the warm cluster, job folders, results.

Every benchmark generates its own data under a temporary directory, times daskprs and its
baselines in the same process on the same warm cluster, and returns :class:`Row` objects that
``benchmarks.run_all`` prints as one table.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


# -- results ----------------------------------------------------------------------------------
@dataclass
class Row:
    """One figure: ``value`` in ``unit``; ``target`` a human rule; ``met`` None when no target."""

    bench: str
    metric: str
    value: float
    unit: str = "s"
    target: str = ""
    met: bool | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)
    cpu: float | None = None  # median CPU seconds (this process and its descendants)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fmt_value(row: Row) -> str:
    v = row.value
    if row.unit == "s":
        return f"{v:.3f} s" if v < 100 else f"{v:.1f} s"
    if row.unit == "ms":
        return f"{v:.2f} ms"
    if row.unit == "x":
        return f"{v:.2f}x"
    if row.unit == "MB":
        return f"{v:.0f} MB"
    if row.unit == "":
        return f"{v:g}"
    return f"{v:g} {row.unit}"


def table(rows: list[Row], markdown: bool = False) -> str:
    head = ["bench", "metric", "value", "cpu s", "target", "met", "note"]
    body = []
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        cpu = "" if r.cpu is None else f"{r.cpu:.2f}"
        body.append([r.bench, r.metric, fmt_value(r), cpu, r.target, met, r.note])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in b) + " |" for b in body]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)
    ]
    widths[-1] = 0
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)).rstrip() for b in body]
    return "\n".join(out)


def ratio_row(bench: str, metric: str, num: Row, den: Row, limit: float | None) -> Row:
    value = num.value / den.value if den.value else float("inf")
    target = f"<= {limit:g}x" if limit is not None else ""
    met = None if limit is None else value <= limit
    note = ""
    if num.cpu and den.cpu:
        note = f"CPU seconds ratio {num.cpu / den.cpu:.2f}x"
    return Row(bench, metric, value, "x", target, met, note)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- timing -----------------------------------------------------------------------------------
def cpu_seconds() -> float:
    """User + system CPU of this process and all its descendants: live ones (with what they
    reaped) via psutil, reaped ones via this process's children times."""
    import psutil

    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            ct = child.cpu_times()
        except psutil.Error:
            continue
        total += ct.user + ct.system + ct.children_user + ct.children_system
    return total


def median_time(
    fn: Callable[[int], Any], repeat: int = 3, before: Callable[[int], Any] | None = None
) -> tuple[float, list[float], Any, float]:
    """Median wall time of ``fn(i)`` over ``repeat`` calls (``before(i)`` runs untimed), the
    samples, the last return value and the median CPU seconds."""
    samples: list[float] = []
    cpus: list[float] = []
    last: Any = None
    for i in range(repeat):
        if before is not None:
            before(i)
        gc.collect()
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        last = fn(i)
        samples.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return statistics.median(samples), samples, last, statistics.median(cpus)


def timed_row(
    bench: str,
    metric: str,
    fn: Callable[[int], Any],
    repeat: int,
    before: Callable[[int], Any] | None = None,
    **kw: Any,
) -> tuple[Row, Any]:
    med, samples, last, cpu = median_time(fn, repeat, before)
    log(
        f"{bench} {metric}: median {med:.3f} s of {', '.join(f'{s:.3f}' for s in samples)}"
        f" (cpu {cpu:.2f} s)"
    )
    row = Row(bench, metric, med, "s", samples=[round(s, 4) for s in samples], cpu=cpu, **kw)
    return row, last


def interleaved_rows(
    bench: str, specs: list[tuple[str, Callable[[int], Any], dict[str, Any]]], repeat: int
) -> list[tuple[Row, Any]]:
    """``timed_row`` for several figures measured in turns: round ``i`` times every ``fn(i)``
    once, starting one further along the list each round. Figures timed one after another
    saw different process states (the heap grown by the one before, caches): on the typed
    table a serial ``read_csv`` loop took 0.31 s right after the CSV was written and 0.63 s
    after another loader ran, in one process."""
    samples: list[list[float]] = [[] for _ in specs]
    cpus: list[list[float]] = [[] for _ in specs]
    last: list[Any] = [None] * len(specs)
    for i in range(repeat):
        for k in range(len(specs)):
            j = (i + k) % len(specs)
            gc.collect()
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            last[j] = specs[j][1](i)
            samples[j].append(time.perf_counter() - t0)
            cpus[j].append(cpu_seconds() - c0)
    out = []
    for (metric, _, kw), ss, cs, result in zip(specs, samples, cpus, last, strict=True):
        med, cpu = statistics.median(ss), statistics.median(cs)
        log(f"{bench} {metric}: median {med:.3f} s of {', '.join(f'{x:.3f}' for x in ss)}")
        row = Row(bench, metric, med, "s", samples=[round(x, 4) for x in ss], cpu=cpu, **kw)
        out.append((row, result))
    return out


# -- machine ----------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) // 1024
                break
    import daskprs

    # the tree the benchmarked daskprs is imported from (a worktree on PYTHONPATH, or REPO)
    where = Path(daskprs.__file__).resolve().parent.parent
    commit = _git(where, "rev-parse", "--short", "HEAD")
    dirty = _git(where, "status", "--porcelain", "--", "daskprs")
    versions = {}
    for mod in ("daskprs", "dask", "distributed", "pandas", "pyarrow", "numpy", "fsspec"):
        with contextlib.suppress(Exception):
            versions[mod] = __import__(mod).__version__
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "ram_mb": ram,
        "commit": commit + (" + uncommitted changes in daskprs/" if dirty else ""),
        "daskprs_from": str(where),
        "python": platform.python_version(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def _git(where: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


# -- the warm cluster -------------------------------------------------------------------------
@contextlib.contextmanager
def warm_client(workers: int, threads: int) -> Iterator[Any]:
    """A LocalCluster as daskprs's embedded one (``processes=False``) and its Client."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextlib.contextmanager
def workdir(prefix: str, keep: bool = False) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=f"daskprs-bench-{prefix}-"))
    try:
        yield root
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


# -- job folders ------------------------------------------------------------------------------
MLTABLE_CSV = """\
type: mltable
paths:
  - pattern: ./*.csv
transformations:
  - read_delimited:
      delimiter: ","
      header: all_files_same_headers
"""


def write_mltable(folder: Path) -> None:
    (folder / "MLTable").write_text(MLTABLE_CSV)


def write_script(root: Path, body: str, name: str = "score.py") -> None:
    code = root / "code"
    code.mkdir(parents=True, exist_ok=True)
    (code / name).write_text(textwrap.dedent(body))


def parallel_yaml(
    root: Path,
    input_data: dict[str, Any],
    *,
    name: str = "bench",
    mini_batch_size: str = "1mb",
    instances: int = 1,
    concurrency: int = 2,
    append_row: bool = True,
    partition_keys: list[str] | None = None,
    program_arguments: str = "",
    file_name: str = "job.yml",
) -> Path:
    """A standalone ``type: parallel`` job YAML, as tests/integration/conftest.py builds."""
    doc: dict[str, Any] = {
        "type": "parallel",
        "name": name,
        "inputs": {"data": input_data},
        "outputs": {"result": {"type": "uri_file"}},
        "input_data": "${{inputs.data}}",
        "mini_batch_size": mini_batch_size,
        "resources": {"instance_count": instances},
        "max_concurrency_per_instance": concurrency,
        "retry_settings": {"max_retries": 2, "timeout": 600},
        "task": {
            "type": "run_function",
            "code": "./code",
            "entry_script": "score.py",
            "environment": {"image": "python:3.11"},
            "append_row_to": "${{outputs.result}}",
        },
    }
    if not append_row:
        del doc["task"]["append_row_to"]
    if partition_keys:
        doc["partition_keys"] = partition_keys
    if program_arguments:
        doc["task"]["program_arguments"] = program_arguments
    path = root / file_name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_daskprs(job_yaml: Path, client: Any, run_dir: Path) -> Any:
    import daskprs

    result = daskprs.run(str(job_yaml), client=client, run_dir=str(run_dir), progress=False)
    if result.status != "Completed":
        step = next(iter(result.steps.values()))
        raise RuntimeError(f"daskprs run failed: {step.cause} (logs: {step.logs_dir})")
    return result


def run_cli(job_yaml: Path, run_dir: Path, extra: list[str] | None = None) -> float:
    """Cold ``daskprs job create`` in a fresh interpreter (embedded cluster); wall seconds."""
    cmd = [PYTHON, "-m", "daskprs", "job", "create", "--file", str(job_yaml), "--quiet"]
    cmd += ["--run-dir", str(run_dir), *(extra or [])]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"daskprs job create failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds


def step_dir(result: Any) -> Path:
    step = next(iter(result.steps.values()))
    return Path(step.logs_dir).parent


def attempts(step_path: Path) -> list[dict[str, Any]]:
    """Rows of ``<step>/logs/sys/job_report/processed_mini-batches.csv`` (start_time as unix)."""
    path = step_path / "logs" / "sys" / "job_report" / "processed_mini-batches.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        start = dt.datetime.fromisoformat(r["start_time"]).replace(tzinfo=dt.timezone.utc)
        r["start"] = start.timestamp()
        r["elapsed"] = float(r["elapsed_seconds"])
        r["run"] = float(r["run_seconds"])
    return rows


def output_bytes(result: Any) -> int:
    path = next(iter(result.outputs.values()))
    return os.path.getsize(path) if os.path.isfile(path) else -1


def concat_parts(parts: list[str], target: str) -> int:
    """Concatenate part files in order into ``target`` (as daskprs assembles its output)."""
    n = 0
    with open(target, "wb") as out:
        for p in parts:
            with open(p, "rb") as fh:
                shutil.copyfileobj(fh, out, 1024 * 1024)
            n += os.path.getsize(p)
    return n


# -- memory sampling --------------------------------------------------------------------------
class RssSampler:
    """Samples the RSS of a process and of all its descendants every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_root = 0
        self.peak_children: dict[int, int] = {}
        self.parents: dict[int, int] = {}
        self.samples = 0
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                self.peak_root = max(self.peak_root, self.root.memory_info().rss)
                children = self.root.children(recursive=True)
            except psutil.Error:
                break
            for c in children:
                try:
                    rss = c.memory_info().rss
                    if c.pid not in self.names:
                        self.names[c.pid] = " ".join(c.cmdline()[-3:])
                        self.parents[c.pid] = c.ppid()
                except psutil.Error:
                    continue
                self.peak_children[c.pid] = max(self.peak_children.get(c.pid, 0), rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def dump_json(path: str | os.PathLike[str], doc: Any) -> None:
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=2, default=str)
