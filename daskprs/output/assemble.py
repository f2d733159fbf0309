"""The append_row output file: committed attempts' rows concatenated in mini-batch order.

Each committed attempt points at a byte range of a spool file (one per entry process).

Parts stream into a temporary file beside the target, which is renamed over it at the end, so
the output exists whole or not at all, and the driver never holds more than a copy buffer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO

from daskprs.runtime.protocol import AttemptRecord

DEFAULT_APPEND_ROW_FILE_NAME = "parallel_run_step.txt"


def is_url(path: str) -> bool:
    """An fsspec URL other than a local file (s3://, abfs://, memory://, ...)."""
    return "://" in path and not path.startswith("file://")


def output_file(path: str, output_type: str) -> str:
    """A uri_file output is the file itself; a folder output gets parallel_run_step.txt inside."""
    if output_type == "uri_file":
        return path
    return (
        path.rstrip("/") + "/" + DEFAULT_APPEND_ROW_FILE_NAME
        if is_url(path)
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

    A local target is written beside itself and renamed over; a URL (object store) is uploaded
    in one object write, which becomes visible only when complete."""
    if is_url(target):
        import fsspec

        with fsspec.open(target, "wb") as remote:
            return _write(remote, parts_dir, committed, header)
    if target.startswith("file://"):
        target = target[len("file://") :]
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    tmp = f"{target}.daskprs-tmp"
    with open(tmp, "wb") as out:
        written = _write(out, parts_dir, committed, header)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return written
