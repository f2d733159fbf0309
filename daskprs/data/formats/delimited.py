"""``read_delimited``: CSV / TSV / ... files, read in byte windows cut at line ends.

The header line gives the columns (``header``: of the first file, of every file, or none);
the first ``sample_size`` records of the planning scan type them (``infer_column_types``,
``type_overrides``); every slice is then parsed (:mod:`~daskprs.data.formats.csv_parse`) and
conformed to those kinds (:func:`daskprs.data.column_types.conform`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

import pandas as pd
from fsspec.utils import read_block

from daskprs.data import column_types, paths, scan, slices
from daskprs.data.decoding import file_errors, part_errors
from daskprs.data.formats import csv_parse
from daskprs.data.formats.base import LineFormat, with_path_column
from daskprs.data.fused import fused_columns, fused_values
from daskprs.data.mltable_options import (
    MLTableContext,
    bool_option,
    check_partition_size,
    encoding_option,
    inference_option,
    path_column_option,
)
from daskprs.data.model import HEADER_MODES, ColumnType, MLTable, Part, Reader, TableSchema
from daskprs.data.partitions import inline_partition_columns, inline_partition_values
from daskprs.errors import MLTableError

_HEADER_CHECK_FILES = 1000
_DELIMITED_OPTIONS = (
    "delimiter",
    "header",
    "support_multi_line",
    "empty_as_string",
    "encoding",
    "include_path_column",
    "path_column",
    "infer_column_types",
    "partition_size",
)


def split_line(line: bytes | str, reader: Reader) -> list[str]:
    text = line.decode("utf-8") if isinstance(line, bytes) else line
    text = text.lstrip("\ufeff").rstrip("\r\n")
    if len(reader.delimiter) == 1:
        return next(csv.reader([text], delimiter=reader.delimiter), [])
    return text.split(reader.delimiter)


@file_errors
def first_line(path: str, table: MLTable) -> bytes:
    """The first record of a file (its header line), read without reading the file."""
    reader = table.reader
    assert reader is not None
    with paths.open_binary(path, table.storage_options, text_file=True) as f:
        if paths.is_compressed(path):
            line = f.readline()
            if reader.codec in ("utf-8", "utf-8-sig", "ascii"):
                return bytes(line)
            data = line + f.read()
        elif reader.codec in ("utf-8", "utf-8-sig", "ascii"):
            return bytes(read_block(f, 0, 1, b"\n"))
        else:
            data = f.read()
    text = data.decode(reader.codec)
    return text.split("\n", 1)[0].encode("utf-8")  # always utf-8 out


@file_errors
def header_columns(path: str, table: MLTable) -> list[str]:
    assert table.reader is not None
    return split_line(first_line(path, table), table.reader)


def check_same_header(table: MLTable, path: str, header: list[str], schema: TableSchema) -> None:
    """``all_files_same_headers``: a header with another number of columns is an error.

    (Same count, other names: mapped by position, as mltable does.)
    """
    if len(header) != len(schema.columns):
        reader = table.reader
        assert reader is not None
        raise MLTableError(
            f"{path!r} has {len(header)} columns {header} but the first file has "
            f"{len(schema.columns)} {list(schema.columns)}; with header: all_files_same_headers "
            "every file needs the same columns — use header: all_files_different_headers to "
            "combine files with different columns",
            file=table.source_file,
            key=f"{reader.key}.header",
        )


def _has_header_line(reader: Reader, file_index: int) -> bool:
    if reader.header in ("all_files_same_headers", "all_files_different_headers"):
        return True
    return reader.header == "from_first_file" and file_index == 0


@part_errors
def read_part(part: Part, table: MLTable, schema: TableSchema, typed: bool = True) -> pd.DataFrame:
    reader = table.reader
    assert reader is not None
    data, at_start = slices.read_data(part, table)
    if reader.codec not in slices.UTF8:
        # never cut (product.md §3): the whole file, transcoded once
        data = slices.to_bytes(data).decode(reader.codec).encode("utf-8")
    if at_start and slices.to_bytes(data[: len(slices.BOM)]) == slices.BOM:
        data = data[len(slices.BOM) :]
    file_cols: list[str] | None = list(schema.columns)
    if reader.header == "all_files_different_headers":
        file_cols = None if at_start else header_columns(part.path, table)
    if at_start and _has_header_line(reader, part.file_index):
        nl = data.find(b"\n")
        head, data = (data, b"") if nl < 0 else (data[: nl + 1], data[nl + 1 :])
        line = slices.to_bytes(head).decode("utf-8")
        if file_cols is None:
            file_cols = split_line(line, reader)
        elif reader.header == "all_files_same_headers" and part.file_index > 0:
            check_same_header(table, part.path, split_line(line, reader), schema)
    assert file_cols is not None
    worded = _worded_overrides(reader, schema.columns) if typed else {}
    # first used by a conversion their dtype would distort: converted from the text (fused)
    early = fused_columns(table, schema.columns, schema.kind_map) if typed else {}
    early = {c: k for c, k in early.items() if c not in worded}
    parse_as = schema
    if worded or early:  # parsed as text, then converted (the override's words or formats)
        text = tuple((c, "string" if c in worded or c in early else k) for c, k in schema.kinds)
        parse_as = TableSchema(schema.columns, text, schema.arrow_schema)
    df = csv_parse.parse_csv(data, file_cols, reader, parse_as, typed)
    df = _finish(df, part, table, schema, keep_extra=not typed)
    if typed:
        for col, ctype in worded.items():
            if col in df.columns:
                df[col] = column_types.convert(df[col], ctype)
        df = column_types.conform(df, parse_as.kind_map if early else schema.kind_map)
        for col, target in early.items():
            if col in df.columns:
                df[col] = fused_values(df[col], schema.kind_map[col], target)
    return df


def _worded_overrides(reader: Reader, cols: Sequence[str]) -> dict[str, ColumnType]:
    """The columns of ``column_type_overrides`` with options (``true_values`` /
    ``false_values`` / ``mismatch_as``, datetime ``formats``), and their types; the last
    override naming a column wins."""
    out: dict[str, ColumnType] = {}
    for selector, ctype in reader.type_overrides:
        for col in selector.select(list(cols)):
            if ctype.name in column_types.KINDS and ctype != ColumnType(ctype.name):
                out[col] = ctype
            else:
                out.pop(col, None)
    return out


def _with_nullable_kinds(
    kinds: dict[str, str], sample: pd.DataFrame, worded: dict[str, ColumnType]
) -> dict[str, str]:
    """``int?`` / ``boolean?`` for the int / boolean columns whose sample converts to a null."""
    for col, kind in kinds.items():
        if kind not in ("int", "boolean") or col not in sample:
            continue
        if col in worded:
            holes = bool(column_types.convert(sample[col], worded[col]).isna().any())
        else:
            holes = column_types.has_nulls(sample[col], kind)
        if holes:
            kinds[col] = column_types.nullable(kind)
    return kinds


def _finish(
    df: pd.DataFrame, part: Part, table: MLTable, schema: TableSchema, keep_extra: bool = False
) -> pd.DataFrame:
    reader = table.reader
    assert reader is not None
    if list(df.columns) != list(schema.columns):
        extra = [c for c in df.columns if c not in schema.columns] if keep_extra else []
        df = df.reindex(columns=[*schema.columns, *extra])
    return with_path_column(df, reader, part.path)


def _sample_rows(table: MLTable, files: list[str], schema: TableSchema, n: int) -> pd.DataFrame:
    """The scanned head of the table (at least ``n`` records if it has them), all strings."""
    reader = table.reader
    assert reader is not None

    def read(part: Part) -> tuple[pd.DataFrame, int]:
        df = read_part(part, table, schema, typed=False)
        if reader.include_path_column:
            df = df.drop(columns=[reader.path_column])
        for col, value in inline_partition_values(table, part.path).items():
            df[col] = pd.Series([value] * len(df), index=df.index, dtype=object)
        return df, len(df)

    cut = DELIMITED.cuttable(reader)
    frames = [f for f in scan.head_parts(table, files, n, read, cut) if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(schema.columns))
    )


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
        cols = csv_parse.dedupe(cols)
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
    kinds = _with_nullable_kinds(kinds, sample, _worded_overrides(reader, typed))
    return TableSchema(tuple(cols), tuple(kinds.items()))


class Delimited(LineFormat):
    name = "read_delimited"
    reads_inline_partitions = True

    def options(self, ctx: MLTableContext, raw: Any, key: str) -> Reader:
        opts = ctx.options(raw, key, _DELIMITED_OPTIONS)
        check_partition_size(ctx, opts, key)
        delim = opts.get("delimiter", ",")
        if not isinstance(delim, str) or not 1 <= len(delim) <= 2:
            raise ctx.error(
                f"{key}.delimiter", f"expected a string of 1 or 2 characters, got {delim!r}"
            )
        header = opts.get("header", "all_files_same_headers")
        if header not in HEADER_MODES:
            raise ctx.error(
                f"{key}.header",
                f"unknown header mode {header!r}; valid modes are: {', '.join(HEADER_MODES)}",
            )
        infer, sample_size, overrides = inference_option(
            ctx, opts.get("infer_column_types", True), key
        )
        return Reader(
            name=self.name,
            key=key,
            delimiter=delim,
            header=header,
            encoding=encoding_option(ctx, opts, key),
            support_multi_line=bool_option(ctx, opts, "support_multi_line", key, False),
            empty_as_string=bool_option(ctx, opts, "empty_as_string", key, False),
            include_path_column=bool_option(ctx, opts, "include_path_column", key, False),
            path_column=path_column_option(ctx, opts, key),
            infer_column_types=infer,
            sample_size=sample_size,
            type_overrides=overrides,
        )

    def schema(self, table: MLTable, files: list[str], info: Any) -> TableSchema:
        return delimited_schema(table, files)

    def read(self, part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
        return read_part(part, table, schema)


DELIMITED = Delimited()
