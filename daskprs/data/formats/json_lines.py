"""``read_json_lines``: one JSON object per line, read in byte windows cut at line ends.

The columns are the keys in order of first appearance in the planning scan, typed like
mltable types them (a column's first value's JSON type; another type becomes null).
pyarrow's JSON reader reads a slice; lines it refuses (invalid JSON, mixed types) are read
line by line (``invalid_lines``: error or drop).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson

from daskprs.data import column_types, scan, slices
from daskprs.data.decoding import part_errors
from daskprs.data.formats.base import LineFormat, with_path_column
from daskprs.data.mltable_options import (
    MLTableContext,
    bool_option,
    check_partition_size,
    encoding_option,
    path_column_option,
)
from daskprs.data.model import MLTable, Part, Reader, TableSchema
from daskprs.errors import MLTableError

_JSON_LINES_OPTIONS = (
    "invalid_lines",
    "encoding",
    "include_path_column",
    "path_column",
    "partition_size",
)


# pyarrow's JSON reader reads more than one JSON object per line: an object printed across
# lines (read whole or not depending on where the slice is cut), two objects on one line, a
# `null` line (a row of nulls; a crash of the process when it comes before the first object,
# pyarrow 26), NaN / Infinity values. mltable rejects all of them as invalid lines. Data where
# every non-blank line starts with `{` and ends with `}` and none of `}{`, `} {`, `NaN`,
# `Infinity` occurs goes to pyarrow; other data (rare; a match inside a string only costs
# speed) to the line-by-line path, which reports or drops the invalid lines.
_LF, _CR, _OPEN, _CLOSE = 10, 13, ord("{"), ord("}")


def _arrow_readable(data: bytes) -> bool:
    """Whether pyarrow's JSON reader reads ``data`` as mltable reads it (see above)."""
    if any(s in data for s in (b"}{", b"} {", b"NaN", b"Infinity")):
        return False
    arr = np.frombuffer(data, dtype=np.uint8)
    if not len(arr):
        return True
    nl = np.flatnonzero(arr == _LF)
    starts = np.concatenate(([0], nl + 1))
    first = arr[starts[starts < len(arr)]]
    if not np.all((first == _OPEN) | (first == _LF) | (first == _CR)):
        return False
    ends = np.concatenate((nl[nl > 0] - 1, [len(arr) - 1] if arr[-1] != _LF else []))
    last = arr[ends.astype(np.int64)]
    cr = (last == _CR) & (ends > 0)
    last[cr] = arr[ends[cr].astype(np.int64) - 1]
    return bool(np.all((last == _CLOSE) | (last == _LF) | (last == _CR)))


def _reject_constant(name: str) -> Any:
    """``NaN`` / ``Infinity`` are no JSON (Python's json accepts them; mltable does not)."""
    raise ValueError(f"{name} is not a JSON value")


def _loads(line: str | bytes) -> Any:
    return json.loads(line, parse_constant=_reject_constant)


def _untyped_columns(table: pa.Table, kinds: dict[str, str]) -> list[str]:
    """The columns with nested values, or values the plan did not type (``object``).

    pyarrow types them per slice (a struct gets every key any of its rows has, an int in it
    is float where a row lacks it), so their values would depend on the mini-batch size;
    :func:`_as_parsed` gives them as parsed (``json.loads``) in every slice.
    """
    return [
        f.name
        for f in table.schema
        if (not kinds or f.name in kinds)  # (else a key the planning scan did not see)
        and (
            pa.types.is_nested(f.type)
            or (kinds.get(f.name) == "object" and not pa.types.is_null(f.type))
        )
    ]


def _as_parsed(df: pd.DataFrame, data: bytes, columns: list[str]) -> pd.DataFrame:
    """``df`` with ``columns`` as ``json.loads`` gives them (a line is a row: pyarrow read
    them all, so every non-blank line is one object)."""
    records = [_loads(line) for line in data.splitlines() if line.strip()]
    if len(records) != len(df):
        raise pa.ArrowInvalid("rows and lines differ")  # (the line-by-line path decides)
    for c in columns:
        df[c] = pd.Series([r.get(c) for r in records], index=df.index, dtype=object)
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
    untyped = _untyped_columns(table, kinds)
    dated = [
        f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)
    ]
    if dated:
        fields = [pa.field(f.name, pa.string()) if f.name in dated else f for f in table.schema]
        parse = pajson.ParseOptions(explicit_schema=pa.schema(fields))
        table = pajson.read_json(io.BytesIO(data), read_options=opts, parse_options=parse)
    if not untyped:
        return table.to_pandas()
    order = table.column_names
    df = _as_parsed(table.drop_columns(untyped).to_pandas(), data, untyped)
    return df[order]


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
            obj = _loads(line)
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
def read_part(part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
    reader = table.reader
    assert reader is not None
    data, at_start = slices.read_bytes(part, table)
    if reader.codec not in slices.UTF8:
        data = data.decode(reader.codec).encode("utf-8")
    else:  # pyarrow's JSON reader takes invalid UTF-8 into strings that fail when read
        data.decode("utf-8")
    if at_start and data.startswith(slices.BOM):
        data = data[len(slices.BOM) :]
    kinds = schema.kind_map
    df = pd.DataFrame()
    if data.strip():
        try:
            if not _arrow_readable(data):
                raise pa.ArrowInvalid("a null line")
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
    return with_path_column(df, reader, part.path)


def _json_head(table: MLTable, part: Part) -> tuple[Any, int]:
    """One file's head: a pyarrow table (types inferred), else the records (mixed types)."""
    reader = table.reader
    assert reader is not None
    data, _ = slices.read_bytes(part, table)
    text = data.decode(reader.codec, errors="replace").lstrip("\ufeff")
    data = text.encode("utf-8")
    try:
        if _arrow_readable(data):
            tbl = pajson.read_json(io.BytesIO(data))
            return tbl, tbl.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = _loads(line)
        except ValueError:
            continue  # the reader reports (or drops) invalid lines
        if isinstance(obj, dict):
            records.append(obj)
    return records, len(records)


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
    reader = table.reader
    assert reader is not None
    if not files:
        return TableSchema(())
    heads = scan.head_parts(
        table, files, 1, lambda part: _json_head(table, part), JSON_LINES.cuttable(reader)
    )
    cols: dict[str, None] = {}
    kinds: dict[str, str] = {}
    if all(isinstance(h, pa.Table) for h in heads):  # the fast path: one type per column
        found: dict[str, str | None] = {}
        for h in heads:
            for f in h.schema:
                kind, seen = column_types.arrow_kind(f.type), found.get(f.name)
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


class JsonLines(LineFormat):
    name = "read_json_lines"

    def options(self, ctx: MLTableContext, raw: Any, key: str) -> Reader:
        opts = ctx.options(raw, key, _JSON_LINES_OPTIONS)
        invalid = opts.get("invalid_lines", "error")
        if invalid not in ("error", "drop"):
            raise ctx.error(f"{key}.invalid_lines", f"expected 'error' or 'drop', got {invalid!r}")
        check_partition_size(ctx, opts, key)
        return Reader(
            name=self.name,
            key=key,
            encoding=encoding_option(ctx, opts, key),
            invalid_lines=invalid,
            include_path_column=bool_option(ctx, opts, "include_path_column", key, False),
            path_column=path_column_option(ctx, opts, key),
        )

    def schema(self, table: MLTable, files: list[str], info: Any) -> TableSchema:
        return json_schema(table, files)

    def read(self, part: Part, table: MLTable, schema: TableSchema) -> pd.DataFrame:
        return read_part(part, table, schema)


JSON_LINES = JsonLines()
