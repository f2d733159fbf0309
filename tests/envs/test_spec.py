"""Conda files, requirements and hashes (no builds)."""

from __future__ import annotations

import importlib.metadata as md
import sys

import pytest
from packaging.requirements import Requirement

from daskprs.envs import interpreters
from daskprs.envs.conda import parse_conda, read_conda_file
from daskprs.envs.request import make_request
from daskprs.envs.requirements import RUNTIME_REQUIREMENTS, runtime_conflicts, unsatisfied
from daskprs.errors import SpecError

RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _doc(*deps):
    return {"name": "x", "channels": ["conda-forge"], "dependencies": list(deps)}


def test_pip_entries_verbatim_conda_packages_mapped_others_reported():
    spec = parse_conda(
        _doc(
            "python=3.11",
            "pip=23.0",
            "numpy=1.26",
            "conda-forge::scikit-learn>=1.3,<1.6",
            "pytorch 2.1.*",
            "pandas==2.1.4=py311_0",
            "libgcc-ng",
            "mkl=2023.1",
            {"pip": ["cloudpickle==2.2.1", "--extra-index-url https://example.org/simple"]},
        ),
        "env.yml",
    )
    assert spec.python == "==3.11.*" and spec.python_text == "python=3.11"
    assert spec.mapped == (
        "numpy==1.26.*",
        "scikit-learn>=1.3,<1.6",
        "torch==2.1.*",
        "pandas==2.1.4",
    )
    assert spec.pip == ("cloudpickle==2.2.1", "--extra-index-url https://example.org/simple")
    assert spec.unmapped == ("libgcc-ng", "mkl=2023.1")
    assert spec.requirements == (*spec.mapped, *spec.pip)
    for req in spec.mapped:
        Requirement(req)  # valid PEP 508


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"dependencies": "numpy"}, "dependencies"),
        (_doc({"pip": "cloudpickle"}), "dependencies[0]"),
        (_doc({"pip": [3]}), "dependencies[0].pip[0]"),
        (_doc("numpy 1.2|1.3"), "dependencies[0]"),
        (_doc(""), "dependencies[0]"),
    ],
)
def test_bad_conda_files_name_the_file_and_key(bad, key):
    with pytest.raises(SpecError) as err:
        parse_conda(bad, "env.yml")
    assert err.value.file == "env.yml" and err.value.key == key


def test_unreadable_conda_file(tmp_path):
    path = tmp_path / "env.yml"
    path.write_text("dependencies: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML") as err:
        read_conda_file(str(path))
    assert err.value.file == str(path)


def test_a_runtime_pin_the_runtime_cannot_use_is_an_error_naming_both():
    conflicts = runtime_conflicts(("pandas==1.1.5", "pyarrow==15.0.0", "numpy==1.0"))
    assert [(c.user, c.runtime) for c in conflicts] == [("pandas==1.1.5", "pandas>=2.0")]
    spec = parse_conda(_doc(f"python={RUNNING}", {"pip": ["pandas==1.1.5"]}), "env.yml")
    with pytest.raises(SpecError) as err:
        make_request(spec, "step 'x'", "jobs.x.task.environment")
    assert "pandas==1.1.5" in str(err.value) and "pandas>=2.0" in str(err.value)
    assert err.value.file == "env.yml"


def test_hash_follows_content_not_form():
    a = parse_conda(_doc(f"python={RUNNING}", {"pip": ["cloudpickle==2.2.1"]}), "a.yml")
    b = parse_conda(
        {
            "name": "other",
            "dependencies": [f"python={RUNNING}", "pip", {"pip": ["cloudpickle==2.2.1"]}],
        },
        "elsewhere/b.yml",
    )
    c = parse_conda(_doc(f"python={RUNNING}", {"pip": ["cloudpickle==2.2.0"]}), "a.yml")
    ka, kb, kc = (make_request(s, "w", "k").key for s in (a, b, c))
    assert ka == kb != kc
    assert ka.startswith(f"py{RUNNING}-")


def test_python_versions():
    assert interpreters.wanted_minor(interpreters.specifier("==3.12.*", "f", "k")) == "3.12"
    assert interpreters.wanted_minor(interpreters.specifier("", "f", "k")) == RUNNING
    assert interpreters.wanted_minor(interpreters.specifier(">=3.10", "f", "k")) == RUNNING
    spec = interpreters.specifier("==2.7.*", "f", "k")
    with pytest.raises(SpecError, match=r"Python 2\.7.*3\.10 or later"):
        interpreters.find(spec, "2.7", "step 'x'", "env.yml", "python")
    found = interpreters.find(interpreters.specifier("", "f", "k"), RUNNING, "w", "f", "k")
    assert found.minor == RUNNING


def test_current_mode_check_names_what_is_missing_or_other():
    cp = md.version("cloudpickle")
    out = unsatisfied(
        (
            f"cloudpickle=={cp}",  # satisfied
            "cloudpickle==0.0.1",
            "daskprs-surely-not-installed>=1",
            "--index-url https://example.org",  # an option: not checked
            "pandas; python_version < '3'",  # marker false: not checked
        )
    )
    assert out == [
        f"cloudpickle==0.0.1 ({cp} installed)",
        "daskprs-surely-not-installed>=1 (not installed)",
    ]


def test_runtime_requirements_follow_pyproject():
    declared = {Requirement(r).name: str(Requirement(r).specifier) for r in md.requires("daskprs")}
    for line in RUNTIME_REQUIREMENTS:
        req = Requirement(line)
        assert declared.get(req.name) == str(req.specifier), (line, declared)
