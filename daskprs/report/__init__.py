"""The static HTML run report: ``<run_dir>/report.html``, written at the end of every run and on
demand (``python -m daskprs.report RUN_DIR``). Self-contained: inline CSS and SVG, no network."""

from __future__ import annotations

import html
import os
import traceback

from daskprs.atomic import write_text

__all__ = ["write_report"]


def write_report(run_dir: str) -> str:
    """Write ``<run_dir>/report.html`` from what the run directory holds and return its path.

    Works for a finished, failed or still-running run: missing or half-written files are
    tolerated (and noted on the page). Should reading or rendering fail on something
    unexpected, a short page saying so is written instead, so a report never fails a run;
    only an unwritable run directory raises (``OSError``).
    """
    from daskprs.report.page import render
    from daskprs.report.rundir import load_run

    run_dir = os.path.abspath(run_dir)
    try:
        page = render(load_run(run_dir))
    except Exception:  # noqa: BLE001 - the report must not take the run down with it
        page = _fallback(run_dir, traceback.format_exc())
    path = os.path.join(run_dir, "report.html")
    os.makedirs(run_dir, exist_ok=True)
    write_text(path, page, mode=0o600)  # it shows the spec
    return path


def _fallback(run_dir: str, error: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>daskprs run report'
        '</title></head><body style="font-family:sans-serif;margin:2em">'
        f"<h1>The run report could not be built</h1><p>Run directory: {html.escape(run_dir)}</p>"
        '<p>Open <a href="job.json">job.json</a> and each step\'s logs/job_result.txt instead. '
        "Please report this error:</p>"
        f"<pre>{html.escape(error)}</pre></body></html>\n"
    )
