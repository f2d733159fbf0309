"""The PRS runtime's own arguments inside ``task.program_arguments``.

The whole token list reaches the entry script in ``sys.argv`` (as on Azure); this module only
reads the runtime's settings out of it, parsed the way the Azure driver parses them
(``arg_parser.py``: ``-1`` disables a threshold, values are normalised as Azure does).

>>> tokens, prs = parse_program_arguments("--model m --error_threshold 2.5 --copy_logs_to_parent true")
>>> tokens
('--model', 'm', '--error_threshold', '2.5', '--copy_logs_to_parent', 'true')
>>> prs.error_threshold, prs.copy_logs_to_parent
(3, True)
"""

from __future__ import annotations

import math
import shlex
from dataclasses import replace
from typing import Any

from daskprs.spec.keys import Where
from daskprs.spec.model import PrsArguments

MAX_TIMEOUT = 259200  # seconds; the documented upper bound of every PRS timeout

_INT_ARGS = (
    "task_overhead_timeout",
    "progress_update_timeout",
    "first_task_creation_timeout",
    "resource_monitor_interval",
)
_BOOL_ARGS = ("copy_logs_to_parent", "append_row_dataframe_header", "push_metrics_to_parent")
# daskprs's own extension (no Azure equivalent): kill an entry process whose memory (RSS)
# passes this size; the attempt counts as PROCESS_CRASHED and is retried in a new process
_SIZE_ARGS = ("process_memory_limit",)
PRS_ARGS = frozenset(
    {
        "error_threshold",
        "allowed_failed_percent",
        "metrics_name_prefix",
        *_INT_ARGS,
        *_BOOL_ARGS,
        *_SIZE_ARGS,
    }
)


def split_arguments(text: str, where: Where) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:
        where.fail(f"cannot be split into arguments like a shell would: {exc}")


def parse_error_threshold(text: str) -> int:
    """``--error_threshold`` as the driver reads it: int, else ceil(float), non-numeric -> -1,
    below -1 clamped to -1.

    >>> [parse_error_threshold(t) for t in ("5", "2.1", "abc", "-7")]
    [5, 3, -1, -1]
    """
    try:
        value = int(text)
    except ValueError:
        try:
            as_float = float(text)
            value = math.ceil(as_float) if math.isfinite(as_float) else -1
        except ValueError:
            value = -1
    return max(value, -1)


def _bool(text: str, where: Where) -> bool:
    low = text.strip().lower()
    if low == "true":
        return True
    if low == "false":
        return False
    where.fail(f"must be True or False, got {text!r}")


def _seconds(name: str, text: str, where: Where) -> int | None:
    try:
        value = int(text)
    except ValueError:
        try:
            value = math.ceil(float(text))
        except ValueError:
            where.fail(f"--{name} must be a whole number of seconds, got {text!r}")
    if name == "progress_update_timeout" and value == -1:
        return None  # the driver's "not given": computed from the other timeouts
    if name == "resource_monitor_interval":
        if value < 0:
            where.fail(f"--{name} must be >= 0 seconds (0 turns sys/perf off), got {value}")
        return value
    if value <= 0 or value > MAX_TIMEOUT:
        where.fail(f"--{name} must be between 1 and {MAX_TIMEOUT} seconds, got {value}")
    return value


def extract_prs(tokens: tuple[str, ...], where: Where) -> PrsArguments:
    """Read the runtime's arguments (``--name value`` or ``--name=value``; the last one wins)."""
    found: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("--"):
            name, eq, val = tok[2:].partition("=")
            if name in PRS_ARGS:
                if eq:
                    found[name] = val
                elif i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
                    found[name] = tokens[i + 1]
                    i += 1
                else:
                    where.fail(f"--{name} needs a value")
        i += 1
    changes: dict[str, Any] = {}
    for name, text in found.items():
        if "${{" in text:
            continue  # bound at run time (e.g. to an output path): not a runtime setting
        if name == "error_threshold":
            changes[name] = parse_error_threshold(text)
        elif name == "allowed_failed_percent":
            try:
                pct = float(text)
            except ValueError:
                where.fail(f"--allowed_failed_percent must be a number from 0 to 100, got {text!r}")
            if not 0 <= pct <= 100:
                where.fail(f"--allowed_failed_percent must be from 0 to 100, got {text!r}")
            changes[name] = pct
        elif name in _INT_ARGS:
            changes[name] = _seconds(name, text, where)
        elif name in _BOOL_ARGS:
            changes[name] = _bool(text, where)
        elif name == "metrics_name_prefix":
            changes[name] = text
        elif name in _SIZE_ARGS:
            from daskprs.data.sizes import parse_mini_batch_size

            try:
                changes[name] = parse_mini_batch_size(text)
            except ValueError:
                where.fail(f"--{name} must be a size like 512mb or 2gb, got {text!r}")
    return replace(PrsArguments(), **changes)


def parse_program_arguments(
    text: str, where: Where | None = None
) -> tuple[tuple[str, ...], PrsArguments]:
    """Split ``text`` into tokens (all of them kept) and read the runtime's settings from them."""
    where = where or Where("<program_arguments>")
    tokens = split_arguments(text, where)
    return tokens, extract_prs(tokens, where)
