"""Helpers shared by the SDK objects: path resolution, literal types, dropping unset fields."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

DATA_TYPES = ("uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
LITERAL_TYPES = ("string", "integer", "number", "boolean")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")  # s3://, https://, azureml:, file:...

PYTHON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def absolute(path: Any, base_dir: str) -> Any:
    """A local relative path made absolute against ``base_dir``. URLs, ``azureml:``
    references, bindings (``${{...}}``) and absolute paths stay as they are."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        return path
    text = path.strip()
    if not text or text.startswith("${{") or _URL.match(text) or os.path.isabs(text):
        return path
    return os.path.normpath(os.path.join(base_dir, text))


def literal_type(value: Any) -> str | None:
    """The input type of a Python literal (``bool`` before ``int``: it is one)."""
    for py, name in PYTHON_TYPES.items():
        if isinstance(value, py):
            return name
    return None


def compact(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A dict of the pairs whose value is set (not None, not an empty dict or list)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if value is None or (isinstance(value, (dict, list)) and not value):
            continue
        out[key] = value
    return out
