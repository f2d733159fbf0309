"""The ``filter`` transformation: mltable's expression syntax, evaluated on a pandas DataFrame.

Accepted: column references ``col("name")`` (any name) or bare identifiers, string / number /
boolean literals, ``== != < <= > >=``, ``and or not`` (also ``& | ~``), ``+ - * /``,
parentheses, and the string methods ``.startswith(s)``, ``.endswith(s)``, ``.contains(s)``
(as in ``col("a").startswith("x")``). The expression is parsed with :mod:`ast` — never
``eval``ed. Comparing a numeric or datetime column with a string literal converts the literal to
the column's type first (``target > "0.5"`` works on a float column), as mltable does.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

Evaluator = Callable[[pd.DataFrame], Any]

_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_BIN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
}
_HELP = (
    'valid filter expressions use col("name") or bare column names, literals, '
    "== != < <= > >=, and/or/not, + - * /, and .startswith/.endswith/.contains"
)


class _Column:
    def __init__(self, name: str) -> None:
        self.name = name


def _coerce(series: pd.Series, literal: Any) -> Any:
    if isinstance(literal, str):
        if pd.api.types.is_bool_dtype(series.dtype):
            low = literal.strip().lower()
            if low in ("true", "false"):
                return low == "true"
        elif pd.api.types.is_numeric_dtype(series.dtype):
            try:
                return float(literal)
            except ValueError:
                return literal
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            try:
                return pd.Timestamp(literal)
            except ValueError:
                return literal
    return literal


def _compare(op: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
    if isinstance(left, pd.Series) and not isinstance(right, pd.Series):
        right = _coerce(left, right)
    elif isinstance(right, pd.Series) and not isinstance(left, pd.Series):
        left = _coerce(right, left)
    result = op(left, right)
    if isinstance(result, pd.Series):
        return result.fillna(False).astype(bool)
    return result


def _compile(node: ast.AST) -> Evaluator:
    if isinstance(node, ast.Expression):
        return _compile(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        value = node.value
        return lambda df: value
    if isinstance(node, ast.Name):
        name = node.id
        if name in ("true", "True"):
            return lambda df: True
        if name in ("false", "False"):
            return lambda df: False
        return lambda df: _column(df, name)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "col"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        cname = node.args[0].value
        return lambda df: _column(df, cname)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and len(node.args) == 1:
        method = node.func.attr
        if method in ("startswith", "endswith", "contains"):
            target, arg = _compile(node.func.value), _compile(node.args[0])

            def str_method(df: pd.DataFrame) -> Any:
                s = target(df).astype(object)
                a = arg(df)
                mask = s.notna()
                out = pd.Series(False, index=s.index)
                vals = s[mask].astype(str)
                fn = {"startswith": vals.str.startswith, "endswith": vals.str.endswith}.get(method)
                out[mask] = fn(a) if fn else vals.str.contains(a, regex=False)
                return out

            return str_method
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        return lambda df: functools.reduce(combine, (_as_mask(p(df), df) for p in parts))
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return lambda df: ~_as_mask(inner(df), df)
        if isinstance(node.op, ast.USub):
            return lambda df: -inner(df)
    if isinstance(node, ast.Compare):
        left = _compile(node.left)
        pairs = [
            (_CMP[type(op)], _compile(c))
            for op, c in zip(node.ops, node.comparators, strict=True)
            if type(op) in _CMP
        ]
        if len(pairs) != len(node.ops):
            raise ValueError(f"unsupported comparison in filter expression; {_HELP}")

        def compare(df: pd.DataFrame) -> Any:
            result: Any = True
            lhs = left(df)
            for op, rhs_fn in pairs:
                rhs = rhs_fn(df)
                result = result & _compare(op, lhs, rhs)
                lhs = rhs
            return result

        return compare
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        op = _BIN[type(node.op)]
        lhs, rhs = _compile(node.left), _compile(node.right)
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            return lambda df: op(_as_mask(lhs(df), df), _as_mask(rhs(df), df))
        return lambda df: op(lhs(df), rhs(df))
    raise ValueError(f"unsupported syntax {ast.dump(node)[:60]!r} in filter expression; {_HELP}")


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        raise KeyError(
            f"filter expression names column {name!r}, which is not in {list(df.columns)}"
        )
    return df[name]


def _as_mask(value: Any, df: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.fillna(False).astype(bool)
    return pd.Series(np.full(len(df), bool(value)), index=df.index)


@functools.lru_cache(maxsize=128)
def compile_filter(expression: str) -> Evaluator:
    """Compile ``expression``; the result maps a DataFrame to a boolean mask. ValueError if invalid."""
    text = expression.strip()
    # mltable writes 'and' / 'or' / 'not' like Python; it also accepts && and ||
    text = text.replace("&&", " and ").replace("||", " or ")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(
            f"cannot parse filter expression {expression!r}: {exc.msg}; {_HELP}"
        ) from None
    return _compile(tree)


def apply_filter(df: pd.DataFrame, expression: str) -> pd.DataFrame:
    mask = _as_mask(compile_filter(expression)(df), df)
    return df[mask.to_numpy()].reset_index(drop=True)
