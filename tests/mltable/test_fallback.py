"""``import mltable`` falls back to daskprs.mltable, and only when no real mltable is importable.

Each case runs a fresh ``python`` (this venv's, which has no mltable package) the way a command
step runs it: with the fallback's ``_site`` folder first on PYTHONPATH
(:func:`daskprs.mltable._fallback.command_environment`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from daskprs.mltable import _fallback

LINE = "`import mltable` is served by daskprs.mltable"


def python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", _fallback.ENV_SWITCH)}
    return _fallback.command_environment(base)


def test_this_venv_has_no_real_mltable(tmp_path) -> None:
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = python("import mltable", plain, tmp_path)
    assert "No module named 'mltable'" in proc.stderr  # so the tests below test the fallback


def test_import_is_served_by_daskprs_and_logged_once(env, tmp_path) -> None:
    code = (
        "import importlib, sys, mltable\n"
        "import mltable as again\n"
        "from mltable import load, MLTable, DataType\n"
        "from mltable.mltable import MLTableHeaders, MLTableSaveOverwriteOption\n"
        "import daskprs.mltable as impl\n"
        "assert again is mltable and MLTable is impl.MLTable and load is impl.load\n"
        "assert sorted(mltable.__all__) == sorted(impl.__all__)\n"
        "print(mltable.from_paths([{'file': 'x'}]).paths)\n"
    )
    proc = python(code, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[{'file': 'x'}]"
    assert proc.stderr.count(LINE) == 1, proc.stderr
    assert sys.executable in proc.stderr


def test_a_real_mltable_wins(env, tmp_path) -> None:
    real = tmp_path / "site"
    (real / "mltable").mkdir(parents=True)
    (real / "mltable" / "__init__.py").write_text("REAL = True\n")
    env = {**env, "PYTHONPATH": env["PYTHONPATH"] + os.pathsep + str(real)}
    proc = python("import mltable; print(mltable.REAL, mltable.__file__)", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("True " + str(real))
    assert LINE not in proc.stderr


def test_the_hidden_sitecustomize_still_runs(env, tmp_path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import builtins\nbuiltins.OTHER_SITE = 42\n")
    env = {**env, "PYTHONPATH": env["PYTHONPATH"] + os.pathsep + str(other)}
    proc = python("import builtins, mltable; print(builtins.OTHER_SITE)", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "42"


def test_the_site_folder_holds_only_sitecustomize() -> None:
    names = {p.name for p in Path(_fallback.SITE_DIR).iterdir() if p.name != "__pycache__"}
    assert names == {"sitecustomize.py"}  # nothing else on the command's path can shadow


def test_switched_off(env, tmp_path) -> None:
    proc = python("import mltable", {**env, _fallback.ENV_SWITCH: "0"}, tmp_path)
    assert "No module named 'mltable'" in proc.stderr


def test_a_python_without_daskprs_is_left_alone(env, tmp_path) -> None:
    """Another interpreter started by the command (``python -S`` here stands for one whose
    site-packages lack daskprs) runs normally and finds no mltable."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import sitecustomize; import mltable"
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code, _fallback.SITE_DIR],
        env={**env, "PYTHONPATH": ""},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # sitecustomize imported quietly; only the user's own import fails
    assert proc.stderr.strip().splitlines()[-1] == "ModuleNotFoundError: No module named 'mltable'"
    assert "sitecustomize" not in proc.stderr


def test_install_appends_once_at_the_end() -> None:
    before = list(sys.meta_path)
    try:
        assert _fallback.install() and _fallback.install()
        added = [f for f in sys.meta_path if getattr(f, "daskprs_mltable_fallback", False)]
        assert len(added) == 1 and sys.meta_path[-1] is added[0]
    finally:
        sys.meta_path[:] = before


def test_command_environment() -> None:
    env = _fallback.command_environment({"PYTHONPATH": "/a" + os.pathsep + "/b"})
    assert env["PYTHONPATH"].split(os.pathsep) == [_fallback.SITE_DIR, "/a", "/b"]
    assert _fallback.command_environment(env) == env
    off = {_fallback.ENV_SWITCH: "0"}
    assert _fallback.command_environment(off) == off
