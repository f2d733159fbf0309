"""Whole-column conversions of values (text, numbers, booleans) to a kind, vectorized.

:func:`daskprs.data.column_types.convert` calls these. Each works on a whole column at once
(``pyarrow.compute`` on text, numpy on numbers, pandas' parsers on strings) and gives exactly
what converting each value on its own gives (the per-value rules are in the docstrings; the
tests compare both on generated columns, ``tests/data/test_value_parsing.py``):

- text is stripped as Python's ``str.strip()`` strips it (every character ``str.isspace()``
  accepts, not only ASCII blanks) before it is parsed as a number, a boolean or a datetime;
- booleans: :data:`TRUE_WORDS` / :data:`FALSE_WORDS` (``true``, ``True``, ``TRUE``, ``t``, ``T``,
  ``Yes``, ``YES``, ``Y``, ``1``...; not ``tRuE`` nor ``yes``, as mltable), or exactly the
  ``true_values`` / ``false_values`` of the conversion when it names both; a number is true
  when it is not 0; anything else is ``mismatch_as`` (true, false, else null);
- datetimes: ISO 8601 (then ``2020/01/02`` and ``01/02/2020``), or the conversion's formats in
  order; the first that parses wins, otherwise null. ISO 8601 text goes through Arrow's parser
  when it accepts every value of the column (what it accepts, pandas parses to the same
  instant), else through pandas'.

An ``object`` column whose values are of several Python types (JSON lines: numbers and text
in one column) has no column-wide operation; its values are converted one by one, as before
(so are the nulls of a boolean ``object`` column, to tell None and NaN from other nulls).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# The characters Python's str.strip() removes: those for which str.isspace() is true.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# mltable's boolean words (stripped, case as written: ``tRuE`` and ``yes`` are not booleans)
TRUE_WORDS = ("true", "True", "TRUE", "t", "T", "Yes", "YES", "Y", "1")
FALSE_WORDS = ("false", "False", "FALSE", "f", "F", "No", "NO", "N", "0")
_NO_STR = ("integer", "floating", "mixed-integer-float", "boolean", "empty")


def value_kind(series: pd.Series) -> str:
    """``text`` (strings and nulls only), ``number`` / ``bool`` (numpy dtypes), ``datetime``,
    ``no_text`` (an object column without a string), else ``mixed``."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "b":
            return "bool"
        if dtype.kind in "iuf":
            return "number"
        if dtype.kind == "M":
            return "datetime"
        if dtype.kind == "O":
            inferred = pd.api.types.infer_dtype(series, skipna=True)
            if inferred in ("string", "empty"):
                return "text"
            return "no_text" if inferred in _NO_STR else "mixed"
        return "mixed"
    if pd.api.types.is_string_dtype(dtype):
        return "text"
    return "mixed"


