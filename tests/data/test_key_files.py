"""``partition_keys`` on ordinary columns: key files (daskprs.data.keys).

Each group is a row range of a key file written while planning. Checked against pandas: the
groups, their order (first appearance), their rows (table order) and dtypes (those of the table
read without keys); the small-table path and the Dask-shuffle path give the same mini batches;
planning again into the same folder gives the same plan and files, and a file written again is
reread; and a real job run (entry-script processes), killed and resumed, gives the same output.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
import yaml

from daskprs.data import key_files, load_mltable, load_piece, plan_mini_batches, read_mltable
from daskprs.data import keys as keys_mod

CSV_SPEC = {
    "paths": [{"pattern": "./*.csv"}],
    "transformations": [{"read_delimited": {"header": "all_files_same_headers"}}],
}


def sales_csv(n: int, seed: int = 0) -> str:
    """Interleaved groups; ``store`` has empty (null) values, ``brand`` is text, ``flag`` bool."""
    rng = np.random.default_rng(seed)
    lines = ["id,store,brand,flag,qty"]
    for i in range(n):
        store = "" if i % 11 == 3 else str(int(rng.integers(0, 7)))
        brand = ["a", "b", "c"][int(rng.integers(0, 3))]
        lines.append(f"{i},{store},{brand},{'true' if i % 4 else 'false'},{rng.random():.4f}")
    return "\n".join(lines) + "\n"


def plain(folder: Path) -> pd.DataFrame:
    """The whole table read without keys."""
    pieces = plan_mini_batches(load_mltable(str(folder)), None)
    return pd.concat([load_piece(p) for p in pieces], ignore_index=True)


def expected_groups(df: pd.DataFrame, keys: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """pandas' groups in order of first appearance, rows in table order, nulls a group."""
    out = []
    for values, g in df.groupby(keys, sort=False, dropna=False):
        values = tuple(None if pd.isna(v) else v for v in values)
        out.append((values, g.reset_index(drop=True)))
    return out


def key_values(piece, keys):
    return tuple(piece.partition_key_value[k] for k in keys)


@pytest.mark.parametrize("keys", [["store"], ["brand", "store"], ["store", "flag", "brand"]])
def test_groups_rows_and_dtypes_as_pandas(make_table, tmp_path, keys):
    folder = make_table(CSV_SPEC, {"a.csv": sales_csv(300), "b.csv": sales_csv(200, seed=1)})
    table = plain(folder)
    assert table["store"].isna().any()
    pieces = plan_mini_batches(
        load_mltable(str(folder)), None, keys, work_dir=str(tmp_path / "work")
    )
    expected = expected_groups(table, keys)
    assert [key_values(p, keys) for p in pieces] == [v for v, _ in expected]
    assert [p.id for p in pieces] == list(range(len(pieces)))
    for piece, (_, rows) in zip(pieces, expected, strict=True):
        got = load_piece(piece)
        assert isinstance(got.index, pd.RangeIndex) and got.index.start == 0
        pd.testing.assert_frame_equal(got, rows)  # columns, dtypes and values
    # one key file for this small table, not one per group
    assert len(list((tmp_path / "work" / "partition_keys").glob("*.arrow"))) == 1
    # key values are plain Python values (JSON-able) and the pieces stay small
    assert all(
        v is None or type(v) in (int, float, str, bool) for p in pieces for v in key_values(p, keys)
    )
    assert len(pickle.dumps(pieces[0])) < 4096
    assert pieces[0].describe()["parts"][0]["rows"] == [0, len(expected[0][1])]


@pytest.mark.parametrize("scheduler", ["threads", "distributed", "distributed-p2p"])
def test_shuffle_path_gives_the_same_mini_batches(make_table, tmp_path, monkeypatch, scheduler):
    """The Dask shuffle: tasks (on threads, on a distributed cluster) or P2P (through Arrow)."""
    files = {f"p{i}.csv": sales_csv(150, seed=i) for i in range(4)}
    folder = make_table(CSV_SPEC, files)
    small = plan_mini_batches(load_mltable(str(folder)), None, ["store"], str(tmp_path / "small"))
    monkeypatch.setattr(keys_mod, "SMALL_TABLE_PIECES", 1)  # 4 pieces: the Dask shuffle
    with contextlib.ExitStack() as stack:
        if scheduler == "distributed-p2p":
            monkeypatch.setattr(keys_mod, "P2P_PIECES", 0)
        if scheduler.startswith("distributed"):
            from distributed import Client, LocalCluster

            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
                )
            )
            stack.enter_context(Client(cluster))
        table = load_mltable(str(folder))
        shuffled = plan_mini_batches(table, None, ["store"], str(tmp_path / "big"))
    written = sorted((tmp_path / "big" / "partition_keys").glob("*.arrow"))
    assert 1 < len(written) <= 4  # one file per shuffle output partition holding groups
    assert [p.partition_key_value for p in shuffled] == [p.partition_key_value for p in small]
    for a, b in zip(small, shuffled, strict=True):
        pd.testing.assert_frame_equal(load_piece(a), load_piece(b))


