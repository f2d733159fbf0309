"""The data layer's structure: no import cycles, no reader-name dispatch outside the formats.

The import graph is :mod:`tests.helpers.imports`'s (function-level imports count,
``TYPE_CHECKING`` ones do not).
"""

from __future__ import annotations

import ast

from daskprs.data.formats import FORMATS, READERS
from tests.helpers.imports import ROOT, cycles, import_graph, imported


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
    tree = ast.parse(source.read_text())
    assert "daskprs.data.planning" in imported(tree, "daskprs.data.probe", False)
    assert not any("engine" in name for name in imported(tree, "daskprs.data.probe", False))
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
