"""Profile one daskprs benchmark job on a warm cluster: the CPU split between the driver process
and the entry-script processes, per mini batch, and optionally a py-spy profile of the run.

    .venv/bin/python -m benchmarks.profile_run b2 --size 3000              # CPU split only
    .venv/bin/python -m benchmarks.profile_run b2-append --size 3000 --pyspy gil
    .venv/bin/python -m benchmarks.profile_run b4 --size 1000 --pyspy all
    .venv/bin/python -m benchmarks.profile_run b1 --size 1000000 --pyspy all

Workloads (``--size``): ``b1`` CSV rows; ``b2`` / ``b2-append`` mini batches of one tiny file
(summary-only / ``append_row_to``); ``b3`` files, 100 per mini batch; ``b4`` groups of 100 rows;
``typed`` rows of bench_typed's typed table.
One untimed run first (it starts the zygote and imports), then the measured run. ``--pyspy gil``
records only the thread holding the GIL in this (the driver) process; ``--pyspy all`` records
every thread of this process and of its descendants. Needs ``.venv/bin/pip install py-spy``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common


def _cpu() -> tuple[float, float, float]:
    """(this process's user CPU, its system CPU, its descendants' CPU including what they
    reaped), seconds."""
    import psutil

    me = psutil.Process()
    t = me.cpu_times()
    kids = t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            if "py-spy" in child.name():
                continue
            ct = child.cpu_times()
        except psutil.Error:
            continue
        kids += ct.user + ct.system + ct.children_user + ct.children_system
    return t.user, t.system, kids


def _switches() -> tuple[int, int, int]:
    import psutil

    me = psutil.Process()
    c = me.num_ctx_switches()
    return c.voluntary, c.involuntary, me.num_threads()


def build(kind: str, root: Path, size: int) -> tuple[Path, int]:
    """The job YAML for ``kind`` and its number of mini batches."""
    if kind in ("b2", "b2-append"):
        from benchmarks import b2_overhead

        b2_overhead.write_files(root / "files", size)
        common.write_script(root, b2_overhead.SCRIPT)
        data = {"type": "uri_folder", "path": "./files"}
        job = common.parallel_yaml(
            root, data, name="prof", mini_batch_size="1", append_row=kind == "b2-append"
        )
        return job, size
    if kind == "b3":
        from benchmarks import b3_file_lists

        b3_file_lists.make_tree(root / "files", size, content=b"some bytes\n")
        common.write_script(root, b3_file_lists.SCRIPT)
        data = {"type": "uri_folder", "path": "./files"}
        return common.parallel_yaml(root, data, name="prof", mini_batch_size="100"), -(-size // 100)
    if kind == "b4":
        from benchmarks import b4_many_models

        table = root / "table"
        table.mkdir()
        b4_many_models.write_data(table / "sales.csv", size, 100)
        common.write_mltable(table)
        common.write_script(root, b4_many_models.SCRIPT)
        data = {"type": "mltable", "path": "./table"}
        return common.parallel_yaml(root, data, name="prof", partition_keys=["store"]), size
    if kind == "b1":
        from benchmarks import b1_tabular

        job, _, nbytes = b1_tabular.build(root, size)
        return job, len(b1_tabular.windows(nbytes))
    if kind == "typed":
        from benchmarks import b1_tabular, bench_typed

        job, _, nbytes = bench_typed.build(root, size)
        return job, len(b1_tabular.windows(nbytes))
    raise SystemExit(f"unknown workload {kind}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("kind", choices=["b1", "b2", "b2-append", "b3", "b4", "typed"])
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--pyspy", choices=["off", "gil", "all"], default="off")
    p.add_argument("--rate", type=int, default=0, help="py-spy samples/s (250 gil, 100 all)")
    p.add_argument("--out", default="", help="py-spy raw output (default /tmp/daskprs-<kind>.raw)")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    rate = args.rate or (250 if args.pyspy == "gil" else 100)
    out = args.out or f"/tmp/daskprs-{args.kind}-{args.pyspy}.raw"
    with common.workdir("prof", keep=args.keep) as root:
        job, n = build(args.kind, root, args.size)
        with common.warm_client(1, 2) as client:
            common.run_daskprs(job, client, root / "warm-up")
            spy: Any = None
            if args.pyspy != "off":
                exe = shutil.which("py-spy") or os.path.join(
                    os.path.dirname(sys.executable), "py-spy"
                )
                cmd = [exe, "record", "-p", str(os.getpid()), "-r", str(rate), "-f", "raw"]
                cmd += ["-o", out, "--nonblocking"]
                cmd += ["--gil"] if args.pyspy == "gil" else ["--subprocesses"]
                spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                time.sleep(1.0)  # let it attach
            u0, s0, k0 = _cpu()
            ctx0 = _switches()
            t0 = time.perf_counter()
            result = common.run_daskprs(job, client, root / "run")
            wall = time.perf_counter() - t0
            u1, s1, k1 = _cpu()
            ctx1 = _switches()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
        step = next(iter(result.steps.values()))
        print(f"{args.kind}: {n:,} mini batches in {wall:.2f} s ({wall / n * 1000:.2f} ms each)")
        print(f"  plan {step.info.get('plan_seconds')} s; step {step.seconds:.2f} s")
        drv = (u1 - u0) + (s1 - s0)
        print(
            f"  CPU: driver {drv:.2f} s ({drv / n * 1000:.3f} ms/mini batch: user "
            f"{(u1 - u0) / n * 1000:.3f}, system {(s1 - s0) / n * 1000:.3f}), entry processes "
            f"{k1 - k0:.2f} s ({(k1 - k0) / n * 1000:.3f} ms/mini batch)"
        )
        print(
            f"  driver context switches per mini batch: voluntary {(ctx1[0] - ctx0[0]) / n:.1f}, "
            f"involuntary {(ctx1[1] - ctx0[1]) / n:.1f}; threads {ctx1[2]}"
        )
        if args.keep:
            print(f"  kept {root}")
    if spy is not None:
        print(f"  py-spy profile: {out}; summary:")
        print(
            f"    .venv/bin/python -m benchmarks.pyspy_summary {out} --rate {rate} "
            f"--mini-batches {n}"
        )


if __name__ == "__main__":
    main()
