"""Serial loading of the typed table in a fresh process and in one whose malloc heap is grown.

Three loaders over the same 1 MiB byte ranges (``bench_typed``'s table): ``pandas.read_csv``
untyped, daskprs's Arrow typed path, daskprs's pandas path (C parser + conversions, Arrow path
off). Each in a new interpreter, once as it starts and once with glibc's mmap and trim
thresholds raised (``GLIBC_TUNABLES``), which is the state of a process that has already
allocated and freed a lot (for instance one that wrote the CSV through pandas). Prints CPU
seconds, system seconds and minor page faults per loader, best of ``--repeat``.

    .venv/bin/python -m benchmarks.typed_heap [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROWN = "glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=134217728"


def _measure(folder: str, repeat: int) -> dict[str, list[float]]:
    import pandas as pd

    from benchmarks.bench_typed import serial_ours, serial_read_csv
    from daskprs.data.formats import csv_parse

    path = str(Path(folder) / "data.csv")
    cols = pd.read_csv(path, nrows=0).columns.tolist()
    arrow_typed = csv_parse._arrow_typed

    def pandas_path() -> None:
        csv_parse._arrow_typed = lambda *a: None  # type: ignore[assignment]
        try:
            serial_ours(Path(folder))
        finally:
            csv_parse._arrow_typed = arrow_typed  # type: ignore[assignment]

    loaders = {
        "read_csv (untyped)": lambda: serial_read_csv(path, cols),
        "daskprs, Arrow typed path": lambda: serial_ours(Path(folder)),
        "daskprs, pandas path": pandas_path,
    }
    best: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name, fn in loaders.items():
            r0, c0 = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
            fn()
            r1, c1 = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
            got = [c1 - c0, r1.ru_stime - r0.ru_stime, float(r1.ru_minflt - r0.ru_minflt)]
            if name not in best or got[0] < best[name][0]:
                best[name] = got
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child, args.repeat)))
        return
    from benchmarks import common
    from benchmarks.bench_typed import write_typed_csv

    with tempfile.TemporaryDirectory(prefix="daskprs-heap-") as tmp:
        write_typed_csv(Path(tmp) / "data.csv", args.rows)
        common.write_mltable(Path(tmp))
        for label, extra in (("fresh heap", {}), ("grown heap", {"GLIBC_TUNABLES": GROWN})):
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.typed_heap", "--child", tmp]
                + ["--repeat", str(args.repeat)],
                env={**os.environ, **extra},
                capture_output=True,
                text=True,
                check=True,
            )
            for name, (cpu, sys_s, faults) in json.loads(out.stdout).items():
                print(
                    f"{label:10s}  {name:26s} cpu {cpu:.3f} s  sys {sys_s:.3f} s  faults {faults:,.0f}"
                )


if __name__ == "__main__":
    main()
