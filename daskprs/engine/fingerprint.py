"""The plan's fingerprint: what must not change between a run and its ``--resume``.

A resumed run keeps the mini batches its ledger committed and runs the others. That is only
right when "mini batch 7" means the same rows as before: same input files (path, size,
modification time or ETag), same mini-batch cut (``mini_batch_size``, ``partition_keys``, the
MLTable's content), same entry script, same output mode. ``<step>/state/plan.json`` records
the fingerprint when a step first runs; ``--resume`` compares and refuses a different one
(exit 2, naming what changed) unless ``--force-replan`` discards the step's old state.

Files are identified by (size, mtime) locally and by (size, ETag or mtime) through fsspec; past
:data:`MAX_STATTED` files only their names and sizes are compared (a listing of a million files
is not stat'ed twice).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from daskprs.atomic import write_text
from daskprs.errors import PipelineSpecError
from daskprs.spec.model import ParallelStep

MAX_STATTED = 10_000


def _digest(obj: Any) -> str:
    data = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def _file_identity(path: str) -> list[Any]:
    from daskprs.data import paths

    try:
        fs, p = paths.get_fs(path)
        if paths.is_local(fs):
            st = os.stat(p)
            return [st.st_size, st.st_mtime_ns]
        info = fs.info(p)
        tag = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified")
        return [info.get("size"), str(tag)]
    except (OSError, ValueError):
        return ["missing"]


def _input_files(pieces: list[Any], work_dir: str) -> list[str]:
    files: dict[str, None] = {}
    tables_seen: set[int] = set()  # every key-file mini batch shares its table: list it once
    for piece in pieces:
        for f in getattr(piece, "files", ()):
            files[f] = None
        for part in getattr(piece, "parts", ()):
            if not part.path.startswith(work_dir):
                files[part.path] = None
        table = getattr(piece, "table", None)
        if getattr(piece, "materialized", False) and table is not None:
            if id(table) in tables_seen:
                continue
            tables_seen.add(id(table))
            from daskprs.data.planning import table_files

            for entry in table_files(table):
                files[entry.path] = None
    return list(files)


def _content(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()[:16]
    except OSError:
        return "missing"


def fingerprint(step: ParallelStep, input_path: str, pieces: list[Any], work_dir: str) -> dict:
    """The fingerprint of a planned step (JSON-able; see the module docstring)."""
    files = _input_files(pieces, work_dir)
    ids = {f: _file_identity(f) for f in files[:MAX_STATTED]}
    script = step.entry_script
    script_path = os.path.join(step.code_dir, script) if script.endswith(".py") else ""
    mltable = ""
    if step.input_data.type == "mltable" and "://" not in input_path:
        mltable = _content(os.path.join(input_path, "MLTable"))
    return {
        "input": input_path,
        "input_type": step.input_data.type,
        "mini_batch_size": step.mini_batch_size,
        "partition_keys": list(step.partition_keys or ()),
        "append_row": bool(step.append_row_to),
        "dataframe_header": step.prs.append_row_dataframe_header,
        "mltable": mltable,
        "entry_script": _content(script_path) if script_path else script,
        "mini_batches": len(pieces),
        "pieces": _digest([p.describe() for p in pieces]),
        "files": len(files),
        "file_identities": _digest(ids),
        "file_names": _digest(files),
    }


LABELS = {
    "input": "the input path",
    "input_type": "the input type",
    "mini_batch_size": "mini_batch_size",
    "partition_keys": "partition_keys",
    "append_row": "append_row_to",
    "dataframe_header": "--append_row_dataframe_header",
    "mltable": "the MLTable file",
    "entry_script": "the entry script",
    "mini_batches": "the number of mini batches",
    "pieces": "the mini batches' contents",
    "files": "the number of input files",
    "file_identities": "the input files (size or modification time)",
    "file_names": "the input files' names",
}


def differences(old: dict, new: dict) -> list[str]:
    out = []
    for key, label in LABELS.items():
        if old.get(key) != new.get(key):
            if key in ("mini_batch_size", "partition_keys", "mini_batches", "files", "input"):
                out.append(f"{label} ({old.get(key)!r} -> {new.get(key)!r})")
            else:
                out.append(label)
    return out


def check(path: str, new: dict, *, step: str, source: str | None, force_replan: bool) -> bool:
    """Compare with the fingerprint stored at ``path``. Returns True when the stored state
    is compatible (or there is none), False when ``force_replan`` says to discard it; raises
    a spec error naming what changed otherwise."""
    if not os.path.exists(path):
        return True
    try:
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)
    except (OSError, ValueError):
        old = {}
    changed = differences(old, new)
    if not changed:
        return True
    if force_replan:
        return False
    raise PipelineSpecError(
        f"--resume: the plan of step {step!r} changed since the run began: "
        f"{'; '.join(changed)}. The committed mini batches would not match the new ones. "
        "Resume with the original inputs and settings, or pass --force-replan to discard this "
        "step's progress and run it again.",
        file=source,
    )


def save(path: str, fp: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_text(path, json.dumps(fp, indent=1))
