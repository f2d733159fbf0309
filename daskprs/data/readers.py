"""Readers: one slice of one file (a byte window, a whole file, parquet row groups) to pandas.

Parsing uses pyarrow (``pyarrow.csv``, ``pyarrow.json``, ``pyarrow.parquet``); byte windows are
cut with :func:`fsspec.utils.read_block` and ``delimiter=b"\\n"``, whose convention is exactly
product.md §3's: the block for ``(offset, length)`` holds the records whose first byte lies in
``(offset, offset + length]`` (and the record at byte 0 when ``offset`` is 0).
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import os
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from fsspec.utils import read_block, seek_delimiter

from daskprs.data import column_types, paths
from daskprs.data.decoding import file_errors, part_errors
from daskprs.data.mltable_spec import MLTable, Reader
from daskprs.errors import MLTableError

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Part:
    """One slice of one file. ``length`` None: the whole file (or all its row groups)."""

    path: str
    file_index: int = 0
    offset: int = 0
    length: int | None = None
    row_groups: tuple[int, ...] | None = None  # parquet: the row groups to read
    row_start: int = 0  # parquet: rows [row_start, row_stop) of those row groups
    row_stop: int | None = None

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"file": self.path}
        if self.row_groups is not None:
            d["row_groups"] = list(self.row_groups)
            if self.row_start or self.row_stop is not None:
                d["rows"] = [self.row_start, self.row_stop]
        elif self.length is not None:
            d["bytes"] = [self.offset, self.offset + self.length]
        return d


@dataclass(frozen=True)
class TableSchema:
    """What planning learned once for the whole table: column names and inferred kinds."""

    columns: tuple[str, ...]  # reader columns in output order (path column excluded)
    # inferred (column, kind); empty: no inference. Parquet: the int / boolean columns only
    # (``int?`` / ``boolean?``: nulls somewhere in the table), the others keep the file's type.
    kinds: tuple[tuple[str, str], ...] = ()
    arrow_schema: pa.Schema | None = None  # parquet: the files' columns (the first file's types)

    @property
    def kind_map(self) -> dict[str, str]:
        return dict(self.kinds)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain data: the arrow schema as Arrow IPC bytes, which every pyarrow
        reads (an entry process in a step environment may run another pyarrow than the
        driver; pyarrow's own pickles name its internal functions)."""
        ipc = None if self.arrow_schema is None else self.arrow_schema.serialize().to_pybytes()
        return (_table_schema, (self.columns, self.kinds, ipc))


def _table_schema(
    columns: tuple[str, ...], kinds: tuple[tuple[str, str], ...], ipc: bytes | None
) -> TableSchema:
    arrow = None if ipc is None else pa.ipc.read_schema(pa.py_buffer(ipc))
    return TableSchema(columns, kinds, arrow)


COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4")


def is_compressed(path: str) -> bool:
    """Compressed text files are decompressed by fsspec and never cut (one mini batch each)."""
    return path.lower().endswith(COMPRESSED_SUFFIXES)


def open_binary(path: str, storage_options: dict[str, Any] | None, text_file: bool = False) -> Any:
    """Open ``path`` for reading; ``text_file``: decompress ``.gz`` / ``.bz2`` / ... on the fly."""
    fs, p = paths.get_fs(path, storage_options)
    if text_file and is_compressed(path):
        return fs.open(p, "rb", compression="infer")
    return fs.open(p, "rb")


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
    with open_binary(path, table.storage_options, text_file=True) as f:
        if is_compressed(path):
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


def _read_bytes(part: Part, table: MLTable) -> tuple[bytes, bool]:
    """The bytes of ``part`` and whether they start at byte 0 of the file."""
    with open_binary(part.path, table.storage_options, text_file=True) as f:
        if part.length is None:
            return f.read(), True
        return bytes(read_block(f, part.offset, part.length, b"\n")), part.offset == 0


# A local slice at least this large is parsed from a memory map of the file, not copied into
# memory first: the parsers stream it (pandas in chunks, pyarrow zero-copy), which keeps a large
# mini batch as fast per byte as plain pandas / pyarrow reading the file.
_MAP_BYTES = 1 << 22
_UTF8 = ("utf-8", "utf-8-sig", "ascii")


