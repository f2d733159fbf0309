"""Where one warm daskprs run spends its wall time: planning, the mini batches (the driver's
loop), and the tail (ledger, plugin teardown, output assembly, HTML report).

    .venv/bin/python -m benchmarks.phase_times b4 --size 1000

Workloads as in ``benchmarks.profile_run``. One untimed run first, then the timed one; each
phase is printed with its start and end relative to the call.
"""

from __future__ import annotations

import argparse
import functools
import time
from typing import Any

from benchmarks import common, profile_run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("kind", choices=["b1", "b2", "b2-append", "b3", "b4", "typed"])
    p.add_argument("--size", type=int, default=1000)
    args = p.parse_args()

    import daskprs.report as report
    from daskprs.engine import step as stepmod

    spans: list[tuple[str, float, float]] = []

    def wrap(obj: Any, name: str, label: str) -> None:
        f = getattr(obj, name)

        @functools.wraps(f)
        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                spans.append((label, t0, time.perf_counter()))

        setattr(obj, name, timed)

    wrap(stepmod, "plan_with_timeout", "planning")
    wrap(stepmod._Run, "loop", "mini batches (driver loop)")
    wrap(stepmod.Ledger, "close", "ledger close")
    wrap(stepmod, "assemble", "output assembly")
    wrap(report, "write_report", "HTML report")
    with common.workdir("phases", keep=False) as root:
        job, n = profile_run.build(args.kind, root, args.size)
        with common.warm_client(1, 2) as client:
            wrap(client, "unregister_worker_plugin", "plugin teardown")
            common.run_daskprs(job, client, root / "warm-up")
            spans.clear()
            t0 = time.perf_counter()
            common.run_daskprs(job, client, root / "run")
            total = time.perf_counter() - t0
    print(f"{args.kind}: {n:,} mini batches, {total:.3f} s")
    for label, a, b in spans:
        print(f"  {label:28s} {a - t0:7.3f} -> {b - t0:7.3f} s  ({(b - a) * 1000:6.0f} ms)")


if __name__ == "__main__":
    main()
