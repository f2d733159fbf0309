"""Reader columns whose first use is ``convert_column_types``: converted from their text.

mltable's reader types keep what pandas' dtypes lose: an int column with a null is float64 in
pandas (digits past 2**53 lost), a datetime outside datetime64[ns]'s range (1500-01-01,
2300-01-01) is NaT, and a float column's ``NaN`` is the same NaN as an empty field. A later
conversion to ``string`` (``9007199254740993``, ``2300-01-01T00:00:00+00:00``, ``NaN``) or of a
float column to ``boolean`` (``NaN``: True) still sees mltable's value. When the table's plan
says that such a conversion is the first thing that uses the column (:func:`fused_columns`), the
CSV reader reads the column as text and gives the converted values straight away
(:func:`fused_values`); the conversion step then keeps them (string stays string, booleans stay
booleans). Other columns, and every table without such a conversion, are read as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from daskprs.data import column_types, filter_expr, value_parsing
from daskprs.data.model import ColumnType, MLTable

# (reader kind, conversion) pairs whose pandas dtype loses what the conversion shows
_LOSSY = {("int", "string"), ("datetime", "string"), ("float", "string"), ("float", "boolean")}
_PASSIVE = ("take", "skip", "take_random_sample", "drop_columns", "keep_columns")


def fused_columns(table: MLTable, columns: Sequence[str], kinds: dict[str, str]) -> dict[str, str]:
    """The reader columns (``columns``, planned ``kinds``) whose first use in the steps after
    the reader is a plain conversion to ``string`` / ``boolean`` that their dtype would
    distort, and that conversion. Steps that only pick rows or columns do not use a column; a
    ``filter`` uses the columns it names; a partition-format step, or a filter whose columns
    are known only row by row, ends the walk (nothing after it is fused)."""
    out: dict[str, str] = {}
    decided: set[str] = set()
    names = list(columns)
    for t in table.transforms:
        if t.name in _PASSIVE:
            continue
        if t.name == "filter":
            used = _filter_columns(t.expression)
            if used is None:
                break
            decided.update(used)
            continue
        if t.name != "convert_column_types":
            break
        for selector, ctype in t.conversions:
            for c in selector.select(names):
                if c in decided:
                    continue
                decided.add(c)
                kind = column_types.base_kind(kinds.get(c, "string"))
                if ctype == ColumnType(ctype.name) and (kind, ctype.name) in _LOSSY:
                    out[c] = ctype.name
    return out


def _filter_columns(expression: str) -> list[str] | None:
    try:
        return filter_expr.named_columns(expression)
    except ValueError:  # a syntax error: reported when the filter runs
        return None


def fused_values(text: pd.Series, kind: str, target: str) -> pd.Series:
    """The text of a column planned as ``kind``, converted to ``target`` as mltable converts
    the reader's values (its ints, datetimes and NaN intact)."""
    kind = column_types.base_kind(kind)
    typed = column_types.convert(text, kind)
    if kind == "int" and typed.dtype.kind == "f":
        typed = typed + 0.0  # an int has no -0 (float64 -0.0 would be written "-0")
    out = column_types.convert(typed, target)
    lost = typed.isna().to_numpy() & text.notna().to_numpy()
    if kind == "int":  # the conversion went through float64
        return _exact_ints(text, out)
    if kind == "datetime" and lost.any():
        return _wide_dates(text, out, lost)
    if kind == "float" and lost.any():
        nan = np.zeros(len(text), bool)
        words = value_parsing.stripped_objects(text[lost]).astype(str)
        nan[np.flatnonzero(lost)] = words.str.fullmatch(r"[+-]?nan", case=False).to_numpy(bool)
        if nan.any():
            return _with_values(out, nan, "NaN" if target == "string" else True)
    return out


def _with_values(out: pd.Series, where: np.ndarray, value: object) -> pd.Series:
    values = out.to_numpy(dtype=object, na_value=None).copy()
    values[where] = value
    result = pd.Series(values, index=out.index, dtype=object)
    if isinstance(value, bool):
        return result.astype(bool) if result.notna().all() else result
    return result.astype(out.dtype)


_EXACT_DIGITS = 16  # an int of fewer digits is exact in float64


def _exact_ints(text: pd.Series, out: pd.Series) -> pd.Series:
    """Ints of 16 digits or more as written (saturated to int64, as mltable), not the
    nearest float64 (an int column's conversion goes through float64)."""
    arr = value_parsing.strip(value_parsing.arrow_text(text))
    long = pc.and_(
        pc.greater_equal(pc.utf8_length(arr), _EXACT_DIGITS),
        pc.match_substring_regex(arr, r"^[+-]?[0-9]+$"),
    )
    where = np.asarray(pc.fill_null(long, False).to_numpy(zero_copy_only=False), dtype=bool)
    if not where.any():
        return out
    bound = np.iinfo(np.int64)
    values = out.to_numpy(dtype=object, na_value=None).copy()
    for i in np.flatnonzero(where):
        values[i] = str(min(max(int(str(text.iloc[i])), int(bound.min)), int(bound.max)))
    return pd.Series(values, index=out.index, dtype=object).astype(out.dtype)


# the layouts of an inferred datetime column (column_types.is_date) for a year outside
# datetime64[ns]'s range (1677-09-21 .. 2262-04-11); ISO 8601 first (datetime.fromisoformat)
_WIDE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", *column_types.DATE_FORMATS)


def _wide_dates(text: pd.Series, out: pd.Series, lost: np.ndarray) -> pd.Series:
    """A datetime column's dates outside datetime64[ns]'s range, as mltable writes them."""
    values = out.to_numpy(dtype=object, na_value=None).copy()
    changed = False
    for i in np.flatnonzero(lost):
        value = _wide_date(str(text.iloc[i]).strip())
        if value is not None:
            values[i], changed = value, True
    if not changed:
        return out
    return pd.Series(values, index=out.index, dtype=object).astype(out.dtype)


def _wide_date(s: str) -> str | None:
    if not column_types.is_date(s):
        return None
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(s)
    except ValueError:
        for fmt in _WIDE_FORMATS:
            try:
                parsed = dt.datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    micro = parsed.microsecond
    spec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
    return parsed.isoformat(timespec=spec) + "+00:00"
