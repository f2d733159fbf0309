"""Step ordering: a topological order that keeps the YAML order where it can; cycles are errors.

>>> topological_order({"a": ["b"], "b": [], "c": []})
['b', 'a', 'c']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CycleError(ValueError):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(cycle))


def topological_order(depends_on: Mapping[str, Sequence[str]]) -> list[str]:
    """Steps ordered so that each comes after the steps it depends on (ties: input order)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, stack: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise CycleError([*stack[stack.index(name) :], name])
        state[name] = 1
        stack.append(name)
        for dep in depends_on.get(name, ()):
            visit(dep, stack)
        stack.pop()
        state[name] = 2
        order.append(name)

    for name in depends_on:
        visit(name, [])
    return order
