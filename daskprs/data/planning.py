"""Mini-batch planning: pure functions of metadata (file sizes, parquet footers, key values).

Rules: a text file of B bytes gives ``ceil(B / size)`` byte windows (at least
one); window i holds the records whose first byte lies in ``(i*size, (i+1)*size]`` (window 0
also the record at byte 0); windows never cross files and empty windows are kept. Files read
with ``support_multi_line``, a non-UTF-8 encoding or compression are one mini batch each.
Parquet: row groups merged up to ``size`` bytes (on disk); a larger row group is split into row
slices. Every file's footer is read once, for these and for the schema (columns, nulls). File lists: the recursive listing sorted by relative path, in chunks of N files.
"""

from __future__ import annotations

import math
import os
from typing import Any

from daskprs.data import paths
from daskprs.data.mltable_spec import MLTable
from daskprs.data.pieces import MiniBatchPiece, load_rows
from daskprs.data.readers import Part, is_compressed
from daskprs.data.schema import parquet_footers, planned_table, table_schema
from daskprs.data.transforms import global_steps
from daskprs.errors import MLTableError

DEFAULT_TABULAR_SIZE = 1024 * 1024
DEFAULT_FILE_COUNT = 10


def byte_windows(size_bytes: int, window: int) -> list[tuple[int, int]]:
    """``(offset, length)`` windows for a file of ``size_bytes``: ``ceil(B/window)``, at least 1.

    >>> byte_windows(44, 10)
    [(0, 10), (10, 10), (20, 10), (30, 10), (40, 10)]
    >>> byte_windows(0, 10)
    [(0, 10)]
    """
    n = max(1, math.ceil(size_bytes / window))
    return [(i * window, window) for i in range(n)]


def chunk_files(files: list[str], n: int) -> list[tuple[str, ...]]:
    """Consecutive chunks of ``n`` files (the last one shorter)."""
    return [tuple(files[i : i + n]) for i in range(0, len(files), n)]


def table_files(table: MLTable, with_sizes: bool = False) -> list[paths.FileEntry]:
    """The files an MLTable's ``paths`` name, in order (each folder's listing sorted)."""
    out: list[paths.FileEntry] = []
    for spec in table.paths:
        fs, root = paths.get_fs(spec.value, table.storage_options)
        if spec.kind == "file":
            size = paths.file_size(fs, root) if with_sizes else -1
            out.append(paths.FileEntry(paths.full_path(fs, root), size))
        elif spec.kind == "folder":
            out.extend(paths.list_folder(fs, root, with_sizes=with_sizes))
        else:
            out.extend(paths.glob(fs, root, with_sizes=with_sizes))
    return out


def _file_pieces(
    files: list[str], count: int, storage_options: dict[str, Any] | None
) -> list[MiniBatchPiece]:
    return [
        MiniBatchPiece(id=i, kind="files", files=chunk, storage_options=storage_options)
        for i, chunk in enumerate(chunk_files(files, count))
    ]


def _text_parts(
    table: MLTable, entries: list[paths.FileEntry], size: int
) -> list[tuple[Part, ...]]:
    reader = table.reader
    assert reader is not None
    out: list[tuple[Part, ...]] = []
    for index, entry in enumerate(entries):
        if not reader.cuttable or is_compressed(entry.path):
            out.append((Part(entry.path, index),))
            continue
        for offset, length in byte_windows(entry.size, size):
            out.append((Part(entry.path, index, offset, length),))
    return out


def _parquet_parts(
    entries: list[paths.FileEntry], footers: list[Any], size: int
) -> list[tuple[Part, ...]]:
    """Row groups from the footers the schema was planned from (each file's read once)."""
    from daskprs.data.parquet_plan import plan_row_groups, row_group_sizes

    out: list[tuple[Part, ...]] = []
    for index, (entry, meta) in enumerate(zip(entries, footers, strict=True)):
        out.extend(
            (Part(entry.path, index, row_groups=rgs, row_start=start, row_stop=stop),)
            for rgs, start, stop in plan_row_groups(row_group_sizes(meta), size)
        )
    return out


def _with_offsets(pieces: list[MiniBatchPiece], table: MLTable) -> list[MiniBatchPiece]:
    """Count the rows reaching each global step (take/skip/sample) in the pieces before."""
    steps = global_steps(table.transforms)
    if not steps:
        return pieces
    offsets: list[list[int]] = [[] for _ in pieces]
    for step in steps:
        running = 0
        t = table.transforms[step]
        for j, piece in enumerate(pieces):
            offsets[j].append(running)
            if t.name == "take" and running >= t.count:
                continue  # past the first N rows: no need to count (the piece keeps none)
            probe = _replace(piece, offsets=tuple(offsets[j]))
            running += len(load_rows(probe, stop=step))
    return [_replace(p, offsets=tuple(o)) for p, o in zip(pieces, offsets, strict=True)]


def _replace(piece: MiniBatchPiece, **changes: Any) -> MiniBatchPiece:
    from dataclasses import replace

    return replace(piece, **changes)


def plan_table(
    table: MLTable,
    size: int | None,
    partition_keys: list[str] | None = None,
    work_dir: str | None = None,
) -> list[MiniBatchPiece]:
    reader = table.reader
    if reader is None:
        files = [e.path for e in table_files(table)]
        count = DEFAULT_FILE_COUNT if size is None else size
        if partition_keys:
            from daskprs.data.keys import plan_file_groups

            return plan_file_groups(table, files, partition_keys)
        return _file_pieces(files, count, table.storage_options)
    if reader.name == "read_delta_lake":
        from daskprs.data.delta import plan_delta

        return plan_delta(table, size or DEFAULT_TABULAR_SIZE, partition_keys, work_dir)
    entries = table_files(table, with_sizes=True)
    if not entries:
        raise MLTableError("the paths name no file", file=table.source_file, key="paths")
    files = [e.path for e in entries]
    footers = parquet_footers(table, files) if reader.name == "read_parquet" else None
    schema = table_schema(table, files, footers)
    table = planned_table(table, schema, files)
    if partition_keys:
        from daskprs.data.keys import plan_key_groups

        return plan_key_groups(table, schema, [e.path for e in entries], partition_keys, work_dir)
    window = DEFAULT_TABULAR_SIZE if size is None else size
    if footers is not None:
        parts = _parquet_parts(entries, footers, window)
    else:
        parts = _text_parts(table, entries, window)
    pieces = [
        MiniBatchPiece(id=i, kind="rows", parts=p, table=table, schema=schema)
        for i, p in enumerate(parts)
    ]
    return _with_offsets(pieces, table)


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
