"""Frames to comparable JSON: used by both sides of the differential test.

Imported by ``oracle_runner.py`` inside ``.venv-oracle`` (mltable's pandas) and by
``test_oracle_mltable.py`` inside ``.venv`` (ours), so it uses only pandas and the stdlib.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd


def _plain(v: Any) -> Any:
    """A nested value with its numpy arrays and scalars (at any depth) as Python values."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT or (isinstance(v, pd.Timestamp) and pd.isna(v)):
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return (
            pd.Timestamp(v).tz_localize(None).isoformat()
            if pd.Timestamp(v).tzinfo
            else pd.Timestamp(v).isoformat()
        )
    if isinstance(v, dt.date):
        return pd.Timestamp(v).isoformat()
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:  # a numpy scalar (no array)
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        return round(v, 9)
    if isinstance(v, (list, tuple, dict)) or hasattr(v, "tolist"):
        return json.dumps(_plain(v), default=str, sort_keys=True)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def family(series: pd.Series) -> str:
    """bool / int / float / datetime / string / nested / empty, looking inside object columns."""
    kind = series.dtype.kind
    if kind == "b":
        return "bool"
    if kind in "iu":
        return "int"
    if kind == "f":
        return "float"
    if kind == "M":
        return "datetime"
    values = [v for v in series.tolist() if value(v) is not None]
    if not values:
        return "empty"
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, (dt.datetime, pd.Timestamp)) for v in values):
        return "datetime"
    if all(isinstance(v, (list, dict)) or hasattr(v, "tolist") for v in values):
        return "nested"
    return "mixed"


def frame(df: Any) -> dict[str, Any]:
    if isinstance(df, list):  # a file list
        return {"files": [str(p) for p in df]}
    return {
        "columns": [str(c) for c in df.columns],
        "families": [family(df[c]) for c in df.columns],
        "rows": [[value(v) for v in row] for row in df.itertuples(index=False, name=None)],
    }
