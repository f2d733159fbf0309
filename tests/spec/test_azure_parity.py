"""Differential test: the parity corpus through our load_job and through azure-ai-ml's.

azure-ai-ml lives in its own venv (``bash scripts/oracle-azure-venv.sh`` creates
``.venv-azure``); it runs in a subprocess, offline. Skipped when that venv is absent.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS, azure_settings, cases, our_settings, ours

from daskprs.spec.arguments import extract_prs
from daskprs.spec.keys import Where
from daskprs.spec.model import ParallelStep

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.filterwarnings("ignore::daskprs.spec.components.SpecWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
AZURE_PYTHON = Path(os.environ.get("DASKPRS_AZURE_PYTHON", ROOT / ".venv-azure" / "bin" / "python"))
CASES = cases()


@pytest.fixture(scope="module")
def azure() -> dict[str, dict[str, Any]]:
    if not AZURE_PYTHON.exists():
        pytest.skip(f"{AZURE_PYTHON} not found: run bash scripts/oracle-azure-venv.sh")
    items = [{"file": name, "set": case.get("set", [])} for name, case in CASES.items()]
    proc = subprocess.run(
        [str(AZURE_PYTHON), str(CORPUS / "azure_probe.py"), "-"],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        cwd=CORPUS,
        timeout=600,
        env={**os.environ, "AZUREML_LOG_LEVEL": "ERROR"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return {r["file"]: r for r in results}


@pytest.mark.parametrize("name", sorted(CASES))
def test_verdicts_agree(azure, name):
    case = CASES[name]
    job, error = ours(name, case)
    our_verdict = "accept" if job is not None else "reject"
    result = azure[name]
    azure_verdict = "accept" if result["accepted"] else "reject"
    assert our_verdict == case["expect"], f"ours: {error}"
    expected_azure = case.get("azure", case["expect"])
    assert azure_verdict == expected_azure, f"azure: {result['error']}"
    if "azure" not in case:
        assert our_verdict == azure_verdict


ACCEPTED = sorted(n for n, c in CASES.items() if c["expect"] == "accept" and "azure" not in c)


@pytest.mark.parametrize("name", ACCEPTED)
def test_normalised_settings_agree(azure, name):
    job, error = ours(name, CASES[name])
    assert job is not None, error
    result = azure[name]
    assert set(result["steps"]) == set(job.steps)
    compared = 0
    for step_name, step in job.steps.items():
        theirs = result["steps"][step_name]
        if not isinstance(step, ParallelStep):
            continue
        assert "probe_error" not in theirs, theirs
        expected = azure_settings(theirs)
        mine = our_settings(step)
        assert {k: mine[k] for k in expected} == expected
        assert step.entry_script == theirs["entry_script"]
        raw_args = theirs.get("program_arguments")
        if raw_args:  # the same runtime settings come out of the string Azure carries
            tokens = tuple(shlex.split(raw_args))
            assert extract_prs(tokens, Where(name)) == step.prs
        compared += 1
    assert compared >= 1


def test_parity_summary(azure):
    """At least 25 cases, and every case without a documented difference agrees."""
    agree = 0
    for name, case in CASES.items():
        job, _ = ours(name, case)
        if "azure" not in case and (job is not None) == azure[name]["accepted"]:
            agree += 1
    same = sum(1 for c in CASES.values() if "azure" not in c)
    assert same >= 25 and agree == same
