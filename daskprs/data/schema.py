"""The table's columns and planned dtypes, decided once at planning from headers and a scan.

mltable types a table from its first ``sample_size`` records (``infer_column_types``); the same
records decide the kinds here. Whether an int or boolean column holds nulls (int64 / bool, or
float64 / object as mltable's ``to_pandas_dataframe()`` gives them) is decided by a scan of the
table's first ``SCAN_BYTES`` bytes (at least ``sample_size`` records): exact for a table that
small, a sample for larger ones. Every mini batch is then read with these dtypes
(:func:`daskprs.data.column_types.conform`); a later value that does not fit becomes null, as in
mltable, and a null in a column planned without nulls is the one logged exception (that mini
batch's column is float64 / object). Also read: the header line of the first file (of every file
with ``all_files_different_headers``), parquet footers (every file's: the columns, and whether an
int / boolean column holds nulls from the row groups' statistics, exact for any size).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from daskprs.data import column_types
from daskprs.data.mltable_spec import MLTable
from daskprs.data.readers import (
    Part,
    TableSchema,
    _read_bytes,
    check_same_header,
    first_line,
    header_columns,
    is_compressed,
    open_binary,
    read_delimited_part,
    read_parquet_part,
    read_part,
    split_line,
)
from daskprs.data.transforms import inline_partition_columns, inline_partition_values
from daskprs.errors import MLTableError

SCAN_BYTES = 1 << 18  # the planning scan: tables up to this size are typed exactly
_SAMPLE_BYTES = 1 << 16
_HEADER_CHECK_FILES = 1000


def _head_parts(table: MLTable, files: list[str], min_rows: int, read: Any) -> list[Any]:
    """Read the table's first ``SCAN_BYTES`` bytes, and on until ``min_rows`` records.

    ``read(part)`` gives ``(result, records)``; returns the results, one per file read. Files
    that are never cut (compressed, multi-line, other encodings) are read whole, as mltable does.
    """
    reader = table.reader
    assert reader is not None
    out: list[Any] = []
    got = scanned = 0
    for index, path in enumerate(files):
        cut = reader.cuttable and not is_compressed(path)
        size = _file_size(table, path)
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


def _sample_rows(table: MLTable, files: list[str], schema: TableSchema, n: int) -> pd.DataFrame:
    """The scanned head of the table (at least ``n`` records if it has them), all strings."""
    reader = table.reader
    assert reader is not None

    def read(part: Part) -> tuple[pd.DataFrame, int]:
        df = read_delimited_part(part, table, schema, typed=False)
        if reader.include_path_column:
            df = df.drop(columns=[reader.path_column])
        for col, value in inline_partition_values(table, part.path).items():
            df[col] = pd.Series([value] * len(df), index=df.index, dtype=object)
        return df, len(df)

    frames = [f for f in _head_parts(table, files, n, read) if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(schema.columns))
    )


def _file_size(table: MLTable, path: str) -> int:
    from daskprs.data import paths

    fs, p = paths.get_fs(path, table.storage_options)
    return paths.file_size(fs, p)


def delimited_schema(table: MLTable, files: list[str]) -> TableSchema:
    reader = table.reader
    assert reader is not None
    if not files:
        return TableSchema(())
    if reader.header == "no_header":
        width = max(len(split_line(first_line(files[0], table), reader)), 1)
        cols: list[str] = [f"Column{i + 1}" for i in range(width)]
    elif reader.header == "all_files_different_headers":
        cols = []
        for path in files:
            for c in header_columns(path, table):
                if c not in cols:
                    cols.append(c)
    else:
        cols = header_columns(files[0], table)
        if reader.header == "all_files_same_headers" and len(files) <= _HEADER_CHECK_FILES:
            for path in files[1:]:  # cheap up front; larger inputs are checked as they load
                check_same_header(
                    table, path, header_columns(path, table), TableSchema(tuple(cols))
                )
    if len(set(cols)) != len(cols):
        from daskprs.data.readers import _dedupe

        cols = _dedupe(cols)
    sample = _sample_rows(table, files, TableSchema(tuple(cols)), reader.sample_size)
    extracted = inline_partition_columns(table)  # typed with the file's columns (mltable)
    cols += [str(c) for c in sample.columns if c not in cols and c not in extracted]  # long rows
    if not reader.infer_column_types and not reader.type_overrides:
        return TableSchema(tuple(cols))
    kinds: dict[str, str] = {}
    first = sample.head(reader.sample_size)
    typed = [*cols, *(c for c in extracted if c not in cols)]
    if reader.infer_column_types:
        for c in typed:
            kinds[c] = (
                column_types.infer_kind(first[c].tolist(), reader.empty_as_string)
                if c in first
                else "string"
            )
    for selector, ctype in reader.type_overrides:
        for c in selector.select(typed):
            kinds[c] = ctype.name if ctype.name in column_types.KINDS else "string"
    for c, kind in kinds.items():
        if kind in ("int", "boolean") and c in sample and column_types.has_nulls(sample[c], kind):
            kinds[c] = column_types.nullable(kind)
    return TableSchema(tuple(cols), tuple(kinds.items()))


def _json_head(table: MLTable, part: Part) -> tuple[Any, int]:
    """One file's head: a pyarrow table (types inferred), else the records (mixed types)."""
    reader = table.reader
    assert reader is not None
    data, _ = _read_bytes(part, table)
    text = data.decode(reader.codec, errors="replace").lstrip("\ufeff")
    try:
        tbl = pajson.read_json(io.BytesIO(text.encode("utf-8")))
        return tbl, tbl.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # the reader reports (or drops) invalid lines
        if isinstance(obj, dict):
            records.append(obj)
    return records, len(records)


