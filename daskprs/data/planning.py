"""Mini-batch planning: pure functions of metadata (file sizes, parquet footers, key values).

File lists: the recursive listing sorted by relative path, in chunks of N files. Tabular
tables: :mod:`daskprs.data.table_plan` (slices of files, as the format cuts them); with
``partition_keys``: :mod:`daskprs.data.keys` (one mini batch per key combination).
"""

from __future__ import annotations

import os
from typing import Any

from daskprs.data import paths
from daskprs.data.formats import get_format
from daskprs.data.keys import plan_file_groups, plan_key_groups
from daskprs.data.model import MiniBatchPiece, MLTable
from daskprs.data.table_plan import plan_rows, survey, table_files

__all__ = ["chunk_files", "plan_mini_batches", "plan_table", "table_files"]

DEFAULT_FILE_COUNT = 10


def chunk_files(files: list[str], n: int) -> list[tuple[str, ...]]:
    """Consecutive chunks of ``n`` files (the last one shorter)."""
    return [tuple(files[i : i + n]) for i in range(0, len(files), n)]


def _file_pieces(
    files: list[str], count: int, storage_options: dict[str, Any] | None
) -> list[MiniBatchPiece]:
    return [
        MiniBatchPiece(id=i, kind="files", files=chunk, storage_options=storage_options)
        for i, chunk in enumerate(chunk_files(files, count))
    ]


def plan_table(
    table: MLTable,
    size: int | None,
    partition_keys: list[str] | None = None,
    work_dir: str | None = None,
) -> list[MiniBatchPiece]:
    reader = table.reader
    if reader is None:
        files = [e.path for e in table_files(table)]
        if partition_keys:
            return plan_file_groups(table, files, partition_keys)
        return _file_pieces(
            files, DEFAULT_FILE_COUNT if size is None else size, table.storage_options
        )
    table = get_format(reader.name).resolve(table)
    if partition_keys:
        table, schema, entries, _ = survey(table)
        return plan_key_groups(table, schema, [e.path for e in entries], partition_keys, work_dir)
    return plan_rows(table, size)


def plan_mini_batches(
    source: MLTable | str,
    mini_batch_size: int | None,
    partition_keys: list[str] | None = None,
    work_dir: str | None = None,
) -> list[MiniBatchPiece]:
    """The mini batches of ``source`` in planning order (ids 0..n-1).

    ``source``: an MLTable, or a folder / file path or URL (a file-list input).
    ``mini_batch_size``: bytes for tabular input (None: 1 MiB), a file count otherwise
    (None: 10). With ``partition_keys`` there is one mini batch per key combination.
    """
    if mini_batch_size is not None and (
        isinstance(mini_batch_size, bool)
        or not isinstance(mini_batch_size, int)
        or mini_batch_size <= 0
    ):
        raise ValueError(f"mini_batch_size must be a positive int or None, got {mini_batch_size!r}")
    if isinstance(source, MLTable):
        return plan_table(source, mini_batch_size, partition_keys, work_dir)
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if partition_keys:
        raise ValueError(
            "partition_keys need an MLTable input whose keys come from "
            "extract_columns_from_partition_format (or a tabular MLTable); got a plain path"
        )
    files = paths.list_input_files(source)
    count = DEFAULT_FILE_COUNT if mini_batch_size is None else mini_batch_size
    return _file_pieces(files, count, None)
