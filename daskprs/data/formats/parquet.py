"""``read_parquet``: row groups, merged up to the mini-batch size, large ones sliced by rows.

Every file's footer is read once at planning (:meth:`Parquet.inspect`), for the columns (the
union of the files', typed by :func:`merged_type` where files differ), the int / boolean columns'
nulls (from the row groups' statistics) and the row groups. Sizes are on-disk bytes (the
compressed column chunks of a row group), the analogue of "bytes of the source text" for CSV.
Azure cannot split a parquet row group; we can, by row slices.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from daskprs.data import column_types, paths, scan
from daskprs.data.formats.base import Format, with_path_column
from daskprs.data.mltable_options import (
    PATH_OPTIONS,
    MLTableContext,
    bool_option,
    path_column_option,
)
from daskprs.data.model import MLTable, Part, Reader, TableSchema
from daskprs.errors import MLTableError

# The last row groups decoded for a row slice: the slices of one large row group are
# consecutive mini batches (fused into one task, so one process), and each would otherwise
# decode the whole group again. One entry only, so memory stays bounded by one row group.
_last_groups: dict[tuple[str, tuple[int, ...] | None], Any] = {}


def _with_columns(tbl: pa.Table, schema: pa.Schema) -> pa.Table:
    """``tbl`` with the table's columns in order and types: one its file lacks is all null, one
    its file types otherwise is cast to the table's type (:func:`merged_type`; a column of
    mixed types, the null type, keeps the file's, read as objects by :func:`read_part`)."""
    own = tbl.schema
    if own.names == schema.names and all(
        own.field(f.name).type == f.type or pa.types.is_null(f.type) for f in schema
    ):
        return tbl
    have = set(own.names)
    fields, arrays = [], []
    for f in schema:
        if f.name not in have:
            fields.append(f)
            arrays.append(pa.nulls(tbl.num_rows, f.type))
            continue
        field, column = own.field(f.name), tbl.column(f.name)
        if field.type != f.type and not pa.types.is_null(f.type):
            # an int beyond float64's 2**53 is rounded (as mltable, and pandas' concat)
            column = column.cast(f.type, safe=not pa.types.is_floating(f.type))
            field = field.with_type(f.type)
        fields.append(field)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=own.metadata))


_UNITS = ("s", "ms", "us", "ns")


