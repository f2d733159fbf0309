"""The values of mltable's filter expressions and what each operator does to one row's values.

This is the per-row rule, as measured on mltable 1.7 (rslex 2.26); the column-wide evaluation
(:mod:`daskprs.data.filter_expr`) gives the same results and is tested against
:func:`evaluate_row` (``tests/data/test_filter_expr.py``).

- Values: null (``None``), booleans, numbers (64-bit ints, which wrap on overflow, and
  floats), text, datetimes (:class:`DT`, nanoseconds since 1970, any year), lists.
- Comparisons with a null are null. Values of different kinds compare by kind: boolean <
  number < text < datetime < list (``k < "5"`` is true for every number, ``k == "5"`` false:
  text is never converted). Ints and floats compare as numbers; lists element by element
  (there a null is the smallest value).
- ``+`` adds numbers or joins texts; ``- * / // % **`` take numbers only. ``/`` and ``**``
  give floats; ``//`` truncates toward zero for two ints and floors otherwise; ``%`` has the
  sign of the divisor; a zero divisor is an error. A null operand gives null. Unary ``+``
  keeps any value, unary ``-`` needs a number.
- ``not`` / ``and`` / ``or`` take booleans (another kind is an error): ``False and x`` is
  false and ``null and x`` null without looking at ``x``; ``True or x`` is true, ``null or x``
  is true when ``x`` is true, else null. ``a if c else b`` takes ``b`` when ``c`` is false or
  null.
- ``datetime(y, m=1, d=1, h=0, mi=0, s=0, ns=0)`` takes ints (or text holding one); invalid
  dates and times are errors. ``startswith(text, prefix)`` needs two texts (a null is an
  error). ``col(name)`` is the row's value of that column (null when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daskprs.data import filter_parse as fp

NS = 1_000_000_000
DAY_NS = 86_400 * NS
KIND_ORDER = {"bool": 0, "num": 1, "str": 2, "dt": 3, "list": 4}


class FilterError(ValueError):
    """A filter that mltable would reject while evaluating it (e.g. a division by zero)."""


def error(expression: str, node: fp.Node, what: str) -> FilterError:
    return FilterError(
        f"filter expression {expression!r} at position {node.pos + 1}: {what} "
        "(mltable stops the table with this error too)"
    )


@dataclass(frozen=True, order=True)
class DT:
    """A datetime: nanoseconds since 1970-01-01 (any year, as rslex's datetimes)."""

    ns: int


def kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "num"
    if isinstance(v, str):
        return "str"
    if isinstance(v, DT):
        return "dt"
    if isinstance(v, list):
        return "list"
    return "other"


def wrap(i: int) -> int:
    """An int as a 64-bit signed int (rslex's ints wrap on overflow)."""
    return ((i + 2**63) % 2**64) - 2**63


def _order(v: Any) -> int:
    k = kind(v)
    if k == "null":
        return -1
    if k == "other":
        raise TypeError(f"cannot compare {type(v).__name__} values")
    return KIND_ORDER[k]


def order(a: Any, b: Any) -> int | None:
    """-1 / 0 / 1, or None when a float NaN is involved (every comparison but != is false)."""
    ka, kb = _order(a), _order(b)
    if ka != kb:
        return -1 if ka < kb else 1
    if ka == -1:  # two nulls in lists
        return 0
    if ka == KIND_ORDER["num"]:
        x, y = (a, b) if isinstance(a, int) and isinstance(b, int) else (float(a), float(b))
        if x != x or y != y:  # NaN
            return None
        return (x > y) - (x < y)
    if ka == KIND_ORDER["list"]:
        for p, q in zip(a, b, strict=False):
            c = order(p, q)
            if c != 0:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    return (a > b) - (a < b)


def compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    c = order(a, b)
    if c is None:
        return op == "!="
    return {"==": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``a op b``; TypeError / ZeroDivisionError as mltable's errors."""
    if a is None or b is None:
        return None
    ka, kb = kind(a), kind(b)
    if op == "+" and ka == kb == "str":
        return a + b
    if ka != "num" or kb != "num":
        raise TypeError(f"{op!r} of {_what(a)} and {_what(b)}")
    ints = isinstance(a, int) and isinstance(b, int)
    if op in ("+", "-", "*"):
        r = a + b if op == "+" else a - b if op == "-" else a * b
        return wrap(r) if ints else float(r)
    if op == "**":
        return _numpy_pow(float(a), float(b))
    if b == 0:
        raise ZeroDivisionError(f"{op!r} by zero")
    if op == "/":
        return float(a) / float(b)
    if op == "//":
        if ints:
            q = abs(a) // abs(b)
            return wrap(q if (a < 0) == (b < 0) else -q)
        return _numpy_floor_div(float(a), float(b))
    if ints:  # %
        return a % b
    return _numpy_mod(float(a), float(b))


def _numpy_pow(a: float, b: float) -> float:
    import numpy as np

    with np.errstate(all="ignore"):
        return float(np.power(a, b))


def _numpy_floor_div(a: float, b: float) -> float:
    import numpy as np

    with np.errstate(all="ignore"):
        return float(np.floor_divide(a, b))


def _numpy_mod(a: float, b: float) -> float:
    import numpy as np

    with np.errstate(all="ignore"):
        return float(np.mod(a, b))


def negate(v: Any) -> Any:
    if v is None:
        return None
    if kind(v) != "num":
        raise TypeError(f"'-' of {_what(v)}")
    return wrap(-v) if isinstance(v, int) else -v


def _what(v: Any) -> str:
    names = {"null": "null", "bool": "a boolean", "num": "a number", "str": "text"}
    return names.get(kind(v), "a datetime" if isinstance(v, DT) else "a list")


def truth(v: Any, where: str) -> bool | None:
    """A boolean operand: True / False / None; another kind is an error."""
    if v is None or isinstance(v, bool):
        return v
    raise TypeError(f"{where} of {_what(v)} (a boolean is needed)")


# -- functions ---------------------------------------------------------------------------------
_LIMITS = ((1, 12, "month"), (1, 31, "day"), (0, 23, "hour"), (0, 59, "minute"), (0, 59, "second"))


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _month_days(y: int, m: int) -> int:
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _part(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            pass
        else:
            if f.is_integer():
                return int(f)
    raise ValueError(f"datetime() of {_what(v)} ({v!r}); its parts are ints")


def make_datetime(*args: Any) -> DT | None:
    if any(a is None for a in args):
        return None
    parts = [_part(a) for a in args] + [1, 1, 0, 0, 0, 0][len(args) - 1 :]
    y, mo, d, h, mi, s, ns = parts
    for value, (low, high, name) in zip((mo, d, h, mi, s), _LIMITS, strict=True):
        if not low <= value <= high:
            raise ValueError(f"datetime() with {name} {value}")
    if d > _month_days(y, mo):
        raise ValueError(f"datetime() with day {d} of {y}-{mo:02d}")
    if not 0 <= ns < 2 * NS:
        raise ValueError(f"datetime() with nanosecond {ns}")
    return DT(_days_from_civil(y, mo, d) * DAY_NS + ((h * 60 + mi) * 60 + s) * NS + ns)


def starts_with(text: Any, prefix: Any) -> bool:
    if not isinstance(text, str) or not isinstance(prefix, str):
        raise TypeError(f"startswith() of {_what(text)} and {_what(prefix)} (two texts)")
    return text.startswith(prefix)


# -- one row -----------------------------------------------------------------------------------
def evaluate_row(expression: str, node: fp.Node, row: dict[str, Any]) -> Any:
    """``node`` on one row (column name -> value): the rule the column-wide code follows."""

    def ev(n: fp.Node) -> Any:
        try:
            return _eval(n)
        except FilterError:
            raise
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise error(expression, n, str(exc)) from None

    def _eval(n: fp.Node) -> Any:
        if isinstance(n, fp.Literal):
            return n.value
        if isinstance(n, fp.ListExpr):
            return [ev(i) for i in n.items]
        if isinstance(n, fp.Column):
            return row.get(n.name)
        if isinstance(n, fp.Unary):
            v = ev(n.operand)
            if n.op == "+":
                return v
            if n.op == "-":
                return negate(v)
            t = truth(v, "'not'")
            return None if t is None else not t
        if isinstance(n, fp.Binary):
            if n.op in ("and", "or"):
                return _logic(n)
            a, b = ev(n.left), ev(n.right)
            return compare(n.op, a, b) if n.op in fp.COMPARISONS else arithmetic(n.op, a, b)
        if isinstance(n, fp.Conditional):
            return ev(n.then) if truth(ev(n.test), "'if'") else ev(n.otherwise)
        assert isinstance(n, fp.Call)
        args = [ev(a) for a in n.args]
        if n.name == "col":
            return row.get(args[0]) if isinstance(args[0], str) else None
        if n.name == "datetime":
            return make_datetime(*args)
        return starts_with(*args)

    def _logic(n: fp.Binary) -> Any:
        left = truth(ev(n.left), f"{n.op!r}")
        if n.op == "and":
            if left is not True:
                return left  # False, or null: the right side is not evaluated
            return truth(ev(n.right), "'and'")
        if left is True:
            return True
        right = truth(ev(n.right), "'or'")
        return right if left is False else (True if right else None)

    return ev(node)
