"""The per-value conversions of the data layer before issue 16 (commit 1fb62bc), kept verbatim
as the reference the vectorized ones (daskprs/data/value_parsing.py) are compared with:
``test_value_parsing.py`` checks both give the same values and dtypes on generated columns.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from daskprs.data import value_parsing
from daskprs.data.column_types import DATE_FORMATS, STRING_DTYPE, base_kind, planned_dtype
from daskprs.data.model import ColumnType

_OBJECT = np.dtype(object)


def _strings(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None)


def convert(series: pd.Series, ctype: ColumnType | str) -> pd.Series:
    """Convert ``series`` to ``ctype``; values that do not convert become null."""
    ct = ColumnType(base_kind(ctype)) if isinstance(ctype, str) else ctype
    kind = ct.name
    if kind == "object":
        return series.astype(object).where(series.notna(), None)
    if kind in ("string", "stream_info"):
        if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
            series.dtype
        ):
            return series
        obj = series.astype(object).where(series.notna(), None)
        out = obj.map(lambda v: v if v is None or isinstance(v, str) else _to_str(v))
        return out.astype(STRING_DTYPE)
    if kind in ("int", "float"):
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            num = series.astype("float64")
        else:
            num = pd.to_numeric(
                _strings(series).map(lambda v: v.strip() if isinstance(v, str) else v),
                errors="coerce",
            )
        if kind == "int":
            return _ints(series, num)
        return num.astype("float64")
    if kind == "boolean":
        return _to_bool(series, ct)
    if kind == "datetime":
        return _to_datetime(series, ct)
    raise ValueError(f"unknown column type {kind!r}")


def _ints(series: pd.Series, num: pd.Series) -> pd.Series:
    """mltable's int, value by value (oracle cases convert_int_non_finite and
    csv_late_int_non_finite): truncated, saturated to int64's range, the text "nan" is 0."""
    texts = (
        [None] * len(series)
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
        else list(_strings(series))
    )
    values = []
    for v, t in zip(num.astype("float64"), texts, strict=True):
        if np.isnan(v) and isinstance(t, str) and re.fullmatch(r"[+-]?nan", t.strip(), re.I):
            v = 0.0
        if np.isinf(v) and t is None:  # a number column's inf: null (text "inf" saturates)
            v = np.nan
        values.append(v if np.isnan(v) else float(np.trunc(v)))
    if any(np.isnan(v) for v in values):
        return pd.Series([min(max(v, -(2.0**63)), 2.0**63) for v in values], index=series.index)
    big = np.iinfo(np.int64)
    ints = [big.max if v >= 2.0**63 else big.min if v < -(2.0**63) else int(v) for v in values]
    return pd.Series(ints, index=series.index, dtype="int64")


def _to_str(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and np.isfinite(v):  # mltable: shortest digits, never an exponent
        return "-0" if v == 0 and np.signbit(v) else np.format_float_positional(v, trim="-")
    if isinstance(v, pd.Timestamp):  # mltable: RFC 3339, a fraction of 3, 6 or 9 digits
        frac = v.microsecond * 1000 + v.nanosecond
        digits = f"{frac:09d}"
        n = 0 if not frac else 3 if frac % 10**6 == 0 else 6 if frac % 1000 == 0 else 9
        return v.strftime("%Y-%m-%dT%H:%M:%S") + ("." + digits[:n] if n else "") + "+00:00"
    return str(v)


def _to_bool(series: pd.Series, ct: ColumnType) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series
    true_values = set(ct.true_values) if ct.true_values else None
    false_values = set(ct.false_values) if ct.false_values else None

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or isinstance(v, pd.Timestamp):
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
            if word in ("true", "True", "TRUE", "t", "T", "Yes", "YES", "Y", "1"):
                return True
            if word in ("false", "False", "FALSE", "f", "F", "No", "NO", "N", "0"):
                return False
        if ct.mismatch_as == "true":
            return True
        if ct.mismatch_as == "false":
            return False
        return None

    out = series.astype(object).map(one)
    if out.notna().all():
        return out.astype(bool)
    return out


def _date(v: Any, fmt: str) -> Any:
    """One value: the instant it is in ``fmt`` (UTC when it has a zone), else NaT (since the
    typed-path tests of 2026-12-03: a value pandas cannot place is a null, not an error). The
    data layer's own per-value rule: the column-wide parse is what these tests check."""
    return pd.NaT if v is None else value_parsing._parse_date(v, fmt)


def _to_datetime(series: pd.Series, ct: ColumnType) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    if series.dtype.kind in "biuf":  # numbers and booleans hold no date (mltable: null; h16f)
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    s = _strings(series).map(lambda v: v.strip() if isinstance(v, str) else v)
    if not ct.formats:
        out = pd.Series([_date(v, "ISO8601") for v in s], index=s.index, dtype="datetime64[ns]")
        for fmt in DATE_FORMATS:
            missing = out.isna() & s.notna()
            if not missing.any():
                break
            out[missing] = [_date(v, fmt) for v in s[missing]]
    else:
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        for fmt in [f for g in ct.formats for f in dict.fromkeys((g, g.replace(".%f", "")))]:
            missing = out.isna()
            if not missing.any():
                break
            out[missing] = [_date(v, fmt) for v in s[missing]]
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.astype("datetime64[ns]")


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
        if have.kind == "u":  # past int64: saturated, as mltable
            big = np.iinfo(np.int64).max
            return pd.Series([min(int(v), big) for v in series], series.index).astype(want)
        if have.kind in "ib":
            return series.astype(want)
        out = convert(series, "int")
        if kind == "int?":
            return out.astype("float64")
        return out
    if base == "boolean":
        out = series if have.kind == "b" else _to_bool(series, ColumnType("boolean"))
        if kind == "boolean?":
            return out.astype(object).where(out.notna(), None)
        if out.dtype.kind != "b":
            pass  # numpy bool cannot hold a null: this mini batch is object
        return out
    if kind == "float" and have.kind in "iub":
        return series.astype("float64")
    return convert(series, kind)