def merged_type(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """One column's type when two files type it differently; None: mixed types.

    Ints are int64, ints and floats float64, dates and timestamps timestamps (a date at
    midnight; the finer unit; UTC when the zones differ), as mltable. Other pairs (bool and
    int, int and string...) are mixed: each file's values as they are, in an object column
    (mltable: object for bool then int; an error for some others).
    """
    if a == b or pa.types.is_null(b):
        return a
    if pa.types.is_null(a):
        return b
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return None if pa.uint64() in (a, b) else pa.int64()
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if any(n(a) for n in numeric) and any(n(b) for n in numeric):
        return pa.float64()
    dated = (pa.types.is_date, pa.types.is_timestamp)
    if any(d(a) for d in dated) and any(d(b) for d in dated):
        stamps = [t for t in (a, b) if pa.types.is_timestamp(t)]
        if not stamps:
            return pa.date32()
        unit = max((t.unit for t in stamps), key=_UNITS.index)
        zones = {t.tz for t in stamps}
        return pa.timestamp(unit, zones.pop() if len(zones) == 1 else "UTC")
    return None


def _to_pandas(tbl: pa.Table, mixed: set[str]) -> pd.DataFrame:
    """``tbl.to_pandas()``, nested values (struct, list, map) and the ``mixed`` columns (of
    other types in other files: bool and int...) as Python values, in object columns.

    Arrow converts nested values per slice (an int in a struct or list is float where *these*
    rows hold a null), so they would depend on the mini-batch size; ``to_pylist`` does not.
    """
    df = tbl.to_pandas()
    for i, f in enumerate(tbl.schema):
        python = pa.types.is_nested(f.type) or (f.name in mixed and not pa.types.is_null(f.type))
        if python and f.name in df.columns:  # (not: a pandas index, restored as the index)
            df[f.name] = pd.Series(tbl.column(i).to_pylist(), index=df.index, dtype=object)
    return df


def read_part(part: Part, table: MLTable, schema: TableSchema | None = None) -> pd.DataFrame:
    """Row groups (or a row slice of them) with the table's planned columns and dtypes.

    Arrow gives an int column float64 and a boolean one object where *these* rows hold a null;
    the plan (``schema.kinds``, from every file's footer) gives every mini batch the dtype the
    whole table has (:func:`column_types.conform_nullable`).
    """
    reader = table.reader
    assert reader is not None
    sliced = bool(part.row_start) or part.row_stop is not None
    key = (part.path, part.row_groups)
    tbl = _last_groups.get(key) if sliced else None
    if tbl is None and part.row_groups == () and schema is not None and schema.arrow_schema:
        tbl = schema.arrow_schema.empty_table()  # no row groups (an empty file)
    if tbl is None:
        with paths.open_binary(part.path, table.storage_options) as f:
            pf = _open_parquet(f)
            rgs = part.row_groups
            if pf is None:
                tbl = pa.table({})
            else:
                tbl = pf.read() if rgs is None else pf.read_row_groups(list(rgs))
        _last_groups.clear()
        if sliced:
            _last_groups[key] = tbl
    if sliced:
        stop = tbl.num_rows if part.row_stop is None else part.row_stop
        tbl = tbl.slice(part.row_start, max(0, stop - part.row_start))
    mixed: set[str] = set()
    if schema is not None and schema.arrow_schema is not None:
        tbl = _with_columns(tbl, schema.arrow_schema)
        mixed = {f.name for f in schema.arrow_schema if pa.types.is_null(f.type)}
    df = _to_pandas(tbl, mixed)
    if schema is not None and schema.kinds:
        df = column_types.conform_nullable(df, schema.kind_map)
    return with_path_column(df, reader, part.path)


def _empty_footer() -> pq.FileMetaData:
    """The footer of a parquet file with no columns and no row groups."""
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({}), buf)
    return pq.ParquetFile(pa.BufferReader(buf.getvalue())).metadata


def _open_parquet(f: Any) -> pq.ParquetFile | None:
    """A parquet file, or None for an empty (0-byte) one: mltable reads it as no rows."""
    if f.seek(0, 2) == 0:
        return None
    f.seek(0)
    return pq.ParquetFile(f)


def parquet_footer(table: MLTable, path: str) -> pq.FileMetaData:
    """One parquet file's footer (row groups, statistics, schema); an empty file has none."""
    try:
        with paths.open_binary(path, table.storage_options) as f:
            pf = _open_parquet(f)
            return _empty_footer() if pf is None else pf.metadata
    except (pa.ArrowInvalid, OSError) as exc:
        raise MLTableError(
            f"{path!r} is not a readable parquet file ({exc}); read_parquet reads files in the "
            "Apache Parquet format (an empty file is read as no rows)",
            file=table.source_file,
            key=table.reader.key if table.reader else None,
        ) from None


def parquet_footers(table: MLTable, files: list[str]) -> list[pq.FileMetaData]:
    """Every file's footer, read once at planning (for the schema and the row groups)."""
    return [parquet_footer(table, path) for path in files]


def _nullable_kind(t: pa.DataType) -> str | None:
    """``int`` / ``boolean``: a parquet column whose pandas dtype depends on its nulls."""
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_boolean(t):
        return "boolean"
    return None