class _Mapped:
    """A slice ``[start, end)`` of a memory-mapped file, never copied unless asked."""

    def __init__(self, mm: mmap.mmap, start: int, end: int) -> None:
        self.mm, self.start, self.end = mm, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def __getitem__(self, key: slice) -> _Mapped:
        lo, hi, _ = key.indices(len(self))
        return _Mapped(self.mm, self.start + lo, self.start + max(lo, hi))

    def find(self, sub: bytes) -> int:
        i = self.mm.find(sub, self.start, self.end)
        return i if i < 0 else i - self.start

    def view(self) -> memoryview:
        return memoryview(self.mm)[self.start : self.end]


Data: TypeAlias = "bytes | _Mapped"  # a slice of a file


def _block_bounds(f: Any, offset: int, length: int, size: int) -> tuple[int, int]:
    """``read_block(f, offset, length, b"\\n")``'s ``[start, end)``, without reading the block."""
    f.seek(offset)
    seek_delimiter(f, b"\n", 1 << 16)
    start = min(f.tell(), size)
    f.seek(start + length - (start - offset))
    seek_delimiter(f, b"\n", 1 << 16)
    return start, max(start, min(f.tell(), size))


def _read_data(part: Part, table: MLTable) -> tuple[Data, bool]:
    """The bytes of ``part`` and whether they start at byte 0 of the file.

    A large slice of a local, uncompressed UTF-8 file is a view of a memory map (see
    ``_MAP_BYTES``); the records it holds are exactly :func:`read_block`'s.
    """
    reader = table.reader
    assert reader is not None
    fs, p = paths.get_fs(part.path, table.storage_options)
    if paths.is_local(fs) and not is_compressed(part.path) and reader.codec in _UTF8:
        size = os.path.getsize(p)
        start, end = 0, size
        if part.length is not None and size >= _MAP_BYTES:
            with open(p, "rb") as f:
                start, end = _block_bounds(f, part.offset, part.length, size)
        if end - start >= _MAP_BYTES:
            with open(p, "rb") as f:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            return _Mapped(mm, start, end), part.length is None or part.offset == 0
    return _read_bytes(part, table)


def _to_bytes(data: Data) -> bytes:
    return data if isinstance(data, bytes) else bytes(data.view())


def _stream(data: Data) -> Any:
    return io.BytesIO(data) if isinstance(data, bytes) else pa.BufferReader(data.view())


@part_errors
def read_delimited_part(
    part: Part, table: MLTable, schema: TableSchema, typed: bool = True
) -> pd.DataFrame:
    reader = table.reader
    assert reader is not None
    data, at_start = _read_data(part, table)
    if reader.codec not in _UTF8:
        # never cut (product.md §3): the whole file, transcoded once
        data = _to_bytes(data).decode(reader.codec).encode("utf-8")
    if at_start and _to_bytes(data[: len(_BOM)]) == _BOM:
        data = data[len(_BOM) :]
    file_cols: list[str] | None = list(schema.columns)
    if reader.header == "all_files_different_headers":
        file_cols = None if at_start else header_columns(part.path, table)
    if at_start and _has_header_line(reader, part.file_index):
        nl = data.find(b"\n")
        head, data = (data, b"") if nl < 0 else (data[: nl + 1], data[nl + 1 :])
        line = _to_bytes(head).decode("utf-8")
        if file_cols is None:
            file_cols = split_line(line, reader)
        elif reader.header == "all_files_same_headers" and part.file_index > 0:
            check_same_header(table, part.path, split_line(line, reader), schema)
    assert file_cols is not None
    df = _parse_csv(data, file_cols, reader, schema, typed)
    df = _finish(df, part, table, schema, keep_extra=not typed)
    if typed:
        df = column_types.conform(df, schema.kind_map)
    return df


