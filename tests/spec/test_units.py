"""The pure helpers: program arguments, bindings, --set overrides, step order, entry scripts."""

from __future__ import annotations

import pytest

from daskprs.errors import PipelineSpecError
from daskprs.spec.arguments import parse_error_threshold, parse_program_arguments
from daskprs.spec.bindings import (
    Binding,
    BindingSyntaxError,
    find_bindings,
    parse_binding,
    resolve_optional,
    substitute,
)
from daskprs.spec.files import check_entry_script
from daskprs.spec.graph import CycleError, topological_order
from daskprs.spec.keys import Where, as_bool, as_int
from daskprs.spec.model import PrsArguments
from daskprs.spec.overrides import apply_overrides


@pytest.mark.parametrize(
    "text,expected",
    [
        ("5", 5),
        ("0", 0),
        ("-1", -1),
        ("-7", -1),
        ("2.1", 3),
        ("2.0", 2),
        ("abc", -1),
        ("", -1),
        ("nan", -1),
    ],
)
def test_error_threshold_parsed_like_the_driver(text, expected):
    assert parse_error_threshold(text) == expected


def test_program_arguments_keep_every_token():
    tokens, prs = parse_program_arguments(
        "--model m --error_threshold=4 --allowed_failed_percent 12.5 "
        "--append_row_dataframe_header TRUE --copy_logs_to_parent false "
        "--metrics_name_prefix pre --push_metrics_to_parent True --progress_update_timeout -1 "
        "--resource_monitor_interval 0 --error_threshold 6 --user-flag 'a b'"
    )
    assert tokens[-2:] == ("--user-flag", "a b")
    assert "--error_threshold=4" in tokens and len(tokens) == 21
    assert prs == PrsArguments(
        error_threshold=6,  # the last one wins, as with argparse
        allowed_failed_percent=12.5,
        append_row_dataframe_header=True,
        copy_logs_to_parent=False,
        metrics_name_prefix="pre",
        push_metrics_to_parent=True,
        progress_update_timeout=None,
        resource_monitor_interval=0,
    )


def test_program_arguments_defaults_and_errors():
    assert parse_program_arguments("") == ((), PrsArguments())
    with pytest.raises(PipelineSpecError, match="first_task_creation_timeout"):
        parse_program_arguments("--first_task_creation_timeout 0")
    with pytest.raises(PipelineSpecError, match="resource_monitor_interval"):
        parse_program_arguments("--resource_monitor_interval -5")
    with pytest.raises(PipelineSpecError, match="whole number"):
        parse_program_arguments("--task_overhead_timeout soon")


def test_bindings_parse_every_form():
    assert parse_binding("${{inputs.x}}") == Binding("self", "inputs", "x")
    assert parse_binding(" ${{ outputs.y }} ") == Binding("self", "outputs", "y")
    assert parse_binding("${{parent.inputs.x}}") == Binding("parent", "inputs", "x")
    assert parse_binding("${{parent.outputs.x}}") == Binding("parent", "outputs", "x")
    assert parse_binding("${{parent.jobs.prep.outputs.o}}") == Binding(
        "parent.jobs", "outputs", "o", "prep"
    )
    assert parse_binding("${{name}}") == Binding("global", "", "name")
    assert parse_binding("--a ${{inputs.x}}") is None
    assert parse_binding("plain") is None
    with pytest.raises(BindingSyntaxError, match="valid forms"):
        parse_binding("${{parent.jobs.prep}}")
    assert str(Binding("parent.jobs", "outputs", "o", "prep")) == "${{parent.jobs.prep.outputs.o}}"
    assert [str(b) for b in find_bindings("a ${{inputs.x}} b ${{outputs.y}}")] == [
        "${{inputs.x}}",
        "${{outputs.y}}",
    ]


