"""The report's reading and rendering on hand-made run directories (no cluster, no browser)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from daskprs.engine.pipeline import plan_record
from daskprs.report import charts as charts_module
from daskprs.report import write_report
from daskprs.report.page import linkify
from daskprs.report.rundir import load_run, traceback_excerpt
from daskprs.report.svg import nice_ticks
from daskprs.spec.load import load_job
from tests.helpers.browser import visible_text
from tests.helpers.files import read_text, write_text

CORPUS = Path(__file__).resolve().parents[1] / "oracle_spec"
CSV_HEADER = (
    "mini_batch_id,attempt,process,start_time,total,succeeded,failed,elapsed_seconds,"
    "run_seconds,status,error\n"
)


def make_run(root, spec, steps=None, status="Completed", csv_rows=(), step="job") -> str:
    run = root / "run"
    report_dir = run / step / "logs" / "sys" / "job_report"
    report_dir.mkdir(parents=True)
    (report_dir / "processed_mini-batches.csv").write_text(CSV_HEADER + "".join(csv_rows))
    doc = {"name": "j", "status": status, "spec": spec, "steps": steps or {}, "source": ""}
    (run / "job.json").write_text(json.dumps(doc))
    return str(run)


def rendered(run_dir: str) -> tuple[str, str]:
    html = read_text(write_report(run_dir), encoding="utf-8")
    return html, visible_text(html)


def test_an_empty_folder_still_gets_a_report(tmp_path):
    html, text = rendered(str(tmp_path))
    assert "job.json is missing" in text
    assert "No steps recorded" in text
    assert html.startswith("<!DOCTYPE html>")


def test_unreadable_job_json_is_reported_not_raised(tmp_path):
    (tmp_path / "job.json").write_text("{ not json")
    _, text = rendered(str(tmp_path))
    assert "job.json cannot be read" in text


def test_standalone_parallel_job_settings_with_defaults(tmp_path):
    spec = {
        "type": "parallel",
        "name": "solo",
        "input_data": "${{inputs.data}}",
        "mini_batch_size": "3",
        "task": {
            "type": "run_function",
            "code": "./src",
            "entry_script": "score.py",
            "program_arguments": "--error_threshold 2.5 --model m",
        },
    }
    rows = [
        "0,1,node000/process000,2026-01-01T00:00:00,3,3,0,1.0,0.9,RUN_DONE,\n",
        "1,1,node000/process000,2026-01-01T00:00:01,3,1,2,1.0,0.9,RUN_DONE,\n",  # short return
        "2,1,node000/process001,,3,0,3,0,0,CANCELLED,\n",  # never started
    ]
    run = make_run(tmp_path, spec, {"solo": {"status": "Completed"}}, csv_rows=rows, step="solo")
    html, text = rendered(run)
    assert re.search(r"solo\s+Completed", text)
    row = re.search(r"<tr><td>--error_threshold</td><td class=\"([^\"]*)\">([^<]*)<", html)
    assert row and row.groups() == ("", "3")  # written (not default), read as the driver does
    assert re.search(r"<td>retry_settings.max_retries</td><td class=\"default\">2<", html)
    assert "270 = 3 × (timeout + task_overhead_timeout)" in text
    assert len(re.findall(r'class="mb-bar"', html)) == 2
    assert "1 attempts have no start time" in text
    assert "2 of 3 items missing from the return value" in text  # the short return


def test_component_settings_come_from_the_recorded_plan(tmp_path):
    """The report shows a component step's settings as the parser merged them (job.json's
    ``plan``), not by reading the component file again."""
    job = load_job(str(CORPUS / "ok_node_keys_component.yml"))
    spec = {"type": "pipeline", "jobs": {"score": {"component": "./gone.yml"}}}
    run = make_run(tmp_path, spec, status="Running", step="score")
    doc = json.loads(read_text(os.path.join(run, "job.json")))
    doc["plan"] = plan_record(job)
    write_text(os.path.join(run, "job.json"), json.dumps(doc))
    view = load_run(run)
    assert view.problems == []  # the component file is not read (here it does not exist)
    score = {s.name: s for s in view.steps}["score"]
    settings = {s.key: s.value for s in score.settings.settings}
    assert settings["mini_batch_size"] == "10kb" and settings["retry_settings.timeout"] == "30"
    assert settings["task.entry_script"] == "score.py" and settings["logging_level"] == "WARNING"
    assert "retry_settings.max_retries" in settings and score.depends_on == []


def test_a_run_without_recorded_settings_shows_the_node_as_written(tmp_path):
    spec = {
        "type": "pipeline",
        "jobs": {"score": {"type": "parallel", "mini_batch_size": "2kb"}},
    }
    run = make_run(tmp_path, spec, status="Running", step="score")
    score = {s.name: s for s in load_run(run).steps}["score"]
    assert {s.key: s.value for s in score.settings.settings}["mini_batch_size"] == "2kb"


def test_traceback_excerpt_picks_the_attempt_and_drops_runtime_frames():
    text = (
        "2026-01-01T00:00:00Z run() on mini batch 4 raised (attempt 1)\n"
        "Traceback (most recent call last):\n"
        '  File "/x/daskprs/runtime/child.py", line 1, in run_piece\n'
        "    ret = self.module.run(data)\n"
        "          ^^^^^^^^^^^^^^^^^^^^^\n"
        '  File "/code/score.py", line 3, in run\n'
        "    raise KeyError('first')\n"
        "KeyError: 'first'\n\n"
        "2026-01-01T00:00:05Z run() on mini batch 4 raised (attempt 2)\n"
        "Traceback (most recent call last):\n"
        '  File "/code/score.py", line 3, in run\n'
        "    raise KeyError('second')\n"
        "KeyError: 'second'\n"
    )
    first = traceback_excerpt(text, 4, 1)
    assert first.splitlines() == [
        "Traceback (most recent call last):",
        '  File "/code/score.py", line 3, in run',
        "    raise KeyError('first')",
        "KeyError: 'first'",
    ]
    assert traceback_excerpt(text, 4, 2).endswith("KeyError: 'second'")
    assert traceback_excerpt(text, 4, 7).endswith("KeyError: 'second'")  # latest as fallback
    assert traceback_excerpt(text, 5, 1) == ""
    loading = "2026-01-01T00:00:00Z loading mini batch 5 raised (attempt 1)\nOSError: gone\n"
    assert traceback_excerpt(loading, 5, 1) == "OSError: gone"


def test_linkify_links_only_files_inside_the_run_dir_and_escapes(tmp_path):
    run = str(tmp_path / "run")
    line = f"Open {run}/s/logs/user/error/node0/p0.txt first. Not /etc/passwd <b>&"
    out = linkify(line, run)
    assert '<a href="s/logs/user/error/node0/p0.txt">s/logs/user/error/node0/p0.txt</a>' in out
    assert "/etc/passwd" in out and 'href="/etc' not in out
    assert "&lt;b&gt;&amp;" in out


def test_timeline_is_capped_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(charts_module, "MAX_BARS", 5)
    rows = [
        f"{i},1,node000/process000,2026-01-01T00:00:{i:02d},1,1,0,0.{i % 10}5,0.4,RUN_DONE,\n"
        for i in range(12)
    ]
    rows[3] = "3,1,node000/process000,2026-01-01T00:00:03,1,0,1,0.01,0.01,RUN_EXCEPTION,boom\n"
    run = make_run(tmp_path, {"type": "parallel"}, {"job": {"status": "Completed"}}, csv_rows=rows)
    html, text = rendered(run)
    bars = re.findall(r'class="mb-bar" data-mini-batch="(\d+)"', html)
    # the failure, then the four longest (elapsed 0.95, 0.85, 0.75, 0.65), in time order
    assert bars == ["3", "6", "7", "8", "9"]
    assert "Showing 5 of 12 attempts" in text


@pytest.mark.parametrize(
    "lo,hi,expected",
    [(0, 10, [0, 2, 4, 6, 8, 10]), (0, 0.45, [0, 0.1, 0.2, 0.3, 0.4]), (5, 5, [5])],
)
def test_nice_ticks(lo, hi, expected):
    assert nice_ticks(lo, hi, 5) == pytest.approx(expected)


def test_an_unexpected_error_gives_a_fallback_page_not_an_exception(tmp_path, monkeypatch):
    import daskprs.report.page as page

    def broken(run):
        raise RuntimeError("boom")

    monkeypatch.setattr(page, "render", broken)
    html, text = rendered(str(tmp_path))
    assert "could not be built" in text and "RuntimeError: boom" in text
