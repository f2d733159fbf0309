"""``${{ ... }}`` binding expressions and ``$[[ ... ]]`` optional segments.

>>> parse_binding("${{parent.jobs.prep.outputs.data}}")
Binding(scope='parent.jobs', kind='outputs', name='data', step='prep')
>>> find_bindings("--model ${{inputs.model}} --out ${{ outputs.o }}")
[Binding(scope='self', kind='inputs', name='model', step=None), Binding(scope='self', kind='outputs', name='o', step=None)]
>>> substitute("--n ${{inputs.n}}", lambda b: "3")
'--n 3'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

BINDING_RE = re.compile(r"\$\{\{\s*([^{}]*?)\s*\}\}")
OPTIONAL_RE = re.compile(r"\$\[\[(.*?)\]\]", re.S)
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_SELF = re.compile(rf"^(inputs|outputs)\.({_NAME})$")
_PARENT = re.compile(rf"^parent\.(inputs|outputs)\.({_NAME})$")
_STEP = re.compile(rf"^parent\.jobs\.({_NAME})\.(inputs|outputs)\.({_NAME})$")
_GLOBAL = re.compile(r"^(name|default_datastore)$")


@dataclass(frozen=True)
class Binding:
    """One ``${{...}}`` expression.

    ``scope`` is ``self`` (``inputs.x``), ``parent`` (``parent.inputs.x``), ``parent.jobs``
    (``parent.jobs.<step>.outputs.x``) or ``global`` (``name``, ``default_datastore``).
    """

    scope: str
    kind: str  # "inputs" | "outputs" | "" for globals
    name: str
    step: str | None = None

    def __str__(self) -> str:
        if self.scope == "self":
            return f"${{{{{self.kind}.{self.name}}}}}"
        if self.scope == "parent":
            return f"${{{{parent.{self.kind}.{self.name}}}}}"
        if self.scope == "parent.jobs":
            return f"${{{{parent.jobs.{self.step}.{self.kind}.{self.name}}}}}"
        return f"${{{{{self.name}}}}}"


class BindingSyntaxError(ValueError):
    """The text inside ``${{ }}`` is not a binding daskprs understands."""


def _parse_expr(expr: str) -> Binding:
    expr = expr.strip()
    if m := _SELF.match(expr):
        return Binding("self", m.group(1), m.group(2))
    if m := _PARENT.match(expr):
        return Binding("parent", m.group(1), m.group(2))
    if m := _STEP.match(expr):
        return Binding("parent.jobs", m.group(2), m.group(3), step=m.group(1))
    if m := _GLOBAL.match(expr):
        return Binding("global", "", m.group(1))
    raise BindingSyntaxError(
        f"unknown binding ${{{{{expr}}}}}: valid forms are ${{{{inputs.<name>}}}}, "
        "${{outputs.<name>}}, ${{parent.inputs.<name>}}, ${{parent.outputs.<name>}}, "
        "${{parent.jobs.<step>.outputs.<name>}}, ${{name}}, ${{default_datastore}}"
    )


def parse_binding(text: str) -> Binding | None:
    """The binding when ``text`` is exactly one ``${{...}}`` expression, else None."""
    m = BINDING_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    return _parse_expr(m.group(1)) if m else None


def find_bindings(text: str) -> list[Binding]:
    """Every binding in ``text``, in order (BindingSyntaxError on an unknown form)."""
    return [_parse_expr(m.group(1)) for m in BINDING_RE.finditer(text)]


def substitute(text: str, value_of: Callable[[Binding], str | None]) -> str:
    """Replace each binding by ``value_of(binding)``; a None value leaves the binding as is."""

    def repl(m: re.Match[str]) -> str:
        value = value_of(_parse_expr(m.group(1)))
        return m.group(0) if value is None else value

    return BINDING_RE.sub(repl, text)


def resolve_optional(text: str, is_set: Callable[[Binding], bool]) -> str:
    """Drop each ``$[[...]]`` segment that references an unset input; unwrap the others.

    >>> resolve_optional("run $[[--m ${{inputs.m}}]] $[[--k ${{inputs.k}}]]",
    ...                  lambda b: b.name == "k")
    'run  --k ${{inputs.k}}'
    """

    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        return body if all(is_set(b) for b in find_bindings(body)) else ""

    return OPTIONAL_RE.sub(repl, text)


def optional_bindings(text: str) -> set[Binding]:
    """Bindings that appear inside ``$[[...]]`` segments (may legitimately be unset)."""
    out: set[Binding] = set()
    for m in OPTIONAL_RE.finditer(text):
        out.update(find_bindings(m.group(1)))
    return out


def fill_run_time(
    tokens: tuple[str, ...] | list[str],
    input_paths: dict[str, str],
    output_paths: dict[str, str],
) -> tuple[str, ...]:
    """Substitute the bindings the parser had to leave in ``program_arguments``: outputs that
    live under the run directory and inputs produced by other steps, known only at run time.

    >>> fill_run_time(("--out", "${{outputs.o}}", "--k=${{inputs.d}}"), {"d": "/r/d"}, {"o": "/r/o"})
    ('--out', '/r/o', '--k=/r/d')
    """

    def value(b: Binding) -> str | None:
        if b.scope != "self":
            return None
        table = input_paths if b.kind == "inputs" else output_paths
        return table.get(b.name)

    return tuple(substitute(t, value) for t in tokens)
