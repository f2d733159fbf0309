"""B2 per-mini-batch overhead: a no-op ``run()`` over 10,000 tiny mini batches.

Input: a ``uri_folder`` of N tiny files with ``mini_batch_size: "1"`` (N mini batches of one
file each). ``run()`` returns its input list. Two daskprs variants: summary-only (no
``append_row_to``) and with ``append_row_to`` (a part file per mini batch, committed in order).
Baseline: ``multiprocessing.Pool(P).map`` of the same no-op over the same one-file lists (pool
start included, as daskprs's process start is).

    overhead per mini batch = (daskprs time - Pool time) / N

From ``processed_mini-batches.csv`` it also reports the steady-state interval between two
mini batches in one entry process, and the dispatch-to-result time of one mini batch.

    .venv/bin/python -m benchmarks.b2_overhead [--quick] [--b2-batches N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.common import Row, log

BENCH = "B2"

SCRIPT = """\
def init():
    pass


def run(mini_batch):
    return mini_batch
"""


def noop(batch: list[str]) -> list[str]:
    return batch


def write_files(folder: Path, n: int, per_dir: int = 1000) -> list[str]:
    out = []
    for i in range(n):
        d = folder / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        p = d / f"f{i:07d}.txt"
        p.write_bytes(b"x\n")
        out.append(str(p))
    return sorted(out)


def pool_map(files: list[str], processes: int) -> int:
    with multiprocessing.Pool(processes) as pool:
        return len(pool.map(noop, [[f] for f in files]))


def noop_part(item: tuple[int, list[str], str]) -> str:
    """The no-op, then its rows written as daskprs writes an attempt: a part file, atomically."""
    i, batch, parts = item
    final = os.path.join(parts, f"{i:09d}.part")
    tmp = f"{final}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("".join(f"{x}\n" for x in noop(batch)))
    os.replace(tmp, final)
    return final


def pool_parts(files: list[str], processes: int, parts: Path, out: str) -> int:
    parts.mkdir(parents=True)
    items = [(i, [f], str(parts)) for i, f in enumerate(files)]
    with multiprocessing.Pool(processes) as pool:
        done = pool.map(noop_part, items)
    n = common.concat_parts(done, out)
    shutil.rmtree(parts)
    return n


def cadence(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Steady-state figures from the attempt CSV (seconds)."""
    by_proc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_proc[r["process"]].append(r)
    intervals, gaps = [], []
    for rs in by_proc.values():
        rs.sort(key=lambda r: r["start"])
        for a, b in zip(rs, rs[1:], strict=False):
            intervals.append(b["start"] - a["start"])
            gaps.append(b["start"] - (a["start"] + a["elapsed"]))
    return {
        "interval": statistics.median(intervals) if intervals else float("nan"),
        "mean_interval": statistics.fmean(intervals) if intervals else float("nan"),
        "gap": statistics.median(gaps) if gaps else float("nan"),
        "elapsed": statistics.median(r["elapsed"] for r in rows),
        "run": statistics.median(r["run"] for r in rows),
        "first": min(r["start"] for r in rows),
        "last_end": max(r["start"] + r["elapsed"] for r in rows),
    }


def run(args: argparse.Namespace) -> list[Row]:
    import time

    from daskprs import load_job
    from daskprs.engine.cluster import embedded_size

    n = args.b2_batches
    rows: list[Row] = []
    with common.workdir("b2", keep=args.keep) as root:
        log(f"B2: writing {n:,} tiny files")
        files = write_files(root / "files", n)
        common.write_script(root, SCRIPT)
        data = {"type": "uri_folder", "path": "./files", "mode": "ro_mount"}
        summary_job = common.parallel_yaml(
            root, data, name="b2", mini_batch_size="1", append_row=False, file_name="summary.yml"
        )
        append_job = common.parallel_yaml(
            root, data, name="b2", mini_batch_size="1", append_row=True, file_name="append.yml"
        )
        workers, threads, _ = embedded_size(load_job(str(summary_job)))
        processes = workers * threads
        pool_row, _ = common.timed_row(
            BENCH,
            f"multiprocessing.Pool({processes}) no-op",
            lambda i: pool_map(files, processes),
            args.repeat,
        )
        parts_row, _ = common.timed_row(
            BENCH,
            f"multiprocessing.Pool({processes}) no-op + part file each",
            lambda i: pool_parts(files, processes, root / f"pp{i}", str(root / f"pp{i}.out")),
            args.repeat,
            note="tmp + rename per mini batch, then concatenated in order",
        )
        rows += [pool_row, parts_row]
        with common.warm_client(workers, threads) as client:
            client.run(lambda: None)
            for label, job in (("summary-only", summary_job), ("append_row_to", append_job)):
                starts: list[float] = []
                ends: list[float] = []

                def once(
                    i: int, job: Path = job, label: str = label, starts=starts, ends=ends
                ) -> Any:
                    starts.append(time.time())
                    result = common.run_daskprs(job, client, root / f"{label}{i}")
                    ends.append(time.time())
                    return result

                dp_row, result = common.timed_row(
                    BENCH,
                    f"daskprs no-op, {label}",
                    once,
                    args.repeat,
                    note=f"{n:,} mini batches, {workers}x{threads} processes",
                )
                step = common.step_dir(result)
                c = cadence(common.attempts(step))
                per = (dp_row.value - pool_row.value) / n * 1000
                cpu = (dp_row.cpu or 0.0) / n * 1000
                dp_row.note += f"; {cpu:.2f} ms CPU per mini batch (driver + processes)"
                rows.append(dp_row)
                rows.append(
                    Row(
                        BENCH,
                        f"  overhead per mini batch, {label}",
                        per,
                        "ms",
                        "<= 2 ms",
                        per <= 2,
                        note="(daskprs - Pool) / N",
                    )
                )
                if label == "append_row_to":
                    same = (dp_row.value - parts_row.value) / n * 1000
                    rows.append(
                        Row(
                            BENCH,
                            "  same, vs the Pool that writes a part file each",
                            same,
                            "ms",
                            note="the engine's cost beyond one part file per mini batch",
                        )
                    )
                rows.append(
                    Row(
                        BENCH,
                        f"  steady interval per process, {label}",
                        c["mean_interval"] * 1000,
                        "ms",
                        note=(
                            f"median {c['interval'] * 1000:.2f} ms; dispatch->result "
                            f"{c['elapsed'] * 1000:.2f} ms, run() {c['run'] * 1000:.3f} ms,"
                            f" between {c['gap'] * 1000:.2f} ms"
                        ),
                    )
                )
                tail = ends[-1] - c["last_end"]
                rows.append(
                    Row(
                        BENCH,
                        f"  first dispatch / after last result, {label}",
                        c["first"] - starts[-1],
                        "s",
                        note=f"then {max(tail, 0):.2f} s from the last result to the end",
                    )
                )
                log(f"B2 {label}: {c}")
    return rows


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--b2-batches", type=int, default=None, help="B2 mini batches (10,000)")


def configure(args: argparse.Namespace) -> None:
    if args.b2_batches is None:
        args.b2_batches = 1_000 if args.quick else 10_000


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
