"""The :class:`Format` interface: what planning and loading need from one MLTable reader.

Parsing calls :meth:`Format.options` (the reader's options, checked). Planning calls, once
per table: :meth:`Format.resolve` (the table to plan; ``read_delta_lake``
becomes ``read_parquet`` over the files of its log), :meth:`Format.inspect` (per-file metadata
read once, e.g. parquet footers), :meth:`Format.schema` (columns and planned kinds),
:meth:`Format.head` (the first rows, for the output's dtypes) and :meth:`Format.parts` (the
slices of files, grouped into mini batches). Inside a worker, :meth:`Format.read` reads one
slice and :meth:`Format.meta` gives the empty frame with the reader's columns.

:class:`LineFormat` is the shared base of the line-based text readers (byte windows, a
scan of the head, object columns typed by the planned kinds).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from daskprs.data import column_types, paths, scan
from daskprs.data.mltable_options import MLTableContext
from daskprs.data.model import MLTable, Part, Reader, TableSchema
from daskprs.data.slices import UTF8


class Format:
    """One reader transformation (``name``, e.g. ``"read_parquet"``); registered in
    :data:`daskprs.data.formats.FORMATS`."""

    name: str = ""
    # partition formats written before the reader are read as columns of the file (typed by
    # the reader's inference); otherwise they are appended (daskprs.data.partitions)
    reads_inline_partitions: bool = False

    def options(self, ctx: MLTableContext, raw: Any, key: str) -> Reader:
        """The reader's options as written at ``key`` of the MLTable file, checked."""
        raise NotImplementedError

    def resolve(self, table: MLTable) -> MLTable:
        """The table planning reads (its reader may be another format's)."""
        return table

    def cuttable(self, reader: Reader) -> bool:
        """Whether files may be cut into byte windows."""
        return False

    def inspect(self, table: MLTable, files: list[str]) -> Any:
        """Metadata read once at planning, handed to :meth:`schema` and :meth:`parts`."""
        return None

    def schema(self, table: MLTable, files: list[str], info: Any) -> TableSchema:
        """The table's columns and planned kinds (``info``: what :meth:`inspect` read)."""
        raise NotImplementedError

    def parts(
        self, table: MLTable, entries: list[paths.FileEntry], info: Any, size: int
    ) -> list[tuple[Part, ...]]:
        """The slices of the files, one tuple per mini batch (``size``: bytes per mini batch)."""
        raise NotImplementedError

    def read(self, part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
        """One slice with the planned columns and dtypes (before the transformations)."""
        raise NotImplementedError

    def head(
        self, table: MLTable, files: list[str], schema: TableSchema
    ) -> list[tuple[str, pd.DataFrame]]:
        """The table's head as :meth:`read` reads it, as (file, rows) pairs: the rows the
        reader's kinds were planned from (the output's dtypes are planned from them)."""
        raise NotImplementedError

    def meta(self, table: MLTable, schema: TableSchema) -> pd.DataFrame:
        """The empty frame with the reader's columns and planned dtypes (no path column)."""
        df = pd.DataFrame({c: pd.Series([], dtype=object) for c in schema.columns})
        df = column_types.apply_kinds(df, schema.kind_map)
        for c in df.columns:
            if c not in schema.kind_map or schema.kind_map[c] == "string":
                df[c] = df[c].astype(column_types.STRING_DTYPE)
        return df


def byte_windows(size_bytes: int, window: int) -> list[tuple[int, int]]:
    """``(offset, length)`` windows for a file of ``size_bytes``: ``ceil(B/window)``, at least 1.

    >>> byte_windows(44, 10)
    [(0, 10), (10, 10), (20, 10), (30, 10), (40, 10)]
    >>> byte_windows(0, 10)
    [(0, 10)]
    """
    n = max(1, math.ceil(size_bytes / window))
    return [(i * window, window) for i in range(n)]


class LineFormat(Format):
    """A text format with one record per line (unless ``support_multi_line``)."""

    def cuttable(self, reader: Reader) -> bool:
        """No multi-line records, and an encoding whose line ends can be found in raw bytes."""
        return not reader.support_multi_line and reader.codec in UTF8

    def parts(
        self, table: MLTable, entries: list[paths.FileEntry], info: Any, size: int
    ) -> list[tuple[Part, ...]]:
        reader = table.reader
        assert reader is not None
        out: list[tuple[Part, ...]] = []
        for index, entry in enumerate(entries):
            if not self.cuttable(reader) or paths.is_compressed(entry.path):
                out.append((Part(entry.path, index),))
                continue
            for offset, length in byte_windows(entry.size, size):
                out.append((Part(entry.path, index, offset, length),))
        return out

    def head(
        self, table: MLTable, files: list[str], schema: TableSchema
    ) -> list[tuple[str, pd.DataFrame]]:
        """The slices of the planning scan (:func:`daskprs.data.scan.head_parts`)."""
        reader = table.reader
        assert reader is not None

        def read(part: Part) -> tuple[tuple[str, pd.DataFrame], int]:
            df = self.read(part, table, schema)
            return (part.path, df), len(df)

        return scan.head_parts(table, files, reader.sample_size, read, self.cuttable(reader))


def with_path_column(df: pd.DataFrame, reader: Reader, path: str) -> pd.DataFrame:
    """``df`` with the reader's path column first, when it asks for one."""
    if reader.include_path_column:
        column = pd.Series([path] * len(df), dtype=column_types.STRING_DTYPE)
        df.insert(0, reader.path_column, column)
    return df
