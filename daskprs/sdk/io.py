"""``Input`` and ``Output``: the port and data declarations of azure-ai-ml (1.35), same
keyword arguments and defaults (``azure.ai.ml.Input`` / ``azure.ai.ml.Output``)."""

from __future__ import annotations

import os
from typing import Any

from daskprs.sdk._util import LITERAL_TYPES, absolute, compact

_INPUT_FIELDS = (
    "type",
    "path",
    "mode",
    "path_on_compute",
    "default",
    "optional",
    "min",
    "max",
    "enum",
    "description",
    "datastore",
)
_OUTPUT_FIELDS = (
    "type",
    "path",
    "mode",
    "name",
    "version",
    "description",
    "path_on_compute",
    "early_available",
    "is_control",
)


class Input:
    """An input: data (``uri_file``, ``uri_folder``, ``mltable``...) with a ``path``, or a
    literal (``string``, ``integer``, ``number``, ``boolean``) with a ``default``.

    As a port declaration (``parallel_run_function(inputs={"data": Input(type="mltable")})``)
    only ``type``/``mode``/``default``/``optional`` matter; as a value
    (``my_pipeline(data=Input(type="uri_file", path="./sales.csv"))``) ``path`` says where the
    data is. Relative local paths are relative to the current directory.
    """

    def __init__(
        self,
        *,
        type: str = "uri_folder",
        path: str | None = None,
        mode: str | None = None,
        path_on_compute: str | None = None,
        default: str | int | float | bool | None = None,
        optional: bool | None = None,
        min: int | float | None = None,
        max: int | float | None = None,
        enum: Any = None,
        description: str | None = None,
        datastore: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.type = type
        # like azure-ai-ml: a non-string path (os.PathLike, a binding) is kept as its text
        self.path = None if path is None else (path if isinstance(path, str) else _path_text(path))
        self.mode = None if type in LITERAL_TYPES else mode
        self.path_on_compute = path_on_compute
        self.default = default
        self.optional = optional
        self.min = min
        self.max = max
        self.enum = enum
        self.description = description
        self.datastore = datastore
        self._kwargs = kwargs

    @property
    def _is_primitive_type(self) -> bool:
        return self.type in LITERAL_TYPES

    def _to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        out = compact((f, getattr(self, f)) for f in _INPUT_FIELDS)
        if base_dir is not None and "path" in out:
            out["path"] = absolute(out["path"], base_dir)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Input) and self._to_dict() == other._to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Input({self._to_dict()})"


class Output:
    """An output: ``type`` (``uri_folder`` by default), optional ``path`` (where it goes;
    default ``<run>/<step>/outputs/<name>``) and ``mode``. ``name``/``version`` (asset
    registration) are accepted and recorded, as azure-ai-ml accepts them."""

    def __init__(
        self,
        *,
        type: str = "uri_folder",
        path: str | None = None,
        mode: str | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.type: str | None = type
        self.path = None if path is None else (path if isinstance(path, str) else _path_text(path))
        self.mode = mode
        self.description = description
        self.name = kwargs.pop("name", None)
        self.version = kwargs.pop("version", None)
        self.path_on_compute = kwargs.pop("path_on_compute", None)
        self.early_available = kwargs.pop("early_available", None)
        self.is_control = kwargs.pop("is_control", None)
        self._kwargs = kwargs

    def _to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        out = compact((f, getattr(self, f)) for f in _OUTPUT_FIELDS)
        if base_dir is not None and "path" in out:
            out["path"] = absolute(out["path"], base_dir)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Output) and self._to_dict() == other._to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Output({self._to_dict()})"


def _path_text(path: Any) -> str:
    return os.fspath(path) if isinstance(path, os.PathLike) else str(path)
