"""entry_script and the code folder never lead out of the code folder (issue 17, point 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import daskprs
from daskprs.errors import PipelineSpecError
from tests.helpers.jobs import JobFolder

SCORE = "def run(mini_batch):\n    return mini_batch\n"


@pytest.fixture
def folder(tmp_path) -> JobFolder:
    jf = JobFolder(tmp_path / "job")
    jf.table(rows=20)
    jf.script(SCORE)
    return jf


def _yaml(jf: JobFolder, **settings):
    return jf.parallel_yaml({"type": "mltable", "path": "./table"}, **settings)


def test_an_entry_script_with_dotdot_is_a_spec_error(folder, tmp_path):
    planted = tmp_path / "x.py"  # what a file planted in the worker's temp dir would be
    planted.write_text(SCORE)
    yml = _yaml(folder, entry_script="../../x.py")
    with pytest.raises(PipelineSpecError, match=r"task\.entry_script.*inside task\.code"):
        daskprs.load_job(yml)
    proc = subprocess.run(
        [sys.executable, "-m", "daskprs", "job", "validate", "--file", str(yml)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "must be a path inside task.code" in proc.stderr


def test_dotdot_that_comes_back_in_is_fine(folder):
    (folder.root / "code" / "sub").mkdir()
    job = daskprs.load_job(_yaml(folder, entry_script="sub/../score.py"))
    assert job.steps["job"].entry_script == "sub/../score.py"


def test_an_entry_script_symlinked_out_of_the_code_folder_is_a_spec_error(folder, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text(SCORE)
    (folder.root / "code" / "linked.py").symlink_to(outside)
    with pytest.raises(PipelineSpecError, match="symlink.*outside the code folder"):
        daskprs.load_job(_yaml(folder, entry_script="linked.py"))


@pytest.mark.parametrize("target", ["file", "dir"])
def test_a_symlink_out_of_the_code_folder_is_a_spec_error(folder, tmp_path, target):
    secret = tmp_path / "secrets"
    secret.mkdir()
    (secret / "id_rsa").write_text("PRIVATE KEY")
    link = folder.root / "code" / "lib"
    link.symlink_to(secret / "id_rsa" if target == "file" else secret)
    with pytest.raises(PipelineSpecError, match="symlink lib -> .*leads out of it") as err:
        daskprs.load_job(_yaml(folder))
    assert err.value.key == "task.entry_script"


def test_symlinks_inside_the_code_folder_are_fine(folder):
    code = folder.root / "code"
    (code / "pkg").mkdir()
    (code / "pkg" / "util.py").write_text("X = 1\n")
    (code / "alias").symlink_to(code / "pkg")
    (code / "entry.py").symlink_to(code / "score.py")
    daskprs.load_job(_yaml(folder, entry_script="entry.py"))
