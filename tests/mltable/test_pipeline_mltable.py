"""Azure-style scripts that ``import mltable`` run unmodified in a daskprs pipeline.

Our own equivalent of Azure's many-models example (cli/jobs/parallel/1a_oj_sales_prediction,
whose scripts import mltable): a command step partitions a CSV into ``{Store}/{Brand}/`` and
writes the MLTable with ``mltable.from_delimited_files(...)...save()``, then a parallel step with
``partition_keys`` reads it; its entry script calls ``mltable.load(...)`` in ``init()``. Neither
script knows about daskprs; ``.venv`` has no ``mltable`` package, so every ``import mltable`` is
served by the fallback (daskprs/mltable/_fallback.py) — without it both steps fail, as the last
test shows with the fallback turned off.
"""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import yaml

import daskprs

FALLBACK_LINE = "`import mltable` is served by daskprs.mltable"

PARTITION = textwrap.dedent(
    """\
    import argparse
    import os

    import mltable
    import pandas as pd

    parser = argparse.ArgumentParser()
    parser.add_argument("--data")
    parser.add_argument("--out")
    args = parser.parse_args()
    df = pd.read_csv(args.data)
    for (store, brand), group in df.groupby(["Store", "Brand"]):
        folder = os.path.join(args.out, str(store), brand)
        os.makedirs(folder, exist_ok=True)
        group.drop(columns=["Store", "Brand"]).to_csv(os.path.join(folder, "data.csv"), index=False)
    tbl = mltable.from_delimited_files(
        [{"pattern": os.path.join(args.out, "**", "*.csv")}], include_path_column=True
    )
    tbl = tbl.extract_columns_from_partition_format("{Store}/{Brand}/data.csv")
    tbl = tbl.drop_columns("Path")
    tbl.save(args.out)
    back = mltable.load(args.out).to_pandas_dataframe()
    assert len(back) == len(df), (len(back), len(df))
    print("partitioned", len(df), "rows into", df.groupby(["Store", "Brand"]).ngroups, "groups")
    """
)

TRAIN = textwrap.dedent(
    """\
    import argparse

    import mltable


    def init():
        global total
        parser = argparse.ArgumentParser()
        parser.add_argument("--table")
        args, _ = parser.parse_known_args()
        total = len(mltable.load(args.table).to_pandas_dataframe())


    def run(mini_batch, mini_batch_context):
        key = mini_batch_context.partition_key_value
        assert set(mini_batch["Store"].astype(str)) == {str(key["Store"])}
        n = len(mini_batch)
        return [f"{key['Store']},{key['Brand']},{n},{total}"] * n  # one result per row
    """
)


def sales_csv() -> tuple[str, dict[tuple[str, str], int]]:
    rows, counts = ["Store,Brand,Week,Quantity"], {}
    for i in range(60):
        store, brand = str(1000 + i % 3), ("tropicana", "dominicks")[i % 2]
        rows.append(f"{store},{brand},{i},{i * 3}")
        counts[(store, brand)] = counts.get((store, brand), 0) + 1
    return "\n".join(rows) + "\n", counts


def write_job(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "partition.py").write_text(PARTITION)
    (root / "src" / "train.py").write_text(TRAIN)
    text, _ = sales_csv()
    (root / "sales.csv").write_text(text)
    doc = {
        "type": "pipeline",
        "jobs": {
            "partition": {
                "type": "command",
                "code": "./src",
                "command": "python partition.py --data ${{inputs.data}} --out ${{outputs.table}}",
                "environment": {"image": "python:3.11"},
                "inputs": {"data": {"type": "uri_file", "path": "./sales.csv"}},
                "outputs": {"table": {"type": "mltable"}},
            },
            "train": {
                "type": "parallel",
                "inputs": {
                    "data": {
                        "type": "mltable",
                        "path": "${{parent.jobs.partition.outputs.table}}",
                        "mode": "direct",
                    }
                },
                "outputs": {"scores": {"type": "uri_folder"}},
                "input_data": "${{inputs.data}}",
                "partition_keys": ["Store", "Brand"],
                "mini_batch_error_threshold": 0,
                "max_concurrency_per_instance": 1,
                "task": {
                    "type": "run_function",
                    "code": "./src",
                    "entry_script": "train.py",
                    "environment": {"image": "python:3.11"},
                    "program_arguments": "--table ${{inputs.data}}",
                    "append_row_to": "${{outputs.scores}}",
                },
            },
        },
    }
    path = root / "pipeline.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _logs(run_dir: Path, pattern: str) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(run_dir.glob(pattern)))


