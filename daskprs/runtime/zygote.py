"""A zygote: one pre-imported process per worker process that forks entry-script processes.

Starting a fresh Python and importing pandas/pyarrow costs about a second of CPU per entry
process; forking a process that has already imported them costs milliseconds. That matters at
job start (every process), and after every timeout or crash (the replacement). The zygote never
imports user code, so a changed entry script is always picked up.

Protocol over a Unix socket pair (length-prefixed pickles; the child's two pipe fds travel with
SCM_RIGHTS):

    worker -> zygote: ("spawn", stdout_path, stderr_path)  + fds [read_fd, write_fd]
    zygote -> worker: ("pid", pid) | ("error", text)
                      ("exit", pid, returncode)      whenever a child ends (negative: signal)
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import gc
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from typing import Any, NoReturn

from daskprs.runtime import environ, reaper

_HEADER = struct.Struct("!I")
PRELOAD = (
    "pandas",
    "pyarrow",
    "pyarrow.csv",
    "pyarrow.parquet",
    "fsspec",
    "daskprs.runtime.child",
    "daskprs.data",
    "daskprs.output.rows",
)


def _send(sock: socket.socket, msg: Any, fds: list[int] | None = None) -> None:
    data = pickle.dumps(msg)
    payload = _HEADER.pack(len(data)) + data
    if fds:
        socket.send_fds(sock, [payload[:1]], fds)
        sock.sendall(payload[1:])
    else:
        sock.sendall(payload)


def _recv_exact(sock: socket.socket, n: int, fds_out: list[int] | None = None) -> bytes:
    buf = b""
    while len(buf) < n:
        if fds_out is not None and not buf:
            chunk, fds, _flags, _addr = socket.recv_fds(sock, n - len(buf), 4)
            fds_out.extend(fds)
        else:
            chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("zygote socket closed")
        buf += chunk
    return buf


def _recv(sock: socket.socket, fds_out: list[int] | None = None) -> Any:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, fds_out))
    return pickle.loads(_recv_exact(sock, size))


# ----------------------------------------------------------------------------- zygote process
def _serve(sock: socket.socket) -> int:
    reaper.become_subreaper()  # double-forked descendants of entry processes come back here
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    # The preloaded modules' ~70,000 objects go to the permanent generation: a forked entry
    # process's full collections would otherwise walk them all (about 35 ms each, touching
    # every page they live on, so each is also copied on write), and pandas-heavy mini
    # batches trigger full collections often.
    gc.freeze()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sock_fd = sock.fileno()
    while True:
        ready, _, _ = select.select([sock_fd, wake_r], [], [], 1.0)
        if wake_r in ready:
            os.read(wake_r, 4096)
        _reap(sock)
        if sock_fd not in ready:
            continue
        fds: list[int] = []
        try:
            msg = _recv(sock, fds)
        except (EOFError, OSError):
            _kill_everything()  # the worker went away: nothing we started may outlive it
            return 0
        if msg[0] != "spawn" or len(fds) != 2:
            _send(sock, ("error", f"bad request {msg[0]!r}"))
            continue
        _, stdout_path, stderr_path = msg
        pid = os.fork()
        if pid == 0:  # the entry-script process: never returns
            _entry_process(sock, (wake_r, wake_w), fds, stdout_path, stderr_path)
        for fd in fds:
            os.close(fd)
        _ENTRIES.add(pid)
        _send(sock, ("pid", pid))


def _entry_process(
    sock: socket.socket,
    wake: tuple[int, int],
    fds: list[int],
    stdout_path: str,
    stderr_path: str,
) -> NoReturn:
    """In the forked child: drop the zygote's plumbing, become a session leader with its
    stdout/stderr files, run :func:`daskprs.runtime.child.main` and exit with its code."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wake:
            os.close(fd)
        os.setsid()
        # as open() creates the run directory's other logs: 0o666 less the umask
        out = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        from daskprs.runtime import child

        code = child.main([str(fds[0]), str(fds[1])])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


_ENTRIES: set[int] = set()  # entry processes forked here and not reaped yet


def _reap(sock: socket.socket) -> None:
    """Reap ended children: entry processes (reported to the worker) and adopted orphans."""
    ended = False
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid not in _ENTRIES:
            continue  # an adopted orphan that ended
        _ENTRIES.discard(pid)
        ended = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # what it started in its own group dies with it
        try:
            _send(sock, ("exit", pid, os.waitstatus_to_exitcode(status)))
        except OSError:
            break
    if ended and not _ENTRIES:
        _kill_adopted()


def _kill_adopted() -> None:
    """No entry process is left: orphans adopted from them (setsid + double fork) go too."""
    me = os.getpid()
    reaper.kill(p.pid for p in reaper.snapshot() if p.ppid == me)


def _kill_everything() -> None:
    for pid in list(_ENTRIES):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    zygote_id = os.environ.get(environ.ZYGOTE_ID, "")
    me = os.getpid()
    procs = reaper.snapshot()
    reaper.kill(
        p.pid
        for p in procs
        if p.ppid == me or (zygote_id and p.marks.get(environ.ZYGOTE_ID) == zygote_id)
    )


