"""The entry-script process: imports the user's script, calls init() once, run() per mini batch.

Started by :class:`daskprs.runtime.process.EntryProcess` as ``python -m daskprs.runtime.child
<read_fd> <write_fd>``; its stdout and stderr are the user/stdout and user/stderr log files.
It talks to its parent over a pipe with pickled tuples:

    parent -> child: ("init", ProcessConfig, node, process_name, worker_environment, workdir,
                      load_status_path)
                     ("run", piece, attempt)
                     ("shutdown",)
    child -> parent: ("ready",) | ("init_failed", message)
                     ("done", result_dict)  (one message per mini batch)
                     ("bye", error_or_empty)

When a mini batch's data is loaded, its item count goes to the parent through shared memory
(:class:`~daskprs.runtime.protocol.LoadStatus`), not the pipe: the parent reads it only when
the load deadline passes or the process dies.

Everything the user's code can do to this process (hang, crash, exit) is handled by the parent,
which kills and replaces it; this module only has to report honestly what happened.
"""

from __future__ import annotations

import contextlib
import errno
import faulthandler
import importlib
import importlib.util
import inspect
import logging
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any

from daskprs.mltable._fallback import install as install_mltable_fallback
from daskprs.runtime import compat, environ
from daskprs.runtime.protocol import LoadStatus, ProcessConfig, spool_name

EXIT_INIT_FAILED = 72  # as the Azure driver


class _SpoolError(OSError):
    """Writing an attempt's rows to the spool file failed: daskprs's failure, not run()'s."""


class MiniBatchContext:
    """The optional second argument of run(mini_batch, mini_batch_context)."""

    def __init__(self, minibatch_index: int, partition_key_value: dict | None, dataset: Any):
        self.minibatch_index = minibatch_index
        self.partition_key_value = partition_key_value
        self.dataset = dataset

    def __repr__(self) -> str:
        return (
            f"MiniBatchContext(minibatch_index={self.minibatch_index}, "
            f"partition_key_value={self.partition_key_value!r})"
        )


