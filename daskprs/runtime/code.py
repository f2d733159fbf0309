"""Shipping the entry script's ``code`` folder to workers that do not share the driver's disk.

The driver packs the folder into a zip (in memory); each worker unpacks it into a folder named
by the content hash, in a per-user cache (``<tmp>/daskprs-code-<uid>``, mode 0700), so a
changed script is a new folder and unchanged code is not unpacked twice.

A cached folder is checked every time it is reused: it must hold exactly the archive's files
with the archive's content (the hash is recomputed from the files on disk; Python's own
``__pycache__`` folders are removed). Anything else — an edited, added or removed file — and
the folder is thrown away and unpacked afresh, so the code that runs is the code the driver
sent.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from typing import Any

from daskprs.private import private_dir

MAX_CODE_BYTES = 256 * 1024 * 1024
_SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", ".venv", "node_modules"}
_lock = threading.Lock()


def pack(code_dir: str) -> tuple[bytes, str]:
    """(zip bytes, content hash) of ``code_dir``; files sorted so the hash is stable."""
    buf = io.BytesIO()
    digest = hashlib.sha256()
    total = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, dirs, files in os.walk(code_dir):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
            for name in sorted(files):
                if name.endswith(".pyc"):
                    continue
                path = os.path.join(root, name)
                rel = os.path.relpath(path, code_dir).replace(os.sep, "/")
                with open(path, "rb") as fh:
                    data = fh.read()
                total += len(data)
                if total > MAX_CODE_BYTES:
                    raise ValueError(
                        f"the code folder {code_dir} holds more than {MAX_CODE_BYTES >> 20} MiB; "
                        "keep data and models out of task.code and pass them as inputs"
                    )
                _add(digest, rel, data)
                zf.writestr(rel, data)
    return buf.getvalue(), digest.hexdigest()[:16]


def _add(digest: Any, rel: str, data: bytes) -> None:
    digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())


def unpack(archive: bytes, code_hash: str, root: str | None = None) -> str:
    """The folder holding ``archive``'s files, verified against ``code_hash``."""
    root = root or private_dir("daskprs-code")
    target = os.path.join(root, code_hash)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        with _lock:  # the threads of one worker; other workers on this machine may race too
            for _ in range(3):
                if os.path.isdir(target):
                    if verify(target, names, code_hash):
                        return target
                    _discard(target, root)
                tmp = tempfile.mkdtemp(prefix=f".{code_hash}-", dir=root)
                zf.extractall(tmp)
                try:
                    os.rename(tmp, target)
                except OSError:  # another worker on this machine was faster: check its copy
                    shutil.rmtree(tmp, ignore_errors=True)
    raise RuntimeError(f"the code folder {target} keeps changing while it is unpacked")


def verify(folder: str, names: list[str], code_hash: str) -> bool:
    """``folder`` holds exactly the files ``names`` (archive order) and they hash to
    ``code_hash``. ``__pycache__`` folders are removed (Python rebuilds them)."""
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        for d in [d for d in dirs if d == "__pycache__"]:
            shutil.rmtree(os.path.join(root, d), ignore_errors=True)
            dirs.remove(d)
        for d in dirs:
            if os.path.islink(os.path.join(root, d)):
                return False  # a zip unpacks no symlinks
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                return False
            found.add(os.path.relpath(path, folder).replace(os.sep, "/"))
    if found != set(names):
        return False
    digest = hashlib.sha256()
    for rel in names:
        with open(os.path.join(folder, *rel.split("/")), "rb") as fh:
            _add(digest, rel, fh.read())
    return digest.hexdigest()[:16] == code_hash


def _discard(target: str, root: str) -> None:
    """Move a tampered folder out of the way (atomic), then delete it."""
    trash = os.path.join(root, f".discard-{uuid.uuid4().hex}")
    try:
        os.rename(target, trash)
    except FileNotFoundError:  # another worker discarded it first
        return
    shutil.rmtree(trash, ignore_errors=True)