def _parquet_nulls(
    table: MLTable, files: list[str], footers: list[pq.FileMetaData], columns: list[str]
) -> set[str]:
    """The ``columns`` that hold a null anywhere in the table, from the footers.

    A row group's column statistics give its ``null_count``; a file without the column holds
    nulls there (the table is the union of the files' columns). A column chunk without a null
    count is read (only that column of that row group) up to ``scan.SCAN_BYTES`` on disk; past that
    it counts as holding nulls (float64 / object: every mini batch can hold what it holds).
    """
    nulls: set[str] = set()
    unknown: list[tuple[int, int, str, int]] = []  # (file, row group, column, bytes)
    for index, meta in enumerate(footers):
        leaves = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
        for i in range(meta.num_row_groups):
            rg = meta.row_group(i)
            if not rg.num_rows:
                continue
            for c in columns:
                if c in nulls:
                    continue
                j = leaves.get(c)
                if j is None:
                    nulls.add(c)
                    continue
                chunk = rg.column(j)
                stats = chunk.statistics if chunk.is_stats_set else None
                if stats is not None and stats.has_null_count:
                    if stats.null_count:
                        nulls.add(c)
                else:
                    unknown.append((index, i, c, chunk.total_compressed_size))
    budget = scan.SCAN_BYTES
    pending: dict[tuple[int, int], list[str]] = {}
    for index, i, c, nbytes in unknown:
        if c in nulls:
            continue
        budget -= nbytes
        if budget < 0:
            nulls.add(c)
        else:
            pending.setdefault((index, i), []).append(c)
    for (index, i), cols in pending.items():
        cols = [c for c in cols if c not in nulls]
        if not cols:
            continue
        with paths.open_binary(files[index], table.storage_options) as f:
            got = pq.ParquetFile(f).read_row_group(i, columns=cols)
        nulls.update(c for c in cols if got.column(c).null_count)
    return nulls


def _pandas_masked(schema: pa.Schema) -> set[str]:
    """Columns a pandas frame wrote with a nullable dtype (``Int64``, ``boolean``...): Arrow
    gives them that dtype back, nulls as ``<NA>`` (as mltable's ``read_parquet``)."""
    meta = schema.pandas_metadata or {}
    return {
        str(c.get("name"))
        for c in meta.get("columns", [])
        if str(c.get("numpy_type", "")).startswith(("Int", "UInt", "boolean"))
    }


def parquet_schema(
    table: MLTable, files: list[str], footers: list[pq.FileMetaData] | None = None
) -> TableSchema:
    """The union of the files' columns (in order of first appearance; one the files type
    differently has :func:`merged_type`) and the planned kinds of its int / boolean columns.

    mltable's ``to_pandas_dataframe()`` gives an int column with a null anywhere in the table
    float64 (int64, int32... otherwise) and a boolean one object (else bool); the footers'
    null counts decide it here, once, for every mini batch (:func:`read_part`).
    """
    if not files:
        return TableSchema(())
    if footers is None:
        footers = parquet_footers(table, files)
    first = footers[0].schema.to_arrow_schema()
    by_name = {f.name: f for f in first}
    mixed: set[str] = set()
    for meta in footers[1:]:
        for f in meta.schema.to_arrow_schema():
            seen = by_name.setdefault(f.name, f)
            if f.name not in mixed and seen.type != f.type:
                merged = merged_type(seen.type, f.type)
                if merged is None:
                    mixed.add(f.name)
                by_name[f.name] = seen.with_type(pa.null() if merged is None else merged)
    fields = list(by_name.values())
    arrow_schema = pa.schema(fields, metadata=first.metadata)
    masked = _pandas_masked(first)
    candidates = {
        f.name: k
        for f in fields
        if (k := _nullable_kind(f.type)) is not None and f.name not in masked
    }
    nulls = _parquet_nulls(table, files, footers, list(candidates))
    kinds = tuple((c, column_types.nullable(k) if c in nulls else k) for c, k in candidates.items())
    return TableSchema(tuple(arrow_schema.names), kinds, arrow_schema=arrow_schema)


def _parquet_head(
    table: MLTable, files: list[str], schema: TableSchema
) -> list[tuple[str, pd.DataFrame]]:
    """The table's first row groups, up to ``scan.SCAN_BYTES`` (uncompressed; at least one group)."""
    frames: list[tuple[str, pd.DataFrame]] = []
    scanned = 0
    for index, path in enumerate(files):
        if scanned >= scan.SCAN_BYTES:
            break
        meta = parquet_footer(table, path)
        groups: list[int] = []
        for i in range(meta.num_row_groups):
            if scanned >= scan.SCAN_BYTES and (frames or groups):
                break
            groups.append(i)
            scanned += meta.row_group(i).total_byte_size
        if groups:
            part = Part(path, index, row_groups=tuple(groups))
            frames.append((path, read_part(part, table, schema)))
    return frames


