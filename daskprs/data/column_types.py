"""Column types: inference on a sample (``infer_column_types``) and conversions.

Kinds are mltable's: ``int``, ``float``, ``boolean``, ``datetime``, ``string``. Inference looks
at the non-null values of the first ``sample_size`` records, as mltable does, and picks the
narrowest kind all of them parse as: boolean (mltable's words: ``true`` / ``True`` / ``TRUE`` /
``t`` / ``T`` / ``Yes`` / ``YES`` / ``Y`` / ``1`` and their false ones, not ``tRuE`` nor ``yes``),
int, float, datetime (ISO 8601 dates and date-times), else string. A value that later fails to
convert becomes null, as in mltable (a non-integral number in an int column is truncated).

A table's *planned* kinds (:class:`~daskprs.data.model.TableSchema`) also say whether an int
or boolean column holds nulls, as mltable's ``to_pandas_dataframe()`` represents them: ``int`` is
int64, ``int?`` (nulls) float64; ``boolean`` is bool, ``boolean?`` object (True / False / None).
``object`` (JSON lines: nested values, or a column with no value in the planning scan) is kept
as parsed. :func:`conform` gives every mini batch exactly these dtypes; :func:`conform_output`
does the same for the int / boolean columns after the transformations (``convert_column_types``,
``filter``, ``take``...), planned in ``MLTable.planned_kinds``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from daskprs.data import value_parsing
from daskprs.data.model import ColumnType

KINDS = ("boolean", "int", "float", "datetime", "string")
NULLABLE = "?"  # suffix of a planned int / boolean kind whose column holds nulls
_log = logging.getLogger("daskprs")
TRUE_VALUES = value_parsing.TRUE_WORDS  # mltable's boolean words, case as written
FALSE_VALUES = value_parsing.FALSE_WORDS
_BOOL_WORDS = frozenset(TRUE_VALUES + FALSE_VALUES)
# date layouts mltable infers besides ISO 8601: 2020/01/02, 01/02/2020 and 01-02-2020 (month
# first; day first when the month-first reading is no date: 31/12/2020), with an optional time
# (03/04/2021 05:06[:07]); a layout month first before the same day first
DATE_FORMATS = (
    "%Y/%m/%d",
    *(
        f"{order.replace('/', sep)}{time}"
        for sep in "/-"
        for time in ("", " %H:%M:%S", " %H:%M")
        for order in ("%m/%d/%Y", "%d/%m/%Y")
    ),
)
# ASCII digits only (``\d`` would take other scripts' digits, which mltable reads as text);
# inf / infinity / nan in any case, as mltable infers them
_DIGITS = "[0-9]"
_NUMBER = (
    rf"\s*[+-]?({_DIGITS}+\.?{_DIGITS}*([eE][+-]?{_DIGITS}+)?|\.{_DIGITS}+([eE][+-]?{_DIGITS}+)?"
    r"|(?i:inf|infinity|nan))\s*"
)
_INT = re.compile(rf"^\s*[+-]?{_DIGITS}+\s*$")
_FLOAT = re.compile(f"^{_NUMBER}$")
# the datetimes mltable infers (blanks before, none after): ISO 8601 dates (2021-1-2 too), with a
# time to the second (fraction, zone optional); 2021/03/04 (05:06:07); 03/04/2021
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
_DATES = (
    re.compile(
        rf"^\s*([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}})"
        rf"(?:[T ]{_TIME}(?:\.[0-9]+)?(?:Z|[+-][0-9]{{2}}:?[0-9]{{2}})?)?$"
    ),
    re.compile(rf"^\s*([0-9]{{4}})/([0-9]{{1,2}})/([0-9]{{1,2}})(?: {_TIME})?$"),
)
_US_DATE = re.compile(
    r"^\s*([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4})(?:\s+([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{2}))?)?$"
)


def is_date(value: str) -> bool:
    """Whether mltable infers ``value`` as a datetime: one of its layouts, and a real date and
    time (``2021-02-30``, ``24:00:00`` are text)."""
    us = _US_DATE.match(value)
    if us is not None:  # 03/04/2021, 03-04-2021: month first, or day first
        a, b, year = (int(x) for x in us.group(1, 3, 4))
        hour, minute, second = (int(x or 0) for x in us.group(5, 6, 7))
        return (_real(year, a, b) or _real(year, b, a)) and hour < 24 and minute < 60 > second
    for layout in _DATES:
        m = layout.match(value)
        if m is not None:
            g = [int(x) for x in m.groups() if x is not None]
            return _real(*g[:3]) and (len(g) == 3 or (g[3] < 24 and g[4] < 60 and g[5] < 60))
    return False


def _real(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def infer_kind(values: Iterable[Any], empty_is_value: bool = False) -> str:
    """The narrowest kind every non-null string in ``values`` parses as.

    ``empty_is_value`` (``empty_as_string: true``): an empty string is a value, and only a
    string column holds it.
    """
    vals = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if empty_is_value and "" in vals:
        return "string"
    vals = [v for v in vals if v != ""]
    if not vals:
        return "string"
    if all(v.strip() in _BOOL_WORDS for v in vals):
        return "boolean"
    if all(_INT.match(v) for v in vals):
        # an int no int64 holds makes the column float, as in mltable
        return "int" if all(_I64.min <= int(v) <= _I64.max for v in vals) else "float"
    if all(_FLOAT.match(v) for v in vals):
        return "float"
    if all(is_date(v) for v in vals) and _one_order(vals):
        return "datetime"
    return "string"


def _one_order(vals: list[str]) -> bool:
    """Whether the column's ``03/04/2021`` dates read in one order per separator: a column with
    a date that is one only month first (``03/13/2021``) and one only day first (``13/03/2021``)
    is text (``13-03-2021`` and ``03/13/2021`` are dates)."""
    orders = set()
    for v in vals:
        us = _US_DATE.match(v)
        if us is not None:
            a, b, year = (int(x) for x in us.group(1, 3, 4))
            if _real(year, a, b) != _real(year, b, a):
                orders.add((us.group(2), _real(year, a, b)))
    return len(orders) == len({sep for sep, _ in orders})


def has_nulls(strings: pd.Series, kind: str) -> bool:
    """Whether converting these strings to ``kind`` (int / boolean) gives a null (vectorized)."""
    if strings.isna().any():
        return True
    if not len(strings):
        return False
    arr = pa.array(strings, from_pandas=True)  # zero-copy for pyarrow-backed text
    if kind == "int":
        ok = pc.match_substring_regex(arr, f"^{_NUMBER}$")
    else:
        words = pa.array(sorted(_BOOL_WORDS))
        ok = pc.is_in(value_parsing.strip(arr), value_set=words)
    return not pc.all(ok).as_py()


def base_kind(kind: str) -> str:
    """``int?`` -> ``int``: the conversion kind of a planned kind."""
    return kind.rstrip(NULLABLE)


def nullable(kind: str) -> str:
    """The planned kind of a column of ``kind`` that holds nulls."""
    return kind + NULLABLE if kind in ("int", "boolean") else kind


def arrow_type(kind: str) -> pa.DataType:
    kind = base_kind(kind)
    return {
        "boolean": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "datetime": pa.timestamp("ns"),
        "string": pa.string(),
    }[kind]


def convert(series: pd.Series, ctype: ColumnType | str) -> pd.Series:
    """Convert ``series`` to ``ctype``; values that do not convert become null.

    Column-wide (:mod:`daskprs.data.value_parsing`): the same result as converting each value.
    """
    ct = ColumnType(base_kind(ctype)) if isinstance(ctype, str) else ctype
    kind = ct.name
    if kind == "object":
        return series.astype(object).where(series.notna(), None)
    if kind in ("string", "stream_info"):
        if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
            series.dtype
        ):
            return series
        return value_parsing.to_text(series, STRING_DTYPE)
    if kind in ("int", "float"):
        if kind == "int":
            return to_int64(int_numbers(series))
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            return series.astype("float64")
        return value_parsing.to_number(series).astype("float64")
    if kind == "boolean":
        return _to_bool(series, ct)
    if kind == "datetime":
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            return series
        return value_parsing.to_datetime(series, ct.formats, DATE_FORMATS)
    raise ValueError(f"unknown column type {kind!r}")


_TWO63 = 2.0**63
_I64 = np.iinfo(np.int64)


def int_numbers(series: pd.Series) -> pd.Series:
    """The numbers an int conversion starts from: float64, truncated (``"1.5"`` -> 1), as
    mltable converts; the text ``nan`` is the number NaN, which mltable's int makes 0 (a null
    or a value that is not a number stays null)."""
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        num = series.astype("float64")  # a float column's inf is null (its text "inf" saturates)
        return np.trunc(num.where(np.isfinite(num)))
    if value_parsing.value_kind(series) == "datetime":  # no number: null, as in mltable
        return pd.Series(np.nan, index=series.index, dtype="float64")
    num = value_parsing.to_number(series).astype("float64")
    missing = num.isna().to_numpy()
    if missing.any():
        words = value_parsing.stripped_objects(series[missing])
        text = words.where([isinstance(v, str) for v in words])  # dates, bytes...: no number
        nan_text = text.str.fullmatch(r"[+-]?nan", case=False).fillna(False).to_numpy(dtype=bool)
        num[np.flatnonzero(missing)[nan_text]] = 0.0
    return np.trunc(num)


def to_int64(num: pd.Series) -> pd.Series:
    """Truncated numbers (float64) as mltable's ints: int64, or float64 when one is null.

    A number outside int64's range (``inf``, ``1e400``, ``1e19``) is the nearest bound, as
    mltable saturates it (with a null in the column, the float64 nearest to the bound).
    """
    values = num.to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(values).any():
        return pd.Series(np.clip(values, -_TWO63, _TWO63), index=num.index)
    out = np.empty(len(values), np.int64)
    high, low = values >= _TWO63, values < -_TWO63
    inside = ~(high | low)
    out[inside] = values[inside].astype(np.int64)
    out[high], out[low] = _I64.max, _I64.min
    return pd.Series(out, index=num.index)


# pandas' own dtype for text: ``str`` (StringDtype, NaN for missing) in pandas 3, object in 2
STRING_DTYPE: Any = pd.Series(["a"]).dtype


def _to_bool(series: pd.Series, ct: ColumnType) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series
    return value_parsing.to_bool(
        series,
        set(ct.true_values) if ct.true_values else None,
        set(ct.false_values) if ct.false_values else None,
        ct.mismatch_as,
    )


def apply_kinds(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Convert the columns of ``df`` to the planned kinds, with their planned dtypes."""
    for col, kind in kinds.items():
        if col in df.columns and kind != "string":
            df[col] = conform_series(df[col], kind, col)
    return df