class _Child:
    def __init__(self, conn_in: Connection, conn_out: Connection) -> None:
        self.conn_in = conn_in
        self.conn_out = conn_out
        self.module: ModuleType | None = None
        self.pass_context = False
        self.config: ProcessConfig | None = None
        self.error_file = ""
        self.load_status: LoadStatus | None = None
        self.seq = 0  # "run" messages received: the mini batch's number in LoadStatus

    # -- set-up ---------------------------------------------------------------------------------
    def setup(self, config: ProcessConfig, node: str, process_name: str, workdir: str) -> None:
        self.config = config
        self.node, self.process_name = node, process_name
        logs = config.logs_dir
        self.error_file = os.path.join(logs, "user", "error", node, f"{process_name}.txt")
        entry_log = os.path.join(logs, "user", "entry_script_log", node, f"{process_name}.log.txt")
        for path in (self.error_file, entry_log):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        os.makedirs(config.output_dir, exist_ok=True)
        os.environ.update(config.environment)
        os.environ.update(
            {
                # marks that find what this process starts (runtime.reaper)
                environ.RUN_ID: config.run_id,
                environ.NODE: node,
                environ.PROCESS_NAME: process_name,
                environ.ENTRY_SCRIPT_LOG: entry_log,
                environ.LOGGING_LEVEL: config.logging_level,
                environ.CODE_DIR: config.code_dir,
                environ.LOGS_DIR: logs,
                environ.OUTPUT_PATH: config.output_dir,
            }
        )
        # the root logger goes to this process's user/stdout file, as PRS does
        logging.basicConfig(
            stream=sys.stdout,
            level=getattr(logging, config.logging_level.upper(), logging.INFO),
            format="%(asctime)s|%(name)s|%(levelname)s|%(process)d|%(message)s",
            force=True,
        )
        os.chdir(workdir)  # per-process working dir, as the Azure driver does; the parent
        # made it and removes it when this process ends
        sys.path.insert(0, config.code_dir)
        compat.activate()  # azureml_user, after the user's code as site-packages would be
        script = config.entry_script
        script_path = os.path.join(config.code_dir, script) if script.endswith(".py") else script
        sys.argv = [script_path, *config.argv]

    def import_entry_script(self) -> ModuleType:
        assert self.config is not None
        script = self.config.entry_script
        if script.endswith(".py"):
            path = os.path.join(self.config.code_dir, script)
            name = script[:-3].replace("/", ".").replace("\\", ".")
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import entry script {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(script)
        run = getattr(module, "run", None)
        if not callable(run):
            raise AttributeError(
                f"entry script {script} defines no run(mini_batch) function; "
                "define run(mini_batch) or run(mini_batch, mini_batch_context)"
            )
        if not _accepts_mini_batch(run):
            raise TypeError(
                f"run{_signature(run)} in {script} cannot take a mini batch; define "
                "run(mini_batch) or run(mini_batch, mini_batch_context)"
            )
        self.pass_context = _accepts_context(run)
        return module

    def init(self) -> str:
        """Import the script and call init(); '' on success, else the error line."""
        try:
            self.module = self.import_entry_script()
            init = getattr(self.module, "init", None)
            if callable(init):
                init()
        except BaseException as exc:  # noqa: BLE001 - the user's code may raise anything
            return self._record_error("init()", exc)
        return ""

    # -- mini batches -----------------------------------------------------------------------------
    def run_piece(self, piece: Any, attempt: int) -> dict[str, Any]:
        from daskprs.data import load_piece
        from daskprs.output.rows import format_rows, return_length

        assert self.module is not None and self.config is not None
        self.seq += 1
        try:
            data = load_piece(piece)
        except BaseException as exc:  # noqa: BLE001 - unreadable data fails this attempt only
            self.loaded(None)
            error = self._record_error(f"loading mini batch {piece.id}", exc, attempt)
            return {"total": 0, "run_seconds": 0.0, "error": error, "error_file": self.error_file}
        total = len(data)
        # the item count is published before run(): if run() then hangs or kills the process,
        # the mini batch's items are still counted as failed (job_result.txt's totals equal
        # the input's)
        self.loaded(total)
        result: dict[str, Any] = {"total": total}
        context = MiniBatchContext(piece.id, getattr(piece, "partition_key_value", None), data)
        t1 = time.time()
        try:
            ret = self.module.run(data, context) if self.pass_context else self.module.run(data)
            result["run_seconds"] = time.time() - t1
            if self.config.append_row:
                rows = format_rows(ret, header=self.config.dataframe_header)
                returned = rows.count
                if rows.text:
                    data_bytes = rows.text.encode("utf-8")
                    result["part"], result["part_offset"] = self.spool(data_bytes)
                    result["part_bytes"] = len(data_bytes)
                result["header"] = rows.header
            else:
                returned = return_length(ret)
        except _SpoolError as exc:  # our write failed (disk full): not the user's fault
            result["run_seconds"] = time.time() - t1
            result["lost"] = str(exc)
            result["fatal"] = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            return result
        except BaseException as exc:  # noqa: BLE001
            result["run_seconds"] = time.time() - t1
            result["error"] = self._record_error(f"run() on mini batch {piece.id}", exc, attempt)
            result["error_file"] = self.error_file
            return result
        result["returned"] = returned
        if returned > total:
            logging.getLogger("daskprs").warning(
                "run() returned %d items, which is more than input count %d. Using the input "
                "count as succeeded count and continue. Please check run() method in your "
                "entry script. The mini batch is %s.",
                returned,
                total,
                piece.id,
            )
        return result

    def loaded(self, items: int | None) -> None:
        """Publish that the current mini batch is loaded (``items`` None: loading failed)."""
        if self.load_status is not None:
            self.load_status.write(self.seq, items)

    def spool(self, data: bytes) -> tuple[str, int]:
        """Append an attempt's rows to this process's spool file; (file name, offset).

        One append-only file per process (a file per mini batch costs milliseconds to create).
        Bytes become output only when the driver commits the attempt that points at them; the
        tail of a process killed mid-write is never pointed at."""
        assert self.config is not None
        path = os.path.join(self.config.parts_dir, self._spool_name)
        try:
            if self._spool is None:
                self._spool_name = spool_name(self.node, self.process_name, self.config.run_id)
                path = os.path.join(self.config.parts_dir, self._spool_name)
                self._spool = open(path, "ab")  # noqa: SIM115 - lives as long as the process
            offset = self._spool.tell()
            self._spool.write(data)
            self._spool.flush()  # to the OS: readable by the driver, safe if this process dies
        except OSError as exc:
            # a torn tail is never pointed at; reopen (append mode) for the next attempt
            spool, self._spool = self._spool, None
            if spool is not None:
                with contextlib.suppress(OSError):
                    spool.close()
            raise _SpoolError(exc.errno, f"{exc.strerror or exc} while writing {path}") from exc
        return self._spool_name, offset

    _spool: Any = None
    _spool_name = ""

    def shutdown(self) -> str:
        shutdown = getattr(self.module, "shutdown", None) if self.module else None
        if callable(shutdown):
            try:
                shutdown()
            except BaseException as exc:  # noqa: BLE001
                return self._record_error("shutdown()", exc)
        return ""

    def _record_error(self, where: str, exc: BaseException, attempt: int | None = None) -> str:
        line = (
            f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            if str(exc)
            else type(exc).__name__
        )
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            line = (
                f"ModuleNotFoundError: No module named '{exc.name}' (imported by the entry script)"
            )
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        head = f"{stamp} {where} raised" + (f" (attempt {attempt})" if attempt else "")
        with open(self.error_file, "a", encoding="utf-8") as fh:
            fh.write(f"{head}\n{''.join(traceback.format_exception(exc))}\n")
        return f"{where} raised {line}"


def _signature(func: Any) -> str:
    try:
        return str(inspect.signature(func))
    except (TypeError, ValueError):
        return "(...)"


def _accepts_mini_batch(run: Any) -> bool:
    try:
        params = list(inspect.signature(run).parameters.values())
    except (TypeError, ValueError):
        return True  # a builtin or C function: let the call decide
    kinds = {p.kind for p in params}
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return True
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    return len(positional) >= 1 and len(required) <= 2


def _accepts_context(run: Any) -> bool:
    try:
        params = list(inspect.signature(run).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    has_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    return len(positional) >= 2 or has_varargs


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent (the Dask worker) dies, so no process is left behind
    even when the driver or worker is killed with SIGKILL."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    _die_with_parent()
    faulthandler.enable()
    conn_in = Connection(int(argv[0]), writable=False)
    conn_out = Connection(int(argv[1]), readable=False)
    child = _Child(conn_in, conn_out)
    msg = conn_in.recv()
    assert msg[0] == "init", msg
    _, config, node, process_name, worker_env, workdir, status_path = msg
    if status_path:
        child.load_status = LoadStatus(status_path)
    zygote_id = os.environ.get(environ.ZYGOTE_ID)
    os.environ.clear()
    os.environ.update(worker_env)
    if zygote_id:  # keep the zygote's mark for what this process execs (runtime.reaper)
        os.environ[environ.ZYGOTE_ID] = zygote_id
    child.setup(config, node, process_name, workdir)
    install_mltable_fallback()  # `import mltable` -> daskprs.mltable if mltable is not installed
    error = child.init()
    if error:
        conn_out.send(("init_failed", error))
        return EXIT_INIT_FAILED
    conn_out.send(("ready",))
    while True:
        try:
            msg = conn_in.recv()
        except EOFError:  # the parent went away: nothing more to do
            return 0
        if msg[0] == "run":
            conn_out.send(("done", child.run_piece(msg[1], msg[2])))
        elif msg[0] == "shutdown":
            conn_out.send(("bye", child.shutdown()))
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
