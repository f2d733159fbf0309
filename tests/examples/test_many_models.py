"""The many-models example (examples/many-models) runs for real: its YAML, and the same
pipeline built with the Python API, on one embedded Dask cluster.

Checked: every (Store, Brand) group is trained exactly once, ``run()`` got the group's rows and
``mini_batch_context.partition_key_value`` with the Store and Brand keys, the summary step read
all the models, and both pipelines give the same models and summary.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import daskprs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "many-models"
STEP = "parallel_train"


def expected_groups() -> dict[tuple[str, str], int]:
    """(Store, Brand) -> rows, with the brand as the partition step writes its folder."""
    with open(EXAMPLE / "data" / "oj_sales_data.csv", newline="") as fh:
        rows = Counter((r["Store"], r["Brand"].replace(".", "_")) for r in csv.DictReader(fh))
    return dict(rows)


@pytest.fixture(scope="module")
def yaml_run(client, tmp_path_factory):
    job = daskprs.load_job(EXAMPLE / "pipeline.yml")
    run_dir = tmp_path_factory.mktemp("yaml") / "run"
    return daskprs.run(job, client=client, run_dir=str(run_dir), progress=False)


@pytest.fixture(scope="module")
def sdk_run(client, tmp_path_factory):
    spec = importlib.util.spec_from_file_location("many_models_pipeline", EXAMPLE / "pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    job = module.build().to_job()
    run_dir = tmp_path_factory.mktemp("sdk") / "run"
    return daskprs.run(job, client=client, run_dir=str(run_dir), progress=False)


def models(result: Any) -> dict[tuple[str, ...], dict[str, Any]]:
    root = Path(result.outputs[f"{STEP}.model_folder"])
    found = {}
    for path in sorted(root.rglob("model.json")):
        key = path.parent.relative_to(root).parts
        found[key] = json.loads(path.read_text())
    return found


def processed(result: Any) -> list[dict[str, str]]:
    report = Path(result.steps[STEP].logs_dir) / "sys" / "job_report" / "processed_mini-batches.csv"
    with open(report, newline="") as fh:
        return list(csv.DictReader(fh))


def assert_completed(result: Any) -> None:
    assert result.status == "Completed", {n: s.summary() for n, s in result.steps.items()}


def test_every_group_is_trained_once(yaml_run) -> None:
    assert_completed(yaml_run)
    groups = expected_groups()
    assert len(groups) == 30  # 10 stores x 3 brands
    counts = yaml_run.steps[STEP].counts
    assert counts["mini_batches"] == counts["succeeded_mini_batches"] == len(groups)
    assert counts["failed_mini_batches"] == 0 and counts["retried"] == 0
    assert counts["items"] == sum(groups.values())
    rows = processed(yaml_run)
    assert len(rows) == len(groups)  # one attempt per mini batch, none repeated
    assert {r["attempt"] for r in rows} == {"1"} and {r["status"] for r in rows} == {"RUN_DONE"}
    assert sorted(int(r["total"]) for r in rows) == sorted(groups.values())
    assert set(models(yaml_run)) == set(groups)


def test_run_got_each_groups_rows_and_partition_key_value(yaml_run) -> None:
    groups = expected_groups()
    for folder, model in models(yaml_run).items():
        keys = model["partition_key_value"]
        assert list(keys) == ["Store", "Brand"]
        assert (keys["Store"], keys["Brand"]) == folder  # the model went to its group's folder
        assert model["rows"] == groups[folder]
        assert model["features"] == ["intercept", "Advert", "Price", "lag_1", "lag_2"]
        assert model["coefficients"][2] < 0  # demand falls with price, in every group
        assert model["mape"] < 10


def test_summary_step_read_all_models(yaml_run) -> None:
    summary_dir = Path(yaml_run.outputs["summarize.summary"])
    summary = json.loads((summary_dir / "summary.json").read_text())
    assert summary["groups"] == 30
    assert summary["distinct_Store"] == 10 and summary["distinct_Brand"] == 3
    assert summary["rows"] == sum(expected_groups().values())
    with open(summary_dir / "models.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [(r["Store"], r["Brand"]) for r in table] == sorted(expected_groups())
    mapes = [float(r["mape"]) for r in table]
    assert summary["mean_mape"] == pytest.approx(sum(mapes) / len(mapes), abs=1e-3)
    assert summary["worst"]["mape"] == max(mapes)


def test_python_api_pipeline_gives_the_same_result(yaml_run, sdk_run) -> None:
    assert_completed(sdk_run)
    assert list(sdk_run.steps) == list(yaml_run.steps)
    assert sdk_run.steps[STEP].counts == yaml_run.steps[STEP].counts
    assert models(sdk_run) == models(yaml_run)
    ours = Path(sdk_run.outputs["summarize.summary"])
    theirs = Path(yaml_run.outputs["summarize.summary"])
    for name in ("summary.json", "models.csv"):
        assert (ours / name).read_text() == (theirs / name).read_text()
