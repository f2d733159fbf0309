"""A node's own keys (display_name, description, tags, properties...): accepted as azure-ai-ml
1.35 accepts them (tests/oracle_spec ``*node_keys*`` cases), carried in the step model,
written to job.json (``nodes``) and shown in the report's step section (issue 16, point 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import daskprs
from daskprs.report import write_report
from daskprs.spec import load_job
from daskprs.spec.model import node_metadata
from tests.helpers.browser import visible_text
from tests.helpers.files import read_text

CORPUS = Path(__file__).resolve().parents[1] / "oracle_spec"


def test_inline_nodes_carry_their_keys():
    job = load_job(CORPUS / "ok_node_keys_inline.yml")
    meta = node_metadata(job.steps["batch_prediction"])
    assert meta["display_name"] == "Score the iris table"
    assert meta["description"] == "batch scoring, one mini batch per 10 kB"
    assert meta["tags"] == {"team": "ml", "stage": "nightly"}
    assert meta["properties"] == {"owner": "data-science"}
    assert meta["experiment_name"] == "iris-nightly"
    assert meta["services"] == {"my_jupyter": {"type": "jupyter_lab"}}
    hello = node_metadata(job.steps["hello"])
    assert hello["limits"] == {"timeout": 600} and hello["queue_settings"] == {
        "job_tier": "standard"
    }
    assert hello["display_name"] == "Say hello"


@pytest.mark.filterwarnings("ignore::daskprs.spec.components.SpecWarning")
def test_a_component_step_carries_its_keys_and_the_components_name():
    job = load_job(CORPUS / "ok_node_keys_component.yml")
    meta = node_metadata(job.steps["score"])
    assert meta["display_name"] == "Score with the component"
    assert meta["comment"] == "a component step takes a comment"
    assert meta["tags"] == {"team": "ml"}
    plain = load_job(CORPUS / "ok_component_node_unknown_key.yml")
    component = yaml.safe_load((CORPUS / "components" / "score.yml").read_text())
    shown = node_metadata(plain.steps["score"]).get("display_name")
    assert shown == component.get("display_name")  # the component's, when the node has none


def test_job_json_and_the_report_show_them(tmp_path, job_folder, client):
    folder = job_folder
    table = folder.table(rows=20)
    folder.script("def init():\n    pass\n\n\ndef run(mini_batch):\n    return mini_batch\n")
    path = folder.parallel_yaml(
        {"type": "mltable", "path": str(table)},
        instance_count=1,
        display_name="Nightly scoring",
        description="scores the table, one row per line",
        tags={"team": "ml"},
        properties={"owner": "data-science"},
        experiment_name="nightly",
    )
    doc = yaml.safe_load(path.read_text())  # a standalone job's keys are its node's
    assert doc["display_name"] == "Nightly scoring"
    result = daskprs.run(str(path), client=client, run_dir=str(tmp_path / "run"), progress=False)
    assert result.status == "Completed"
    recorded = json.loads((tmp_path / "run" / "job.json").read_text())["nodes"]["job"]
    assert recorded["display_name"] == "Nightly scoring"
    assert recorded["tags"] == {"team": "ml"} and recorded["properties"] == {
        "owner": "data-science"
    }
    html = read_text(write_report(str(tmp_path / "run")), encoding="utf-8")
    step = html[html.index('data-step="job"') :]
    text = visible_text(step)
    assert "Nightly scoring" in text and "scores the table, one row per line" in text
    assert "team=ml" in text and "owner=data-science" in text and "nightly" in text
