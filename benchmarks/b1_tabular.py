"""B1 trivial scoring, tabular: a 1,000,000-row CSV (~87 MB) in 1 MiB mini batches.

``run()`` returns the DataFrame with one added column; ``append_row_to`` writes the output.
Baselines do the same work on the same byte windows (``fsspec.utils.read_block`` + pyarrow
parse + one column + ``to_csv(sep=" ")``) and assemble one output file in order:

- serial loop in this process;
- ``multiprocessing.Pool(P)`` (P = instance_count x max_concurrency_per_instance);
- Dask ``client.map`` over the byte windows on the warm cluster;
- ``dask.dataframe.read_csv(blocksize="1MB").map_partitions(...).to_csv(...)``;
- Ray Data ``map_batches`` when ray is installed (skipped otherwise).

daskprs runs with ``client=`` on the same warm cluster (start excluded); a cold
``daskprs job create`` (fresh interpreter, embedded cluster) is timed separately.

    .venv/bin/python -m benchmarks.b1_tabular [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import multiprocessing
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
from fsspec.utils import read_block

from benchmarks import common
from benchmarks.common import Row, log

BENCH = "B1"
WINDOW = 1024 * 1024

SCRIPT = """\
def init():
    pass


def run(mini_batch):
    mini_batch["score"] = mini_batch["f0"] * 0.5 + mini_batch["f1"]
    return mini_batch
"""


# -- data -------------------------------------------------------------------------------------
def write_table_csv(path: Path, rows: int, seed: int = 0, block: int = 20_000) -> int:
    """``rows`` records of id + 8 floats + a category (~87 bytes a row); returns bytes."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {f"f{j}": np.round(rng.random(block) * 1000, 4) for j in range(8)}
    cols["cat"] = np.array(["category_a", "category_b", "category_c", "category_d"])[
        rng.integers(0, 4, block)
    ]
    df = pd.DataFrame(cols)
    body = df.to_csv(header=False, index=False).splitlines(keepends=True)
    with open(path, "w") as fh:
        fh.write("id," + ",".join(df.columns) + "\n")
        for start in range(0, rows, block):
            n = min(block, rows - start)
            fh.write("".join([f"{start + i},{line}" for i, line in enumerate(body[:n])]))
    return os.path.getsize(path)


def windows(size: int, window: int = WINDOW) -> list[tuple[int, int]]:
    n = max(1, -(-size // window))
    return [(i * window, window) for i in range(n)]


# -- the baselines' unit of work --------------------------------------------------------------
def score(df: pd.DataFrame) -> pd.DataFrame:
    df["score"] = df["f0"] * 0.5 + df["f1"]
    return df


def block_text(path: str, offset: int, length: int, columns: list[str]) -> str:
    """Read one byte window, parse it, score it, format it as append_row does."""
    with open(path, "rb") as f:
        data = read_block(f, offset, length, b"\n")
    if offset == 0:
        data = data[data.find(b"\n") + 1 :]
    if not data:
        return ""
    tbl = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=columns, block_size=1 << 26),
    )
    return score(tbl.to_pandas()).to_csv(sep=" ", header=False, index=False)


def block_part(path: str, offset: int, length: int, columns: list[str], part: str) -> str:
    text = block_text(path, offset, length, columns)
    with open(part, "w", newline="") as fh:
        fh.write(text)
    return part


def _block_part_star(args: tuple[Any, ...]) -> str:
    return block_part(*args)


def serial(path: str, columns: list[str], out: str) -> int:
    size = os.path.getsize(path)
    with open(out, "w", newline="") as fh:
        for off, length in windows(size):
            fh.write(block_text(path, off, length, columns))
    return os.path.getsize(out)


def _tasks(path: str, columns: list[str], parts: Path) -> list[tuple[Any, ...]]:
    parts.mkdir(parents=True, exist_ok=True)
    size = os.path.getsize(path)
    return [
        (path, off, length, columns, str(parts / f"{i:06d}.part"))
        for i, (off, length) in enumerate(windows(size))
    ]


def pool(path: str, columns: list[str], parts: Path, out: str, processes: int) -> int:
    tasks = _tasks(path, columns, parts)
    with multiprocessing.Pool(processes) as p:
        done = p.map(_block_part_star, tasks, chunksize=1)
    return common.concat_parts(done, out)


def dask_map(client: Any, path: str, columns: list[str], parts: Path, out: str) -> int:
    tasks = _tasks(path, columns, parts)
    futures = client.map(block_part, *zip(*tasks, strict=True), pure=False)
    return common.concat_parts(client.gather(futures), out)


