"""The same pipeline code gives the same job with azure-ai-ml and with daskprs.sdk.

examples/many-models/pipeline.py is run twice: as is (daskprs.sdk), and with its imports
swapped for azure-ai-ml's in ``.venv-azure`` (azure_build.py). The pipeline job azure-ai-ml
builds is loaded by daskprs's parser and must equal the one daskprs.sdk builds: same step
names (from the variables), inputs, outputs, bindings and settings.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_same_as_yaml import load_example

from daskprs.sdk.loader import load_job_dict

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
AZURE_PYTHON = ROOT / ".venv-azure" / "bin" / "python"
EXAMPLE = ROOT / "examples" / "many-models" / "pipeline.py"


def azure_job_dict(example: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [str(AZURE_PYTHON), str(HERE / "azure_build.py"), str(example)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(proc.stdout)


def normalise_azure(raw: dict[str, Any]) -> dict[str, Any]:
    """What azure-ai-ml writes only because it uploads to a workspace: local input paths as
    ``azureml:<path>``, and ``mini_batch_size: '0'`` for "not set"."""
    for spec in raw.get("inputs", {}).values():
        if isinstance(spec, dict) and str(spec.get("path", "")).startswith("azureml:/"):
            spec["path"] = spec["path"][len("azureml:") :]
    for node in raw["jobs"].values():
        for body in (node, node.get("component")):
            if isinstance(body, dict) and body.get("mini_batch_size") == "0":
                del body["mini_batch_size"]
    return raw


@pytest.mark.skipif(not AZURE_PYTHON.exists(), reason="needs .venv-azure with azure-ai-ml")
def test_many_models_pipeline_py_builds_the_same_job_as_azure_ai_ml() -> None:
    raw = normalise_azure(azure_job_dict(EXAMPLE))
    assert list(raw["jobs"]) == ["partition_job", "parallel_train", "summarize"]
    theirs = load_job_dict(raw, name="azure")
    ours = load_example(EXAMPLE).build().to_job()
    assert list(theirs.steps) == list(ours.steps)
    for name in ours.steps:
        strip = {"source_file": "", "cloud": {}}
        a = dataclasses.replace(theirs.steps[name], **strip)
        b = dataclasses.replace(ours.steps[name], **strip)
        assert a == b, name
    assert theirs.inputs == ours.inputs
    assert theirs.outputs == ours.outputs
    assert theirs.continue_on_step_failure == ours.continue_on_step_failure
