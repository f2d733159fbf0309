"""The SDK's names take the same arguments, with the same defaults, as azure-ai-ml 1.35.

``azure_signatures.json`` is the snapshot (``azure_signatures.py`` makes it); when a venv with
azure-ai-ml exists (``.venv-azure``) the snapshot itself is checked against it."""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from daskprs import sdk

HERE = Path(__file__).parent
SNAPSHOT = json.loads((HERE / "azure_signatures.json").read_text())
AZURE_PYTHON = HERE.parents[1] / ".venv-azure" / "bin" / "python"


def ours(obj: Any) -> list[list[Any]]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    out = []
    for p in inspect.signature(target).parameters.values():
        if p.name == "self":
            continue
        default = "<required>" if p.default is p.empty else p.default
        out.append([p.name, p.kind.name, default])
    return out


NAMES = sorted(k for k in SNAPSHOT if k != "azure-ai-ml")


def test_snapshot_covers_the_public_names() -> None:
    assert SNAPSHOT["azure-ai-ml"].startswith("1.35")
    assert set(NAMES) <= set(sdk.__all__)
    assert {"parallel_run_function", "RunFunction", "RetrySettings", "Input", "Output"} <= set(
        NAMES
    )
    assert {"load_component", "command", "pipeline"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_same_arguments_and_defaults_as_azure(name: str) -> None:
    assert ours(getattr(sdk, name)) == SNAPSHOT[name]


def test_alias_modules_mirror_azure_import_paths() -> None:
    from daskprs.sdk.dsl import pipeline
    from daskprs.sdk.entities import Environment, JobResourceConfiguration, RetrySettings
    from daskprs.sdk.parallel import RunFunction, parallel_run_function

    assert pipeline is sdk.pipeline and parallel_run_function is sdk.parallel_run_function
    assert RunFunction is sdk.RunFunction and RetrySettings is sdk.RetrySettings
    assert (
        Environment is sdk.Environment and JobResourceConfiguration is sdk.JobResourceConfiguration
    )


@pytest.mark.skipif(not AZURE_PYTHON.exists(), reason="needs .venv-azure with azure-ai-ml")
def test_snapshot_matches_installed_azure_ai_ml() -> None:
    proc = subprocess.run(
        [str(AZURE_PYTHON), str(HERE / "azure_signatures.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(proc.stdout) == SNAPSHOT