def test_substitute_and_optional_segments():
    values = {"x": "/data/x"}
    assert substitute("--a ${{inputs.x}} --b ${{inputs.y}}", lambda b: values.get(b.name)) == (
        "--a /data/x --b ${{inputs.y}}"
    )
    text = "train $[[--model ${{inputs.m}}]] $[[--k ${{inputs.k}} --v ${{inputs.v}}]]"
    assert (
        resolve_optional(text, lambda b: b.name in {"k", "v"})
        == "train  --k ${{inputs.k}} --v ${{inputs.v}}"
    )
    assert resolve_optional(text, lambda b: b.name == "k") == "train  "


def test_overrides():
    doc = {"jobs": {"a": {"inputs": {"x": 1}}, "l": [{"v": 1}]}}
    out = apply_overrides(
        doc, ["jobs.a.inputs.x=2", "jobs.a.task.code=./src", "jobs.l.0.v=true", "jobs.a.s="]
    )
    assert out["jobs"]["a"]["inputs"]["x"] == 2
    assert out["jobs"]["a"]["task"] == {"code": "./src"}
    assert out["jobs"]["l"][0]["v"] is True
    assert out["jobs"]["a"]["s"] == ""
    assert doc["jobs"]["a"]["inputs"]["x"] == 1  # the input is not changed
    with pytest.raises(PipelineSpecError, match="not a mapping"):
        apply_overrides(doc, ["jobs.a.inputs.x.y=1"])
    with pytest.raises(PipelineSpecError, match="not an index"):
        apply_overrides(doc, ["jobs.l.5.v=1"])
    with pytest.raises(PipelineSpecError, match="dotted key"):
        apply_overrides(doc, ["jobs..a=1"])


def test_topological_order_and_cycles():
    assert topological_order({"c": ["b"], "b": ["a"], "a": []}) == ["a", "b", "c"]
    assert topological_order({"x": [], "y": []}) == ["x", "y"]
    with pytest.raises(CycleError) as info:
        topological_order({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert info.value.cycle == ["a", "b", "c", "a"]
    with pytest.raises(CycleError):
        topological_order({"a": ["a"]})


@pytest.mark.parametrize(
    "source,ok",
    [
        ("def run(mb):\n    return mb\n", True),
        ("async def run(mb):\n    return mb\n", True),
        ("from helpers import run\n", True),
        ("import helpers\nrun = helpers.score\n", True),
        (
            "try:\n    from a import run\nexcept ImportError:\n    def run(mb):\n        return mb\n",
            True,
        ),
        ("def init():\n    pass\n", False),
        ("class Model:\n    def run(self, mb):\n        return mb\n", False),
        ("def outer():\n    def run(mb):\n        return mb\n", False),
    ],
)
def test_entry_script_needs_top_level_run(tmp_path, source, ok):
    (tmp_path / "score.py").write_text(source)
    where = Where("job.yml", "task.entry_script")
    if ok:
        check_entry_script(str(tmp_path), "score.py", where)
    else:
        with pytest.raises(PipelineSpecError, match="run"):
            check_entry_script(str(tmp_path), "score.py", where)


def test_scalar_coercion_matches_marshmallow():
    w = Where("f.yml", "k")
    assert [as_int(v, w) for v in (3, "4", 5.9, " 6 ")] == [3, 4, 5, 6]
    for bad in (True, "2.5", "x", None, [1]):
        with pytest.raises(PipelineSpecError):
            as_int(bad, w)
    assert [as_bool(v, w) for v in (True, "yes", "False", 0, "on")] == [
        True,
        True,
        False,
        False,
        True,
    ]
    with pytest.raises(PipelineSpecError):
        as_bool("maybe", w)


def test_fill_run_time_leaves_unknown_bindings():
    from daskprs.spec.bindings import fill_run_time

    tokens = ("--o", "${{outputs.o}}", "--x", "${{outputs.other}}", "plain")
    assert fill_run_time(tokens, {}, {"o": "/run/step/outputs/o"}) == (
        "--o",
        "/run/step/outputs/o",
        "--x",
        "${{outputs.other}}",
        "plain",
    )


def test_spec_package_exports():
    import daskprs.spec

    assert set(daskprs.spec.__all__) == {"SpecWarning", "load_job", "validate_job"}
    for name in daskprs.spec.__all__:
        assert getattr(daskprs.spec, name) is not None
