"""The table's columns and inferred kinds, learned once at planning from headers and a sample.

Only what mltable itself reads to type a table is read here: the header line of the first file
(of every file with ``all_files_different_headers``), the first ``sample_size`` records for
``infer_column_types``, parquet footers.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from daskprs.data import column_types
from daskprs.data.mltable_spec import MLTable
from daskprs.data.readers import (
    Part,
    TableSchema,
    check_same_header,
    first_line,
    header_columns,
    is_compressed,
    open_binary,
    read_delimited_part,
    read_json_lines_part,
    split_line,
)
from daskprs.errors import MLTableError

_SAMPLE_BYTES = 1 << 16
_HEADER_CHECK_FILES = 1000


def _sample_rows(table: MLTable, files: list[str], schema: TableSchema, n: int) -> pd.DataFrame:
    """Up to ``n`` records from the first files, all columns as strings."""
    reader = table.reader
    assert reader is not None
    frames: list[pd.DataFrame] = []
    got = 0
    for index, path in enumerate(files):
        length = _SAMPLE_BYTES
        while True:
            cut = reader.cuttable and not is_compressed(path)
            part = Part(path, index, 0, length if cut else None)
            if reader.name == "read_delimited":
                df = read_delimited_part(part, table, schema, typed=False)
            else:
                df = read_json_lines_part(part, table, schema)
            if len(df) >= n - got or part.length is None or length >= _file_size(table, path):
                break
            length *= 4
        if reader.include_path_column:
            df = df.drop(columns=[reader.path_column])
        frames.append(df.head(n - got))
        got += len(frames[-1])
        if got >= n:
            break
    frames = [f for f in frames if len(f)]
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
    cols += [str(c) for c in sample.columns if c not in cols]  # rows longer than the header
    if not reader.infer_column_types and not reader.type_overrides:
        return TableSchema(tuple(cols))
    kinds: dict[str, str] = {}
    if reader.infer_column_types:
        for c in cols:
            kinds[c] = (
                column_types.infer_kind(sample[c].tolist(), reader.empty_as_string)
                if c in sample
                else "string"
            )
    for selector, ctype in reader.type_overrides:
        for c in selector.select(cols):
            kinds[c] = ctype.name if ctype.name in column_types.KINDS else "string"
    return TableSchema(tuple(cols), tuple(kinds.items()))


def json_schema(table: MLTable, files: list[str]) -> TableSchema:
    reader = table.reader
    assert reader is not None
    if not files:
        return TableSchema(())
    sample = _sample_rows(table, files, TableSchema(()), 200)
    return TableSchema(tuple(str(c) for c in sample.columns))


def parquet_schema(table: MLTable, files: list[str]) -> TableSchema:
    if not files:
        return TableSchema(())
    for path in files[:1]:
        try:
            with open_binary(path, table.storage_options) as f:
                arrow_schema = pq.read_schema(f)
        except (pa.ArrowInvalid, OSError) as exc:
            raise MLTableError(
                f"{path!r} is not a readable parquet file ({exc})",
                file=table.source_file,
                key=table.reader.key if table.reader else None,
            ) from None
    return TableSchema(tuple(arrow_schema.names), arrow_schema=arrow_schema)


def table_schema(table: MLTable, files: list[str]) -> TableSchema:
    reader = table.reader
    assert reader is not None
    if reader.name == "read_delimited":
        return delimited_schema(table, files)
    if reader.name == "read_json_lines":
        return json_schema(table, files)
    if reader.name == "read_parquet":
        return parquet_schema(table, files)
    return TableSchema(())
