"""A small real job folder (entry script, MLTable, file folder, model, conda file) and a
builder for pipeline YAML, so each test states only what it changes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

SCORE = "def init():\n    pass\n\n\ndef run(mini_batch):\n    return mini_batch\n"


def example_pipeline() -> dict[str, Any]:
    """The pipeline of issue 2 (Azure's iris batch-prediction example)."""
    return {
        "$schema": "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json",
        "type": "pipeline",
        "display_name": "iris-batch-prediction-using-parallel",
        "tags": {"owner": "sdkteam"},
        "settings": {"default_compute": "azureml:cpu-cluster"},
        "jobs": {
            "batch_prediction": {
                "type": "parallel",
                "compute": "azureml:cpu-cluster",
                "inputs": {
                    "input_data": {
                        "type": "mltable",
                        "path": "./neural-iris-mltable",
                        "mode": "direct",
                    },
                    "score_model": {
                        "type": "uri_folder",
                        "path": "./iris-model",
                        "mode": "download",
                    },
                },
                "outputs": {"job_output_file": {"type": "uri_file", "mode": "rw_mount"}},
                "input_data": "${{inputs.input_data}}",
                "mini_batch_size": "10kb",
                "resources": {"instance_count": 2},
                "max_concurrency_per_instance": 2,
                "logging_level": "DEBUG",
                "mini_batch_error_threshold": 5,
                "retry_settings": {"max_retries": 2, "timeout": 60},
                "task": {
                    "type": "run_function",
                    "code": "./script",
                    "entry_script": "iris_prediction.py",
                    "environment": {
                        "name": "prs-env",
                        "version": 1,
                        "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04",
                        "conda_file": "./environment/environment_parallel.yml",
                    },
                    "program_arguments": (
                        "--model ${{inputs.score_model}} --error_threshold 5 "
                        "--allowed_failed_percent 30 --task_overhead_timeout 1200 "
                        "--progress_update_timeout 600 --first_task_creation_timeout 600 "
                        "--copy_logs_to_parent True --resource_monitor_interval 20"
                    ),
                    "append_row_to": "${{outputs.job_output_file}}",
                },
            }
        },
    }


class Project:
    """A folder laid out like Azure's example, with helpers to write YAML into it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "script").mkdir()
        (root / "script" / "iris_prediction.py").write_text(SCORE)
        (root / "neural-iris-mltable").mkdir()
        (root / "neural-iris-mltable" / "iris.csv").write_text("a,b\n1,2\n")
        (root / "neural-iris-mltable" / "MLTable").write_text(
            "paths:\n  - file: ./iris.csv\ntransformations:\n  - read_delimited:\n      delimiter: ','\n"
        )
        (root / "files-mltable").mkdir()
        (root / "files-mltable" / "a.txt").write_text("x")
        (root / "files-mltable" / "MLTable").write_text("paths:\n  - file: ./a.txt\n")
        (root / "iris-model").mkdir()
        (root / "iris-model" / "model.pkl").write_text("m")
        (root / "environment").mkdir()
        (root / "environment" / "environment_parallel.yml").write_text(
            "dependencies: [python=3.11]\n"
        )

    def write(self, doc: dict[str, Any] | str, name: str = "pipeline.yml") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
        path.write_text(text)
        return path

    def pipeline(self, **changes: Any) -> dict[str, Any]:
        doc = copy.deepcopy(example_pipeline())
        doc["jobs"]["batch_prediction"].update(changes)
        return doc


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def step_of(doc: dict[str, Any], name: str = "batch_prediction") -> dict[str, Any]:
    step: dict[str, Any] = doc["jobs"][name]
    return step
