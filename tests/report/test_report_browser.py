"""report.html of real runs, opened in headless Chromium: what a person would see."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from urllib.parse import unquote

from daskprs.report import write_report
from tests.helpers.browser import copy_run, render, visible_text
from tests.helpers.files import read_text, write_text


def csv_rows(run_dir: str, step: str) -> list[dict[str, str]]:
    path = os.path.join(run_dir, step, "logs", "sys", "job_report", "processed_mini-batches.csv")
    with open(path) as fh:
        return list(csv.DictReader(fh))


def bars(dom: str) -> list[str]:
    return re.findall(r'<rect class="mb-bar"[^>]*>', dom)


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def hrefs(dom: str) -> list[str]:
    return re.findall(r'href="([^"#][^"]*)"', dom)


def test_completed_pipeline_report(chromium, completed_run, tmp_path):
    path = write_report(completed_run)
    assert path == os.path.join(completed_run, "report.html")
    page = render(chromium, path, tmp_path)

    text = page.text
    assert "report-demo" in text
    assert re.search(r"report-demo\s+Completed", text)  # the job's status next to its name
    for step in ("score", "count"):
        assert re.search(rf"{step}\s+Completed", text), step
    assert "Why it failed" not in text

    rows = csv_rows(completed_run, "score")
    drawn = bars(page.dom)
    assert len(drawn) == len(rows) > 1
    # the recovered mini batch: a red bar for attempt 1, a green one for attempt 2
    first = [b for b in drawn if 'data-mini-batch="0"' in b]
    assert len(first) == 2 and any('data-status="RUN_EXCEPTION"' in b for b in first)
    assert "recovered" in text and "transient failure on row 0" in text

    # settings and plots are there
    assert "mini_batch_error_threshold" in text and "--resource_monitor_interval" in text
    assert "Node CPU (%)" in text and "Succeeded items (cumulative)" in text
    # the graph has both steps with an edge from score to count
    assert re.search(r'class="step-node" data-step="score" data-status="Completed"', page.dom)
    assert page.dom.count('class="edge"') == 1

    # every relative link points at a file of the run dir
    links = [h for h in hrefs(page.dom) if not h.startswith(("http", "file:"))]
    assert links
    for href in links:
        assert os.path.exists(os.path.join(completed_run, unquote(href))), href
    assert "://" not in " ".join(re.findall(r'(?:src|href)="([^"]*)"', page.dom))

    width, height = png_size(page.screenshot)
    assert (width, height) == (1280, 3000)
    assert os.path.getsize(page.screenshot) > 50_000  # a rendered page, not a blank one


def test_failed_pipeline_report_shows_the_cause_and_the_traceback(chromium, failed_run, tmp_path):
    job = json.loads(read_text(os.path.join(failed_run, "job.json")))
    assert job["status"] == "Failed"
    result_lines = read_text(os.path.join(failed_run, "score", "logs", "job_result.txt"))
    cause = result_lines.splitlines()[0]
    assert "mini_batch_error_threshold" in cause

    page = render(chromium, write_report(failed_run), tmp_path)
    text = page.text
    assert re.search(r"report-demo\s+Failed", text)
    alert = text[text.index("Why it failed") : text.index("Pipeline")]
    assert cause in alert
    assert re.search(r"score\s+Failed", text) and re.search(r"count\s+Skipped", text)
    assert "Not run because of the failure: count" in text

    # bars == attempts in the CSV, the failed ones red
    rows = csv_rows(failed_run, "score")
    drawn = bars(page.dom)
    assert len(drawn) == len(rows)
    n_failed = sum(r["status"] == "RUN_EXCEPTION" for r in rows)
    assert sum('data-status="RUN_EXCEPTION"' in b for b in drawn) == n_failed >= 2

    # the failed mini batches: error excerpt from the traceback, link to the traceback file
    failed_ids = {r["mini_batch_id"] for r in rows if r["status"] == "RUN_EXCEPTION"}
    table = re.findall(
        r'<tr class="failure failed" data-mini-batch="(\d+)">(.*?)</tr>', page.dom, re.S
    )
    assert {i for i, _ in table} <= failed_ids and table
    for _, row in table:
        assert "cannot score row" in row and "&lt;bad&gt; &amp; unusable" in row
        assert 'File "' in row and "score.py" in row  # the user's frame, from the file
        (href,) = re.findall(r'href="([^"]+)"', row)
        target = os.path.join(failed_run, unquote(href))
        assert "/user/error/" in target and "Traceback" in read_text(target)

    # the "open this first" file of job_result.txt is a working link in the alert
    alert_html = page.dom[page.dom.index('id="failure"') : page.dom.index('id="pipeline"')]
    (first,) = re.findall(r'href="([^"#][^"]*)"', alert_html)
    assert os.path.exists(os.path.join(failed_run, unquote(first)))


def test_running_run_report(completed_run, tmp_path):
    """A run caught mid-way: job.json says Running with no step results, job_result.txt is not
    written yet and the CSV ends in a half-written line."""
    run = copy_run(completed_run, tmp_path / "running")
    job_json = os.path.join(run, "job.json")
    doc = json.loads(read_text(job_json))
    doc.update(status="Running", steps={}, seconds=0)
    write_text(job_json, json.dumps(doc))
    logs = os.path.join(run, "score", "logs")
    os.remove(os.path.join(logs, "job_result.txt"))
    os.remove(os.path.join(logs, "job_error.txt"))
    csv_path = os.path.join(logs, "sys", "job_report", "processed_mini-batches.csv")
    header, *rows = read_text(csv_path).splitlines(keepends=True)
    first_try = [r for r in rows if r.startswith("0,1,")]  # mini batch 0 failed its 1st attempt
    done = [r for r in rows if ",RUN_DONE," in r and not r.startswith("0,")]
    with open(csv_path, "w") as fh:
        fh.writelines([header, *first_try, *done[:2]])
        fh.write(done[2][:15])  # a row still being written
    shutil.rmtree(os.path.join(run, "count"), ignore_errors=True)

    # no browser needed here: the page has no script, so the DOM is the file
    dom = read_text(write_report(run), encoding="utf-8")
    text = visible_text(dom)
    assert re.search(r"report-demo\s+Running", text)
    assert "still running" in text
    assert re.search(r"score\s+Running", text) and re.search(r"count\s+Not started", text)
    assert len(bars(dom)) == 3  # the complete rows only
    assert "Counted from the attempts so far" in text and "failed so far" in text
