"""B3 file lists: a job over 100,000 small files (``mini_batch_size: "100"``), and listing +
planning 1,000,000 files.

- job: time from the ``daskprs.run`` call to the first dispatched mini batch (the first
  ``start_time`` in ``processed_mini-batches.csv``), and the total; ``run()`` returns its list
  and ``append_row_to`` writes one line per file.
- planning: ``daskprs.data.plan_mini_batches(folder, 100)`` on a folder of 1,000,000 empty
  files (1,000 sub-folders of 1,000), against a bare ``os.walk`` + sort of the same tree.

Creating a million files takes a while (and as long to delete): ``--b3-plan-files`` sets the
count (default 1,000,000; ``--quick`` 100,000).

    .venv/bin/python -m benchmarks.b3_file_lists [--quick] [--b3-files N] [--b3-plan-files N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.common import Row, log

BENCH = "B3"

SCRIPT = """\
def init():
    pass


def run(mini_batch):
    return mini_batch
"""


def make_tree(folder: Path, n: int, per_dir: int = 1000, content: bytes = b"") -> None:
    """``n`` files in sub-folders of ``per_dir`` files (empty, or ``content``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for d in range(-(-n // per_dir)):
        sub = folder / f"d{d:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        base = str(sub)
        for i in range(d * per_dir, min(n, (d + 1) * per_dir)):
            fd = os.open(f"{base}/f{i:07d}.bin", flags, 0o644)
            if content:
                os.write(fd, content)
            os.close(fd)


def walk_sorted(folder: str) -> int:
    """The floor: a bare recursive listing, sorted."""
    out = []
    for dirpath, _dirs, files in os.walk(folder):
        out.extend(os.path.join(dirpath, f) for f in files)
    out.sort()
    return len(out)


def run(args: argparse.Namespace) -> list[Row]:
    from daskprs import load_job
    from daskprs.data import plan_mini_batches
    from daskprs.data.paths import list_input_files
    from daskprs.engine.cluster import embedded_size

    rows: list[Row] = []
    with common.workdir("b3", keep=args.keep) as root:
        # -- the job over N small files
        n = args.b3_files
        log(f"B3: writing {n:,} small files")
        make_tree(root / "files", n, content=b"some bytes\n")
        common.write_script(root, SCRIPT)
        job = common.parallel_yaml(
            root,
            {"type": "uri_folder", "path": "./files", "mode": "ro_mount"},
            name="b3",
            mini_batch_size="100",
        )
        workers, threads, _ = embedded_size(load_job(str(job)))
        firsts: list[float] = []
        plans: list[float] = []
        with common.warm_client(workers, threads) as client:
            client.run(lambda: None)

            def once(i: int) -> Any:
                t0 = time.time()
                result = common.run_daskprs(job, client, root / f"run{i}")
                rows_ = common.attempts(common.step_dir(result))
                firsts.append(min(r["start"] for r in rows_) - t0)
                plans.append(float(result.steps["b3"].info.get("plan_seconds", float("nan"))))
                return result

            total, _ = common.timed_row(
                BENCH,
                f"daskprs job, {n:,} files / 100 per mini batch, total",
                once,
                args.repeat,
                note=f"{-(-n // 100):,} mini batches, {workers}x{threads} processes",
            )
        first = Row(
            BENCH,
            "  time to first dispatched mini batch",
            sorted(firsts)[len(firsts) // 2],
            "s",
            "<= 2 s",
            note=f"of which planning (listing) {sorted(plans)[len(plans) // 2]:.3f} s",
            samples=[round(f, 4) for f in firsts],
        )
        first.met = first.value <= 2.0
        log(f"B3 first dispatch: {firsts}, plan {plans}")
        rows += [total, first]
        if n != 100_000:
            first.note += f" ({n:,} files, target is for 100,000)"

        # -- listing + planning a million files
        m = args.b3_plan_files
        big = root / "million"
        log(f"B3: creating {m:,} empty files")
        t = time.perf_counter()
        make_tree(big, m)
        log(f"B3: created in {time.perf_counter() - t:.1f} s")
        walk, _ = common.timed_row(
            BENCH,
            f"os.walk + sort of {m:,} files (floor)",
            lambda i: walk_sorted(str(big)),
            args.repeat,
        )
        listing, _ = common.timed_row(
            BENCH,
            f"daskprs listing of {m:,} files",
            lambda i: list_input_files(str(big)),
            args.repeat,
            note="daskprs.data.paths.list_input_files",
        )
        plan, pieces = common.timed_row(
            BENCH,
            f"plan_mini_batches({m:,} files, 100)",
            lambda i: plan_mini_batches(str(big), 100),
            args.repeat,
            target="<= 10 s",
            note="listing + chunking, warm page cache",
        )
        assert len(pieces) == -(-m // 100), len(pieces)
        plan.met = plan.value <= 10.0
        if m != 1_000_000:
            plan.note += " (target is for 1,000,000 files)"
        rows += [walk, listing, plan]
        log("B3: deleting the trees")
    return rows


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--b3-files", type=int, default=None, help="B3 job files (100,000)")
    parser.add_argument(
        "--b3-plan-files", type=int, default=None, help="B3 planning files (1,000,000)"
    )


def configure(args: argparse.Namespace) -> None:
    if args.b3_files is None:
        args.b3_files = 10_000 if args.quick else 100_000
    if args.b3_plan_files is None:
        args.b3_plan_files = 100_000 if args.quick else 1_000_000


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
