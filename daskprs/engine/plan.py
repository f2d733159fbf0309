"""Planning a parallel step: its mini batches, bounded by ``--first_task_creation_timeout``, and
the item count of a mini batch that never reported one.

The data layer is imported on first use: a driver that resumes a finished run, or only
validates, never pays for pandas and pyarrow.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from typing import Any

from daskprs.spec.model import ParallelStep


def plan_step(step: ParallelStep, input_path: str, work_dir: str) -> tuple[list[Any], str]:
    """The mini batches of the step's input, and the input kind ("rows" or "files")."""
    from daskprs.data import load_mltable, plan_mini_batches

    source: Any = input_path
    kind = "files"
    if step.input_data.type == "mltable":
        source = load_mltable(input_path)
        if source.is_tabular:
            kind = "rows"
    keys = list(step.partition_keys) if step.partition_keys else None
    pieces = plan_mini_batches(source, step.mini_batch_size, keys, work_dir=work_dir)
    return pieces, kind


Plan = tuple[list[Any], str, float]  # pieces, kind, seconds


class PlanTimeout(Exception):
    """Planning took longer than --first_task_creation_timeout."""


def plan_with_timeout(step: ParallelStep, input_path: str, state_dir: str) -> Plan | PlanTimeout:
    """Plan in a thread bounded by ``--first_task_creation_timeout``. Spec errors (a bad
    MLTable, missing data) propagate: they are found before any worker starts."""
    t0 = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(1)
    planning = pool.submit(plan_step, step, input_path, os.path.join(state_dir, "work"))
    try:
        pieces, kind = planning.result(timeout=step.prs.first_task_creation_timeout)
    except concurrent.futures.TimeoutError:
        return PlanTimeout(
            f"Unable to create any task within {step.prs.first_task_creation_timeout} seconds."
        )
    finally:
        pool.shutdown(wait=False)
    return pieces, kind, time.monotonic() - t0


def count_items(piece: Any, timeout: float) -> int:
    """The items of a mini batch that never said how many it had (its load failed or timed
    out): its files, or its rows loaded here, in a thread bounded by ``timeout``; 0 when they
    cannot be loaded (the data is unreadable) in that time."""
    if piece.kind == "files":
        return len(piece.files)
    from daskprs.data import load_piece

    box: list[int] = []

    def load() -> None:
        try:
            box.append(len(load_piece(piece)))
        except Exception:  # noqa: BLE001 - unreadable: nothing to count
            pass

    thread = threading.Thread(target=load, name="daskprs-count-items", daemon=True)
    thread.start()
    thread.join(timeout)
    return box[0] if box else 0