def _arrow_kind(t: pa.DataType) -> str | None:
    """A JSON column's kind from pyarrow's inferred type; None: no value (null type)."""
    if pa.types.is_null(t):
        return None
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_string(t) or pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "string"
    return "object"


def json_kind(values: list[Any]) -> str:
    """mltable's type of a JSON column: its first value's; other types become null.

    (An int and a float in one column is float, keeping the numbers: KNOWN_DIFFERENCES.md.)
    ``object``: nested values, or no value at all.
    """
    kind = "object"
    for v in values:
        if v is None:
            continue
        k = (
            "boolean"
            if isinstance(v, bool)
            else "int"
            if isinstance(v, int)
            else "float"
            if isinstance(v, float)
            else "string"
            if isinstance(v, str)
            else "object"
        )
        if kind == "object":
            kind = k
            if k == "object":
                return k
        elif {kind, k} == {"int", "float"}:
            kind = "float"
    return kind


def json_schema(table: MLTable, files: list[str]) -> TableSchema:
    """Columns in order of first appearance and their kinds, from the planning scan."""
    if not files:
        return TableSchema(())
    heads = _head_parts(table, files, 1, lambda part: _json_head(table, part))
    cols: dict[str, None] = {}
    kinds: dict[str, str] = {}
    if all(isinstance(h, pa.Table) for h in heads):  # the fast path: one type per column
        found: dict[str, str | None] = {}
        for h in heads:
            for f in h.schema:
                kind, seen = _arrow_kind(f.type), found.get(f.name)
                if f.name not in found or seen is None:
                    found[f.name] = kind
                elif kind is not None and kind != seen:
                    found[f.name] = "float" if {seen, kind} == {"int", "float"} else "object"
        cols = dict.fromkeys(found)
        kinds = {c: k or "object" for c, k in found.items()}
        rows = sum(h.num_rows for h in heads)
        for c in cols:
            nulls = sum(
                h.column(c).null_count if c in h.column_names else h.num_rows for h in heads
            )
            if nulls and rows:
                kinds[c] = column_types.nullable(kinds[c])
        return TableSchema(tuple(cols), tuple((c, kinds[c]) for c in cols))
    records = [r for h in heads for r in (h.to_pylist() if isinstance(h, pa.Table) else h)]
    for r in records:
        for k in r:
            cols.setdefault(str(k), None)
    for c in cols:
        values = [r.get(c) for r in records]
        kind = json_kind(values)
        if kind in ("int", "boolean") and any(v is None or json_kind([v]) != kind for v in values):
            kind = column_types.nullable(kind)
        kinds[c] = kind
    return TableSchema(tuple(cols), tuple(kinds.items()))


