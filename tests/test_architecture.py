"""The package's shape, checked: no import cycles, modules and functions (their bodies)
of a readable size.

The import graph is :mod:`tests.helpers.imports`'s (function-level imports count,
``TYPE_CHECKING`` ones do not).
"""

from __future__ import annotations

import ast

from tests.helpers.imports import cycles, import_graph, imported, modules

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from daskprs.x import y\n"
        "def f():\n    from . import z\n"
    )
    assert imported(tree, "daskprs.pkg.mod", False) == {
        "typing",
        "typing.TYPE_CHECKING",
        "daskprs.pkg",
        "daskprs.pkg.z",
    }


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def _body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A function's body, without its signature and docstring: the SDK builders mirror
    azure-ai-ml's 30-keyword signatures, which are the API, not logic."""
    body = fn.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return (fn.end_lineno or fn.lineno) - body[0].lineno + 1


def test_modules_and_functions_stay_small():
    too_long = []
    for module, path in modules().items():
        source = path.read_text(encoding="utf-8")
        lines = source.count("\n")
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{module}: {lines} lines (module)")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = _body_lines(node)
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {length} lines")
    assert not too_long, "over the size limits:\n" + "\n".join(too_long)
