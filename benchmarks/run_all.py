"""Run the whole benchmark suite and print one table of figures and ratios vs the targets.

    .venv/bin/python -m benchmarks.run_all [--quick] [--only B1,B3] [--json out.json]
    python benchmarks/run_all.py --quick

``--quick`` scales the workloads down about 10x (under ~5 minutes on 2 cores). Each timing is
the median of ``--repeat`` runs (default 3).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

if __package__ in (None, ""):  # python benchmarks/run_all.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from benchmarks.common import Row, log  # noqa: E402

_CHILD_ENV = "DASKPRS_BENCH_CHILD"
Runner = Callable[[argparse.Namespace], list[Row]]


def _modules() -> dict[str, object]:
    from benchmarks import (
        b0_cluster,
        b1_tabular,
        b2_overhead,
        b3_file_lists,
        b4_many_models,
        b5_memory,
    )

    return {
        "B0": b0_cluster,
        "B1": b1_tabular,
        "B2": b2_overhead,
        "B3": b3_file_lists,
        "B4": b4_many_models,
        "B5": b5_memory,
    }


def base_parser(description: str = "") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description or __doc__)
    p.add_argument("--quick", action="store_true", help="scale every workload down ~10x")
    p.add_argument("--repeat", type=int, default=3, help="timings per figure (median reported)")
    p.add_argument("--keep", action="store_true", help="keep the generated data and run dirs")
    p.add_argument("--json", help="also write the rows and machine info to this JSON file")
    p.add_argument("--markdown", help="also write the table as markdown to this file")
    return p


def finish_args(args: argparse.Namespace) -> argparse.Namespace:
    """Derived settings: cold-start figures (a fresh interpreter each) run once in quick mode."""
    args.cold_repeat = 1 if args.quick else args.repeat
    return args


def report(
    rows: list[Row], args: argparse.Namespace, seconds: float, info: dict | None = None
) -> None:
    end = common.machine_info()
    info = info or end
    info["loadavg_end"] = end["loadavg"]
    if end["commit"] != info["commit"]:
        info["commit"] += f" (at the end: {end['commit']})"
    doc = {"machine": info, "quick": args.quick, "repeat": args.repeat, "seconds": seconds}
    doc["rows"] = [r.as_dict() for r in rows]
    if args.json:
        common.dump_json(args.json, doc)
    if os.environ.get(_CHILD_ENV):  # one benchmark of run_all: the parent prints the table
        return
    print()
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['ram_mb'] / 1024:.1f} GiB RAM; "
        f"commit {info['commit']}; {info['date']}; python {info['python']}; "
        f"mode {'quick' if args.quick else 'full'}; median of {args.repeat}; "
        f"suite {seconds:.0f} s; load average {info['loadavg'][0]:.1f} at the start, "
        f"{info['loadavg_end'][0]:.1f} at the end"
    )
    print(common.table(rows))
    missed = [r for r in rows if r.met is False]
    print(f"\ntargets: {sum(r.met is True for r in rows)} met, {len(missed)} missed")
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(common.table(rows, markdown=True) + "\n")


def cli_main(
    runners: list[Runner],
    add_args: Callable[[argparse.ArgumentParser], None],
    configure: Callable[[argparse.Namespace], None],
) -> None:
    """The ``main()`` of one benchmark module."""
    parser = base_parser()
    add_args(parser)
    args = finish_args(parser.parse_args())
    configure(args)
    info = common.machine_info()
    t0 = time.monotonic()
    rows: list[Row] = []
    for runner in runners:
        rows += runner(args)
    report(rows, args, time.monotonic() - t0, info)


def main(argv: list[str] | None = None) -> None:
    modules = _modules()
    parser = base_parser()
    parser.add_argument("--only", help="comma-separated benchmarks to run, e.g. B1,B3")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the benchmarks in this interpreter (default: each in a fresh one, so the "
        "state one leaves behind - a started zygote, imports, memory - cannot help another)",
    )
    for mod in modules.values():
        mod.add_args(parser)  # type: ignore[attr-defined]
    argv = list(sys.argv[1:] if argv is None else argv)
    args = finish_args(parser.parse_args(argv))
    selected = [s.strip().upper() for s in args.only.split(",")] if args.only else list(modules)
    rows: list[Row] = []
    info = common.machine_info()
    t0 = time.monotonic()
    for name in selected:
        if not os.environ.get(_CHILD_ENV):
            log(f"== {name} ==")
        t = time.monotonic()
        try:
            if args.in_process:
                mod = modules[name]
                mod.configure(args)  # type: ignore[attr-defined]
                rows += mod.run(args)  # type: ignore[attr-defined]
            else:
                rows += _isolated(name, argv)
        except Exception as exc:  # one broken benchmark must not hide the others
            log(f"{name} failed: {exc!r}")
            rows.append(Row(name, "FAILED", float("nan"), "", note=repr(exc)[:200]))
        if not os.environ.get(_CHILD_ENV):
            log(f"== {name} done in {time.monotonic() - t:.0f} s ==")
    report(rows, args, time.monotonic() - t0, info)


def _isolated(name: str, argv: list[str]) -> list[Row]:
    """Run one benchmark in a fresh interpreter; its rows come back through a JSON file."""
    import json
    import subprocess
    import tempfile

    drop = {"--only", "--json", "--markdown"}
    forwarded: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in drop:
            skip = True
            continue
        if a.split("=", 1)[0] in drop:
            continue
        forwarded.append(a)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        cmd = [sys.executable, "-m", "benchmarks.run_all", "--in-process", "--only", name]
        env = {**os.environ, _CHILD_ENV: "1"}
        proc = subprocess.run(
            [*cmd, *forwarded, "--json", out], cwd=common.REPO, env=env, check=False
        )
        if proc.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"{name} exited with code {proc.returncode}")
        with open(out) as fh:
            doc = json.load(fh)
    return [Row(**r) for r in doc["rows"]]


if __name__ == "__main__":
    main()
