"""The environment cache: what ``daskprs env list`` shows and ``daskprs env prune`` removes.

Layout of an env dir::

    <key>/                 a complete environment (daskprs-env.json inside says so)
    .tmp/                  builds in progress (or killed midway)
    .locks/<key>.lock      one build at a time per environment
    .logs/<key>.log        the last build's log
    .used/<key>            touched on every use (prune --days)
    .runtime/<hash>/       daskprs's own code for other interpreters, per daskprs source
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from typing import Any

from daskprs.envs import build, overlay


def _size(path: str) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def list_envs(env_dir: str, sizes: bool = True) -> list[dict[str, Any]]:
    env_dir = os.path.abspath(os.path.expanduser(env_dir))
    out: list[dict[str, Any]] = []
    if not os.path.isdir(env_dir):
        return out
    for key in sorted(os.listdir(env_dir)):
        path = os.path.join(env_dir, key)
        if key.startswith(".") or not os.path.isdir(path):
            continue
        info = build.read_marker(path)
        used = os.path.join(env_dir, ".used", key)
        row: dict[str, Any] = {
            "hash": key,
            "path": path,
            "complete": info is not None,
            "python_version": (info or {}).get("python_version"),
            "builder": (info or {}).get("builder"),
            "conda_file": (info or {}).get("conda_file"),
            "requirements": (info or {}).get("requirements", []),
            "created": (info or {}).get("created"),
            "last_used": os.path.getmtime(used) if os.path.exists(used) else None,
        }
        if sizes:
            row["bytes"] = _size(path)
        out.append(row)
    return out


def prune(env_dir: str, days: float | None = None, dry_run: bool = False) -> list[str]:
    """Remove environments unused for ``days`` (None: every one), broken ones, leftovers of
    killed builds and runtime copies of other daskprs sources. Each environment is removed
    under its build lock. Returns the paths removed (or that would be)."""
    env_dir = os.path.abspath(os.path.expanduser(env_dir))
    removed: list[str] = []
    if not os.path.isdir(env_dir):
        return removed
    now = time.time()
    for row in list_envs(env_dir, sizes=False):
        last = row["last_used"] or row["created"] or 0.0
        if row["complete"] and days is not None and now - last < days * 86400:
            continue
        removed.append(row["path"])
        if not dry_run:
            _remove_locked(env_dir, row["hash"])
    tmp = os.path.join(env_dir, ".tmp")
    for name in sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []:
        key = name.rsplit("-", 1)[0].removesuffix(".requirements.txt")
        if _unlocked(env_dir, key):  # no build is running for it
            removed.append(os.path.join(tmp, name))
            if not dry_run:
                _rm(os.path.join(tmp, name))
    runtime = os.path.join(env_dir, ".runtime")
    current = overlay.fingerprint()
    for name in sorted(os.listdir(runtime)) if os.path.isdir(runtime) else []:
        if name != current:
            removed.append(os.path.join(runtime, name))
            if not dry_run:
                _rm(os.path.join(runtime, name))
    return removed


def _rm(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.remove(path)
        except OSError:
            pass


def _remove_locked(env_dir: str, key: str) -> None:
    with build.locked(env_dir, key):
        path = os.path.join(env_dir, key)
        # renamed away first: a lookup never sees a half-deleted environment as complete
        doomed = os.path.join(env_dir, ".tmp", f"{key}-removing-{os.getpid()}")
        os.makedirs(os.path.dirname(doomed), exist_ok=True)
        os.rename(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    for extra in (
        os.path.join(env_dir, ".used", key),
        os.path.join(env_dir, ".logs", f"{key}.log"),
    ):
        _rm(extra)


def _unlocked(env_dir: str, key: str) -> bool:
    lock = os.path.join(env_dir, ".locks", f"{key}.lock")
    if not os.path.exists(lock):
        return True
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True
