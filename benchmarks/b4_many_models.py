"""B4 many models: 1,000 ``partition_keys`` groups, a small least-squares fit per group.

Data: one CSV of G groups x R rows (``store``, ``x1..x3``, ``y``), rows of the groups
interleaved (as a sales table is). The job: a tabular MLTable with ``partition_keys: [store]``
(one mini batch per store: a row range of the key-sorted file daskprs writes while planning)
and ``append_row_to``; ``run()`` fits
``y ~ 1 + x1 + x2 + x3`` with ``numpy.linalg.lstsq`` and returns one prediction per row.

Baselines do the same from the same CSV: ``pandas.read_csv``, then
``groupby("store", sort=False).apply(fit)`` serially, or the groups mapped over a
``multiprocessing.Pool(P)``, then ``to_csv(sep=" ")`` in group order.

    .venv/bin/python -m benchmarks.b4_many_models [--quick] [--b4-groups G] [--b4-rows R]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import common
from benchmarks.common import Row, log

BENCH = "B4"

SCRIPT = """\
import numpy as np
import pandas as pd


def init():
    pass


def run(mini_batch, mini_batch_context):
    g = mini_batch
    X = np.column_stack([np.ones(len(g)), g["x1"], g["x2"], g["x3"]])
    coef, *_ = np.linalg.lstsq(X, g["y"].to_numpy(), rcond=None)
    store = mini_batch_context.partition_key_value["store"]
    return pd.DataFrame({"store": store, "yhat": X @ coef})
"""


def fit(g: pd.DataFrame, store: Any) -> pd.DataFrame:
    X = np.column_stack([np.ones(len(g)), g["x1"], g["x2"], g["x3"]])
    coef, *_ = np.linalg.lstsq(X, g["y"].to_numpy(), rcond=None)
    return pd.DataFrame({"store": store, "yhat": X @ coef})


def _fit_item(item: tuple[Any, pd.DataFrame]) -> pd.DataFrame:
    return fit(item[1], item[0])


def write_data(path: Path, groups: int, rows: int, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    n = groups * rows
    store = np.tile(np.arange(groups), rows)  # interleaved: row i is store i % groups
    x = np.round(rng.random((n, 3)) * 10, 3)
    beta = rng.random((groups, 4))
    y = beta[store, 0] + (x * beta[store, 1:]).sum(axis=1) + rng.normal(0, 0.1, n)
    df = pd.DataFrame({"store": store, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
    df["y"] = np.round(y, 4)
    df.to_csv(path, index=False)
    return os.path.getsize(path)


def serial(path: str, out: str) -> int:
    df = pd.read_csv(path)
    res = df.groupby("store", sort=False)[["x1", "x2", "x3", "y"]].apply(lambda g: fit(g, g.name))
    res.to_csv(out, sep=" ", header=False, index=False)
    return os.path.getsize(out)


def pool(path: str, out: str, processes: int) -> int:
    df = pd.read_csv(path)
    items = list(df.groupby("store", sort=False))
    with multiprocessing.Pool(processes) as p:
        frames = p.map(_fit_item, items)
    pd.concat(frames, ignore_index=True).to_csv(out, sep=" ", header=False, index=False)
    return os.path.getsize(out)


def run(args: argparse.Namespace) -> list[Row]:
    from daskprs import load_job
    from daskprs.engine.cluster import embedded_size

    groups, per = args.b4_groups, args.b4_rows
    rows: list[Row] = []
    with common.workdir("b4", keep=args.keep) as root:
        table = root / "table"
        table.mkdir()
        size = write_data(table / "sales.csv", groups, per)
        common.write_mltable(table)
        common.write_script(root, SCRIPT)
        job = common.parallel_yaml(
            root,
            {"type": "mltable", "path": "./table", "mode": "direct"},
            name="b4",
            partition_keys=["store"],
        )
        workers, threads, _ = embedded_size(load_job(str(job)))
        processes = workers * threads
        path = str(table / "sales.csv")
        note = f"{groups:,} groups x {per} rows ({size / 1e6:.1f} MB)"
        log(f"B4: {note}")
        serial_row, serial_bytes = common.timed_row(
            BENCH,
            "pandas groupby().apply, serial",
            lambda i: serial(path, str(root / f"serial{i}.out")),
            args.repeat,
        )
        pool_row, pool_bytes = common.timed_row(
            BENCH,
            f"groupby + multiprocessing.Pool({processes})",
            lambda i: pool(path, str(root / f"pool{i}.out"), processes),
            args.repeat,
        )
        with common.warm_client(workers, threads) as client:
            client.run(lambda: None)
            dp_row, result = common.timed_row(
                BENCH,
                "daskprs partition_keys (warm cluster)",
                lambda i: common.run_daskprs(job, client, root / f"run{i}"),
                args.repeat,
                note=f"{note}, {workers}x{threads} processes",
            )
        step = result.steps["b4"]
        plan = float(step.info.get("plan_seconds", float("nan")))
        dp_bytes = common.output_bytes(result)
        if dp_bytes != pool_bytes:
            dp_row.note += f"; output bytes differ: daskprs {dp_bytes}, Pool {pool_bytes}"
        rows += [serial_row, pool_row, dp_row]
        rows.append(
            Row(
                BENCH,
                "  of which planning (key grouping)",
                plan,
                "s",
                note="last run; groups written to key files under state/work",
            )
        )
        rows.append(common.ratio_row(BENCH, f"daskprs / Pool({processes})", dp_row, pool_row, 1.2))
        rows.append(common.ratio_row(BENCH, "daskprs / serial groupby", dp_row, serial_row, None))
        _ = serial_bytes
    return rows


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--b4-groups", type=int, default=None, help="B4 groups (1,000)")
    parser.add_argument("--b4-rows", type=int, default=None, help="B4 rows per group (100)")


def configure(args: argparse.Namespace) -> None:
    if args.b4_groups is None:
        args.b4_groups = 100 if args.quick else 1_000
    if args.b4_rows is None:
        args.b4_rows = 100


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