@pytest.mark.parametrize(("window_bytes", "open_files", "kept"), [(64, 1, 1), (1 << 20, 2, 1)])
def test_windows_and_open_files_are_bounded(
    make_table, tmp_path, monkeypatch, window_bytes, open_files, kept
):
    """Few open files and windows: loads convert or reopen often, and stay right."""
    files = {f"p{i}.csv": sales_csv(120, seed=i) for i in range(3)}
    folder = make_table(CSV_SPEC, files)
    monkeypatch.setattr(keys_mod, "SMALL_TABLE_PIECES", 1)
    pieces = plan_mini_batches(load_mltable(str(folder)), None, ["brand", "store"], str(tmp_path))
    assert len({p.parts[0].path for p in pieces}) > 2
    expected = expected_groups(plain(folder), ["brand", "store"])
    monkeypatch.setattr(key_files, "WINDOW_BYTES", window_bytes)
    monkeypatch.setattr(key_files, "OPEN_KEY_FILES", open_files)
    monkeypatch.setattr(key_files, "KEPT_WINDOWS", kept)
    key_files._key_files.clear()
    order = list(range(len(pieces)))
    order = order + order[::2] + order[1::2][::-1]  # in order, then jumping and backwards
    for i in order:
        pd.testing.assert_frame_equal(load_piece(pieces[i]), expected[i][1])
        assert len(key_files._key_files) <= open_files
        assert sum(f.window is not None for f in key_files._key_files.values()) <= kept


def test_caller_changes_do_not_leak_into_the_next_load(make_table, tmp_path):
    folder = make_table(CSV_SPEC, {"a.csv": sales_csv(100)})
    pieces = plan_mini_batches(load_mltable(str(folder)), None, ["brand"], str(tmp_path))
    first = load_piece(pieces[0])
    before = first.copy()
    first["qty"] = -1.0
    first.loc[0, "id"] = -5
    first.iloc[1, 0] = -7
    pd.testing.assert_frame_equal(load_piece(pieces[0]), before)


def test_planning_again_gives_the_same_plan_and_rereads_a_rewritten_file(make_table, tmp_path):
    folder = make_table(CSV_SPEC, {"a.csv": sales_csv(200)})
    work = str(tmp_path / "work")
    first = plan_mini_batches(load_mltable(str(folder)), None, ["store"], work)
    key_file = Path(first[0].parts[0].path)
    content = key_file.read_bytes()
    loaded = [load_piece(p) for p in first]  # the file is now mapped in this process
    again = plan_mini_batches(load_mltable(str(folder)), None, ["store"], work)
    assert again == first
    assert [p.partition_key_value for p in again] == [p.partition_key_value for p in first]
    assert key_file.read_bytes() == content
    assert not list(key_file.parent.glob("*.tmp"))
    for piece, df in zip(again, loaded, strict=True):
        pd.testing.assert_frame_equal(load_piece(piece), df)
    # other data planned into the same folder (same file name): the new rows are read
    (folder / "a.csv").write_text(sales_csv(200, seed=5))
    changed = plan_mini_batches(load_mltable(str(folder)), None, ["store"], work)
    assert changed[0].parts[0].path == str(key_file)
    expected = expected_groups(plain(folder), ["store"])
    for piece, (_, rows) in zip(changed, expected, strict=True):
        pd.testing.assert_frame_equal(load_piece(piece), rows)


def test_empty_table(make_table, tmp_path):
    folder = make_table(CSV_SPEC, {"a.csv": "id,store,qty\n"})
    assert plan_mini_batches(load_mltable(str(folder)), None, ["store"], str(tmp_path)) == []
    ddf = read_mltable(str(folder), partition_keys=["store"])
    df = ddf.compute()
    assert len(df) == 0 and list(df.columns) == ["id", "store", "qty"]


def test_read_mltable_partitions_are_the_groups(make_table):
    folder = make_table(CSV_SPEC, {"a.csv": sales_csv(120), "b.csv": sales_csv(80, seed=2)})
    whole = read_mltable(str(folder)).compute().reset_index(drop=True)  # dtypes as Dask gives
    expected = expected_groups(whole, ["brand", "flag"])
    ddf = read_mltable(str(folder), partition_keys=["brand", "flag"])
    assert ddf.npartitions == len(expected)
    parts = ddf.to_delayed()
    import dask

    frames = dask.compute(*parts, scheduler="threads")  # several threads share the cache
    for got, (_, rows) in zip(frames, expected, strict=True):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), rows)


