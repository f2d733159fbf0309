"""A step's closing words in its logs tree: ``job_result.txt`` (what happened, the counts,
where to look first) and ``job_error.txt`` (the first line of every traceback file, and the
shutdown() failures), written as Azure's runtime writes them."""

from __future__ import annotations

import os

from daskprs.engine.result import COMPLETED
from daskprs.logs.tree import StepLogs
from daskprs.rundir import ATTEMPTS_CSV, USER_ERRORS
from daskprs.spec.model import ParallelStep


def write_result(
    logs: StepLogs,
    step: ParallelStep,
    status: str,
    counts: dict,
    *,
    cause: str,
    cause_file: str,
    error_threshold: int,
    shutdown_errors: list[str],
) -> None:
    """``cause_file``: the traceback file to open first (the processed mini-batches CSV when
    there is none)."""
    lost = (
        f" {counts['infra_losses']} attempts were lost to infrastructure failures and re-run "
        "(not counted)."
        if counts.get("infra_losses")
        else ""
    )
    if status == COMPLETED:
        lines = [
            f"The ParallelRunStep processed all mini batches. There are "
            f"{counts['mini_batches']} mini batches with {counts['items']} items. Processed "
            f"{counts['processed_mini_batches']} mini batches containing {counts['items']} "
            f"items, {counts['succeeded_items']} succeeded, {counts['failed_items']} failed. "
            f"The error threshold is {error_threshold}. "
            f"Failed mini batches: {counts['failed_mini_batches']} "
            f"(mini_batch_error_threshold {step.mini_batch_error_threshold}).{lost}",
        ]
        logs.overview(f"All {counts['mini_batches']} mini batches have been processed.")
    else:
        where = cause_file or os.path.join(logs.dir, ATTEMPTS_CSV)
        lines = [
            cause,
            f"Open {where} first. Processed {counts['processed_mini_batches']} of "
            f"{counts['mini_batches']} mini batches: {counts['failed_mini_batches']} failed, "
            f"{counts['failed_items']} failed items, {counts['succeeded_items']} succeeded "
            f"items.{lost} See logs/readme.txt for the layout of logs.",
        ]
        logs.overview(f"Progress update stopped for reasons: [{cause}]")
    if shutdown_errors:
        lines.append(f"shutdown() failed in {len(shutdown_errors)} process(es):")
        lines.extend(f"  {line}" for line in shutdown_errors)
    logs.result(lines)
    write_errors(logs, shutdown_errors)


def write_errors(logs: StepLogs, extra: list[str]) -> None:
    """job_error.txt: the first line of every traceback file, per process, and the shutdown()
    failures (a hung shutdown() leaves no traceback)."""
    lines: list[str] = []
    error_root = os.path.join(logs.dir, USER_ERRORS)
    for root, _dirs, files in sorted(os.walk(error_root)):
        for name in sorted(files):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as fh:
                heads = [ln.rstrip() for ln in fh if ln[:1].isdigit()]
            for head in heads:
                lines.append(f"{os.path.relpath(path, logs.dir)}: {head}")
    lines.extend(f"shutdown: {line}" for line in extra)
    logs.errors(lines)
