"""Planning a tabular MLTable without ``partition_keys``: one mini batch per slice of a file.

The format (:mod:`daskprs.data.formats`) reads its metadata once, infers the schema and cuts the
files into slices: byte windows of ``size`` bytes for line-based text (window i holds the
records whose first byte lies in ``(i*size, (i+1)*size]``; window 0 also the record at byte 0;
windows never cross files and empty windows are kept; files read with ``support_multi_line``,
a non-UTF-8 encoding or compression are one mini batch each), row groups merged up to ``size``
bytes on disk for parquet (a larger row group is split into row slices).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from daskprs.data import paths
from daskprs.data.formats import get_format
from daskprs.data.model import MiniBatchPiece, MLTable, TableSchema
from daskprs.data.pieces import load_rows
from daskprs.data.schema import planned_table, table_schema
from daskprs.data.transforms import global_steps
from daskprs.errors import MLTableError

DEFAULT_TABULAR_SIZE = 1024 * 1024


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


def survey(table: MLTable) -> tuple[MLTable, TableSchema, list[paths.FileEntry], Any]:
    """What planning reads once: the files (with sizes), the format's metadata, the schema,
    and ``table`` with its output dtypes planned (:func:`daskprs.data.schema.planned_table`).

    ``table`` is the resolved one (:meth:`daskprs.data.formats.base.Format.resolve`).
    """
    reader = table.reader
    assert reader is not None
    entries = table_files(table, with_sizes=True)
    if not entries:
        raise MLTableError("the paths name no file", file=table.source_file, key="paths")
    files = [e.path for e in entries]
    info = get_format(reader.name).inspect(table, files)
    schema = table_schema(table, files, info)
    return planned_table(table, schema, files), schema, entries, info


def plan_rows(table: MLTable, size: int | None) -> list[MiniBatchPiece]:
    """The mini batches of a tabular table (resolved), ``size`` bytes each (None: 1 MiB)."""
    table, schema, entries, info = survey(table)
    assert table.reader is not None
    window = DEFAULT_TABULAR_SIZE if size is None else size
    parts = get_format(table.reader.name).parts(table, entries, info, window)
    pieces = [
        MiniBatchPiece(id=i, kind="rows", parts=p, table=table, schema=schema)
        for i, p in enumerate(parts)
    ]
    return _with_offsets(pieces, table)


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
            probe = replace(piece, offsets=tuple(offsets[j]))
            running += len(load_rows(probe, stop=step))
    return [replace(p, offsets=tuple(o)) for p, o in zip(pieces, offsets, strict=True)]
