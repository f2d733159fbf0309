"""The data layer's structure: no import cycles, no reader-name dispatch outside the formats.

Imports are read from the source (``ast``), function-level ones included (they hide a cycle,
they do not remove it); imports under ``if TYPE_CHECKING:`` are not imports at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import daskprs
from daskprs.data.formats import FORMATS, READERS

ROOT = Path(daskprs.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ["daskprs", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_touches_the_data_layer():
    found = [c for c in cycles(import_graph()) if any(m.startswith("daskprs.data") for m in c)]
    assert found == []


def test_the_cycle_check_sees_function_level_imports_and_not_type_checking_ones(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from daskprs.engine import step\n"
        "def f():\n"
        "    from daskprs.data.planning import plan_table\n"
    )
    modules = _modules()
    assert _imports("daskprs.data.probe", source, modules) == {"daskprs.data.planning"}
    graph = import_graph()
    graph["daskprs.data.model"] = graph["daskprs.data.model"] | {"daskprs.data.planning"}
    assert any("daskprs.data.model" in c for c in cycles(graph))


def test_the_data_layer_does_not_import_the_spec_parser():
    graph = import_graph()
    bad = {
        m: sorted(t for t in targets if t.startswith("daskprs.spec"))
        for m, targets in graph.items()
        if m.startswith("daskprs.data")
    }
    assert {m: t for m, t in bad.items() if t} == {}


def test_every_format_is_registered_under_its_reader_name():
    assert READERS == ("read_delimited", "read_parquet", "read_json_lines", "read_delta_lake")
    assert all(fmt.name == name for name, fmt in FORMATS.items())


def test_reader_names_are_spelled_only_where_formats_are_defined():
    """A new format is one module in daskprs/data/formats and one line in its table: no other
    module of the data layer compares reader names."""
    spelled = {}
    for path in (ROOT / "data").rglob("*.py"):
        if "formats" in path.parts:
            continue
        names = [n for n in READERS if f'"{n}"' in path.read_text()]
        if names:
            spelled[path.name] = names
    assert spelled == {}
