"""Shipping the entry script's ``code`` folder to workers that do not share the driver's disk.

The driver packs the folder into a zip (in memory); each worker unpacks it once into a folder
named by the content hash, so a changed script is a new folder (never a stale copy) and
unchanged code is not unpacked twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile

MAX_CODE_BYTES = 256 * 1024 * 1024
_SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", ".venv", "node_modules"}


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
                digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
                zf.writestr(rel, data)
    return buf.getvalue(), digest.hexdigest()[:16]


def unpack(archive: bytes, code_hash: str, root: str | None = None) -> str:
    """Unpack once per worker machine; returns the folder."""
    root = root or os.path.join(tempfile.gettempdir(), "daskprs-code")
    target = os.path.join(root, code_hash)
    if os.path.isdir(target):
        return target
    os.makedirs(root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{code_hash}-", dir=root)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        zf.extractall(tmp)
    try:
        os.rename(tmp, target)
    except OSError:  # another worker on this machine was faster
        shutil.rmtree(tmp, ignore_errors=True)
    return target
