"""The per-value conversions of the data layer before issue 16 (commit 1fb62bc), kept verbatim
as the reference the vectorized ones (daskprs/data/value_parsing.py) are compared with:
``test_value_parsing.py`` checks both give the same values and dtypes on generated columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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
            num = np.trunc(num)  # mltable truncates: "1.5" -> 1
            if num.notna().all():
                return num.astype("int64")
            return num.astype("float64")
        return num.astype("float64")
    if kind == "boolean":
        return _to_bool(series, ct)
    if kind == "datetime":
        return _to_datetime(series, ct)
    raise ValueError(f"unknown column type {kind!r}")


def _to_str(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # mltable writes 0.0 as "0"
    return str(v)


def _to_bool(series: pd.Series, ct: ColumnType) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series
    true_values = set(ct.true_values) if ct.true_values else None
    false_values = set(ct.false_values) if ct.false_values else None

    def one(v: Any) -> Any:
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
            low = s.strip().lower()
            if low in ("true", "t", "1"):
                return True
            if low in ("false", "f", "0"):
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


def _to_datetime(series: pd.Series, ct: ColumnType) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    s = _strings(series).map(lambda v: v.strip() if isinstance(v, str) else v)
    if not ct.formats:
        out = pd.to_datetime(s, errors="coerce", format="ISO8601")
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        out = out.astype("datetime64[ns]")
        for fmt in DATE_FORMATS:
            missing = out.isna() & s.notna()
            if not missing.any():
                break
            out[missing] = pd.to_datetime(s[missing], errors="coerce", format=fmt)
    else:
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        for fmt in ct.formats:
            missing = out.isna()
            if not missing.any():
                break
            parsed = pd.to_datetime(s[missing], errors="coerce", format=fmt)
            out[missing] = parsed
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
        if have.kind in "iub":
            return series.astype(want)
        if have.kind == "f":
            num = np.trunc(series) if not _integral(series) else series
        else:
            num = convert(series, "float")
            num = np.trunc(num)
        if kind == "int?":
            return num.astype("float64")
        if num.isna().any():
            pass  # int64 cannot hold a null: this mini batch is float64
            return num.astype("float64")
        return num.astype("int64")
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


def _integral(series: pd.Series) -> bool:
    values = series.to_numpy()
    return bool(np.all(np.isnan(values) | (values == np.round(values))))
