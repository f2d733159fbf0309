"""One driver per run directory: an exclusive ``flock`` on ``<run-dir>/.daskprs.lock``.

The lock is taken before anything else is written and held until the driver ends; the kernel
drops it when the driver dies, however it dies, so a dead driver's lock is simply taken over.
The file holds the holder (pid, host, start time) for the message a second driver gets, and its
modification time is the driver's heartbeat (touched every :data:`HEARTBEAT` seconds), which
``daskprs job show`` reads to tell a running driver from a dead one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
from typing import Any

from daskprs.errors import PipelineSpecError
from daskprs.rundir import RunDir

HEARTBEAT = 5.0  # seconds between touches of the lock file


class RunDirBusy(PipelineSpecError):
    """Another driver holds the run directory."""


class RunLock:
    def __init__(self, run_dir: RunDir) -> None:
        self.run_dir = run_dir
        self.fd: int | None = None
        self.created_dir = False
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self, source: str | None = None) -> RunLock:
        root = self.run_dir.root
        self.created_dir = not os.path.isdir(root)
        os.makedirs(root, exist_ok=True)
        fd = os.open(self.run_dir.lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunDirBusy(
                f"the run directory {root} is in use by another daskprs driver "
                f"({describe(holder(self.run_dir))}); wait for it to end, or choose another "
                "--run-dir",
                file=source,
            ) from None
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        self.fd = fd
        self._beat = threading.Thread(target=self._heartbeat, name="daskprs-heartbeat", daemon=True)
        self._beat.start()
        return self

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with contextlib.suppress(OSError):
                os.utime(self.run_dir.lock)

    def release(self) -> None:
        self._stop.set()
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def holder(run_dir: RunDir) -> dict[str, Any]:
    try:
        with open(run_dir.lock, encoding="utf-8") as fh:
            return dict(json.loads(fh.read() or "{}"))
    except (OSError, ValueError):
        return {}


def describe(h: dict[str, Any]) -> str:
    if not h:
        return "holder unknown"
    return f"pid {h.get('pid')} on {h.get('host')}, started {h.get('started')}"


def driver_alive(run_dir: RunDir) -> tuple[bool, str]:
    """Whether a driver holds the run dir now, and a sentence saying how that was decided."""
    if not os.path.exists(run_dir.lock):
        return False, "no driver has held this run directory (no lock file)"
    h = holder(run_dir)
    try:
        fd = os.open(run_dir.lock, os.O_RDONLY)
    except OSError:
        return False, "the lock file cannot be read"
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        held = True
    else:
        held = False
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    age = time.time() - os.path.getmtime(run_dir.lock)
    if h.get("host") not in (None, socket.gethostname()):  # a lock on a shared file system
        alive = age < 6 * HEARTBEAT
        return alive, f"driver {describe(h)}; last heartbeat {age:.0f} s ago"
    if held:
        return True, f"driver {describe(h)} is running"
    return False, f"the driver ({describe(h)}) is gone; last heartbeat {age:.0f} s ago"
