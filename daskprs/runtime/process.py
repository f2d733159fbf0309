"""The parent side of one entry-script process: start it, run mini batches with hard deadlines,
kill and report it when it hangs or dies.

A hung run() is stopped for real: the whole process group gets SIGKILL, so its CPU is free at
once; the pool then starts a replacement, which calls init() again.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from daskprs.runtime import reaper
from daskprs.runtime.protocol import AttemptRecord, LoadStatus, ProcessConfig
from daskprs.runtime.zygote import Zygote, ZygoteChild, get_zygote
from daskprs.status import Attempt

_POLL = 0.5  # seconds between liveness checks while waiting
_SEND_AHEAD = 4  # mini batches in the pipe beyond the one running, at most
_SEND_AHEAD_BYTES = 16 * 1024  # a pipe holds 64 KiB; the result may be in it too


def _dumps(obj: Any) -> bytes:
    return bytes(ForkingPickler.dumps(obj))


def _step_environ(env: dict[str, str], config: ProcessConfig | None) -> dict[str, str]:
    """The environment variables of an entry process in a step environment: its bin/ first on
    PATH (``python`` / ``pip`` in the script's subprocesses are the environment's), VIRTUAL_ENV,
    and only daskprs's runtime on PYTHONPATH (nothing of the worker's packages)."""
    if config is None or not config.python:
        return env
    python = os.path.expanduser(config.python)
    bin_dir = os.path.dirname(python)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = os.path.dirname(bin_dir)
    env.pop("PYTHONHOME", None)
    env["PYTHONPATH"] = os.path.expanduser(config.python_path)
    return env


class ProcessDied(Exception):
    """The entry-script process exited (or was killed) while we waited for it."""


class _Deadline(Exception):
    pass


class EntryProcess:
    def __init__(self, config: ProcessConfig, node: str, name: str) -> None:
        self.config = config
        self.node = node
        self.name = name
        self.label = f"{node}/{name}"
        self.proc: subprocess.Popen[bytes] | ZygoteChild | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self.ready = False
        self.init_error = ""
        self.aborted = False
        self.busy = False
        self._lock = threading.Lock()
        # mini batches sent ahead: (payload size, their number in the process's LoadStatus)
        self._ahead: collections.deque[tuple[int, int]] = collections.deque()
        self._ahead_bytes = 0
        self.workdir = ""  # the process's working directory, removed when it ends
        self._status: LoadStatus | None = None  # where the process says a mini batch loaded
        self._status_path = ""  # its file, unlinked once the process has it open
        self._sent = 0  # "run" messages sent: the next one's number is _sent + 1
        self._seq = 0  # the number of the mini batch being run

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        logs = self.config.logs_dir
        out_dir = os.path.join(logs, "user", "stdout", self.node)
        err_dir = os.path.join(logs, "user", "stderr", self.node)
        os.makedirs(out_dir, exist_ok=True)
        os.makedirs(err_dir, exist_ok=True)
        r1, w1 = os.pipe()  # parent -> child
        r2, w2 = os.pipe()  # child -> parent
        stdout_path = os.path.join(out_dir, f"{self.name}.stdout.txt")
        stderr_path = os.path.join(err_dir, f"{self.name}.stderr.txt")
        self.workdir = tempfile.mkdtemp(prefix=f"daskprs-{self.name}-")
        self._status, self._status_path = LoadStatus.create()
        try:
            self.proc = self._spawn(r1, w2, stdout_path, stderr_path)
        except OSError as exc:  # only a step environment's Python can fail to start
            for fd in (r1, w1, r2, w2):
                os.close(fd)
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = ""
            self._forget_status_file()
            self.init_error = (
                f"the step environment's Python {self.config.python} cannot start: {exc} "
                "(build it on this host: daskprs env build --file <job.yml>)"
            )
            return
        os.close(r1)
        os.close(w2)
        self._send = Connection(w1, readable=False)
        self._recv = Connection(r2, writable=False)
        # the worker's environment now (a forked process would otherwise see the zygote's)
        environ = _step_environ(dict(os.environ), self.config)
        self._send.send(
            ("init", self.config, self.node, self.name, environ, self.workdir, self._status_path)
        )

    def _spawn(
        self, r1: int, w2: int, stdout_path: str, stderr_path: str
    ) -> subprocess.Popen[bytes] | ZygoteChild:
        """Forked from the zygote of the process's interpreter (pre-imported; its subreaper
        adopts what the entry script double-forks), or, without one or when it fails, a fresh
        process in that interpreter: never the worker's Python for a step environment."""
        zygote = self._zygote()
        if zygote is not None:
            try:
                return zygote.spawn([r1, w2], stdout_path, stderr_path)
            except OSError:
                pass
        return self._popen(r1, w2, stdout_path, stderr_path, self.config)

    def _zygote(self) -> Zygote | None:
        """The zygote that forks this process: the worker's, or the step environment's (its
        interpreter, with only daskprs's runtime on PYTHONPATH)."""
        if not self.config.python:
            return get_zygote()
        python = os.path.expanduser(self.config.python)
        if not os.access(python, os.X_OK):
            return None  # the plain start fails and says why (init fails, not the worker)
        env = _step_environ(dict(os.environ), self.config)
        env.update(PYTHONFAULTHANDLER="1", PYTHONUNBUFFERED="1")
        return get_zygote(python, env)

    @staticmethod
    def _popen(
        r1: int, w2: int, stdout_path: str, stderr_path: str, config: ProcessConfig | None = None
    ) -> subprocess.Popen[bytes]:
        env = _step_environ(dict(os.environ), config)
        env.update(PYTHONFAULTHANDLER="1", PYTHONUNBUFFERED="1")
        python = os.path.expanduser(config.python) if config and config.python else sys.executable
        with open(stdout_path, "ab") as out, open(stderr_path, "ab") as err:
            return subprocess.Popen(
                [python, "-m", "daskprs.runtime.child", str(r1), str(w2)],
                pass_fds=(r1, w2),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                start_new_session=True,  # its own process group: a kill takes its children too
            )

    def wait_ready(self) -> str:
        """Block until init() finished. Returns '' when ready, else the init error line."""
        if self.ready or self.init_error:
            return self.init_error
        try:
            msg = self._receive(None)
        except ProcessDied as exc:
            self.init_error = f"init() did not complete: {exc}"
            return self.init_error
        finally:
            self._forget_status_file()  # the process opened it first thing, or it is gone
        if msg[0] == "ready":
            self.ready = True
            return ""
        self.init_error = str(msg[1])
        self.kill()
        return self.init_error

    @property
    def alive(self) -> bool:
        """Running and usable: not killed, not exited."""
        return self._send is not None and self.proc is not None and self.proc.poll() is None

    @property
    def fresh(self) -> bool:
        """Started, init() not reported yet (if it died in init(), wait_ready says why)."""
        return self._send is not None and not self.ready and not self.lost_with_zygote

    @property
    def lost_with_zygote(self) -> bool:
        """It died because the process that forked it died (daskprs's loss, not the user's)."""
        return isinstance(self.proc, ZygoteChild) and self.proc.lost_with_zygote

    def kill(self, reap: bool = True) -> None:
        """Kill the process, its group and whatever it started; remove its working dir.

        ``reap=False``: leave finding what it started (a scan of every process on the host) to
        the caller's :meth:`reap`, so that closing a pool scans once for all its processes."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL always ends it
            pass
        for conn in (self._send, self._recv):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        self._send = self._recv = None
        self._ahead.clear()
        self._ahead_bytes = 0
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # a group outlives its leader
        self.unreaped = True
        if reap:
            self.reap(reaper.snapshot())
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = ""
        self._forget_status_file()

    def reap(self, procs: list[reaper.ProcInfo]) -> None:
        """Kill what this process (killed already) started, as found in ``procs``."""
        if self.proc is not None and self.unreaped:
            cfg = self.config
            pid = self.proc.pid
            reaper.kill(reaper.leftovers_of_entry(procs, pid, cfg.run_id, self.node, self.name))
        self.unreaped = False

    unreaped = False  # killed, and what it started not looked for yet

    def _forget_status_file(self) -> None:
        """Unlink the LoadStatus file (the mapping stays readable: a run() may still read
        what a killed process last wrote)."""
        if self._status_path:
            with contextlib.suppress(OSError):
                os.unlink(self._status_path)
            self._status_path = ""

    def shutdown(self, timeout: float | None = None, reap: bool = True) -> str:
        """Call the script's shutdown() and let the process exit; '' or the error line.
        ``timeout`` (default: the config's ``shutdown_timeout``) bounds shutdown(); ``reap``
        as for :meth:`kill`."""
        if timeout is None:
            timeout = self.config.shutdown_timeout
        if not (self.ready and self.alive and self._send is not None):
            self.kill(reap)
            return ""
        try:
            self._send.send(("shutdown",))
            msg = self._receive(time.monotonic() + timeout)
            error = str(msg[1]) if msg[0] == "bye" else ""
        except _Deadline:
            self.kill(reap)
            return f"shutdown() did not finish in {timeout:g} seconds; the process was killed"
        except (ProcessDied, OSError) as exc:
            error = f"shutdown() did not complete: {exc}"
        try:
            if self.proc is not None:
                self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.kill(reap)
        return error

    # -- one mini batch -----------------------------------------------------------------------------
    def run(
        self, piece: Any, attempt: int, upcoming: Sequence[tuple[Any, int]] = ()
    ) -> AttemptRecord:
        """Run one mini batch (already in the process's pipe if it was sent ahead).

        ``upcoming``: the mini batches to run after this one, in order. The first few are sent
        ahead at once (as many as fit in the pipe, at most :data:`_SEND_AHEAD`), so the process
        goes from one to the next without waiting for this thread. Each one's load deadline
        starts when the one before it ends. If this attempt ends the process, the ones sent
        ahead never started."""
        rec = AttemptRecord(
            piece.id, attempt, Attempt.RUN_DONE, process=self.label, start_time=time.time()
        )
        t0 = time.monotonic()
        self.busy = True
        try:
            if self._send is None:
                raise ProcessDied("it was stopped before this mini batch")
            self._dispatch(piece, attempt, upcoming)
            result = self._await_result(t0)
        except _Deadline as deadline:
            return self._timed_out(rec, deadline.args[0] == "load", t0)
        except (ProcessDied, OSError, EOFError) as exc:
            return self._died(rec, exc, t0)
        finally:
            self.busy = bool(self._ahead) and self.alive
        rec.elapsed_seconds = time.monotonic() - t0
        return _completed(rec, result)

    def _dispatch(self, piece: Any, attempt: int, upcoming: Sequence[tuple[Any, int]]) -> None:
        """This mini batch into the pipe (unless it was sent ahead), then the next few."""
        assert self._send is not None
        if self._ahead:  # the process began it when it sent the previous result
            size, self._seq = self._ahead.popleft()
            self._ahead_bytes -= size
        else:
            self._send.send_bytes(_dumps(("run", piece, attempt)))
            self._sent += 1
            self._seq = self._sent
        for item in upcoming[len(self._ahead) : _SEND_AHEAD]:
            if self.aborted:
                break
            payload = _dumps(("run", *item))
            # only what fits in the pipe: a blocked send could not watch run()'s deadline
            if self._ahead_bytes + len(payload) > _SEND_AHEAD_BYTES:
                break
            self._send.send_bytes(payload)
            self._sent += 1
            self._ahead.append((len(payload), self._sent))
            self._ahead_bytes += len(payload)

    def _await_result(self, t0: float) -> dict[str, Any]:
        """The mini batch's result; _Deadline("load") when its data is not loaded within
        ``task_overhead_timeout`` of ``t0``, _Deadline("run") when run() does not end within
        ``run_timeout`` of the end of loading.

        The process publishes the end of loading in its LoadStatus, not the pipe: the block
        is read only once a run() deadline is possible (``t0 + run_timeout``), then every
        :data:`_POLL` seconds, until the load deadline."""
        cfg = self.config
        self._phase = "load"
        load_deadline = t0 + cfg.task_overhead_timeout
        check = t0 + cfg.run_timeout  # no run() deadline can pass before this
        loaded = None
        while loaded is None:
            try:
                return _result(self._receive(min(load_deadline, check)))
            except _Deadline:
                loaded = self._loaded()
                if loaded is None and time.monotonic() >= load_deadline:
                    raise
                check = time.monotonic() + _POLL
        self._phase = "run"
        return _result(self._receive(loaded[1] + cfg.run_timeout))

    def _loaded(self) -> tuple[int | None, float] | None:
        """(items, when loading ended) of the mini batch being run, if it is loaded."""
        return self._status.read(self._seq) if self._status is not None else None

    def _loaded_items(self) -> int:
        loaded = self._loaded()
        return (loaded[0] or 0) if loaded is not None else 0

    def _timed_out(self, rec: AttemptRecord, loading: bool, t0: float) -> AttemptRecord:
        cfg = self.config
        rec.total = self._loaded_items()
        self.kill()
        if self.aborted:
            rec.status = Attempt.CANCELLED
        else:
            rec.status = Attempt.LOAD_TIMEOUT if loading else Attempt.RUN_TIMEOUT
        limit = cfg.task_overhead_timeout if loading else cfg.run_timeout
        what = "loading the mini batch" if loading else "run()"
        rec.error = (
            f"{what} did not finish in {limit:g} seconds; the process {self.label} was "
            "stopped and replaced"
        )
        rec.elapsed_seconds = time.monotonic() - t0
        return rec

    def _died(self, rec: AttemptRecord, exc: BaseException, t0: float) -> AttemptRecord:
        lost = self.lost_with_zygote  # before kill(): it may start a new zygote later
        rec.total = self._loaded_items()
        self.kill()
        if self.aborted:
            rec.status = Attempt.CANCELLED
        elif lost:
            rec.status = Attempt.WORKER_LOST
            rec.error = f"the process that forks entry processes died; {self.label} died with it"
        else:
            rec.status = Attempt.PROCESS_CRASHED
        rec.error = rec.error or f"the process {self.label} running the mini batch died: {exc}"
        rec.elapsed_seconds = time.monotonic() - t0
        return rec

    # -- plumbing -------------------------------------------------------------------------------------
    def _receive(self, deadline: float | None) -> tuple:
        """The next message; _Deadline('load'|'run') past the deadline; ProcessDied on exit."""
        while True:
            if self._recv is None:
                raise ProcessDied("the process is gone")
            wait = 0.1 if self.config.process_memory_limit else _POLL
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Deadline(self._phase)
                wait = min(wait, left)
            try:
                if self._recv.poll(wait):
                    return self._recv.recv()
            except (EOFError, OSError):
                raise ProcessDied(self._exit_text()) from None
            if self.config.process_memory_limit and self._over_memory_limit():
                self.kill()
                raise ProcessDied(
                    f"its memory passed --process_memory_limit "
                    f"{self.config.process_memory_limit >> 20} MiB; it was killed"
                )
            if not self.alive:
                # drain what it sent before dying
                try:
                    if self._recv.poll(0):
                        return self._recv.recv()
                except (EOFError, OSError):
                    pass
                raise ProcessDied(self._exit_text())

    _phase = "load"  # which deadline applies while a mini batch is out: "load" then "run"

    @property
    def sent_ahead(self) -> int:
        """How many mini batches after the current one are already in the process's pipe."""
        return len(self._ahead)

    def _over_memory_limit(self) -> bool:
        limit = self.config.process_memory_limit
        if not limit or self.proc is None:
            return False
        try:
            import psutil

            proc = psutil.Process(self.proc.pid)
            rss = proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True)
            )
        except Exception:  # gone already
            return False
        return rss > limit

    def _exit_text(self) -> str:
        if self.proc is None:
            return "not started"
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "its pipe closed"
        if self.aborted:
            return "stopped by daskprs"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = " (killed: out of memory?)" if -code == signal.SIGKILL else ""
            return f"killed by signal {name}{hint}"
        return f"exited with code {code}"


def _result(msg: tuple) -> dict[str, Any]:
    if msg[0] != "done":  # pragma: no cover - protocol error
        raise ProcessDied(f"unexpected message {msg[0]!r}")
    return msg[1]


def _completed(rec: AttemptRecord, result: dict[str, Any]) -> AttemptRecord:
    """The record of an attempt whose process sent its result."""
    rec.total = int(result.get("total", 0))
    rec.run_seconds = float(result.get("run_seconds", 0.0))
    if result.get("lost"):
        rec.status = Attempt.WORKER_LOST
        rec.error = str(result["lost"])
        if result.get("fatal"):
            rec.extra["fatal"] = True
        return rec
    if result.get("error"):
        rec.status = Attempt.RUN_EXCEPTION
        rec.error = str(result["error"])
        rec.error_file = str(result.get("error_file", ""))
        rec.failed = rec.total
        return rec
    rec.returned = int(result.get("returned", 0))
    rec.succeeded = min(rec.returned, rec.total)
    rec.failed = rec.total - rec.succeeded
    rec.part = str(result.get("part", ""))
    rec.part_offset = int(result.get("part_offset", 0))
    rec.part_bytes = int(result.get("part_bytes", 0))
    rec.header = str(result.get("header", ""))
    return rec