def arrow_text(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column (see :func:`value_kind`) as Arrow strings; zero-copy when Arrow-backed."""
    return pa.array(series, type=None if series.dtype != object else pa.string(), from_pandas=True)


def strip(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Python's ``str.strip()`` on every value."""
    return pc.utf8_trim(arr, characters=PY_WHITESPACE)


def _changed(before: Any, after: Any) -> bool:
    return bool(pc.sum(pc.utf8_length(before)).as_py() != pc.sum(pc.utf8_length(after)).as_py())


def stripped_objects(series: pd.Series) -> pd.Series:
    """``series`` as an object column of stripped strings (None for nulls; other values kept).

    The input of pandas' parsers (``to_numeric``, ``to_datetime``), as the per-value code gave
    it: ``v.strip() if isinstance(v, str) else v``, nulls as None; a column without text then
    has the dtype pandas infers from its values (``Series.map`` did that).
    """
    kind = value_kind(series)
    if kind in ("number", "bool"):
        return series
    obj = series.astype(object).where(series.notna(), None)
    if kind == "no_text":
        return obj.infer_objects()
    if kind == "text":
        arr = arrow_text(series)
        out = strip(arr)
        if not _changed(arr, out):
            return obj
        values = out.to_numpy(zero_copy_only=False)
        return pd.Series(np.asarray(values, dtype=object), index=series.index, dtype=object)
    if kind == "mixed":  # several Python types: only the strings are stripped
        return obj.map(lambda v: v.strip() if isinstance(v, str) else v)
    return obj


def to_number(series: pd.Series) -> pd.Series:
    """Numbers (float64 or int64) from text; what does not parse is NaN (``to_numeric``)."""
    return pd.to_numeric(stripped_objects(series), errors="coerce")


# -- booleans --------------------------------------------------------------------------------
def _bool_value(v: Any, true_values: Any, false_values: Any, mismatch_as: str) -> Any:
    """One value to True / False / None: the rule every column-wide path below follows."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v != 0)
    s = str(v)
    if true_values is not None and false_values is not None:
        if s in true_values:
            return True
        if s in false_values:
            return False
    else:
        word = s.strip()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    if mismatch_as == "true":
        return True
    if mismatch_as == "false":
        return False
    return None


def _bool_series(truth: np.ndarray, null: np.ndarray, index: pd.Index) -> pd.Series:
    """bool when no value is null, else object (True / False / None)."""
    if not null.any():
        return pd.Series(truth.astype(bool), index=index)
    out = truth.astype(object)
    out[null] = None
    return pd.Series(out, index=index, dtype=object)


def _text_truth(
    arr: Any, true_values: Any, false_values: Any, mismatch_as: str
) -> tuple[np.ndarray, np.ndarray]:
    if true_values is not None and false_values is not None:
        words = arr  # exactly as written: no stripping, case counts
        trues, falses = list(true_values), list(false_values)
    else:
        words = strip(arr)
        trues, falses = list(TRUE_WORDS), list(FALSE_WORDS)
    is_true = pc.is_in(words, value_set=pa.array(trues, pa.string()))
    is_false = pc.is_in(words, value_set=pa.array(falses, pa.string()))
    is_true = np.asarray(pc.fill_null(is_true, False).to_numpy(zero_copy_only=False), dtype=bool)
    is_false = np.asarray(pc.fill_null(is_false, False).to_numpy(zero_copy_only=False), dtype=bool)
    null = np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), dtype=bool)
    mismatch = ~(is_true | is_false | null)
    truth = is_true
    if mismatch_as in ("true", "false"):
        truth = np.where(mismatch, mismatch_as == "true", is_true)
    else:
        null = null | mismatch
    return truth, null


def to_bool(
    series: pd.Series, true_values: Any = None, false_values: Any = None, mismatch_as: str = ""
) -> pd.Series:
    """Booleans: bool, or object (True / False / None) when a value is null.

    ``true_values`` / ``false_values``: sets of exact strings, used when both are given.
    """
    kind = value_kind(series)
    if kind == "bool":
        return series
    if kind == "datetime":  # no boolean, whatever mismatch_as says (mltable)
        none = np.ones(len(series), bool)
        return _bool_series(np.zeros(len(series), bool), none, series.index)
    if kind == "number":
        values = series.to_numpy()
        null = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
        with np.errstate(invalid="ignore"):
            return _bool_series(values != 0, null, series.index)
    if kind == "text":
        truth, null = _text_truth(arrow_text(series), true_values, false_values, mismatch_as)
        return _bool_series(truth, null, series.index)
    if kind == "no_text" and pd.api.types.infer_dtype(series, skipna=True) == "boolean":
        values = series.to_numpy(object)
        null = np.asarray(pd.isna(values), dtype=bool)
        if all(v is None or isinstance(v, float) for v in values[null]):  # None / NaN only
            truth = np.zeros(len(values), bool)
            truth[~null] = values[~null].astype(bool)
            return _bool_series(truth, null, series.index)
    elif kind == "no_text":
        try:  # Python numbers and nulls
            numbers = np.array(series.to_numpy(), dtype=float)
        except (OverflowError, TypeError, ValueError):
            pass
        else:
            with np.errstate(invalid="ignore"):
                return _bool_series(numbers != 0, np.isnan(numbers), series.index)
    one = [_bool_value(v, true_values, false_values, mismatch_as) for v in series.astype(object)]
    out = pd.Series(one, index=series.index, dtype=object)
    return out.astype(bool) if out.notna().all() else out


# -- text ------------------------------------------------------------------------------------
def _str_value(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and np.isfinite(v):
        return str(_float_text(np.array([v]))[0])
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return str(_datetime_text(np.array([v], dtype="datetime64[ns]"))[0])
    return str(v)


def _float_text(values: np.ndarray) -> np.ndarray:
    """Floats as mltable writes them (Rust's shortest digits, never an exponent): ``1.5``,
    ``3`` for 3.0, ``-0``, ``100000000000000000000`` for 1e20, ``0.0000001``; None for NaN."""
    text = values.astype(str)
    out = text.astype(object)
    finite = np.isfinite(values)
    small = finite & (values == np.trunc(values)) & (np.abs(values) < 1e16)
    out[small] = values[small].astype(np.int64).astype(str)
    for i in np.flatnonzero(finite & ~small & (np.char.find(text, "e") >= 0)):  # rare
        out[i] = np.format_float_positional(values[i], unique=True, trim="-")
    out[(values == 0) & np.signbit(values)] = "-0"
    out[np.isnan(values)] = None
    return out


_NS = 10**9
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": _NS}


def _datetime_text(values: np.ndarray) -> np.ndarray:
    """datetime64 values (any unit: a parquet date column is datetime64[s], years outside
    datetime64[ns]'s range included) as mltable writes them: ``2021-03-04T05:06:07+00:00``, a
    fraction of 3, 6 or 9 digits when there is one (``.500``, ``.123456``); None for NaT."""
    if not len(values):  # np.char.zfill cannot size an empty array
        return np.array([], dtype=object)
    per_second = _PER_SECOND.get(np.datetime_data(values.dtype)[0])
    if per_second is None:  # days, hours, minutes: whole seconds
        values, per_second = values.astype("datetime64[s]"), 1
    null = np.isnat(values)
    seconds, frac = np.divmod(np.where(null, 0, values.view(np.int64)), per_second)
    frac = frac * (_NS // per_second)  # nanoseconds
    out = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").astype("<U40")
    digits = np.char.zfill(frac.astype(str), 9)
    cut = np.where(frac % 10**6 == 0, 3, np.where(frac % 1000 == 0, 6, 9))
    for n in (3, 6, 9):
        at = (frac != 0) & (cut == n)
        if at.any():  # the first n of the 9 digits
            out[at] = np.char.add(np.char.add(out[at], "."), digits[at].astype(f"<U{n}"))
    result = np.char.add(out, "+00:00").astype(object)
    result[null] = None
    return result


def to_text(series: pd.Series, string_dtype: Any) -> pd.Series:
    """Text (``string_dtype``) as mltable writes it: booleans ``True`` / ``False``, floats
    (:func:`_float_text`), datetimes (:func:`_datetime_text`)."""
    kind = value_kind(series)
    if kind == "text":
        return series.where(series.notna(), None).astype(string_dtype)
    values = series.to_numpy()
    if kind == "bool":
        out = np.where(values, "True", "False").astype(object)
    elif kind == "number" and values.dtype.kind == "f":
        out = _float_text(values)
    elif kind == "number":
        out = values.astype(str).astype(object)
    elif kind == "datetime":
        out = _datetime_text(values)
    else:  # several Python types in one column: one by one
        obj = series.astype(object).where(series.notna(), None)
        out = np.array([_str_value(v) for v in obj], dtype=object)
    return pd.Series(out, index=series.index, dtype=object).astype(string_dtype)


# -- datetimes -------------------------------------------------------------------------------
def _naive(out: pd.Series) -> pd.Series:
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


_NOT_ISO = re.compile(r"\s*[0-9]{1,2}[/-]|[^/]*/")  # 03/04/2021, 03-04-2021, 2021/03/04


def _arrow_iso(series: pd.Series) -> pd.Series | None:
    """Arrow's ISO 8601 parser, when it accepts every value (None: let pandas parse it).

    Arrow accepts ``YYYY-MM-DD[(T| )hh[:mm[:ss[.f{1,9}]]]]`` within datetime64[ns]'s range
    and rejects the whole column otherwise (time zones, other layouts, invalid dates,
    surrounding blanks); pandas' ISO 8601 parser gives those strings the same instants.
    A first value with a ``/`` or a day / month first (03/04/2021, 03-04-2021: never Arrow's)
    skips the attempt, which costs as much as a parse.
    """
    first = series.first_valid_index()
    if first is not None and _NOT_ISO.match(str(series[first])):
        return None
    try:
        parsed = pc.cast(arrow_text(series), pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = (
        parsed.to_numpy(zero_copy_only=False) if isinstance(parsed, pa.Array) else parsed.to_numpy()
    )
    return pd.Series(values.astype("datetime64[ns]", copy=False), index=series.index)


def to_datetime(series: pd.Series, formats: tuple[str, ...], date_formats: tuple[str, ...]) -> Any:
    """datetime64[ns]: ISO 8601 then ``date_formats`` (no ``formats``), else ``formats``."""
    if value_kind(series) == "datetime":
        return series
    if value_kind(series) in ("number", "bool"):  # no date (mltable: null); pandas would warn
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")  # on inf, 1e300
    if not formats and value_kind(series) == "text":
        fast = _arrow_iso(series)
        if fast is not None:
            return fast
    s = stripped_objects(series)
    if not formats:
        out = _parse_dates(s, "ISO8601")
        marks: set[str] | None = None  # looked for once the first three formats are tried
        for i, fmt in enumerate(date_formats):
            missing = out.isna() & s.notna()
            if not missing.any():
                break
            if i >= 3:
                marks = _marks_of(s[missing]) if marks is None else marks
                if not _marks(fmt) <= marks:
                    continue
            out[missing] = _parse_dates(s[missing], fmt)
    else:
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        for fmt in _optional_fractions(formats):
            missing = out.isna()
            if not missing.any():
                break
            out[missing] = _parse_dates(s[missing], fmt)
    return _naive(out).astype("datetime64[ns]")


def _marks_of(s: pd.Series) -> set[str]:
    """The separators (``/``, ``-``, ``:``) some of these values hold: a format that needs
    another one reads none of them and is not tried (each try is a pass over the values)."""
    if not len(s):
        return set()
    arr = pa.array(s.astype(str), type=pa.string())
    return {m for m in "/-:" if pc.any(pc.match_substring(arr, m)).as_py()}


def _marks(fmt: str) -> set[str]:
    return {m for m in "/-" if m in fmt} | ({":"} if "%H" in fmt else set())


def _optional_fractions(formats: tuple[str, ...]) -> list[str]:
    """The formats, each with ``.%f`` followed by itself without it: a fraction of a second is
    optional in mltable's formats (``%H:%M:%S.%f`` reads ``05:06:07`` too)."""
    return [f for fmt in formats for f in dict.fromkeys((fmt, fmt.replace(".%f", "")))]


_HOUR_ONLY_OFFSET = r"[+-]\d\d$"


def _parse_dates(s: pd.Series, fmt: str) -> pd.Series:
    """datetime64[ns] (UTC for values with a zone) of the strings in ``fmt``; else NaT.

    Column-wide, unless pandas gives up on the column as a whole (values in several zones,
    or one it reads as a year out of range, ``"-0"``): then value by value, so that one odd
    value is a null and not the mini batch's failure.
    """
    try:  # OutOfBoundsDatetime is a ValueError: a year datetime64[ns] cannot hold
        out = _naive(pd.to_datetime(s, errors="coerce", format=fmt)).astype("datetime64[ns]")
    except ValueError:
        out = pd.Series([_parse_date(v, fmt) for v in s], index=s.index, dtype="datetime64[ns]")
    if "%z" in fmt:  # mltable's %z wants the minutes too: +02 is no offset (+0200, +02:00 are)
        out[s.astype(str).str.contains(_HOUR_ONLY_OFFSET)] = pd.NaT
    return out


def _parse_date(v: Any, fmt: str) -> Any:
    if "%z" in fmt and re.search(_HOUR_ONLY_OFFSET, str(v)):
        return pd.NaT
    try:
        t = pd.to_datetime(v, errors="coerce", format=fmt)
    except ValueError:
        return pd.NaT
    if t is not pd.NaT and t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return t if t is pd.NaT or pd.Timestamp.min <= t <= pd.Timestamp.max else pd.NaT
