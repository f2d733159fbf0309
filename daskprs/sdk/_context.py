"""The stack of ``@pipeline`` functions being built: nodes created while one runs join it."""

from __future__ import annotations

import threading
from typing import Any

_local = threading.local()


class BuildScope:
    """The nodes created while one ``@pipeline`` function runs, in creation order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[Any] = []

    def add(self, node: Any) -> None:
        if all(n is not node for n in self.nodes):
            self.nodes.append(node)


def _stack() -> list[BuildScope]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def push(scope: BuildScope) -> None:
    _stack().append(scope)


def pop() -> None:
    _stack().pop()


def current() -> BuildScope | None:
    stack = _stack()
    return stack[-1] if stack else None


def register(node: Any) -> None:
    """Called by every node constructor: inside a ``@pipeline`` function the node joins it."""
    scope = current()
    if scope is not None:
        scope.add(node)
