"""``MLTable.save()``: the MLTable file (and with ``colocated`` the data files) in a folder.

The paths are rewritten as mltable rewrites them. Not colocated: a local path becomes relative
to the destination folder (``../data/x.csv``), or stays absolute when the relative path would
climb to the root; URLs stay as given. Colocated: the files are copied under the destination,
keeping their place relative to the folder the MLTable was loaded from (or, for paths outside
it, to the first folder below their common parent), and the paths name the copies.

The transformations are written as the MLTable schema spells them (``_document.portable``): the
real library reads that into the same document, and daskprs jobs read it too.

Every conflict is checked before anything is written (``overwrite=False`` / ``'fail'``), the
MLTable file is written last and atomically, and on an error the files written so far are
removed (``if_err_remove_files``).
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

import yaml

from daskprs.data import paths as _paths
from daskprs.mltable import _document
from daskprs.mltable._enums import MLTableSaveOverwriteOption, parse_overwrite
from daskprs.mltable._errors import MLTableNotImplementedError, MLTableSaveError
from daskprs.urls import is_remote

if TYPE_CHECKING:
    from daskprs.mltable._table import MLTable

MLTABLE_FILE_NAME = "MLTable"


def save(
    table: MLTable,
    path: str | None,
    overwrite: Any,
    colocated: bool,
    show_progress: bool,
    if_err_remove_files: bool,
) -> None:
    option = parse_overwrite(overwrite)
    dest = os.fspath(path) if path is not None else os.getcwd()
    if dest.startswith(_document.FILE_SCHEME):
        dest = dest[len(_document.FILE_SCHEME) :]
    remote = is_remote(dest)
    if not remote:
        dest = os.path.normpath(os.path.abspath(dest))
    fs, root = _paths.get_fs(dest, table._storage_options)
    if fs.isfile(root):
        raise MLTableSaveError(
            "the destination is a file; save() writes into a folder", file=dest, key="save(path)"
        )
    copies: list[tuple[str, str]] = []  # (source file, destination relative to dest)
    new_paths = []
    for og, processed in table._path_pairs:
        item, files = _save_path(table, og, processed, dest, remote, colocated)
        new_paths.append(item)
        copies.extend(files)
    doc = _document.portable(table._to_yaml_dict())
    doc["paths"] = new_paths
    targets = [(src, _join(dest, rel, remote)) for src, rel in copies]
    mltable_file = _join(dest, MLTABLE_FILE_NAME, remote)
    existing = [t for _, t in targets if fs.exists(t)] + (
        [mltable_file] if fs.exists(mltable_file) else []
    )
    if existing and option is MLTableSaveOverwriteOption.FAIL_ON_CONFLICT:
        raise MLTableSaveError(
            f"{len(existing)} file(s) already exist, the first {existing[0]!r}; pass "
            "overwrite=True to replace them or overwrite='skip' to keep them",
            file=dest,
            key="save(overwrite)",
        )
    skip = set(existing) if option is MLTableSaveOverwriteOption.SKIP else set()
    written: list[str] = []
    try:
        for src, target in targets:
            if target in skip or _same_file(src, target):
                continue
            _copy(src, fs, target, remote)
            written.append(target)
            if show_progress:
                print(f"copied {src} -> {target}")
        if mltable_file not in skip:
            _write(fs, mltable_file, yaml.safe_dump(doc).encode("utf-8"), remote)
    except BaseException:
        if if_err_remove_files:
            for target in written:
                try:
                    fs.rm(target)
                except OSError:
                    pass
        raise


def _save_path(
    table: MLTable,
    og: dict[str, str],
    processed: dict[str, str],
    dest: str,
    remote: bool,
    colocated: bool,
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    kind, og_value = next(iter(og.items()))
    _, value = next(iter(processed.items()))
    local = _document.local_path(value)
    if not colocated:
        if local is not None:
            if remote:
                raise MLTableSaveError(
                    "local paths can only be saved to a remote folder with colocated=True (the "
                    f"files are then copied); {og_value!r} is local",
                    file=dest,
                    key="save(colocated)",
                )
            return {kind: _relative(local, dest)}, []
        if is_remote(og_value):
            return dict(og), []
        return dict(processed), []  # relative to a remote MLTable: keep it absolute
    if local is None or is_remote(table._load_uri):
        raise MLTableNotImplementedError("MLTable.save(colocated=True) for remote paths")
    base, item = table._load_uri, dict(og)
    if os.path.isabs(og_value) or ".." in og_value.split(os.sep):
        common = os.path.commonpath([table._load_uri, local])
        rel = os.path.relpath(local, common)
        child, sep, remainder = rel.partition(os.sep)
        base, item = (
            (os.path.join(common, child), {kind: remainder}) if sep else (common, {kind: rel})
        )
    return item, [(f, os.path.relpath(f, base)) for f in _files(kind, local)]


def _relative(local: str, dest: str) -> str:
    """mltable's rule: relative to ``dest``, unless that climbs to the root (then absolute)."""
    if os.path.splitdrive(local)[0] != os.path.splitdrive(dest)[0]:
        return local
    rel = os.path.normpath(os.path.relpath(local, dest))
    return local if rel.endswith(local) else rel


def _files(kind: str, local: str) -> list[str]:
    import glob

    if kind == "file":
        return [local]
    if kind == "folder":
        return _paths.walk_local(local) if os.path.isdir(local) else []
    return sorted(p for p in glob.glob(local, recursive=True) if os.path.isfile(p))


def _join(dest: str, rel: str, remote: bool) -> str:
    if remote:
        return dest.rstrip("/") + "/" + rel.replace(os.sep, "/")
    return os.path.join(dest, rel)


def _same_file(src: str, target: str) -> bool:
    try:
        return os.path.samefile(src, target)
    except OSError:
        return False


def _copy(src: str, fs: Any, target: str, remote: bool) -> None:
    if remote:
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(src, target)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = f"{target}.{os.getpid()}.tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, target)


def _write(fs: Any, target: str, data: bytes, remote: bool) -> None:
    """Write ``data`` to ``target``; locally through a temporary file and a rename."""
    if remote:
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.pipe_file(target, data)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
