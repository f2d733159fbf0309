"""The append_row output file: committed parts concatenated in mini-batch order.

Parts stream into a temporary file beside the target, which is renamed over it at the end, so
the output exists whole or not at all, and the driver never holds more than a copy buffer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from daskprs.runtime.protocol import AttemptRecord

DEFAULT_APPEND_ROW_FILE_NAME = "parallel_run_step.txt"


def output_file(path: str, output_type: str) -> str:
    """A uri_file output is the file itself; a folder output gets parallel_run_step.txt inside."""
    if output_type == "uri_file":
        return path
    return os.path.join(path, DEFAULT_APPEND_ROW_FILE_NAME)


def assemble(parts_dir: str, committed: Iterable[AttemptRecord], target: str, header: bool) -> int:
    """Write ``target`` from the committed parts (already in mini-batch order); returns bytes."""
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    tmp = f"{target}.daskprs-tmp"
    written = 0
    header_done = not header
    with open(tmp, "wb") as out:
        for rec in committed:
            if not header_done and rec.header:
                out.write(rec.header.encode("utf-8"))
                header_done = True
            if not rec.part:
                continue
            with open(os.path.join(parts_dir, rec.part), "rb") as part:
                shutil.copyfileobj(part, out, 1024 * 1024)
            written += rec.part_bytes
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return written