def row_group_sizes(metadata: pq.FileMetaData) -> list[tuple[int, int]]:
    """(on-disk bytes, rows) of each row group."""
    out = []
    for i in range(metadata.num_row_groups):
        rg = metadata.row_group(i)
        size = sum(rg.column(c).total_compressed_size for c in range(rg.num_columns))
        out.append((size, rg.num_rows))
    return out


def plan_row_groups(
    groups: list[tuple[int, int]], size: int
) -> list[tuple[tuple[int, ...], int, int | None]]:
    """Pieces as (row groups, row_start, row_stop) from (bytes, rows) per row group.

    >>> plan_row_groups([(10, 5), (10, 5), (50, 100), (5, 1)], 25)
    [((0, 1), 0, None), ((2,), 0, 50), ((2,), 50, 100), ((3,), 0, None)]
    >>> plan_row_groups([], 25)
    [((), 0, None)]
    """
    pieces: list[tuple[tuple[int, ...], int, int | None]] = []
    current: list[int] = []
    current_size = 0
    for i, (nbytes, nrows) in enumerate(groups):
        if nbytes > size:
            if current:
                pieces.append((tuple(current), 0, None))
                current, current_size = [], 0
            n = min(max(1, math.ceil(nbytes / size)), max(1, nrows))
            bounds = [round(k * nrows / n) for k in range(n + 1)]
            pieces.extend(((i,), bounds[k], bounds[k + 1]) for k in range(n))
            continue
        if current and current_size + nbytes > size:
            pieces.append((tuple(current), 0, None))
            current, current_size = [], 0
        current.append(i)
        current_size += nbytes
    if current or not pieces:
        pieces.append((tuple(current), 0, None))
    return pieces


def _parquet_parts(
    entries: list[paths.FileEntry], footers: list[Any], size: int
) -> list[tuple[Part, ...]]:
    """Row groups from the footers the schema was planned from (each file's read once)."""
    out: list[tuple[Part, ...]] = []
    for index, (entry, meta) in enumerate(zip(entries, footers, strict=True)):
        out.extend(
            (Part(entry.path, index, row_groups=rgs, row_start=start, row_stop=stop),)
            for rgs, start, stop in plan_row_groups(row_group_sizes(meta), size)
        )
    return out


class Parquet(Format):
    name = "read_parquet"

    def options(self, ctx: MLTableContext, raw: Any, key: str) -> Reader:
        opts = ctx.options(raw, key, PATH_OPTIONS)
        return Reader(
            name=self.name,
            key=key,
            include_path_column=bool_option(ctx, opts, "include_path_column", key, False),
            path_column=path_column_option(ctx, opts, key),
        )

    def inspect(self, table: MLTable, files: list[str]) -> list[pq.FileMetaData]:
        return parquet_footers(table, files)

    def schema(self, table: MLTable, files: list[str], info: Any) -> TableSchema:
        return parquet_schema(table, files, info)

    def parts(
        self, table: MLTable, entries: list[paths.FileEntry], info: Any, size: int
    ) -> list[tuple[Part, ...]]:
        return _parquet_parts(entries, info, size)

    def read(self, part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
        return read_part(part, table, schema)

    def head(
        self, table: MLTable, files: list[str], schema: TableSchema
    ) -> list[tuple[str, pd.DataFrame]]:
        return _parquet_head(table, files, schema)

    def meta(self, table: MLTable, schema: TableSchema) -> pd.DataFrame:
        if schema.arrow_schema is None:
            return super().meta(table, schema)
        df = schema.arrow_schema.empty_table().to_pandas()
        return column_types.conform_nullable(df, schema.kind_map)


PARQUET = Parquet()
