"""Helpers for the data-layer tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write_table(
    folder: Path, spec: dict[str, Any], files: dict[str, str | bytes] | None = None
) -> Path:
    """Write data files and an MLTable file into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8", newline="")
    (folder / "MLTable").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


def csv_spec(path: str = "./data.csv", kind: str = "file", **options: Any) -> dict[str, Any]:
    return {"paths": [{kind: path}], "transformations": [{"read_delimited": options}]}
