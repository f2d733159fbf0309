"""Local copies of remote input files: what ``run()`` gets for a file of a ``uri_folder`` /
``uri_file`` / file-list input on an object store or web server.

Copies live in a per-user cache (``<tmp>/daskprs-input-cache-<uid>``, mode 0700), keyed by
the URL *and* the version the store reports for it (``fs.info()``: ETag, content hash,
generation or last-modified time, and size). Each use asks the store for that version again
(one metadata request), so a file that changed remotely is downloaded afresh and an old copy
is never served. A store that reports no version at all gets no reuse: the file is downloaded
for every mini batch. Older versions of a URL are deleted once unused for an hour.

``DASKPRS_INPUT_CACHE=0`` in an entry process's environment (``job create
--no-input-cache``, or ``environment_variables:``) turns reuse off: every mini batch
downloads its files again (into the same place, replacing the copy there).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
import uuid
from typing import Any

from daskprs.data import paths
from daskprs.private import private_dir

ENV = "DASKPRS_INPUT_CACHE"
STALE_SECONDS = 3600
# what fsspec implementations report that changes when the content does (s3fs: ETag,
# LastModified, VersionId; gcsfs: md5Hash, generation, updated; adlfs: etag,
# last_modified; http: ETag, Content-MD5, Digest, Last-Modified; others: mtime, ...)
_VERSION_KEYS = (
    "ETag",
    "etag",
    "e_tag",
    "md5Hash",
    "Content-MD5",
    "Digest",
    "checksum",
    "generation",
    "VersionId",
    "version_id",
    "LastModified",
    "last_modified",
    "Last-Modified",
    "updated",
    "mtime",
    "modified",
)


def enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def version(info: dict[str, Any]) -> dict[str, str] | None:
    """The version fields of ``fs.info()``; None when the store reports none."""
    found = {k: str(info[k]) for k in _VERSION_KEYS if info.get(k) not in (None, "")}
    if not found:
        return None
    found["size"] = str(info.get("size"))
    return found


def local_copy(path: str, storage_options: dict[str, Any] | None = None) -> str:
    """A local path holding ``path``'s current content: ``path`` itself when local."""
    fs, p = paths.get_fs(path, storage_options)
    if paths.is_local(fs):
        return p
    info = fs.info(p)
    ver = version(info)
    url_dir = os.path.join(private_dir("daskprs-input-cache"), _digest(path))
    key = _digest(json.dumps(ver, sort_keys=True)) if ver is not None else "latest"
    target = os.path.join(url_dir, key, os.path.basename(p.rstrip("/")) or "file")
    size = info.get("size")
    reuse = ver is not None and enabled()
    if reuse and os.path.isfile(target) and (size is None or os.path.getsize(target) == size):
        os.utime(os.path.dirname(target))  # in use: not stale
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = f"{target}.{uuid.uuid4().hex}.part"
    try:
        fs.get_file(p, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _prune(url_dir, keep=key)
    return target


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prune(url_dir: str, keep: str) -> None:
    """Delete this URL's other versions that nobody used for :data:`STALE_SECONDS`."""
    now = time.time()
    for entry in os.scandir(url_dir):
        if entry.name == keep or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if now - entry.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(entry.path, ignore_errors=True)
        except FileNotFoundError:  # another process pruned it
            pass


def without_cache(job: Any) -> Any:
    """``job`` with :data:`ENV` = ``"0"`` in every parallel step's environment."""
    steps = {
        name: dataclasses.replace(
            step, environment_variables={**step.environment_variables, ENV: "0"}
        )
        if step.type == "parallel"
        else step
        for name, step in job.steps.items()
    }
    return dataclasses.replace(job, steps=steps)
