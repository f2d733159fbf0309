"""Folders only the current user may read: the per-user caches in the temp dir (the worker's
code cache, the remote input cache).

The shared temp dir is writable by every user of a machine. A cache folder there is created
with mode 0700 and used only when it is a real folder (not a symlink) owned by this user; one
that another user created first is never trusted, and a private folder of this process's own
is used instead.
"""

from __future__ import annotations

import os
import stat
import tempfile

_fallback: dict[str, str] = {}


def _owner() -> str:
    uid = getattr(os, "getuid", None)
    if uid is not None:
        return str(uid())
    import getpass

    return getpass.getuser()


def private_dir(name: str) -> str:
    """``<tmp>/<name>-<uid>``, mode 0700 and owned by this user (made so when needed)."""
    if name in _fallback:
        return _fallback[name]
    path = os.path.join(tempfile.gettempdir(), f"{name}-{_owner()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    if _is_ours(path):
        return path
    # someone else's folder (or a symlink) squats the name: never use it
    _fallback[name] = tempfile.mkdtemp(prefix=f"{name}-{_owner()}-")
    return _fallback[name]


def _is_ours(path: str) -> bool:
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return True