def planned_dtype(kind: str) -> Any:
    """The pandas dtype of a planned kind (mltable's ``to_pandas_dataframe()`` representation)."""
    return _PLANNED_DTYPES[kind]


_PLANNED_DTYPES: dict[str, Any] = {
    "int": np.dtype("int64"),
    "int?": np.dtype("float64"),
    "float": np.dtype("float64"),
    "boolean": np.dtype(bool),
    "boolean?": np.dtype(object),
    "datetime": np.dtype("datetime64[ns]"),
    "string": STRING_DTYPE,
    "object": np.dtype(object),
}
_OBJECT = np.dtype(object)
_warned: set[tuple[str, str]] = set()


def _late_null(col: str, kind: str) -> None:
    if (col, kind) not in _warned:
        _warned.add((col, kind))
        _log.warning(
            "column %r was planned as %s without nulls from the first rows of the table, but this "
            "mini batch has nulls (or values that are not %s), so its %r column is %s here; to "
            "fix the schema, set its type with infer_column_types.column_type_overrides (or, for "
            "a column of convert_column_types, convert it to %s)",
            col,
            kind,
            kind,
            col,
            "float64" if kind == "int" else "object",
            "float" if kind == "int" else "string",
        )


def conform_series(series: pd.Series, kind: str, col: str = "") -> pd.Series:
    """``series`` (as a parser gave it) with the planned kind's dtype; see :func:`conform`."""
    want = planned_dtype(kind)
    have = series.dtype
    if have == want and want != _OBJECT:
        return series
    if kind == "object":
        return series.astype(object).where(series.notna(), None)
    base = base_kind(kind)
    if base == "int":
        if have.kind == "u":  # pandas reads 2**63.. as uint64: saturated, as mltable
            return pd.Series(np.minimum(series.to_numpy(), _I64.max).astype(want), series.index)
        if have.kind in "ib":
            return series.astype(want)
        out = to_int64(int_numbers(series))
        if kind == "int?":
            return out.astype("float64")
        if out.dtype.kind == "f":
            _late_null(col, kind)  # int64 cannot hold a null: this mini batch is float64
        return out
    if base == "boolean":
        out = series if have.kind == "b" else _to_bool(series, ColumnType("boolean"))
        if kind == "boolean?":
            return out.astype(object).where(out.notna(), None)
        if out.dtype.kind != "b":
            _late_null(col, kind)  # numpy bool cannot hold a null: this mini batch is object
        return out
    if kind == "float" and have.kind in "iub":
        return series.astype("float64")
    return convert(series, kind)


