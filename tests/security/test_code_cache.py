"""The worker's code cache: per-user, mode 0700, verified on every reuse (issue 17, point 1).

The same on a real `dask worker`: tests/cluster/test_code_cache_cluster.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from daskprs import private
from daskprs.runtime.code import pack, unpack
from tests.helpers.files import read_text


@pytest.fixture
def code(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "score.py").write_text("def run(mb):\n    return mb\n")
    (src / "pkg" / "helper.py").write_text("X = 1\n")
    archive, code_hash = pack(str(src))
    return archive, code_hash, tmp_path / "cache"


def _unpack(code):
    archive, code_hash, root = code
    root.mkdir(exist_ok=True)
    return unpack(archive, code_hash, str(root))


def test_unchanged_cache_is_reused(code):
    first = _unpack(code)
    marker = os.stat(first).st_ino
    assert _unpack(code) == first and os.stat(first).st_ino == marker


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: (d / "score.py").write_text("def run(mb):\n    return ['TAMPERED']\n"),
        lambda d: (d / "pkg" / "helper.py").unlink(),
        lambda d: (d / "pkg" / "evil.py").write_text("print('planted')\n"),
        lambda d: (d / "pkg" / "helper.pyc").write_bytes(b"planted"),
        lambda d: (d / "etc").symlink_to("/etc"),
    ],
    ids=["edited", "removed", "added", "added-pyc", "symlink"],
)
def test_a_changed_cache_is_unpacked_again(code, tamper):
    folder = _unpack(code)
    original = {p: read_text(os.path.join(folder, p), "rb") for p in ("score.py", "pkg/helper.py")}
    tamper(Path(folder))
    again = _unpack(code)
    assert again == folder
    found = sorted(
        os.path.relpath(os.path.join(r, f), again) for r, _, fs in os.walk(again) for f in fs
    )
    assert found == ["pkg/helper.py", "score.py"]
    for rel, data in original.items():
        assert read_text(os.path.join(again, rel), "rb") == data


def test_pycache_is_removed_on_reuse(code):
    folder = _unpack(code)
    cache = os.path.join(folder, "__pycache__")
    os.mkdir(cache)
    with open(os.path.join(cache, "score.cpython-311.pyc"), "wb") as fh:
        fh.write(b"crafted bytecode")
    assert _unpack(code) == folder
    assert not os.path.exists(cache)


def test_the_cache_is_per_user_and_private(tmp_path, monkeypatch):
    monkeypatch.setattr(private.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(private, "_fallback", {})
    path = private.private_dir("daskprs-code")
    assert path == str(tmp_path / f"daskprs-code-{os.getuid()}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.chmod(path, 0o755)  # made readable by someone: tightened again
    assert private.private_dir("daskprs-code") == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to create another user's folder")
def test_a_folder_squatted_by_another_user_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(private.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(private, "_fallback", {})
    squat = tmp_path / f"daskprs-code-{os.getuid()}"
    squat.mkdir(mode=0o777)
    os.chown(squat, 65534, 65534)  # nobody's
    path = private.private_dir("daskprs-code")
    assert path != str(squat)
    st = os.stat(path)
    assert st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) == 0o700


def test_a_symlink_in_place_of_the_cache_is_not_followed(tmp_path, monkeypatch):
    monkeypatch.setattr(private.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(private, "_fallback", {})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"daskprs-code-{os.getuid()}").symlink_to(elsewhere)
    path = private.private_dir("daskprs-code")
    assert os.path.realpath(path) != str(elsewhere)
