"""daskprs's own code for other interpreters: a copy of its packages (``daskprs``,
``azureml_user`` inside it) under ``<env dir>/.runtime/<fingerprint>/``, put on PYTHONPATH of entry
processes and command steps that run in a built (or mapped) environment.

The environment itself holds only third-party packages (the user's and the runtime's), so it
stays valid across daskprs changes; the copy is keyed by a hash of the source, so a changed
daskprs never runs stale code. Written into a temporary folder and renamed: never half there.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.util
import os
import shutil
import uuid

PACKAGES = ("daskprs",)  # azureml_user is inside it (daskprs.runtime.compat)
_SKIP = ("__pycache__",)
_fingerprints: dict[str, str] = {}


def package_dirs() -> list[str]:
    dirs: list[str] = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.append(list(spec.submodule_search_locations)[0])
    return dirs


def _files(root: str) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP)
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames) if not f.endswith(".pyc"))
    return out


def fingerprint() -> str:
    """A hash of daskprs's source files (computed once per process)."""
    if "value" not in _fingerprints:
        h = hashlib.sha256()
        for root in package_dirs():
            base = os.path.dirname(root)
            for path in _files(root):
                h.update(os.path.relpath(path, base).encode() + b"\0")
                with open(path, "rb") as fh:
                    h.update(fh.read())
                h.update(b"\0")
        _fingerprints["value"] = h.hexdigest()[:16]
    return _fingerprints["value"]


def ensure_overlay(env_dir: str) -> str:
    """The folder to put on PYTHONPATH; copied on first use of this daskprs source."""
    target = os.path.join(env_dir, ".runtime", fingerprint())
    if os.path.isdir(target):
        return target
    tmp = os.path.join(env_dir, ".runtime", f".tmp-{uuid.uuid4().hex[:8]}")
    os.makedirs(tmp)
    try:
        for root in package_dirs():
            shutil.copytree(
                root,
                os.path.join(tmp, os.path.basename(root)),
                ignore=shutil.ignore_patterns(*_SKIP, "*.pyc"),
            )
        compileall.compile_dir(tmp, quiet=1)  # entry processes may not write __pycache__
        try:
            os.rename(tmp, target)
        except OSError:  # another process put it there first: same content
            if not os.path.isdir(target):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
