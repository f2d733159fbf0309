"""Real runs for the report tests (built once per session) and the Chromium to look at them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import daskprs
from tests.helpers.browser import _find_chromium
from tests.helpers.jobs import JobFolder


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (`bash scripts/install-chromium.sh` installs it; CI does)."""
    found = _find_chromium()
    if not found:
        pytest.skip("chromium is not installed: run `bash scripts/install-chromium.sh`")
    return found


TABLE = """\
type: mltable
paths:
  - pattern: ./*.csv
transformations:
  - read_delimited:
      delimiter: ","
      header: all_files_same_headers
"""

# Mini batches whose first id is in ALWAYS always raise; those in ONCE raise on the first
# attempt only (a marker file per mini batch).
SCORE = """\
import os

ALWAYS = {always}
ONCE = {once}

def init():
    global marker_dir
    marker_dir = os.environ["AZUREML_BI_OUTPUT_PATH"]

def run(mini_batch):
    first = int(mini_batch["id"].iloc[0])
    if first in ALWAYS:
        raise ValueError(f"cannot score row {{first}}: <bad> & unusable")
    marker = os.path.join(marker_dir, f"seen-{{first}}")
    if first in ONCE and not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError(f"transient failure on row {{first}}")
    return mini_batch[["id"]]
"""


def _pipeline(root: Path, threshold: int) -> Path:
    doc = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json",
        "type": "pipeline",
        "display_name": "report-demo",
        "description": "Scores a small table, then counts the scored rows.",
        "jobs": {
            "score": {
                "type": "parallel",
                "inputs": {"data": {"type": "mltable", "path": "./table", "mode": "direct"}},
                "outputs": {"scores": {"type": "uri_file"}},
                "input_data": "${{inputs.data}}",
                "mini_batch_size": "1kb",
                "resources": {"instance_count": 2},
                "max_concurrency_per_instance": 2,
                "mini_batch_error_threshold": threshold,
                "retry_settings": {"max_retries": 1, "timeout": 30},
                "logging_level": "WARNING",
                "task": {
                    "type": "run_function",
                    "code": "./code",
                    "entry_script": "score.py",
                    "environment": {"image": "python:3.11"},
                    "program_arguments": "--resource_monitor_interval 1 --error_threshold -1",
                    "append_row_to": "${{outputs.scores}}",
                },
            },
            "count": {
                "type": "command",
                "command": "wc -l ${{inputs.scores}}",
                "environment": {"image": "python:3.11"},
                "inputs": {"scores": "${{parent.jobs.score.outputs.scores}}"},
            },
        },
    }
    path = root / "pipeline.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _make_run(tmp: Path, client, *, always: set[int], once: set[int], threshold: int) -> str:
    folder = JobFolder(tmp / "job")
    table = folder.table(rows=400)
    (table / "MLTable").write_text(TABLE)
    folder.script(SCORE.format(always=sorted(always) or "set()", once=sorted(once) or "set()"))
    yml = _pipeline(folder.root, threshold)
    run_dir = str(tmp / "run")
    daskprs.run(str(yml), client=client, run_dir=run_dir, progress=False)
    return run_dir


@pytest.fixture(scope="session")
def completed_run(tmp_path_factory, client) -> str:
    """Two steps, both completed; mini batch 0 fails once and recovers on its retry."""
    return _make_run(
        tmp_path_factory.mktemp("completed"), client, always=set(), once={0}, threshold=-1
    )


@pytest.fixture(scope="session")
def failed_run(tmp_path_factory, client) -> str:
    """The parallel step crosses mini_batch_error_threshold; the command step is skipped."""
    # every mini batch from the 4th on fails on every attempt (ids are first row ids: 1kb of
    # this table holds ~50 rows, so these are mini batches 0.. in steps of ~50 rows)
    always = set(range(150, 400))
    return _make_run(
        tmp_path_factory.mktemp("failed"), client, always=always, once=set(), threshold=1
    )
