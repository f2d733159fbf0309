"""The planning scan: the head of a table, read once at planning to type its columns.

mltable types a table from its first ``sample_size`` records; whether an int or boolean column
holds nulls is decided here by the table's first :data:`SCAN_BYTES` bytes (at least
``sample_size`` records): exact for a table that small, a sample for larger ones (see
:mod:`daskprs.data.schema`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daskprs.data import paths
from daskprs.data.model import MLTable, Part

SCAN_BYTES = 1 << 18  # the planning scan: tables up to this size are typed exactly
_SAMPLE_BYTES = 1 << 16


def file_size(table: MLTable, path: str) -> int:
    fs, p = paths.get_fs(path, table.storage_options)
    return paths.file_size(fs, p)


def head_parts(
    table: MLTable,
    files: list[str],
    min_rows: int,
    read: Callable[[Part], tuple[Any, int]],
    cuttable: bool,
) -> list[Any]:
    """Read the table's first ``SCAN_BYTES`` bytes, and on until ``min_rows`` records.

    ``read(part)`` gives ``(result, records)``; returns the results, one per file read. Files
    that are never cut (``cuttable`` False: multi-line, other encodings; or compressed) are read
    whole, as mltable does.
    """
    out: list[Any] = []
    got = scanned = 0
    for index, path in enumerate(files):
        cut = cuttable and not paths.is_compressed(path)
        size = file_size(table, path)
        length = max(_SAMPLE_BYTES, SCAN_BYTES - scanned)
        while True:
            whole = not cut or length >= size
            result, n = read(Part(path, index, 0, None if whole else length))
            if whole or got + n >= min_rows:
                break
            length *= 4
        out.append(result)
        got += n
        scanned += size if whole else length
        if got >= min_rows and scanned >= SCAN_BYTES:
            break
    return out
