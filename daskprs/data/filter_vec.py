"""Column-wide values of a ``filter`` expression: :class:`Vec` (values, a null mask and one
kind), conversions from and to pandas / Python objects, comparison and arithmetic.

Operands mixing kinds (a JSON column of numbers and texts) are evaluated value by value with
the per-row rule of :mod:`daskprs.data.filter_values`.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from daskprs.data import filter_values as fv
from daskprs.data.filter_values import DT

NUMBERS = ("int", "float")
SIMPLE = ("bool", "int", "float", "str", "dt")
_ORDER = {"bool": 0, "int": 1, "float": 1, "str": 2, "dt": 3}
CMP: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_I64 = (-(2**63), 2**63 - 1)


@dataclass
class Vec:
    """One operand for a set of rows: ``kind`` is null, bool, int (int64), float, str (object
    array of str), dt (int64 nanoseconds) or obj (Python values of several kinds)."""

    kind: str
    values: np.ndarray
    null: np.ndarray

    def __len__(self) -> int:
        return len(self.null)

    def take(self, idx: np.ndarray) -> Vec:
        return Vec(self.kind, self.values[idx], self.null[idx])


def null_vec(n: int) -> Vec:
    return Vec("null", np.zeros(n, bool), np.ones(n, bool))


def const(value: Any, n: int) -> Vec:
    """A literal (or constant) value for ``n`` rows."""
    k = fv.kind(value)
    if k == "null":
        return null_vec(n)
    none = np.zeros(n, bool)
    if k == "bool":
        return Vec("bool", np.full(n, value, bool), none)
    if isinstance(value, int) and _I64[0] <= value <= _I64[1]:
        return Vec("int", np.full(n, value, np.int64), none)
    if isinstance(value, float):
        return Vec("float", np.full(n, value, np.float64), none)
    if k == "str":
        return Vec("str", np.full(n, value, object), none)
    if isinstance(value, DT) and _I64[0] <= value.ns <= _I64[1]:
        return Vec("dt", np.full(n, value.ns, np.int64), none)
    values = np.empty(n, object)
    values[:] = [value] * n
    return Vec("obj", values, none)


def from_series(series: pd.Series) -> Vec:
    """A column of a mini batch (its nulls: None / NaN / NaT)."""
    dtype = series.dtype
    null = series.isna().to_numpy(dtype=bool)
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return Vec("bool", series.to_numpy(), null)
    if isinstance(dtype, np.dtype) and dtype.kind == "i":
        return Vec("int", series.to_numpy(np.int64), null)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return Vec("float", series.to_numpy(np.float64), null)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = series.astype("datetime64[ns]").to_numpy().view(np.int64)
        return Vec("dt", ns, null)
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in ("string", "empty") and pd.api.types.is_string_dtype(dtype):
        if inferred == "empty":
            return null_vec(len(series))
        return Vec("str", np.where(null, "", series.to_numpy(object)), null)
    if inferred == "boolean":
        return Vec("bool", np.where(null, False, series.to_numpy(object)).astype(bool), null)
    values = series.to_numpy(object).copy()
    values[null] = None
    return from_objects(object_array([python_value(v) for v in values]))


def python_value(v: Any) -> Any:
    """A value of an object column as the per-row rule sees it."""
    if isinstance(v, (np.bool_, np.integer, np.floating)):
        return v.item()
    if isinstance(v, pd.Timestamp):
        ts = v.tz_convert("UTC").tz_localize(None) if v.tzinfo else v
        return DT(int(ts.value))
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):  # a parquet date column
        return DT((v - dt.date(1970, 1, 1)).days * 86_400 * 10**9)
    if isinstance(v, np.ndarray):
        return [python_value(x) for x in v.tolist()]
    if isinstance(v, list):
        return [python_value(x) for x in v]
    return v


def objects(vec: Vec) -> np.ndarray:
    """The per-row Python values (None for null)."""
    n = len(vec)
    if vec.kind == "null":
        return np.full(n, None, object)
    if vec.kind == "dt":
        out = np.array([DT(int(x)) for x in vec.values], dtype=object)
    elif vec.kind == "obj":
        out = vec.values.copy()
    else:
        out = np.empty(n, object)
        out[:] = vec.values.tolist()
    out[vec.null] = None
    return out


def from_objects(values: np.ndarray) -> Vec:
    """Per-row Python values to the narrowest Vec that holds them."""
    n = len(values)
    null = np.array([v is None for v in values], dtype=bool)
    kinds = {fv.kind(v) for v in values[~null]}
    live = values[~null]
    if not kinds:
        return null_vec(n)
    out: np.ndarray | None = None
    if kinds == {"bool"}:
        out, kind = np.zeros(n, bool), "bool"
    elif kinds == {"num"} and all(isinstance(v, int) for v in live):
        if all(_I64[0] <= v <= _I64[1] for v in live):
            out, kind = np.zeros(n, np.int64), "int"
    elif kinds == {"num"} and all(isinstance(v, float) for v in live):
        out, kind = np.zeros(n, np.float64), "float"
    elif kinds == {"str"}:
        out, kind = np.full(n, "", object), "str"
    elif kinds == {"dt"} and all(_I64[0] <= v.ns <= _I64[1] for v in live):
        out, kind = np.zeros(n, np.int64), "dt"
        live = np.array([v.ns for v in live], dtype=object)
    if out is None:
        return Vec("obj", values, null)
    out[~null] = list(live)
    return Vec(kind, out, null)


def merge(n: int, parts: list[tuple[np.ndarray, Vec]]) -> Vec:
    """One Vec of ``n`` rows from Vecs of some of them (``idx`` positions)."""
    parts = [(idx, v) for idx, v in parts if len(idx)]
    kinds = {v.kind for _, v in parts} - {"null"}
    if len(kinds) > 1 or "obj" in kinds:
        out = np.full(n, None, object)
        for idx, v in parts:
            out[idx] = objects(v)
        return from_objects(out)
    if not kinds:
        return null_vec(n)
    kind = kinds.pop()
    first = next(v for _, v in parts if v.kind == kind)
    values = np.zeros(n, first.values.dtype) if kind != "str" else np.full(n, "", object)
    null = np.ones(n, bool)
    for idx, v in parts:
        if v.kind == kind:
            values[idx], null[idx] = v.values, v.null
    return Vec(kind, values, null)


def object_array(values: list[Any]) -> np.ndarray:
    """A 1-d object array of ``values`` (lists stay values)."""
    out = np.empty(len(values), object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def apply_rows(fn: Callable[..., Any], *columns: np.ndarray) -> np.ndarray:
    return object_array([fn(*row) for row in zip(*columns, strict=True)])


def compare(op: str, a: Vec, b: Vec) -> Vec:
    null = a.null | b.null
    n = len(null)
    with np.errstate(invalid="ignore"):
        if a.kind in NUMBERS and b.kind in NUMBERS or a.kind == b.kind and a.kind != "str":
            if a.kind in ("null", "obj"):
                return _compare_objects(op, a, b) if a.kind == "obj" else null_vec(n)
            values = np.asarray(CMP[op](a.values, b.values), dtype=bool)
        elif a.kind == b.kind == "str":
            values = np.asarray(CMP[op](a.values, b.values), dtype=bool)
        elif a.kind in SIMPLE and b.kind in SIMPLE:
            values = np.full(n, CMP[op](_ORDER[a.kind], _ORDER[b.kind]), bool)
        elif "null" in (a.kind, b.kind):
            return null_vec(n)
        else:
            return _compare_objects(op, a, b)
    return Vec("bool", values & ~null, null)


def _compare_objects(op: str, a: Vec, b: Vec) -> Vec:
    try:
        return from_objects(apply_rows(functools.partial(fv.compare, op), objects(a), objects(b)))
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def arithmetic(op: str, a: Vec, b: Vec, null: np.ndarray) -> Vec:
    """Arithmetic of two number Vecs (divisors already checked)."""
    x, y = a.values, b.values
    ints = a.kind == b.kind == "int"
    with np.errstate(all="ignore"):
        if op in ("+", "-", "*"):
            fn = {"+": np.add, "-": np.subtract, "*": np.multiply}[op]
            return Vec("int" if ints else "float", fn(x, y) if ints else fn(x * 1.0, y), null)
        if op == "**":
            return Vec("float", np.power(x.astype(float), y.astype(float)), null)
        y = np.where(null | (y == 0), 1, y)
        if op == "/":
            return Vec("float", x / y, null)
        if op == "%":
            return Vec(
                "int" if ints else "float", np.mod(x, y) if ints else np.mod(x * 1.0, y), null
            )
        if ints:  # // toward zero
            q = np.floor_divide(x, y)
            q = q + ((np.mod(x, y) != 0) & ((x < 0) != (y < 0)))
            return Vec("int", q, null)
        return Vec("float", np.floor_divide(x * 1.0, y), null)