def _parse_csv(
    data: Data, cols: list[str], reader: Reader, schema: TableSchema, typed: bool
) -> pd.DataFrame:
    cols = _dedupe(cols)
    codec = "utf-8"
    if len(data) < _MAP_BYTES:
        data = _to_bytes(data)
    if not data or (len(data) < 8 and not _to_bytes(data).strip(b"\r\n")):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    kinds = schema.kind_map if typed else {}
    if len(reader.delimiter) == 1 and not _quote_spans_lines(data, reader):
        if kinds and reader.infer_column_types:
            try:
                return _pandas_csv(data, cols, reader, kinds)
            except (pd.errors.ParserError, ValueError):
                pass
        try:
            return _arrow_csv(data, cols, reader, codec, kinds)
        except pa.ArrowInvalid:
            if kinds:  # a value that does not parse as its column's kind: converted to null
                try:
                    return _arrow_csv(data, cols, reader, codec, {})
                except pa.ArrowInvalid:
                    pass
    return _python_csv(data, cols, reader, codec)


_ONE_PASS_BYTES = 4 << 20


def _pandas_csv(data: Data, cols: list[str], reader: Reader, kinds: dict[str, str]) -> pd.DataFrame:
    """Typed fast path: pandas' C parser infers, then :func:`column_types.conform` converts.

    The C parser is the most CPU-efficient reader here, and a mini batch runs in one process
    per core, so CPU per byte is what counts. A column planned as text that pandas read as
    numbers is read again as text (keeping "007" intact).
    """
    options: dict[str, Any] = {
        "sep": reader.delimiter,
        "header": None,
        "names": cols,
        "na_values": [] if reader.empty_as_string else [""],
        "keep_default_na": False,
        "skip_blank_lines": True,
        "engine": "c",
        # one pass over the whole slice: ~10-30% less CPU for a 1 MiB mini batch than the default
        # 256 KiB chunks; slower from ~16 MiB on (and a second copy of a big slice costs memory)
        "low_memory": len(data) > _ONE_PASS_BYTES,
    }
    df = pd.read_csv(_stream(data), **options)
    if len(df.columns) != len(cols):
        raise ValueError("ragged rows")
    text_again = [
        c
        for c in cols
        if kinds.get(c, "string") == "string"
        and df[c].dtype.kind not in "OT"
        and not pd.api.types.is_string_dtype(df[c].dtype)
    ]
    if text_again:
        again = pd.read_csv(_stream(data), usecols=text_again, dtype=str, **options)
        for c in text_again:
            df[c] = again[c]
    return df


_ODD_QUOTES = re.compile(rb'^[^"\n]*(?:"[^"\n]*"[^"\n]*)*"[^"\n]*$', re.MULTILINE)


def _quote_spans_lines(data: Data, reader: Reader) -> bool:
    """A quoted field left open at a line end, in single-line mode (mltable splits it there)."""
    if reader.support_multi_line or data.find(b'"') < 0:
        return False
    return _ODD_QUOTES.search(data if isinstance(data, bytes) else data.view()) is not None


def _single_line(line: str, delimiter: str) -> list[str]:
    """One line as one record; a quote still open at the line end keeps its quote (mltable)."""
    fields = next(csv.reader([line], delimiter=delimiter), [])
    starts = [i for i, ch in enumerate(line) if ch == '"' and (i == 0 or line[i - 1] == delimiter)]
    if fields and any(line[i:].count('"') % 2 for i in starts):
        fields[-1] = '"' + fields[-1]
    return fields