# -- a real job: entry-script processes, a killed driver, --resume ------------------------------

SCORE = """
import time

def init():
    pass

def run(mini_batch, mini_batch_context):
    time.sleep(0.15)
    kv = mini_batch_context.partition_key_value
    ids = mini_batch["id"].tolist()
    dtypes = ",".join(str(t) for t in mini_batch.dtypes)
    return [f"{kv['brand']}|{kv['store']}|{len(ids)}|{ids[0]}|{ids[-1]}|{sum(ids)}|{dtypes}"]
"""


def _job(root: Path) -> Path:
    table = root / "table"
    table.mkdir(parents=True)
    (table / "a.csv").write_text(sales_csv(400), encoding="utf-8")
    (table / "MLTable").write_text(yaml.safe_dump(CSV_SPEC, sort_keys=False))
    (root / "code").mkdir()
    (root / "code" / "score.py").write_text(textwrap.dedent(SCORE))
    doc = {
        "type": "parallel",
        "name": "job",
        "inputs": {"data": {"type": "mltable", "path": "./table", "mode": "direct"}},
        "outputs": {"result": {"type": "uri_file"}},
        "input_data": "${{inputs.data}}",
        "partition_keys": ["brand", "store"],
        "resources": {"instance_count": 1},
        "max_concurrency_per_instance": 2,
        "retry_settings": {"max_retries": 1, "timeout": 60},
        "task": {
            "type": "run_function",
            "code": "./code",
            "entry_script": "score.py",
            "environment": {"image": "python:3.11"},
            "append_row_to": "${{outputs.result}}",
        },
    }
    path = root / "job.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "daskprs", "job", "create", *args, "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_job_in_processes_killed_and_resumed(tmp_path):
    from tests.helpers.jobs import start_driver, wait_for_commits

    yml = _job(tmp_path / "job")
    ref = _cli("--file", str(yml), "--run-dir", str(tmp_path / "ref"))
    assert ref.returncode == 0, ref.stderr
    ref_lines = Path(json.loads(ref.stdout)["outputs"]["job.result"]).read_text().splitlines()
    # what run() saw, from pandas: the groups in order, their rows, context and dtypes
    df = plain(yml.parent / "table")
    dtypes = ",".join(str(t) for t in df.dtypes)
    want = []
    for (brand, store), g in expected_groups(df, ["brand", "store"]):
        ids = g["id"].tolist()
        store_text = "None" if store is None else str(store)
        want.append(f"{brand}|{store_text}|{len(ids)}|{ids[0]}|{ids[-1]}|{sum(ids)}|{dtypes}")
    assert ref_lines == want

    run_dir = tmp_path / "killed"
    driver = start_driver(yml, run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ledger = wait_for_commits(run_dir, 6)
    children = psutil.Process(driver.pid).children(recursive=True)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    psutil.wait_procs(children, timeout=10)
    done_before = [ln for ln in ledger.read_text().splitlines() if '"final":true' in ln]
    assert 0 < len(done_before) < len(want)
    resumed = _cli("--file", str(yml), "--run-dir", str(run_dir), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    out = Path(json.loads(resumed.stdout)["outputs"]["job.result"])
    assert out.read_text().splitlines() == ref_lines


def test_python_object_columns_come_back_unchanged(make_table, tmp_path):
    """JSON lines with nested and mixed values: object columns, kept exactly (pickled)."""
    lines = [
        {"k": i % 3, "nested": {"a": i, "b": [i, i + 1]}, "mixed": i if i % 2 else f"s{i}"}
        for i in range(12)
    ]
    folder = make_table(
        {"paths": [{"file": "./d.jsonl"}], "transformations": [{"read_json_lines": {}}]},
        {"d.jsonl": "\n".join(json.dumps(r) for r in lines) + "\n"},
    )
    whole = plain(folder)
    assert whole["nested"].dtype == object
    pieces = plan_mini_batches(load_mltable(str(folder)), None, ["k"], str(tmp_path))
    assert [p.partition_key_value for p in pieces] == [{"k": 0}, {"k": 1}, {"k": 2}]
    for piece, (_, rows) in zip(pieces, expected_groups(whole, ["k"]), strict=True):
        got = load_piece(piece)
        pd.testing.assert_frame_equal(got, rows)
        assert got["nested"].tolist() == rows["nested"].tolist()
