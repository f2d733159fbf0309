"""The append_row output file: committed attempts' rows concatenated in mini-batch order.

Each committed attempt points at a byte range of a spool file (one per entry process).

Parts stream into a temporary file beside the target, which is renamed over it at the end, so
the output exists whole or not at all, and the driver never holds more than a copy buffer.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from typing import IO

from daskprs.runtime.protocol import AttemptRecord
from daskprs.urls import is_remote

DEFAULT_APPEND_ROW_FILE_NAME = "parallel_run_step.txt"


def output_file(path: str, output_type: str) -> str:
    """A uri_file output is the file itself; a folder output gets parallel_run_step.txt inside."""
    if output_type == "uri_file":
        return path
    return (
        path.rstrip("/") + "/" + DEFAULT_APPEND_ROW_FILE_NAME
        if is_remote(path)
        else os.path.join(path, DEFAULT_APPEND_ROW_FILE_NAME)
    )


def _write(out: IO[bytes], parts_dir: str, committed: Iterable[AttemptRecord], header: bool) -> int:
    written = 0
    header_done = not header
    spools: dict[str, IO[bytes]] = {}
    try:
        for rec in committed:
            if not header_done and rec.header:
                out.write(rec.header.encode("utf-8"))
                header_done = True
            if not rec.part:
                continue
            src = spools.get(rec.part)
            if src is None:
                src = spools[rec.part] = open(os.path.join(parts_dir, rec.part), "rb")  # noqa: SIM115
            src.seek(rec.part_offset)
            left = rec.part_bytes
            while left:
                chunk = src.read(min(left, 1024 * 1024))
                if not chunk:
                    raise OSError(f"the spool file {rec.part} is shorter than the ledger says")
                out.write(chunk)
                left -= len(chunk)
            written += rec.part_bytes
    finally:
        for src in spools.values():
            src.close()
    return written


def assemble(parts_dir: str, committed: Iterable[AttemptRecord], target: str, header: bool) -> int:
    """Write ``target`` from the committed parts (already in mini-batch order); returns bytes.

    A local target is written to a new temporary file beside it (created with the user's
    umask) and renamed over it; on failure the temporary file is removed and the target is
    left as it was. A URL (object store) is uploaded in one object write, which becomes
    visible only when complete, and is discarded on failure."""
    if is_remote(target):
        return _upload(parts_dir, committed, target, header)
    if target.startswith("file://"):
        target = target[len("file://") :]
    if os.path.isdir(target):
        raise IsADirectoryError(
            f"the output {target} is a folder; a uri_file output names the file to write"
        )
    folder = os.path.dirname(target) or "."
    os.makedirs(folder, exist_ok=True)
    tmp, fd = _new_temp(folder, os.path.basename(target))
    try:
        with os.fdopen(fd, "wb") as out:
            written = _write(out, parts_dir, committed, header)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return written


def _new_temp(folder: str, name: str) -> tuple[str, int]:
    """A new file ``.<name>.<random>.daskprs-tmp`` in ``folder`` (never an existing one, nor
    a symlink planted under a predictable name), mode 0666 less the umask."""
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.daskprs-tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _upload(parts_dir: str, committed: Iterable[AttemptRecord], target: str, header: bool) -> int:
    import fsspec

    fs, path = fsspec.core.url_to_fs(target)
    remote = fs.open(path, "wb")
    try:
        written = _write(remote, parts_dir, committed, header)
    except BaseException:
        # never commit a partial object: an S3 multipart upload is aborted, and a file that is
        # not closed is never written (fsspec files upload on close)
        discard = getattr(remote, "discard", None)
        if discard is not None:
            discard()
        with contextlib.suppress(Exception):
            remote.closed = True
        raise
    remote.close()
    return written
