"""Parsing a delimited slice (bytes) into a DataFrame: the engines ``read_delimited`` uses.

The fastest engine that can read the slice is used: ``pyarrow.csv`` with every column's planned
type (typed columns, when Arrow accepts every value of the slice as its column's kind), then
pandas' C parser (typed columns, converted after), then ``pyarrow.csv`` reading text, then
Python's :mod:`csv` for what none reads as mltable does (uneven rows, two-character delimiters,
a quote left open at a line end in single-line mode).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from daskprs.data import column_types, slices, value_parsing
from daskprs.data.model import Reader, TableSchema


def parse_csv(
    data: slices.Data, cols: list[str], reader: Reader, schema: TableSchema, typed: bool
) -> pd.DataFrame:
    cols = dedupe(cols)
    codec = "utf-8"
    if len(data) < slices.MAP_BYTES:
        data = slices.to_bytes(data)
    if not data or (len(data) < 8 and not slices.to_bytes(data).strip(b"\r\n")):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    kinds = schema.kind_map if typed else {}
    if len(reader.delimiter) == 1 and not _quote_spans_lines(data, reader):
        if kinds and reader.infer_column_types:
            typed_df = _arrow_typed(data, cols, reader, kinds)
            if typed_df is not None:
                return typed_df
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
# Arrow's types for the planned kinds it parses exactly as conform() converts them: ints and
# floats (blanks around them ignored), booleans written as one of column_types.TRUE_VALUES /
# FALSE_VALUES, ISO 8601 datetimes without a zone (Arrow's parser: the one value_parsing uses)
_ARROW_KINDS = {
    "int": pa.int64(),
    "int?": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "boolean?": pa.bool_(),
    "datetime": pa.timestamp("ns"),
    "string": pa.large_string(),  # pandas' Arrow-backed text holds large strings: no cast
}
# per table (columns and kinds): slices Arrow could not type; after a few (a column whose values
# often do not parse as its kind), the process stops trying it first
_arrow_misses: dict[tuple[Any, ...], list[int]] = {}


def _may_hold_hex(data: slices.Data) -> bool:
    """Whether ``0x`` / ``0X`` occurs; a search for the rare ``x`` first (memchr: ~0.04 ms a
    MiB, where one for ``0x`` takes ~1 ms in numeric text, full of zeros)."""
    return any(data.find(x) >= 0 and data.find(b"0" + x) >= 0 for x in (b"x", b"X"))


def _arrow_typed(
    data: slices.Data, cols: list[str], reader: Reader, kinds: dict[str, str]
) -> pd.DataFrame | None:
    """Typed fast path: ``pyarrow.csv`` parses every column straight into its planned type.

    Fewer CPU seconds than pandas' C parser reading untyped (no Python string objects, no
    second pass to convert), one thread: a mini batch runs in one process per core. None when
    a kind has no exact Arrow reading or a value does not parse as its kind (``"1.5"`` in an
    int column, ``"yes"`` in a boolean one, a date in another layout or with a zone): the other
    engines read the slice, and :func:`column_types.conform` converts it by mltable's rules.
    """
    planned = [kinds.get(c, "string") for c in cols]
    if any(k not in _ARROW_KINDS for k in planned):
        return None
    if ("int" in planned or "int?" in planned) and _may_hold_hex(data):
        return None  # Arrow reads hexadecimal ints (0x10: 16); mltable does not (null)
    key = (tuple(cols), tuple(planned), reader.delimiter, reader.empty_as_string)
    misses = _arrow_misses.setdefault(key, [0, 0])  # [misses, reads]
    if misses[0] > 2 and misses[0] > misses[1]:
        return None
    try:
        table = _arrow_read(
            data,
            cols,
            reader,
            "utf-8",
            {c: _ARROW_KINDS[k] for c, k in zip(cols, planned, strict=True)},
            [pacsv.ISO8601],
            use_threads=False,
        )
    except pa.ArrowInvalid:
        misses[0] += 1
        return None
    misses[1] += 1
    return table.to_pandas(split_blocks=True)


def _pandas_csv(
    data: slices.Data, cols: list[str], reader: Reader, kinds: dict[str, str]
) -> pd.DataFrame:
    """Typed fast path: pandas' C parser infers, then :func:`column_types.conform` converts.

    The C parser is the most CPU-efficient reader here, and a mini batch runs in one process
    per core, so CPU per byte is what counts. A column planned as text that pandas read as
    numbers is read again as text (keeping "007" intact), and so is one whose values pandas read
    as another kind than planned (see :func:`_read_as_other_kind`).
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
    # boolean columns as text: pandas reads tRuE / FaLsE as booleans, mltable does not
    words = {c: str for c in cols if column_types.base_kind(kinds.get(c, "string")) == "boolean"}
    df = pd.read_csv(slices.stream(data), dtype=words or None, **options)
    if len(df.columns) != len(cols):
        raise ValueError("ragged rows")
    text_again = [c for c in cols if _read_as_other_kind(df[c], kinds.get(c, "string"))]
    if text_again:
        again = pd.read_csv(slices.stream(data), usecols=text_again, dtype=str, **options)
        for c in text_again:
            df[c] = again[c]
    return df


def _read_as_other_kind(series: pd.Series, kind: str) -> bool:
    """Whether pandas read a column as another kind than planned, where converting its values
    would not give mltable's: numbers in a text or boolean column (``5`` is no boolean word:
    null, not True), booleans in a number column (``true`` is no number: null, not 1), an
    infinity in an int column (text: saturated; a float's: null)."""
    base, dtype = column_types.base_kind(kind), series.dtype
    if base == "string":
        return dtype.kind not in "OT" and not pd.api.types.is_string_dtype(dtype)
    if base == "boolean":  # numbers, or Python ints past int64 (an object column)
        return dtype.kind in "iuf" or (
            dtype.kind == "O" and value_parsing.value_kind(series) != "text"
        )
    if base == "int" and dtype.kind == "f":  # the text inf saturates, a float column's is null
        return bool(np.isinf(series.to_numpy()).any())
    return base in ("int", "float") and dtype.kind == "b"


_ODD_QUOTES = re.compile(rb'^[^"\n]*(?:"[^"\n]*"[^"\n]*)*"[^"\n]*$', re.MULTILINE)


def _quote_spans_lines(data: slices.Data, reader: Reader) -> bool:
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


def dedupe(cols: list[str]) -> list[str]:
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
    data: slices.Data, cols: list[str], reader: Reader, codec: str, kinds: dict[str, str]
) -> pd.DataFrame:
    types = {c: column_types.arrow_type(kinds.get(c, "string")) for c in cols}
    parsers = [pacsv.ISO8601, *column_types.DATE_FORMATS]
    return _arrow_read(data, cols, reader, codec, types, parsers).to_pandas()


def _arrow_read(
    data: slices.Data,
    cols: list[str],
    reader: Reader,
    codec: str,
    types: dict[str, pa.DataType],
    parsers: list[Any],
    use_threads: bool = True,
) -> pa.Table:
    return pacsv.read_csv(
        slices.stream(data),
        read_options=pacsv.ReadOptions(
            column_names=cols, encoding=codec, block_size=1 << 22, use_threads=use_threads
        ),
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
            timestamp_parsers=parsers,
        ),
    )


def _python_csv(data: slices.Data, cols: list[str], reader: Reader, codec: str) -> pd.DataFrame:
    """Slow path: uneven rows (padded with nulls, extra fields dropped) and 2-char delimiters."""
    text = slices.to_bytes(data).decode(codec).lstrip("\ufeff")
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
