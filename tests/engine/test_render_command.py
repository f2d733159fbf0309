"""A command step's command line: bindings substituted with the spec's grammar, values quoted."""

from __future__ import annotations

import pytest

from daskprs.engine.command import render_command


def test_inputs_and_outputs_are_substituted_and_quoted() -> None:
    text = render_command(
        "python run.py --n ${{inputs.n}} --in ${{ inputs.data }} --out ${{outputs.result}}",
        {"n": 3, "data": "/tmp/my data"},
        {"result": "/tmp/out"},
    )
    assert text == "python run.py --n 3 --in '/tmp/my data' --out /tmp/out"


def test_optional_segment_dropped_when_its_input_is_unset() -> None:
    command = "run $[[--model ${{inputs.model}}]] $[[--k ${{inputs.k}}]]"
    assert render_command(command, {"k": True}, {}) == "run  --k True"


def test_globals_are_left_as_written() -> None:
    assert render_command("echo ${{name}}", {}, {}) == "echo ${{name}}"


def test_unbound_input_is_an_error() -> None:
    with pytest.raises(KeyError):
        render_command("run ${{inputs.missing}}", {}, {})
