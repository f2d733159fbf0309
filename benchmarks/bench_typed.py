"""Typed table (issue 16): a CSV whose columns mltable types as datetime, boolean, int, float, text.

A 1,000,000-row CSV (~87 MB: an ISO timestamp, an ISO date, a 0/1 and a true/false column,
two ints, two floats, two text columns) as an MLTable with ``read_delimited`` (types inferred,
so every mini batch converts its timestamps, dates and booleans), 1 MiB mini batches. In one
invocation, on the same byte ranges (B1's 1 MiB windows, ``fsspec.utils.read_block``):

- daskprs on a warm 1 x 2 cluster, ``run()`` returning one item per row (summary only);
- ``client.map`` of ``pandas.read_csv`` over the byte ranges on the same cluster (no types);
- ``multiprocessing.Pool(2)`` of the same function;
- serial loading in this process: planning + ``load_piece`` of every mini batch against
  ``pandas.read_csv`` of every byte range (throughput, wall and CPU).

Targets: daskprs <= 1.0 x ``client.map`` and <= 1.5 x the Pool; our loading >= 50 % of
``pandas.read_csv``'s throughput.

    .venv/bin/python -m benchmarks.bench_typed [--quick] [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import multiprocessing
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fsspec.utils import read_block

from benchmarks import common
from benchmarks.b1_tabular import windows
from benchmarks.common import Row, log

BENCH = "TYPED"
CITIES = np.array(["Paris", "Berlin", "Madrid", "Rome", "Amsterdam", "Barcelona", "Stockholm"])

SCRIPT = """\
def init():
    pass


def run(mini_batch):
    return [0] * len(mini_batch)
"""


# -- data -------------------------------------------------------------------------------------
def typed_block(rng: np.random.Generator, start: int, n: int) -> pd.DataFrame:
    t0 = np.datetime64("2021-01-01T00:00:00")
    ts = t0 + rng.integers(0, 3 * 10**7, n).astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "id": np.arange(start, start + n),
            "ts": np.datetime_as_string(ts, unit="s"),  # 2021-10-23T08:32:06
            "day": np.datetime_as_string(ts, unit="D"),  # 2021-10-23
            "active": rng.integers(0, 2, n),  # 0 / 1: boolean
            "valid": np.where(rng.random(n) < 0.5, "true", "false"),
            "qty": rng.integers(0, 10000, n),
            "price": np.round(rng.random(n) * 1000, 2),
            "score": np.round(rng.normal(size=n), 6),
            "name": np.char.add("item-", rng.integers(10000, 99999, n).astype(str)),
            "city": CITIES[rng.integers(0, len(CITIES), n)],
        }
    )


def write_typed_csv(path: Path, rows: int, seed: int = 0, block: int = 50_000) -> int:
    """``rows`` typed records (~87 bytes a row); returns the file's size."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        fh.write(",".join(typed_block(rng, 0, 1).columns) + "\n")
        for start in range(0, rows, block):
            fh.write(
                typed_block(rng, start, min(block, rows - start)).to_csv(header=False, index=False)
            )
    return os.path.getsize(path)


# -- the baselines' unit of work --------------------------------------------------------------
def read_range(path: str, offset: int, length: int, columns: list[str]) -> pd.DataFrame:
    """One byte range through ``pandas.read_csv`` (the header line dropped at offset 0)."""
    with open(path, "rb") as f:
        data = read_block(f, offset, length, b"\n")
    if offset == 0:
        data = data[data.find(b"\n") + 1 :]
    return pd.read_csv(io.BytesIO(data), header=None, names=columns)


def count_range(path: str, offset: int, length: int, columns: list[str]) -> int:
    return len([0] * len(read_range(path, offset, length, columns)))


def _count_star(args: tuple[Any, ...]) -> int:
    return count_range(*args)


def _tasks(path: str, columns: list[str]) -> list[tuple[Any, ...]]:
    return [(path, off, n, columns) for off, n in windows(os.path.getsize(path))]


def pool(path: str, columns: list[str], processes: int) -> int:
    with multiprocessing.Pool(processes) as p:
        return sum(p.map(_count_star, _tasks(path, columns), chunksize=1))


def dask_map(client: Any, path: str, columns: list[str]) -> int:
    tasks = _tasks(path, columns)
    return sum(client.gather(client.map(count_range, *zip(*tasks, strict=True), pure=False)))


def serial_read_csv(path: str, columns: list[str]) -> int:
    return sum(len(read_range(*task)) for task in _tasks(path, columns))


def _load_count(piece: Any) -> int:
    from daskprs.data import load_piece

    return len([0] * len(load_piece(piece)))


def pool_ours(folder: Path, processes: int) -> int:
    """Our loader (typed) over the same Pool: the engine's cost apart from the loading."""
    from daskprs.data import load_mltable, plan_mini_batches

    pieces = plan_mini_batches(load_mltable(str(folder)), windows(1)[0][1])
    with multiprocessing.Pool(processes) as p:
        return sum(p.map(_load_count, pieces, chunksize=1))


def serial_ours(folder: Path) -> int:
    from daskprs.data import load_mltable, load_piece, plan_mini_batches

    pieces = plan_mini_batches(load_mltable(str(folder)), windows(1)[0][1])
    return sum(len(load_piece(p)) for p in pieces)