def _dedupe(cols: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in cols:
        if c in seen:
            seen[c] += 1
            name = f"{c}_{seen[c]}"
        else:
            seen[c] = 0
            name = c
        out.append(name)
    return out


def _arrow_csv(
    data: Data, cols: list[str], reader: Reader, codec: str, kinds: dict[str, str]
) -> pd.DataFrame:
    types = {c: column_types.arrow_type(kinds.get(c, "string")) for c in cols}
    table = pacsv.read_csv(
        _stream(data),
        read_options=pacsv.ReadOptions(column_names=cols, encoding=codec, block_size=1 << 22),
        parse_options=pacsv.ParseOptions(
            delimiter=reader.delimiter, newlines_in_values=reader.support_multi_line
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=not reader.empty_as_string,
            quoted_strings_can_be_null=not reader.empty_as_string,
            true_values=list(column_types.TRUE_VALUES),
            false_values=list(column_types.FALSE_VALUES),
            timestamp_parsers=[pacsv.ISO8601, *column_types.DATE_FORMATS],
        ),
    )
    return table.to_pandas()


def _python_csv(data: Data, cols: list[str], reader: Reader, codec: str) -> pd.DataFrame:
    """Slow path: uneven rows (padded with nulls, extra fields dropped) and 2-char delimiters."""
    text = _to_bytes(data).decode(codec).lstrip("\ufeff")
    lines: Any
    if reader.support_multi_line:
        lines = io.StringIO(text, newline="")
    else:
        lines = [ln.rstrip("\r") for ln in text.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
    if len(reader.delimiter) == 1 and reader.support_multi_line:
        rows = list(csv.reader(lines, delimiter=reader.delimiter))
    elif len(reader.delimiter) == 1:  # every newline ends a record, even inside quotes
        rows = [_single_line(ln, reader.delimiter) for ln in lines]
    else:
        rows = [ln.split(reader.delimiter) for ln in lines]
    # a row longer than the header adds columns named like mltable's: Column3, Column4, ...
    n = max([len(cols), *(len(r) for r in rows)])
    cols = cols + [f"Column{i + 1}" for i in range(len(cols), n)]
    null = "" if reader.empty_as_string else None
    records = [[(v if v != "" else null) for v in (r + [None] * (n - len(r)))[:n]] for r in rows]
    df = (
        pd.DataFrame(records, columns=cols, dtype=object)
        if records
        else pd.DataFrame({c: [] for c in cols})
    )
    return df.astype(column_types.STRING_DTYPE)


def _finish(
    df: pd.DataFrame, part: Part, table: MLTable, schema: TableSchema, keep_extra: bool = False
) -> pd.DataFrame:
    reader = table.reader
    assert reader is not None
    if list(df.columns) != list(schema.columns):
        extra = [c for c in df.columns if c not in schema.columns] if keep_extra else []
        df = df.reindex(columns=[*schema.columns, *extra])
    if reader.include_path_column:
        df.insert(0, reader.path_column, pd.Series([part.path] * len(df), dtype=_str_dtype()))
    return df


def _str_dtype() -> Any:
    return column_types.STRING_DTYPE


# The last row groups decoded for a row slice: the slices of one large row group are
# consecutive mini batches (fused into one task, so one process), and each would otherwise
# decode the whole group again. One entry only, so memory stays bounded by one row group.
_last_groups: dict[tuple[str, tuple[int, ...] | None], Any] = {}


def _with_columns(tbl: pa.Table, schema: pa.Schema) -> pa.Table:
    """``tbl`` with the table's columns in order: one its file lacks is all null."""
    if tbl.column_names == schema.names:
        return tbl
    have = set(tbl.column_names)
    fields = [tbl.schema.field(f.name) if f.name in have else f for f in schema]
    arrays = [
        tbl.column(f.name) if f.name in have else pa.nulls(tbl.num_rows, f.type) for f in fields
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=tbl.schema.metadata))


def read_parquet_part(
    part: Part, table: MLTable, schema: TableSchema | None = None
) -> pd.DataFrame:
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
    if tbl is None:
        with open_binary(part.path, table.storage_options) as f:
            pf = pq.ParquetFile(f)
            rgs = part.row_groups
            tbl = pf.read() if rgs is None else pf.read_row_groups(list(rgs))
        _last_groups.clear()
        if sliced:
            _last_groups[key] = tbl
    if sliced:
        stop = tbl.num_rows if part.row_stop is None else part.row_stop
        tbl = tbl.slice(part.row_start, max(0, stop - part.row_start))
    if schema is not None and schema.arrow_schema is not None:
        tbl = _with_columns(tbl, schema.arrow_schema)
    df = tbl.to_pandas()
    if schema is not None and schema.kinds:
        df = column_types.conform_nullable(df, schema.kind_map)
    if reader.include_path_column:
        df.insert(0, reader.path_column, pd.Series([part.path] * len(df), dtype=_str_dtype()))
    return df


def _arrow_json(data: bytes, kinds: dict[str, str]) -> pd.DataFrame:
    """Fast path: pyarrow's JSON reader, the planned columns parsed as their planned types.

    A value of another type is an ``ArrowInvalid`` (then the slow path nulls it, as mltable).
    Other columns are inferred; ISO date strings stay strings (as mltable keeps them).
    """
    opts = pajson.ReadOptions(block_size=max(1 << 22, min(len(data) + 1, 1 << 26)))
    planned = {c: column_types.arrow_type(k) for c, k in kinds.items() if k != "object"}
    parse = pajson.ParseOptions(explicit_schema=pa.schema(list(planned.items())))
    table = pajson.read_json(io.BytesIO(data), read_options=opts, parse_options=parse)
    dated = [
        f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)
    ]
    if dated:
        fields = [pa.field(f.name, pa.string()) if f.name in dated else f for f in table.schema]
        parse = pajson.ParseOptions(explicit_schema=pa.schema(fields))
        table = pajson.read_json(io.BytesIO(data), read_options=opts, parse_options=parse)
    return table.to_pandas()


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),  # an int in a float column is kept (KNOWN_DIFFERENCES.md)
    "boolean": (bool,),
    "string": (str,),
}


