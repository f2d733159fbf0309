"""What the report shows, as read from a run directory (:mod:`daskprs.report.rundir` fills it):
the run, its steps, their attempts, failures and perf tables. Plain dataclasses; the pages and
charts render them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from daskprs.report.settings import StepSettings
from daskprs.status import USER_FAILURES

FAILED_STATUSES = USER_FAILURES


@dataclass
class Attempt:
    """One row of processed_mini-batches.csv."""

    mini_batch_id: int
    attempt: int
    process: str
    start: float | None  # unix seconds (UTC); None when the attempt never started
    total: int
    succeeded: int
    failed: int
    elapsed: float
    run_seconds: float
    status: str
    error: str

    @property
    def end(self) -> float | None:
        return None if self.start is None else self.start + self.elapsed

    @property
    def is_failure(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def short_return(self) -> bool:
        return self.status == "RUN_DONE" and self.failed > 0


@dataclass
class Failure:
    """A mini batch that had at least one failed attempt."""

    mini_batch_id: int
    attempts: list[Attempt]
    final_failed: bool  # its latest attempt failed (it counts as a failed mini batch)
    excerpt: str  # the end of the traceback of the latest failed attempt, "" when none
    link: str  # href (relative to the run dir) of the file to open, "" when none
    link_label: str = ""

    @property
    def last_failed(self) -> Attempt:
        return [a for a in self.attempts if a.is_failure or a.short_return][-1]


@dataclass
class PerfTable:
    """One perf CSV of one node."""

    header: list[str]
    rows: list[dict[str, str]]

    def series(self, column: str, where: dict[str, str] | None = None) -> list[tuple[float, float]]:
        points = []
        for row in self.rows:
            if where and any(row.get(k) != v for k, v in where.items()):
                continue
            t = parse_time(row.get("time", ""))
            value = float_or_none(row.get(column, ""))
            if t is not None and value is not None:
                points.append((t, value))
        return points


@dataclass
class StepView:
    name: str
    kind: str  # "parallel", "command" or "" when unknown
    status: str
    cause: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    counts_final: bool = True  # False: counted from the CSV so far (a running step)
    seconds: float | None = None
    depends_on: list[str] = field(default_factory=list)
    settings: StepSettings | None = None
    logs_rel: str = ""  # the logs dir, relative to the run dir
    logs_exists: bool = False
    result_lines: list[str] = field(default_factory=list)
    error_lines: list[str] = field(default_factory=list)  # job_error.txt
    attempts: list[Attempt] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    perf: dict[str, dict[str, PerfTable]] = field(default_factory=dict)  # node -> csv -> table
    planned: int | None = None  # mini batches planned (from the plan's fingerprint)
    log_files: list[tuple[str, str]] = field(default_factory=list)  # (label, href)
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> path
    command: str = ""  # a command step's command line as it ran
    environment: dict[str, Any] = field(default_factory=dict)  # which Python ran it (envs)
    node: dict[str, Any] = field(default_factory=dict)  # display_name, description, tags, ...

    @property
    def window(self) -> tuple[float, float] | None:
        """The time span covered by the step's attempts and perf samples."""
        times: list[float] = []
        for a in self.attempts:
            if a.start is not None and a.end is not None:
                times += [a.start, a.end]
        for tables in self.perf.values():
            for table in tables.values():
                for row in table.rows:
                    t = parse_time(row.get("time", ""))
                    if t is not None:
                        times.append(t)
        if not times:
            return None
        return min(times), max(times)


@dataclass
class RunView:
    run_dir: str
    name: str
    status: str
    display_name: str = ""
    source: str = ""
    updated: str = ""
    seconds: float | None = None
    cluster: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    steps: list[StepView] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_time(text: str) -> float | None:
    """ISO time as written by the logs (naive = UTC) to unix seconds."""
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.timestamp()


def float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None