def parquet_footer(table: MLTable, path: str) -> pq.FileMetaData:
    """One parquet file's footer (row groups, statistics, schema)."""
    try:
        with open_binary(path, table.storage_options) as f:
            return pq.ParquetFile(f).metadata
    except (pa.ArrowInvalid, OSError) as exc:
        raise MLTableError(
            f"{path!r} is not a readable parquet file ({exc})",
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
    count is read (only that column of that row group) up to ``SCAN_BYTES`` on disk; past that
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
    budget = SCAN_BYTES
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
        with open_binary(files[index], table.storage_options) as f:
            got = pq.ParquetFile(f).read_row_group(i, columns=cols)
        nulls.update(c for c in cols if got.column(c).null_count)
    return nulls


def parquet_schema(
    table: MLTable, files: list[str], footers: list[pq.FileMetaData] | None = None
) -> TableSchema:
    """The union of the files' columns (in order of first appearance, each typed by the first
    file that has it) and the planned kinds of its int / boolean columns.

    mltable's ``to_pandas_dataframe()`` gives an int column with a null anywhere in the table
    float64 (int64, int32... otherwise) and a boolean one object (else bool); the footers'
    null counts decide it here, once, for every mini batch (:func:`daskprs.data.readers.read_parquet_part`).
    """
    if not files:
        return TableSchema(())
    if footers is None:
        footers = parquet_footers(table, files)
    first = footers[0].schema.to_arrow_schema()
    fields = list(first)
    names = set(first.names)
    for meta in footers[1:]:
        for f in meta.schema.to_arrow_schema():
            if f.name not in names:
                names.add(f.name)
                fields.append(f)
    arrow_schema = pa.schema(fields, metadata=first.metadata)
    candidates = {f.name: k for f in fields if (k := _nullable_kind(f.type)) is not None}
    nulls = _parquet_nulls(table, files, footers, list(candidates))
    kinds = tuple((c, column_types.nullable(k) if c in nulls else k) for c, k in candidates.items())
    return TableSchema(tuple(arrow_schema.names), kinds, arrow_schema=arrow_schema)


def _parquet_head(table: MLTable, files: list[str], schema: TableSchema) -> list[pd.DataFrame]:
    """The table's first row groups, up to ``SCAN_BYTES`` (uncompressed; at least one group)."""
    frames: list[pd.DataFrame] = []
    scanned = 0
    for index, path in enumerate(files):
        if scanned >= SCAN_BYTES:
            break
        with open_binary(path, table.storage_options) as f:
            meta = pq.ParquetFile(f).metadata
        groups: list[int] = []
        for i in range(meta.num_row_groups):
            if scanned >= SCAN_BYTES and (frames or groups):
                break
            groups.append(i)
            scanned += meta.row_group(i).total_byte_size
        if groups:
            part = Part(path, index, row_groups=tuple(groups))
            frames.append(read_parquet_part(part, table, schema))
    return frames


def _typed_head(table: MLTable, files: list[str], schema: TableSchema) -> pd.DataFrame | None:
    """The table's head as its mini batches read it: planned reader dtypes, path and partition
    columns (None: nothing read). The same head as the reader's kinds (:func:`_head_parts`)."""
    from daskprs.data.transforms import add_partition_columns

    reader = table.reader
    assert reader is not None
    if reader.name == "read_parquet":
        frames = [
            add_partition_columns(table, df, files[i], schema)
            for i, df in enumerate(_parquet_head(table, files, schema))
        ]
    else:

        def read(part: Part) -> tuple[pd.DataFrame, int]:
            df = add_partition_columns(table, read_part(part, table, schema), part.path, schema)
            return df, len(df)

        frames = _head_parts(table, files, reader.sample_size, read)
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def planned_table(table: MLTable, schema: TableSchema, files: list[str]) -> MLTable:
    """``table`` with ``planned_kinds``: the output's int / boolean columns and their nulls.

    mltable gives the whole output of the transformations an int64 / bool column when it holds
    no null, float64 / object otherwise (``convert_column_types`` to int or boolean, and a
    ``filter`` or ``take`` can remove the nulls of a reader column). Decided here, once, from the
    same head of the table as the reader's kinds; every mini batch and the meta then have these
    dtypes (:func:`daskprs.data.transforms.apply_transforms`).
    """
    from dataclasses import replace

    from daskprs.data.transforms import needs_output_plan, plan_output_kinds

    if table.planned_kinds is not None:
        return table
    if not needs_output_plan(table) or not files:
        return replace(table, planned_kinds=())
    head = _typed_head(table, files, schema)
    if head is None:
        return replace(table, planned_kinds=())
    kinds = schema.kind_map
    if schema.arrow_schema is not None:
        kinds = {f.name: _arrow_kind(f.type) or "object" for f in schema.arrow_schema}
    return replace(table, planned_kinds=plan_output_kinds(table, head, kinds))


def table_schema(
    table: MLTable, files: list[str], footers: list[pq.FileMetaData] | None = None
) -> TableSchema:
    """The table's planned schema; ``footers``: the parquet files' (read once by the planner)."""
    reader = table.reader
    assert reader is not None
    if reader.name == "read_delimited":
        return delimited_schema(table, files)
    if reader.name == "read_json_lines":
        return json_schema(table, files)
    if reader.name == "read_parquet":
        return parquet_schema(table, files, footers)
    return TableSchema(())