def _json_values(values: list[Any], kind: str) -> pd.Series:
    """A JSON column's values; one of another JSON type than ``kind``'s is null (mltable)."""
    types = _JSON_TYPES.get(column_types.base_kind(kind))
    if types is not None:
        boolean = types == (bool,)
        values = [
            v if isinstance(v, types) and (boolean or not isinstance(v, bool)) else None
            for v in values
        ]
    return pd.Series(values, dtype=object)


def _python_json(text: str, part: Part, table: MLTable, kinds: dict[str, str]) -> pd.DataFrame:
    """Slow path, line by line: drops or reports invalid lines (``invalid_lines``)."""
    reader = table.reader
    assert reader is not None
    records: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if reader.invalid_lines == "drop":
                continue
            raise MLTableError(
                f"invalid JSON line {lineno + 1} of this slice of {part.path} ({exc}); fix the "
                "line or set invalid_lines: drop",
                file=table.source_file,
                key=f"{reader.key}.invalid_lines",
            ) from None
        records.append(obj)
    cols: dict[str, None] = dict.fromkeys(kinds)
    for r in records:
        cols.update(dict.fromkeys(r))
    return pd.DataFrame(
        {c: _json_values([r.get(c) for r in records], kinds.get(c, "object")) for c in cols}
    )


@part_errors
def read_json_lines_part(part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
    reader = table.reader
    assert reader is not None
    data, at_start = _read_bytes(part, table)
    if reader.codec not in ("utf-8", "utf-8-sig", "ascii"):
        data = data.decode(reader.codec).encode("utf-8")
    else:  # pyarrow's JSON reader takes invalid UTF-8 into strings that fail when read
        data.decode("utf-8")
    if at_start and data.startswith(_BOM):
        data = data[len(_BOM) :]
    kinds = schema.kind_map
    df = pd.DataFrame()
    if data.strip():
        try:
            df = _arrow_json(data, kinds)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            df = _python_json(data.decode("utf-8"), part, table, kinds)
    cols = list(schema.columns)
    if len(df.columns) == 0:
        df = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    elif cols:
        df = df.reindex(columns=cols)  # a key the planning scan did not see is dropped
    if kinds:
        df = column_types.conform(df, kinds)
    if reader.include_path_column:
        df.insert(0, reader.path_column, pd.Series([part.path] * len(df), dtype=_str_dtype()))
    return df


def read_part(part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
    """Read one slice with the table's reader (before transformations)."""
    reader = table.reader
    assert reader is not None
    if reader.name == "read_delimited":
        return read_delimited_part(part, table, schema)
    if reader.name == "read_parquet":
        return read_parquet_part(part, table, schema)
    if reader.name == "read_json_lines":
        return read_json_lines_part(part, table, schema)
    raise MLTableError(
        f"reader {reader.name} cannot read a file slice", file=table.source_file, key=reader.key
    )
