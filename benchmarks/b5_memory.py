"""B5 memory: a 2 GB CSV with full-DataFrame ``append_row_to``.

The job (B1's table and ``run()``: the mini batch with one added column, 1 MiB mini batches)
runs as a user runs it: ``daskprs job create`` in its own interpreter with the embedded
cluster. A psutil thread in this process samples every 50 ms the RSS of that driver process
and of each of its descendants (the zygote, if any, and the entry-script processes).

It runs at two input sizes (``--b5-mb`` and a tenth of it) to show whether the driver's peak
depends on the input size. An entry process's growth is its peak minus the RSS of an idle
entry process (after init() and a few tiny mini batches: its libraries paged in); the small
input also runs with 8x larger mini batches, to separate the fixed part of that growth from
the part that scales with the mini batch.

    .venv/bin/python -m benchmarks.b5_memory [--quick] [--b5-mb 2000] [--b5-mini-batch 1mb]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks import b1_tabular, common
from benchmarks.common import Row, log

BENCH = "B5"
MB = 1024 * 1024


def _parse_size(text: str) -> int:
    from daskprs.data.sizes import parse_mini_batch_size

    return int(parse_mini_batch_size(text))


def measure(job: Path, run_dir: Path) -> dict[str, Any]:
    cmd = [common.PYTHON, "-m", "daskprs", "job", "create", "--file", str(job), "--quiet"]
    cmd += ["--run-dir", str(run_dir)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=common.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with common.RssSampler(proc.pid, 0.05) as sampler:
        out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"daskprs job create failed: {err.decode()[-2000:]}")
    # the zygote (if any) is the driver's child; entry processes are forked from it or started
    # by the driver directly (python -m daskprs.runtime.child)
    zygotes = {
        pid
        for pid in sampler.peak_children
        if "zygote" in sampler.names.get(pid, "") and sampler.parents.get(pid) == proc.pid
    }
    entry = {p: rss for p, rss in sampler.peak_children.items() if p not in zygotes}
    zygote = [sampler.peak_children[p] for p in zygotes]
    return {
        "seconds": seconds,
        "driver": sampler.peak_root / MB,
        "entry_max": max(entry.values(), default=0) / MB,
        "entry_n": len(entry),
        "zygote": max(zygote, default=0) / MB,
        "samples": sampler.samples,
    }


def _job(root: Path, size_mb: int, mini_batch: str) -> tuple[Path, int]:
    folder = root / f"in{size_mb}-{mini_batch}"
    table = folder / "table"
    table.mkdir(parents=True)
    data = root / f"data{size_mb}.csv"
    if not data.exists():
        rows_n = int(size_mb * 1e6 / 87)
        log(f"B5: writing {size_mb} MB ({rows_n:,} rows)")
        b1_tabular.write_table_csv(data, rows_n)
    os.symlink(data, table / "data.csv")
    common.write_mltable(table)
    os.symlink(root / "code", folder / "code")
    job = common.parallel_yaml(
        folder, {"type": "mltable", "path": "./table"}, name="b5", mini_batch_size=mini_batch
    )
    return job, os.path.getsize(data)


def _measure(root: Path, size_mb: int, mini_batch: str) -> dict[str, Any]:
    job, nbytes = _job(root, size_mb, mini_batch)
    res = measure(job, job.parent / "run")
    out = job.parent / "run" / "b5" / "outputs" / "result"
    res["out_mb"] = os.path.getsize(out) / MB
    res["in_mb"] = nbytes / MB
    out.unlink()
    shown = {k: round(v, 1) if isinstance(v, float) else v for k, v in res.items()}
    log(f"B5 {size_mb} MB, mini batches of {mini_batch}: {shown}")
    return res


def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    window = _parse_size(args.b5_mini_batch)
    big_window = 8 * window
    big_text = f"{big_window // 1024}kb"
    big, small = args.b5_mb, max(1, args.b5_mb // 10)
    with common.workdir("b5", keep=args.keep) as root:
        from benchmarks.b0_cluster import entry_process_probe

        # an entry process after init() and a few tiny mini batches (libraries paged in)
        idle = entry_process_probe(root / "probe")["rss"] / MB
        common.write_script(root, b1_tabular.SCRIPT)
        r_small = _measure(root, small, args.b5_mini_batch)
        r_small8 = _measure(root, small, big_text)
        r_big = _measure(root, big, args.b5_mini_batch)
        for label, res in ((f"{small} MB input", r_small), (f"{big} MB input", r_big)):
            rows.append(
                Row(
                    BENCH,
                    f"driver peak RSS, {label}",
                    res["driver"],
                    "MB",
                    "<= 300 MB",
                    res["driver"] <= 300,
                    note=f"`daskprs job create`, {res['seconds']:.0f} s, output "
                    f"{res['out_mb']:.0f} MB, {args.b5_mini_batch} mini batches",
                )
            )
        rows.append(
            Row(
                BENCH,
                f"  driver growth from {small} MB to {big} MB input",
                r_big["driver"] - r_small["driver"],
                "MB",
                note="~0 when independent of the input size",
            )
        )
        rows.append(
            Row(
                BENCH,
                f"entry process peak RSS, {big} MB input",
                r_big["entry_max"],
                "MB",
                note=f"max over {r_big['entry_n']} entry processes; zygote peak "
                f"{r_big['zygote']:.0f} MB",
            )
        )
        growth = r_big["entry_max"] - idle
        rows.append(
            Row(
                BENCH,
                f"  its peak minus an idle entry process ({idle:.0f} MB)",
                growth,
                "MB",
                note=f"{growth / (window / MB):.0f}x the {args.b5_mini_batch} mini batch size",
            )
        )
        marginal = (r_small8["entry_max"] - r_small["entry_max"]) / ((big_window - window) / MB)
        rows.append(
            Row(
                BENCH,
                f"  entry peak RSS with {big_text} mini batches",
                r_small8["entry_max"],
                "MB",
                "marginal <= 10x",
                marginal <= 10,
                note=f"vs {r_small['entry_max']:.0f} MB with {args.b5_mini_batch} ({small} MB "
                f"input): {marginal:.1f} MB per extra MB of mini batch",
            )
        )
    return rows


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--b5-mb", type=int, default=None, help="B5 input MB (2000; quick 200)")
    parser.add_argument("--b5-mini-batch", default="1mb", help="B5 mini_batch_size (1mb)")


def configure(args: argparse.Namespace) -> None:
    if args.b5_mb is None:
        args.b5_mb = 200 if args.quick else 2000


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
