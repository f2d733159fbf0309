"""The process-leak check: every process a test's jobs started must be gone when it ends.

"Started by the test" means: a descendant of the pytest process, or any process of this user
carrying this session's mark ``DASKPRS_TEST_SESSION`` in its environment (inherited by
everything a job starts, including ``setsid`` / double-forked processes that left the tree),
and not present when the test began. The one allowed survivor is a *zygote* (a worker's
pre-imported forking process, which lives as long as its worker); an entry process forked from
a zygote shows the same command line, so a zygote is told apart by its parent: a process whose
parent is a zygote is an entry process, never infrastructure.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

SESSION_MARK = "DASKPRS_TEST_SESSION"
ZYGOTE = "daskprs.runtime.zygote"
CHILD = "daskprs.runtime.child"


@dataclass(frozen=True)
class Proc:
    pid: int
    created: float
    cmdline: str
    ppid: int

    def __str__(self) -> str:
        return f"pid {self.pid} (parent {self.ppid}): {self.cmdline[:160]}"


def _marked(pid: int, mark: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return f"{SESSION_MARK}={mark}".encode() in fh.read().split(b"\0")
    except OSError:
        return False


def _cmd(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except (psutil.Error, OSError):
        return ""


def session_processes(mark: str) -> dict[tuple[int, float], Proc]:
    """The processes this test session started, keyed by (pid, create time)."""
    me = psutil.Process()
    found: dict[tuple[int, float], Proc] = {}
    candidates = list(me.children(recursive=True))
    mine = {p.pid for p in candidates}
    for p in psutil.process_iter(["pid", "uids"]):
        if p.pid != me.pid and p.pid not in mine and _marked(p.pid, mark):
            candidates.append(p)
    for p in candidates:
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            found[(p.pid, p.create_time())] = Proc(p.pid, p.create_time(), _cmd(p), p.ppid())
        except (psutil.Error, OSError):
            continue
    return found


def is_zygote(proc: Proc) -> bool:
    if ZYGOTE not in proc.cmdline:
        return False
    try:
        parent = _cmd(psutil.Process(proc.ppid))
    except (psutil.Error, OSError):
        return False  # an orphan with a zygote's command line: a forked entry process
    return ZYGOTE not in parent


def zygote_processes(mark: str | None = None) -> list[Proc]:
    """Live zygotes of this session."""
    procs = session_processes(mark or os.environ.get(SESSION_MARK, "")).values()
    return [p for p in procs if is_zygote(p)]


def entry_processes(mark: str | None = None) -> list[Proc]:
    """Live entry-script processes of this session (forked from a zygote, or started as
    ``python -m daskprs.runtime.child``)."""
    procs = session_processes(mark or os.environ.get(SESSION_MARK, "")).values()
    return [p for p in procs if CHILD in p.cmdline or (ZYGOTE in p.cmdline and not is_zygote(p))]


def new_processes(
    before: dict[tuple[int, float], Proc], mark: str, grace: float = 10.0
) -> list[Proc]:
    """Processes started since ``before`` that are still alive after up to ``grace`` seconds,
    zygotes excepted."""
    deadline = time.monotonic() + grace
    while True:
        now = session_processes(mark)
        left = [p for key, p in now.items() if key not in before and not is_zygote(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
