"""Finding and killing what entry scripts leave behind: no process they start outlives its step.

An entry script may start processes in ``init()`` or ``run()``: in its own process group, in a
new session (``setsid``), or double-forked so that its parent is gone. None may outlive the
entry process that started it, nor the job. Three marks find them:

- the process group and session: an entry process is a session leader (its pid is its pgid
  and sid), and whatever it starts inherits both unless it calls ``setsid``;
- the environment: the zygote is started with ``DASKPRS_ZYGOTE_ID`` and every entry process
  sets ``DASKPRS_RUN_ID`` / ``DASKPRS_NODE`` / ``DASKPRS_PROCESS_NAME``; a process inherits
  them unless its starter clears the environment (``/proc/<pid>/environ`` is the environment
  a process was *exec*'d with: forked-only processes show their exec'd ancestor's);
- the parent: the zygote is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so a double-forked
  process whose parent died is adopted by the zygote instead of init.

Linux only (``/proc``); elsewhere every function finds nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from daskprs.runtime import environ

MARKERS = environ.MARKS
_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    marks: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, pgid, sid) from /proc/<pid>/stat; None when gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2 :].split()
    if not rest or rest[0] in (b"Z", b"X"):
        return None
    return int(rest[1]), int(rest[2]), int(rest[3])


def _marks(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    found: dict[str, str] = {}
    for entry in raw.split(b"\0"):
        if entry.startswith(b"DASKPRS_"):
            key, _, value = entry.decode("utf-8", "replace").partition("=")
            if key in MARKERS:
                found[key] = value
    return found


def snapshot() -> list[ProcInfo]:
    """Every live process of this user (but this one), with its daskprs marks."""
    if not sys.platform.startswith("linux"):
        return []
    me, uid = os.getpid(), os.getuid()
    out: list[ProcInfo] = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if pid == me:
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
        except OSError:
            continue
        stat = _stat(pid)
        if stat is not None:
            out.append(ProcInfo(pid, *stat, marks=_marks(pid)))
    return out


def kill(pids: Iterable[int]) -> int:
    """SIGKILL each pid (and the process group it leads); how many were signalled."""
    n = 0
    for pid in set(pids):
        if pid <= 1 or pid == os.getpid():
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            n += 1
    return n


def select(procs: list[ProcInfo], match: Callable[[ProcInfo], bool]) -> list[int]:
    return [p.pid for p in procs if match(p)]


def leftovers_of_entry(
    procs: list[ProcInfo], pid: int, run_id: str, node: str, name: str
) -> list[int]:
    """What the entry process ``pid`` (now ended) started: its group, its session, and any
    process carrying its marks."""

    def match(p: ProcInfo) -> bool:
        if p.pid == pid:
            return False
        if p.pgid == pid or p.sid == pid:
            return True
        m = p.marks
        return (
            m.get(environ.RUN_ID) == run_id
            and m.get(environ.NODE) == node
            and m.get(environ.PROCESS_NAME) == name
        )

    return select(procs, match)


def marked(procs: list[ProcInfo], key: str, value: str) -> list[int]:
    """Every process carrying the mark ``key=value``."""
    return select(procs, lambda p: p.marks.get(key) == value)


def kill_marked(key: str, value: str) -> int:
    return kill(marked(snapshot(), key, value))


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux >= 3.4); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