def main() -> int:
    from daskprs.runtime.child import _die_with_parent

    _die_with_parent()
    sock = socket.socket(fileno=int(sys.argv[1]))
    return _serve(sock)


# ----------------------------------------------------------------------------- worker side
class ZygoteChild:
    """A Popen-like handle on a process forked by the zygote.

    The zygote reports each child's exit. If the zygote itself died (killed, OOM), no report
    will come: the child died with it (PR_SET_PDEATHSIG), and ``/proc`` says whether it is gone.
    """

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote = zygote
        self.pid = pid

    def poll(self) -> int | None:
        code = self.zygote.exit_codes.get(self.pid)
        if code is None and not self.zygote.alive and reaper._stat(self.pid) is None:
            return -signal.SIGKILL  # it died with the zygote; its real status is lost
        return code

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.zygote.cond:
            while True:
                code = self.poll()
                if code is not None:
                    return code
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired("entry process", timeout or 0)
                # the zygote wakes us when it reports; once it is dead, /proc is polled
                self.zygote.cond.wait(0.05 if not self.zygote.alive else left)

    @property
    def lost_with_zygote(self) -> bool:
        """True when the process died because the zygote died (not by its own doing). The
        zygote is given a moment: its children die while it is still exiting."""
        if self.pid in self.zygote.exit_codes:
            return False
        return self.zygote.dead_within(0.25)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Zygote:
    """``python``/``env``: the interpreter and environment of a step environment
    (daskprs.envs) whose entry processes it forks; the worker's own by default."""

    def __init__(self, python: str = "", env: dict[str, str] | None = None) -> None:
        self.exit_codes: dict[int, int] = {}
        self.cond = threading.Condition()
        self._replies: list[Any] = []
        self._lock = threading.Lock()  # one spawn request at a time
        parent, child = socket.socketpair()
        # every process forked from the zygote (and every one they exec, unless it clears its
        # environment) carries this mark: what a dead zygote leaves behind can be found
        self.id = uuid.uuid4().hex
        self.proc = subprocess.Popen(
            [python or sys.executable, "-m", "daskprs.runtime.zygote", str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # no terminal signals (Ctrl-C, a kernel's SIGINT)
            env={**(os.environ if env is None else env), environ.ZYGOTE_ID: self.id},
        )
        child.close()
        self.sock = parent
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="daskprs-zygote", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                msg = _recv(self.sock)
            except (EOFError, OSError):
                with self.cond:
                    self.alive = False
                    self.cond.notify_all()
                # killed (OOM, kill -9): what its children started is not cleaned by it
                reaper.kill_marked(environ.ZYGOTE_ID, self.id)
                return
            with self.cond:
                if msg[0] == "exit":
                    self.exit_codes[msg[1]] = msg[2]
                else:
                    self._replies.append(msg)
                self.cond.notify_all()

    def dead_within(self, seconds: float) -> bool:
        """Whether the zygote process is gone, or goes within ``seconds``."""
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def spawn(self, fds: list[int], stdout_path: str, stderr_path: str) -> ZygoteChild:
        with self._lock:
            _send(self.sock, ("spawn", stdout_path, stderr_path), fds)
            with self.cond:
                if not self.cond.wait_for(lambda: self._replies or not self.alive, 60):
                    raise OSError("the zygote did not answer")
                if not self._replies:
                    raise OSError("the zygote died")
                reply = self._replies.pop(0)
        if reply[0] != "pid":
            raise OSError(f"the zygote could not fork: {reply[1]}")
        return ZygoteChild(self, reply[1])

    def close(self) -> None:
        """Stop the zygote: it kills what it started when its socket closes."""
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        reaper.kill_marked(environ.ZYGOTE_ID, self.id)


# one zygote per interpreter (and PYTHONPATH): the worker's, and each step environment's
_zygotes: dict[tuple[str, str], Zygote] = {}
_zygote_lock = threading.Lock()
# The zygote asks to die with the thread that started it (PR_SET_PDEATHSIG), so it is started
# from this thread, which lives as long as the process.
_starter = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="daskprs-zygote-start")


def get_zygote(python: str = "", env: dict[str, str] | None = None) -> Zygote | None:
    """The process-wide zygote of ``python`` (the worker's interpreter by default; ``env``:
    the environment a step environment's interpreter runs with), started on first use; None
    where fork is unavailable or the zygote cannot start (callers then start plain
    processes)."""
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return None
    if os.environ.get(environ.NO_ZYGOTE):
        return None
    key = (python, (env or {}).get("PYTHONPATH", "") if python else "")
    with _zygote_lock:
        zygote = _zygotes.get(key)
        if zygote is None or not zygote.alive or zygote.proc.poll() is not None:
            try:
                zygote = _starter.submit(Zygote, python, env).result()
            except OSError:
                return None
            _zygotes[key] = zygote
            atexit.register(zygote.close)
        return zygote


def warm_up() -> None:
    """Start the zygote in the background (it imports pandas/pyarrow: about a second)."""
    threading.Thread(target=get_zygote, name="daskprs-zygote-warm-up", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