def conform(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Give every column of ``df`` its planned dtype (``kinds``; absent: string).

    Every mini batch of one table then has the same dtypes, those mltable gives the whole table.
    The one exception (logged): a column planned ``int`` / ``boolean`` because the planning scan
    saw no null, with a null (or a value that does not convert) in this mini batch: int64 and
    bool cannot hold it, so the mini batch's column is float64 / object, as mltable gives it.
    """
    for col, have in zip(df.columns, df.dtypes, strict=True):
        kind = kinds.get(col, "string")
        want = planned_dtype(kind)
        if have != want or want == _OBJECT:
            df[col] = conform_series(df[col], kind, col)
    return df


def conform_nullable(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Parquet: the planned int / boolean columns with nulls in the table (``int?`` /
    ``boolean?``) are float64 / object in every mini batch, also in one without a null.

    The other columns keep Arrow's types (int32 stays int32, as mltable gives it).
    """
    for col, kind in kinds.items():
        if col not in df.columns:
            continue
        have = df[col].dtype
        if kind == "int?" and have.kind in "iu":
            df[col] = df[col].astype("float64")
        elif kind == "boolean?" and have.kind == "b":
            df[col] = df[col].astype(object)
    return df


def conform_output(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Give the columns of a transformed mini batch their planned output kinds (``kinds``).

    The plan (:func:`daskprs.data.schema.planned_table`) covers the columns whose dtype depends on
    nulls: int (int64, or float64 with nulls) and boolean (bool, or object with nulls), after
    ``convert_column_types``, ``filter``, ``take``... Values are already converted; only the
    representation changes. A null in a column planned without nulls is :func:`conform`'s logged
    exception.
    """
    for col, kind in kinds.items():
        if col not in df.columns:
            continue
        series = df[col]
        have, want = series.dtype, planned_dtype(kind)
        if have == want:
            continue
        if kind == "int" and have.kind == "f" and not series.isna().any():
            df[col] = to_int64(np.trunc(series))
        elif kind == "int?" and have.kind in "iub":
            df[col] = series.astype("float64")
        elif kind == "boolean?" and have.kind == "b":
            df[col] = series.astype(object)
        else:
            df[col] = conform_series(series, kind, col)
    return df


def arrow_kind(t: pa.DataType) -> str | None:
    """A column's kind from its Arrow type (JSON: pyarrow's inferred one); None: the null type."""
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