def test_scripts_that_import_mltable_run_unmodified(tmp_path, client) -> None:
    path = write_job(tmp_path / "job")
    run_dir = tmp_path / "run"
    result = daskprs.run(str(path), client=client, run_dir=str(run_dir), progress=False)
    assert result.status == "Completed", {n: s.summary() for n, s in result.steps.items()}
    _, counts = sales_csv()
    out = Path(result.outputs["train.scores"])
    files = [out] if out.is_file() else sorted(p for p in out.rglob("*") if p.is_file())
    rows = [r for f in files for r in csv.reader(io.StringIO(f.read_text()))]
    assert len(rows) == sum(counts.values())
    got = {(store, brand): [n, total] for store, brand, n, total in rows}
    assert got == {k: [str(n), str(sum(counts.values()))] for k, n in counts.items()}
    # both steps say which mltable served them
    assert FALLBACK_LINE in _logs(run_dir, "partition/logs/user_logs/std_log.txt")
    assert FALLBACK_LINE in _logs(run_dir, "train/logs/user/stderr/**/*.txt")
    saved = yaml.safe_load((Path(result.outputs["partition.table"]) / "MLTable").read_text())
    assert saved["paths"] == [{"pattern": "**/*.csv"}]


def test_without_the_fallback_both_scripts_fail(tmp_path, client, monkeypatch) -> None:
    """The guard's guard: with DASKPRS_MLTABLE_FALLBACK=0 the command step fails on
    ``import mltable``, and so does the parallel step's init() when given the table directly
    (so the test above depends on the fallback in both kinds of step)."""
    monkeypatch.setenv("DASKPRS_MLTABLE_FALLBACK", "0")
    path = write_job(tmp_path / "job")
    result = daskprs.run(str(path), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Failed"
    assert "No module named 'mltable'" in (result.steps["partition"].cause or "")

    table = _partitioned_table(tmp_path / "table")
    doc = yaml.safe_load(path.read_text())
    train = doc["jobs"]["train"]
    train["inputs"]["data"]["path"] = str(table)
    path.write_text(yaml.safe_dump({"type": "pipeline", "jobs": {"train": train}}))
    result = daskprs.run(str(path), client=client, run_dir=str(tmp_path / "run2"), progress=False)
    assert result.status == "Failed"
    errors = _logs(tmp_path / "run2", "train/logs/user/error/**/*.txt")
    assert "No module named 'mltable'" in errors


def _partitioned_table(folder: Path) -> Path:
    """The partition step's output, made here with daskprs.mltable itself."""
    import daskprs.mltable as mltable

    text, _ = sales_csv()
    lines = text.splitlines()
    for line in lines[1:]:
        store, brand, week, qty = line.split(",")
        part = folder / store / brand
        part.mkdir(parents=True, exist_ok=True)
        data = part / "data.csv"
        if not data.exists():
            data.write_text("Week,Quantity\n")
        with open(data, "a") as fh:
            fh.write(f"{week},{qty}\n")
    tbl = mltable.from_delimited_files([{"pattern": str(folder / "**" / "*.csv")}])
    tbl.extract_columns_from_partition_format("{Store}/{Brand}/data.csv").save(str(folder))
    return folder
