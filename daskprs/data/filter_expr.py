"""The ``filter`` transformation: mltable's expression language, evaluated column-wide.

Parsing (what is accepted, with the position of what is not) is in
:mod:`daskprs.data.filter_parse`; the values and the rule for one row in
:mod:`daskprs.data.filter_values`. Here an expression runs on whole columns (numpy), with
each operand a :class:`~daskprs.data.filter_vec.Vec`: values, a null mask and one kind. ``and`` / ``or`` / ``if``
evaluate their right side only on the rows that need it, as mltable evaluates row by row
(``k != 0 and 10 / k > 1`` divides no row by zero). Operands mixing kinds (a JSON column of
numbers and texts) are evaluated value by value with the per-row rule.

One difference, on purpose: a column the expression names and the table does not have is an
error here (mltable reads it as null and keeps no row); see KNOWN_DIFFERENCES.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from daskprs.data import filter_parse as fp
from daskprs.data import filter_values as fv
from daskprs.data.filter_parse import FilterSyntaxError
from daskprs.data.filter_values import FilterError
from daskprs.data.filter_vec import (
    CMP,
    NUMBERS,
    Vec,
    apply_rows,
    arithmetic,
    compare,
    const,
    from_objects,
    from_series,
    merge,
    null_vec,
    object_array,
    objects,
)

__all__ = ["FilterError", "FilterSyntaxError", "apply_filter", "compile_filter"]

Evaluator = Callable[[pd.DataFrame], Any]


class _Run:
    """One evaluation of an expression on one DataFrame."""

    def __init__(self, expression: str, df: pd.DataFrame) -> None:
        self.expression = expression
        self.df = df
        self.n = len(df)
        self.columns: dict[str, Vec] = {}
        self.consts: dict[int, Any] = {}

    def fail(self, node: fp.Node, what: str) -> FilterError:
        return fv.error(self.expression, node, what)

    def column(self, name: str) -> Vec:
        if name not in self.columns:
            self.columns[name] = (
                from_series(self.df[name]) if name in self.df.columns else null_vec(self.n)
            )
        return self.columns[name]

    def eval(self, node: fp.Node, idx: np.ndarray) -> Vec:
        n = len(idx)
        if _constant(node):
            if not n:  # no row evaluates it (mltable evaluates row by row)
                return null_vec(0)
            if id(node) not in self.consts:
                self.consts[id(node)] = fv.evaluate_row(self.expression, node, {})
            return const(self.consts[id(node)], n)
        if isinstance(node, fp.Column):
            return self.column(node.name).take(idx)
        if isinstance(node, fp.Unary):
            return self.unary(node, self.eval(node.operand, idx))
        if isinstance(node, fp.Binary) and node.op in ("and", "or"):
            return self.logic(node, idx)
        if isinstance(node, fp.Binary):
            left, right = self.eval(node.left, idx), self.eval(node.right, idx)
            if node.op in CMP:
                return compare(node.op, left, right)
            return self.arithmetic(node, left, right)
        if isinstance(node, fp.Conditional):
            return self.conditional(node, idx)
        return self.rowwise(node, idx)

    def rowwise(self, node: fp.Node, idx: np.ndarray) -> Vec:
        """Calls and lists with values from the rows: the per-row rule, row by row."""
        if isinstance(node, fp.ListExpr):
            items = [objects(self.eval(i, idx)) for i in node.items]
            out = object_array([list(t) for t in zip(*items, strict=True)])
            return Vec("obj", out, np.zeros(len(idx), bool))
        assert isinstance(node, fp.Call)
        args = [objects(self.eval(a, idx)) for a in node.args]
        if node.name == "col":  # the column named by each row's value (null: none)
            names = [nm if isinstance(nm, str) else None for nm in args[0]]
            found = {nm: objects(self.column(nm)) for nm in set(names) if nm is not None}
            values = [
                None if nm is None else found[nm][i] for i, nm in zip(idx, names, strict=True)
            ]
            return from_objects(object_array(values))
        fn = fv.make_datetime if node.name == "datetime" else fv.starts_with
        try:
            return from_objects(apply_rows(fn, *args))
        except (TypeError, ValueError) as exc:
            raise self.fail(node, str(exc)) from None

    def unary(self, node: fp.Unary, v: Vec) -> Vec:
        if node.op == "+" or v.kind == "null":
            return v
        live = ~v.null
        if node.op == "-" and v.kind in NUMBERS:
            return Vec(v.kind, -v.values, v.null)
        if node.op == "not" and v.kind == "bool":
            return Vec("bool", ~v.values, v.null)
        if v.kind == "obj":
            fn = fv.negate if node.op == "-" else _not
            try:
                return from_objects(apply_rows(fn, objects(v)))
            except TypeError as exc:
                raise self.fail(node, str(exc)) from None
        if not live.any():
            return null_vec(len(v))
        what = "'-'" if node.op == "-" else "'not'"
        raise self.fail(node, f"{what} of {_KIND_NAMES[v.kind]}")

    def arithmetic(self, node: fp.Binary, a: Vec, b: Vec) -> Vec:
        op, null = node.op, a.null | b.null
        live = ~null
        if a.kind in NUMBERS and b.kind in NUMBERS:
            if op in ("/", "//", "%") and bool(np.any((b.values == 0) & live)):
                raise self.fail(node, f"{op!r} by zero")
            return arithmetic(op, a, b, null)
        if op == "+" and a.kind == b.kind == "str":
            return Vec("str", np.where(null, "", a.values + b.values), null)
        if "obj" in (a.kind, b.kind):
            try:
                values = apply_rows(functools.partial(fv.arithmetic, op), objects(a), objects(b))
            except (TypeError, ZeroDivisionError) as exc:
                raise self.fail(node, str(exc)) from None
            return from_objects(values)
        if not live.any():
            return null_vec(len(null))
        names = _KIND_NAMES[a.kind], _KIND_NAMES[b.kind]
        raise self.fail(node, f"{op!r} of {names[0]} and {names[1]}")

    def truth(self, node: fp.Node, v: Vec, where: str) -> tuple[np.ndarray, np.ndarray]:
        """(true rows, null rows) of a boolean operand; another kind is an error."""
        if v.kind == "bool":
            return v.values & ~v.null, v.null
        if v.kind == "null":
            return np.zeros(len(v), bool), v.null
        if v.kind == "obj":
            values = objects(v)
            try:
                flags = [fv.truth(x, where) for x in values]
            except TypeError as exc:
                raise self.fail(node, str(exc)) from None
            return np.array([f is True for f in flags], bool), np.array([f is None for f in flags])
        if not (~v.null).any():
            return np.zeros(len(v), bool), v.null
        raise self.fail(node, f"{where} of {_KIND_NAMES[v.kind]} (a boolean is needed)")

    def logic(self, node: fp.Binary, idx: np.ndarray) -> Vec:
        true, null = self.truth(node.left, self.eval(node.left, idx), f"{node.op!r}")
        false = ~true & ~null
        need = true if node.op == "and" else ~true
        right_true = np.zeros(len(idx), bool)
        right_null = np.zeros(len(idx), bool)
        if need.any():
            rv = self.eval(node.right, idx[need])
            rt, rn = self.truth(node.right, rv, f"{node.op!r}")
            right_true[need], right_null[need] = rt, rn
        if node.op == "and":  # False and x: False; null and x: null; True and x: x
            return Vec("bool", true & right_true, null | (true & right_null))
        out_null = (false & right_null) | (null & ~right_true)
        return Vec("bool", true | right_true, out_null)

    def conditional(self, node: fp.Conditional, idx: np.ndarray) -> Vec:
        true, _ = self.truth(node.test, self.eval(node.test, idx), "'if'")
        pos = np.arange(len(idx))
        parts = [(pos[true], self.eval(node.then, idx[true]))] if true.any() else []
        if (~true).any():
            parts.append((pos[~true], self.eval(node.otherwise, idx[~true])))
        return merge(len(idx), parts)

    def mask(self, node: fp.Node) -> np.ndarray:
        v = self.eval(node, np.arange(self.n))
        true, _ = self.truth(node, v, "the filter's result")
        return true


_KIND_NAMES = {"bool": "a boolean", "int": "a number", "float": "a number", "str": "text",
               "dt": "a datetime", "null": "null", "obj": "values"}  # fmt: skip


def _not(v: Any) -> Any:
    t = fv.truth(v, "'not'")
    return None if t is None else not t


def _constant(node: fp.Node) -> bool:
    if isinstance(node, fp.Literal):
        return True
    if isinstance(node, fp.Column):
        return False
    if isinstance(node, fp.Call) and node.name == "col":
        return False
    return all(_constant(c) for c in _children(node))


def _children(node: fp.Node) -> tuple[fp.Node, ...]:
    if isinstance(node, fp.Unary):
        return (node.operand,)
    if isinstance(node, fp.Binary):
        return (node.left, node.right)
    if isinstance(node, fp.Conditional):
        return (node.then, node.test, node.otherwise)
    if isinstance(node, fp.Call):
        return node.args
    if isinstance(node, fp.ListExpr):
        return node.items
    return ()


def column_names(node: fp.Node) -> list[str]:
    """The columns the expression names (bare names and ``col("...")``)."""
    if isinstance(node, fp.Column):
        return [node.name]
    return [c for child in _children(node) for c in column_names(child)]


def _fold(expression: str, node: fp.Node) -> fp.Node:
    """``col(<constant text>)`` (e.g. ``col("my" + " col")``) is a column reference."""
    if isinstance(node, fp.Call) and node.name == "col" and _constant(node.args[0]):
        try:
            name = fv.evaluate_row(expression, node.args[0], {})
        except FilterError:
            return node
        if not isinstance(name, str):
            raise fp.syntax_error(expression, node.pos, "col() needs a column name (text)")
        return fp.Column(node.pos, name)
    kids = _children(node)
    if not kids:
        return node
    folded = tuple(_fold(expression, k) for k in kids)
    if isinstance(node, fp.Unary):
        return fp.Unary(node.pos, node.op, folded[0])
    if isinstance(node, fp.Binary):
        return fp.Binary(node.pos, node.op, folded[0], folded[1])
    if isinstance(node, fp.Conditional):
        return fp.Conditional(node.pos, *folded)
    if isinstance(node, fp.Call):
        return fp.Call(node.pos, node.name, folded)
    return fp.ListExpr(node.pos, folded)


def named_columns(expression: str) -> list[str] | None:
    """The columns ``expression`` reads, or None when that is known only row by row (a
    ``col()`` of a computed name)."""
    tree = _fold(expression, fp.parse(expression))
    if _has_dynamic_column(tree):
        return None
    return list(dict.fromkeys(column_names(tree)))


def _has_dynamic_column(node: fp.Node) -> bool:
    if isinstance(node, fp.Call) and node.name == "col":
        return True
    return any(_has_dynamic_column(child) for child in _children(node))


@functools.lru_cache(maxsize=128)
def compile_filter(expression: str) -> Evaluator:
    """Compile ``expression``; the result maps a DataFrame to a boolean mask.

    :class:`FilterSyntaxError` (a ValueError) when mltable rejects the expression; the
    evaluator raises KeyError for a column the frame does not have and :class:`FilterError`
    for what mltable rejects while evaluating (a division by zero, ``'+'`` of text and a
    number...).
    """
    tree = _fold(expression, fp.parse(expression))
    names = list(dict.fromkeys(column_names(tree)))

    def evaluate(df: pd.DataFrame) -> pd.Series:
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise KeyError(
                f"filter expression {expression!r} names column {missing[0]!r}, which is not in "
                f"{list(df.columns)}"
            )
        try:
            mask = _Run(expression, df).mask(tree)
        except ValueError as exc:
            if isinstance(exc, FilterError):
                raise
            raise FilterError(f"filter expression {expression!r}: {exc}") from None
        return pd.Series(mask, index=df.index)

    return evaluate


def apply_filter(df: pd.DataFrame, expression: str) -> pd.DataFrame:
    mask = compile_filter(expression)(df)
    return df[mask.to_numpy()].reset_index(drop=True)