def dask_dataframe(path: str, parts: Path, out: str) -> int:
    import dask.dataframe as dd

    ddf = dd.read_csv(path, blocksize="1MB", engine="pyarrow")
    ddf = ddf.map_partitions(score)
    files = ddf.to_csv(str(parts / "*.part"), sep=" ", header=False, index=False)
    return common.concat_parts(sorted(files, key=lambda f: int(Path(f).stem)), out)


# -- the benchmark ----------------------------------------------------------------------------
def build(root: Path, rows: int) -> tuple[Path, Path, int]:
    table = root / "table"
    table.mkdir(parents=True)
    csv_path = table / "data.csv"
    size = write_table_csv(csv_path, rows)
    common.write_mltable(table)
    common.write_script(root, SCRIPT)
    job = common.parallel_yaml(
        root,
        {"type": "mltable", "path": "./table", "mode": "direct"},
        name="b1",
        mini_batch_size="1mb",
    )
    return job, csv_path, size


def run(args: argparse.Namespace) -> list[Row]:
    from daskprs import load_job
    from daskprs.engine.cluster import embedded_size

    repeat = args.repeat
    rows_out: list[Row] = []
    with common.workdir("b1", keep=args.keep) as root:
        log(f"B1: writing {args.rows:,} rows")
        job, csv_path, size = build(root, args.rows)
        n_windows = len(windows(size))
        columns = pd.read_csv(csv_path, nrows=0).columns.tolist()
        workers, threads, _ = embedded_size(load_job(str(job)))
        processes = workers * threads
        note = f"{size / 1e6:.0f} MB, {n_windows} mini batches, {workers}x{threads} processes"
        log(f"B1: {note}")
        path = str(csv_path)

        def fresh(name: str) -> Any:
            def make(i: int) -> None:
                d = root / f"{name}{i}"
                d.mkdir()

            return make

        serial_row, serial_bytes = common.timed_row(
            BENCH,
            "serial byte-range loop",
            lambda i: serial(path, columns, str(root / f"serial{i}.out")),
            repeat,
        )
        pool_row, pool_bytes = common.timed_row(
            BENCH,
            f"multiprocessing.Pool({processes})",
            lambda i: pool(path, columns, root / f"pool{i}", str(root / f"pool{i}.out"), processes),
            repeat,
        )
        with common.warm_client(workers, threads) as client:
            client.run(lambda: None)
            map_row, map_bytes = common.timed_row(
                BENCH,
                "dask client.map",
                lambda i: dask_map(
                    client, path, columns, root / f"map{i}", str(root / f"map{i}.out")
                ),
                repeat,
            )
            ddf_row, ddf_bytes = common.timed_row(
                BENCH,
                "dask.dataframe map_partitions",
                lambda i: dask_dataframe(path, root / f"ddf{i}", str(root / f"ddf{i}.out")),
                repeat,
                before=fresh("ddf"),
                note="blocksize=1MB (10^6 bytes)",
            )
            dp_row, result = common.timed_row(
                BENCH,
                "daskprs (warm cluster)",
                lambda i: common.run_daskprs(job, client, root / f"run{i}"),
                repeat,
                note=note,
            )
            dp_bytes = common.output_bytes(result)
            step = result.steps["b1"]
            log(f"B1: daskprs step {step.seconds:.3f} s, plan {step.info.get('plan_seconds')} s")
            if args.keep:
                log(f"B1: kept {root}")
        same = {serial_bytes, pool_bytes, map_bytes, ddf_bytes, dp_bytes}
        if len(same) != 1:
            dp_row.note += f"; output bytes differ: daskprs {dp_bytes}, serial {serial_bytes}"
        rows_out += [serial_row, pool_row, map_row, ddf_row, dp_row]
        if importlib.util.find_spec("ray") is None:
            rows_out.append(
                Row(
                    BENCH,
                    "Ray Data map_batches",
                    float("nan"),
                    "s",
                    note="skipped: ray not installed",
                )
            )
        rows_out.append(common.ratio_row(BENCH, "daskprs / client.map", dp_row, map_row, 1.0))
        rows_out.append(
            common.ratio_row(BENCH, f"daskprs / Pool({processes})", dp_row, pool_row, 1.5)
        )
        rows_out.append(common.ratio_row(BENCH, "daskprs / serial", dp_row, serial_row, None))
        cold, _ = common.timed_row(
            BENCH,
            "cold `daskprs job create`",
            lambda i: common.run_cli(job, root / f"cli{i}"),
            args.cold_repeat,
            note="fresh interpreter + embedded cluster",
        )
        rows_out.append(cold)
    return rows_out


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rows", type=int, default=None, help="B1 CSV rows (1,000,000; quick 100,000)"
    )


def configure(args: argparse.Namespace) -> None:
    if args.rows is None:
        args.rows = 100_000 if args.quick else 1_000_000


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