# -- the benchmark ----------------------------------------------------------------------------
def build(root: Path, rows: int) -> tuple[Path, Path, int]:
    table = root / "table"
    table.mkdir(parents=True)
    csv_path = table / "data.csv"
    # written by another process: writing 85 MB through pandas here grows this process's
    # malloc heap, and every process forked from it (the Pool baselines) would then parse
    # without the page faults a fresh process pays (serial read_csv 0.28 s instead of 0.55 s)
    with concurrent.futures.ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn")
    ) as ex:
        size = ex.submit(write_typed_csv, csv_path, rows).result()
    common.write_mltable(table)
    common.write_script(root, SCRIPT)
    job = common.parallel_yaml(
        root,
        {"type": "mltable", "path": "./table", "mode": "direct"},
        name="typed",
        mini_batch_size="1mb",
        append_row=False,
    )
    return job, csv_path, size


def _throughput(bench: str, metric: str, ours: Row, base: Row, limit: float) -> Row:
    """ours' throughput as a share of base's (base seconds / our seconds); met when >= limit."""
    value = base.value / ours.value if ours.value else 0.0
    note = f"CPU {base.cpu / ours.cpu:.2f}" if ours.cpu and base.cpu else ""
    return Row(bench, metric, value, "x", f">= {limit:g}x", value >= limit, note)


def run(args: argparse.Namespace) -> list[Row]:
    from daskprs import load_job
    from daskprs.data import load_mltable, load_piece, plan_mini_batches
    from daskprs.engine.cluster import embedded_size

    repeat = args.repeat
    with common.workdir("typed", keep=args.keep) as root:
        log(f"{BENCH}: writing {args.rows:,} rows")
        job, csv_path, size = build(root, args.rows)
        columns = pd.read_csv(csv_path, nrows=0).columns.tolist()
        pieces = plan_mini_batches(load_mltable(str(csv_path.parent)), windows(1)[0][1])
        dtypes = load_piece(pieces[0]).dtypes  # type: ignore[union-attr]
        log(f"{BENCH}: our dtypes {dict(dtypes.astype(str))}")
        workers, threads, _ = embedded_size(load_job(str(job)))
        processes = workers * threads
        note = f"{size / 1e6:.0f} MB, {len(pieces)} mini batches, {workers}x{threads} processes"
        log(f"{BENCH}: {note}")
        path = str(csv_path)
        rows_out: list[Row] = []
        # in turns (common.interleaved_rows): the same process state for every figure
        (
            (read_row, n_read),
            (ours_row, n_ours),
            (pool_row, n_pool),
            (typed_pool_row, n_typed_pool),
        ) = common.interleaved_rows(
            BENCH,
            [
                (
                    "serial pandas.read_csv of the byte ranges",
                    lambda i: serial_read_csv(path, columns),
                    {},
                ),
                (
                    "serial daskprs loading (plan + load_piece, typed)",
                    lambda i: serial_ours(csv_path.parent),
                    {},
                ),
                (
                    f"multiprocessing.Pool({processes}) read_csv",
                    lambda i: pool(path, columns, processes),
                    {},
                ),
                (
                    f"multiprocessing.Pool({processes}) of our loader (typed)",
                    lambda i: pool_ours(csv_path.parent, processes),
                    {"note": "no target: separates the engine from the typed loading"},
                ),
            ],
            repeat,
        )
        with common.warm_client(workers, threads) as client:
            client.run(lambda: None)
            (map_row, n_map), (dp_row, result) = common.interleaved_rows(
                BENCH,
                [
                    ("dask client.map read_csv", lambda i: dask_map(client, path, columns), {}),
                    (
                        "daskprs (warm cluster), typed",
                        lambda i: common.run_daskprs(job, client, root / f"run{i}"),
                        {"note": note},
                    ),
                ],
                repeat,
            )
        step = next(iter(result.steps.values()))
        counted = {n_read, n_ours, n_pool, n_typed_pool, n_map}
        if len(counted) != 1 or n_read != args.rows:
            dp_row.note += f"; row counts differ: {sorted(counted)} (rows {args.rows})"
        log(f"{BENCH}: daskprs step {step.seconds:.3f} s, plan {step.info.get('plan_seconds')} s")
        rows_out += [read_row, ours_row, pool_row, typed_pool_row, map_row, dp_row]
        rows_out.append(common.ratio_row(BENCH, "daskprs / client.map", dp_row, map_row, 1.0))
        rows_out.append(
            common.ratio_row(BENCH, f"daskprs / Pool({processes})", dp_row, pool_row, 1.5)
        )
        rows_out.append(
            common.ratio_row(
                BENCH, f"daskprs / Pool({processes}) of our loader", dp_row, typed_pool_row, None
            )
        )
        rows_out.append(
            _throughput(BENCH, "loading throughput / pandas.read_csv's", ours_row, read_row, 0.5)
        )
    return rows_out


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rows", type=int, default=None, help="CSV rows (1,000,000; quick 100,000)"
    )


def configure(args: argparse.Namespace) -> None:
    if args.rows is None:
        args.rows = 100_000 if args.quick else 1_000_000


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
