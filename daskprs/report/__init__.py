"""The static HTML run report: ``<run_dir>/report.html``, written at the end of every run and on
demand (``python -m daskprs.report RUN_DIR``). Self-contained: inline CSS and SVG, no network."""

from __future__ import annotations

import os

__all__ = ["write_report"]


def write_report(run_dir: str) -> str:
    """Write ``<run_dir>/report.html`` from what the run directory holds and return its path.

    Works for a finished, failed or still-running run: missing or half-written files are
    tolerated (and noted on the page).
    """
    from daskprs.report.page import render
    from daskprs.report.rundir import load_run

    run_dir = os.path.abspath(run_dir)
    html = render(load_run(run_dir))
    path = os.path.join(run_dir, "report.html")
    tmp = f"{path}.tmp"
    os.makedirs(run_dir, exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.replace(tmp, path)
    return path
