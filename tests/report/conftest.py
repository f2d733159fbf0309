"""Real runs for the report tests (built once per session) and a headless Chromium to look at
the report with."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from distributed import Client, LocalCluster

import daskprs
from tests.integration.conftest import JobFolder

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


# --------------------------------------------------------------------------- chromium


def _find_chromium() -> str | None:
    for candidate in (CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (`bash scripts/install-chromium.sh` installs it; CI does)."""
    found = _find_chromium()
    if not found:
        pytest.skip("chromium is not installed: run `bash scripts/install-chromium.sh`")
    return found


class Rendered:
    def __init__(self, dom: str, screenshot: Path) -> None:
        self.dom = dom
        self.screenshot = screenshot
        self.text = visible_text(dom)


def render(chromium: str, html_path: str, out_dir: Path, height: int = 3000) -> Rendered:
    """Load the report from disk in headless Chromium: the DOM it built and a screenshot."""
    out_dir.mkdir(parents=True, exist_ok=True)
    url = Path(html_path).resolve().as_uri()
    common = [chromium, *CHROMIUM_FLAGS, f"--window-size=1280,{height}"]
    shot = out_dir / "report.png"
    # one browser start does both (each start costs seconds)
    dom = subprocess.run(
        [
            *common,
            f"--user-data-dir={out_dir / 'profile'}",
            f"--screenshot={shot}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=True,
        text=True,
    ).stdout
    assert shot.exists(), "chromium wrote no screenshot"
    assert "<html" in dom, "chromium dumped no DOM"
    return Rendered(dom, shot)


class _Text(HTMLParser):
    """The text a person sees: no <style>, <script>, <head> or SVG tooltips (<title>)."""

    HIDDEN = {"style", "script", "title", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.closed_details = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    parser = _Text()
    parser.feed(dom)
    return " ".join(" ".join(parser.parts).split())


# --------------------------------------------------------------------------- runs


@pytest.fixture(scope="session")
def report_client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


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
def completed_run(tmp_path_factory, report_client) -> str:
    """Two steps, both completed; mini batch 0 fails once and recovers on its retry."""
    return _make_run(
        tmp_path_factory.mktemp("completed"), report_client, always=set(), once={0}, threshold=-1
    )


@pytest.fixture(scope="session")
def failed_run(tmp_path_factory, report_client) -> str:
    """The parallel step crosses mini_batch_error_threshold; the command step is skipped."""
    # every mini batch from the 4th on fails on every attempt (ids are first row ids: 1kb of
    # this table holds ~50 rows, so these are mini batches 0.. in steps of ~50 rows)
    always = set(range(150, 400))
    return _make_run(
        tmp_path_factory.mktemp("failed"), report_client, always=always, once=set(), threshold=1
    )


def copy_run(run_dir: str, dest: Path) -> str:
    shutil.copytree(run_dir, dest)
    return str(dest)
