"""The ``filter`` expression language of mltable 1.7 (rslex's Python-like expressions): parsing.

Derived from the library itself (tests/oracle_data cases ``filter_*``; the language is
described in docs/filter-expressions.md): a subset of Python expressions with its own rules.

- literals: ints (decimal without leading zeros, ``0x`` / ``0o`` / ``0b``, ``_`` between
  digits; at most 2**63-1), floats (``1.5``, ``5.``, ``1e3``; not ``.5``), non-empty strings in
  ``'`` or ``"`` (``r`` / ``R`` prefix; escapes ``\\\\ \\' \\" \\n \\t \\r \\f \\0``, octal
  ``\\101``, ``\\x41``), ``True`` / ``False`` / ``None``, lists ``[a, b]`` (not empty);
- columns: a bare name (``[A-Za-z_][A-Za-z0-9_]*``, even ``if`` or ``and`` at the start of an
  operand) or ``col(<text>)`` for any name;
- functions ``col(x)``, ``datetime(year[, month, day, hour, minute, second, nanosecond])``,
  ``startswith(text, prefix)`` (also ``starts_with``), and ``x.f(a)`` for ``f(x, a)``;
- ``**``; unary ``-`` / ``+``; ``* / // %``; ``+ -``; comparisons ``== != < <= > >=``
  (left-associative: ``2 < k < 8`` is ``(2 < k) < 8``); ``not``; ``and``; ``or``;
  ``a if c else b``; parentheses.

Rejected as mltable rejects them, with the position: ``&& || & | ~``, ``in``, ``is``,
``lambda``, bit shifts, ``@``, empty strings and lists, ``u`` / ``b`` / ``f`` strings, triple
quotes, implicit string concatenation, ``\\u`` / ``\\a`` / ``\\b`` / ``\\v`` escapes, comments,
other functions and methods (``len``, ``lower``, ``endswith``...), ``not(x)`` (a call to a
function ``not``), attributes and subscripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FUNCTIONS = {"col": (1, 1), "datetime": (1, 7), "startswith": (2, 2), "starts_with": (2, 2)}
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
INT_MAX = 2**63 - 1


class FilterSyntaxError(ValueError):
    """An expression mltable would not run; the message names the expression and position."""


def syntax_error(expression: str, pos: int, what: str) -> FilterSyntaxError:
    near = expression[pos : pos + 20] or "the end"
    return FilterSyntaxError(
        f"filter expression {expression!r}: {what} at position {pos + 1} (near {near!r}); "
        'mltable\'s filter accepts col("name") or bare column names, literals, '
        "== != < <= > >=, and / or / not, + - * / // % **, x if c else y, datetime(...) "
        "and startswith"
    )


# -- the syntax tree ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    pos: int  # 0-based offset in the expression


@dataclass(frozen=True)
class Literal(Node):
    value: Any  # None, bool, int, float, str


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Column(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    name: str  # col / datetime / startswith / starts_with
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # - + not
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # arithmetic, comparison, and, or
    left: Node
    right: Node


@dataclass(frozen=True)
class Conditional(Node):
    then: Node
    test: Node
    otherwise: Node


# -- tokens ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # num str name op end
    text: str
    pos: int
    value: Any = None
    space_after: bool = False


_SPACE = " \t\r\n"
_NUMBER = re.compile(
    r"0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+"
    r"|(?:\d(?:_*\d)*)?(?:\.(?:\d(?:_*\d)*)?)?(?:[eE][+-]?\d(?:_*\d)*)?"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("**", "//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ".")  # fmt: skip
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "f": "\f"}


def _number(expression: str, pos: int) -> tuple[Any, int]:
    m = _NUMBER.match(expression, pos)
    text = m.group(0) if m else ""
    if not text or text == "." or not re.match(r"[0-9]", text):
        raise syntax_error(expression, pos, "a number must start with a digit")
    end = pos + len(text)
    if end < len(expression) and (expression[end] == "_" or expression[end].isdigit()):
        raise syntax_error(expression, pos, "not a number")
    clean = text.replace("_", "")
    value: Any
    if clean[:2].lower() in ("0x", "0o", "0b"):
        value = int(clean, 0)
    elif re.fullmatch(r"\d+", clean):
        if len(clean) > 1 and clean[0] == "0":
            raise syntax_error(expression, pos, "an int cannot have leading zeros")
        value = int(clean)
    else:
        value = float(clean)
    if isinstance(value, int) and value > INT_MAX:
        raise syntax_error(expression, pos, "an int larger than 2**63-1")
    return value, end


def _string(expression: str, pos: int) -> tuple[str, int]:
    raw = expression[pos] in "rR"
    start = pos + 1 if raw else pos
    quote = expression[start]
    i, out = start + 1, []
    while True:
        if i >= len(expression):
            raise syntax_error(expression, pos, "a string without its closing quote")
        ch = expression[i]
        if ch == quote:
            break
        if ch == "\\" and not raw:
            i, text = _escape(expression, pos, i)
            out.append(text)
            continue
        if ch == "\\" and raw and i + 1 < len(expression):
            out.append(expression[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
    text = "".join(out)
    if not text:
        raise syntax_error(expression, pos, "an empty string (mltable has no empty literal)")
    return text, i + 1


def _escape(expression: str, pos: int, i: int) -> tuple[int, str]:
    nxt = expression[i + 1 : i + 2]
    if nxt in _ESCAPES:
        return i + 2, _ESCAPES[nxt]
    if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", expression[i + 2 : i + 4]):
        return i + 4, chr(int(expression[i + 2 : i + 4], 16))
    m = re.compile(r"[0-7]{1,3}").match(expression, i + 1)
    if m:
        return m.end(), chr(int(m.group(0), 8))
    raise syntax_error(expression, i, f"the escape \\{nxt} (not one of mltable's)")


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while True:
        while i < len(expression) and expression[i] in _SPACE:
            i += 1
        if i >= len(expression):
            tokens.append(Token("end", "", i))
            return tokens
        ch = expression[i]
        if ch in "'\"" or (ch in "rR" and expression[i + 1 : i + 2] in ("'", '"')):
            value, end = _string(expression, i)
            kind = "str"
        elif ch.isdigit() or (ch == "." and expression[i + 1 : i + 2].isdigit()):
            value, end = _number(expression, i)
            kind = "num"
        elif _NAME.match(expression, i):
            m = _NAME.match(expression, i)
            assert m is not None
            value, end, kind = m.group(0), m.end(), "name"
            if expression[end : end + 1] in ("'", '"'):
                raise syntax_error(expression, i, f"a {value!r} string prefix")
        else:
            op = next((o for o in _OPS if expression.startswith(o, i)), None)
            if op is None:
                raise syntax_error(expression, i, f"the character {ch!r}")
            value, end, kind = op, i + len(op), "op"
        space = end >= len(expression) or expression[end] in _SPACE
        tokens.append(Token(kind, expression[i:end], i, value, space))
        i = end


# -- the parser --------------------------------------------------------------------------------
class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = tokenize(expression)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, what: str, tok: Token | None = None) -> FilterSyntaxError:
        return syntax_error(self.expression, (tok or self.tok).pos, what)

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def is_word(self, word: str) -> bool:
        """A keyword operator: the word followed by a blank (``and(b)`` is not ``and``)."""
        tok = self.tok
        return tok.kind == "name" and tok.value == word and tok.space_after

    def expect(self, op: str) -> Token:
        if not self.is_op(op):
            raise self.error(f"expected {op!r}")
        return self.take()

    def parse(self) -> Node:
        node = self.expression_()
        if self.tok.kind != "end":
            raise self.error("unexpected text")
        return node

    def expression_(self) -> Node:
        node = self.or_test()
        if self.is_word("if"):
            tok = self.take()
            test = self.or_test()
            if not self.is_word("else"):
                raise self.error("expected 'else'")
            self.take()
            return Conditional(tok.pos, node, test, self.or_test())
        return node

    def or_test(self) -> Node:
        node = self.and_test()
        while self.is_word("or"):
            tok = self.take()
            node = Binary(tok.pos, "or", node, self.and_test())
        return node

    def and_test(self) -> Node:
        node = self.not_test()
        while self.is_word("and"):
            tok = self.take()
            node = Binary(tok.pos, "and", node, self.not_test())
        return node

    def not_test(self) -> Node:
        if self.is_word("not"):
            tok = self.take()
            return Unary(tok.pos, "not", self.not_test())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.a_expr()
        while self.is_op(*COMPARISONS):
            tok = self.take()
            node = Binary(tok.pos, tok.value, node, self.a_expr())
        return node

    def a_expr(self) -> Node:
        node = self.m_expr()
        while self.is_op("+", "-"):
            tok = self.take()
            node = Binary(tok.pos, tok.value, node, self.m_expr())
        return node

    def m_expr(self) -> Node:
        node = self.u_expr()
        while self.is_op("*", "/", "//", "%"):
            tok = self.take()
            node = Binary(tok.pos, tok.value, node, self.u_expr())
        return node

    def u_expr(self) -> Node:
        if self.is_op("-", "+"):
            tok = self.take()
            return Unary(tok.pos, tok.value, self.u_expr())
        node = self.primary()
        if self.is_op("**"):
            tok = self.take()
            return Binary(tok.pos, "**", node, self.u_expr())
        return node

    def primary(self) -> Node:
        node = self.atom()
        while self.is_op("."):
            dot = self.take()
            if self.tok.kind != "name":
                raise self.error("expected a method name after '.'")
            name = self.take()
            if not self.is_op("("):
                raise self.error(
                    f"{name.value!r} is an attribute; mltable reads no attribute of a value", name
                )
            if name.value == "col":
                raise self.error('col() is a function, not a method: write col("name")', name)
            node = self.call(name, (node,), dot.pos)
        if self.is_op("["):
            raise self.error("subscripts are not supported by mltable's filter")
        return node

    def call(self, name: Token, first: tuple[Node, ...], pos: int) -> Node:
        self.expect("(")
        args = list(first)
        if not (first and self.is_op(")")):  # f() is no call; x.f() is f(x)
            args.append(self.expression_())
            while self.is_op(","):
                self.take()
                args.append(self.expression_())
        self.expect(")")
        if name.value not in FUNCTIONS:
            valid = ", ".join(FUNCTIONS)
            raise self.error(f"unknown function {name.value!r} (mltable's are {valid})", name)
        low, high = FUNCTIONS[name.value]
        if not low <= len(args) <= high:
            raise self.error(
                f"{name.value}() takes {low}{'' if low == high else f' to {high}'} "
                f"arguments, got {len(args)}",
                name,
            )
        if name.value == "col" and isinstance(args[0], (Literal, ListExpr)):
            if not isinstance(args[0], Literal) or not isinstance(args[0].value, str):
                raise self.error("col() needs a column name (text)", name)
            return Column(name.pos, args[0].value)
        return Call(pos, name.value, tuple(args))

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind in ("num", "str"):
            return Literal(self.take().pos, tok.value)
        if tok.kind == "name":
            self.take()
            if tok.value in ("True", "False", "None"):
                return Literal(tok.pos, {"True": True, "False": False, "None": None}[tok.value])
            if self.is_op("("):
                return self.call(tok, (), tok.pos)
            return Column(tok.pos, tok.value)
        if self.is_op("("):
            self.take()
            node = self.expression_()
            self.expect(")")
            return node
        if self.is_op("["):
            self.take()
            items = [self.expression_()]
            while self.is_op(","):
                self.take()
                items.append(self.expression_())
            self.expect("]")
            return ListExpr(tok.pos, tuple(items))
        if tok.kind == "end":
            raise self.error("the expression ends too early")
        raise self.error(f"unexpected {tok.text!r}")


def parse(expression: str) -> Node:
    """The syntax tree of ``expression``; :class:`FilterSyntaxError` when mltable rejects it."""
    if not isinstance(expression, str) or not expression.strip():
        raise syntax_error(str(expression), 0, "an empty expression")
    return _Parser(expression).parse()
