"""The MLTable file: parse with pyyaml, validate, and freeze into :class:`MLTable` (the
model is :mod:`daskprs.data.model`).

Keys, defaults and allowed values follow the ``mltable`` library's JSON schema
(``mltable/schema/MLTable.json``) and its ``from_*`` helpers. Every problem is an
:class:`~daskprs.errors.MLTableError` naming the MLTable file, the dotted key and what would be
valid. Paths are resolved (relative to the MLTable file's folder) and checked here, so a bad
table fails before any worker starts.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.data import paths as _paths
from daskprs.data.formats import READERS, get_format
from daskprs.data.mltable_options import MLTableContext, parse_transform
from daskprs.data.model import (
    MLTABLE_FILE_NAME,
    TOP_LEVEL_KEYS,
    TRANSFORMS,
    MLTable,
    PathSpec,
    Reader,
    Transform,
)
from daskprs.data.partition_format import parse_partition_format
from daskprs.errors import MLTableError

__all__ = [
    "MLTable",
    "load_mltable",
    "parse_mltable",
    "parse_transformations",
    "read_mltable_file",
]


def load_mltable(path: str, storage_options: dict[str, Any] | None = None) -> MLTable:
    """Read and validate the MLTable at ``path`` (a folder holding ``MLTable``, or the file)."""
    path = str(path)
    if _paths.is_azureml_reference(path):
        raise MLTableError(
            "azureml: asset references cannot be resolved without a workspace; point the input "
            "at a local folder or an fsspec URL holding the MLTable file instead",
            file=path,
        )
    if path.startswith("file://"):
        path = path[len("file://") :]
    if not _paths.is_url(path):
        path = os.path.abspath(path)
    _folder, source, text = read_mltable_file(path, storage_options)
    return parse_mltable(text, source, storage_options)


def read_mltable_file(
    path: str, storage_options: dict[str, Any] | None = None
) -> tuple[str, str, str]:
    """(the MLTable's folder, the MLTable file, its text) for ``path``: a folder holding a
    file named ``MLTable``, or that file. At most ``safe_yaml.MAX_YAML_BYTES`` of UTF-8."""
    try:
        fs, root = _paths.get_fs(path, storage_options)
    except (ImportError, ValueError) as exc:
        raise MLTableError(f"cannot open {path!r}: {exc}", file=path) from None
    if fs.isdir(root):
        folder, file_root = path, root.rstrip("/") + "/" + MLTABLE_FILE_NAME
        source = path.rstrip("/") + "/" + MLTABLE_FILE_NAME
    else:
        folder, file_root, source = _paths.parent(path), root, path
    if not fs.isfile(file_root):
        raise MLTableError(
            "no MLTable file found: the path must be a folder containing a file named 'MLTable' "
            "or the MLTable file itself",
            file=source,
        )
    with fs.open(file_root, "rb") as fh:
        data = fh.read(safe_yaml.MAX_YAML_BYTES + 1)
    try:
        text = safe_yaml.text_of(data)
    except safe_yaml.YamlRefused as exc:
        raise MLTableError(str(exc), file=source) from None
    return folder, source, text


def parse_mltable(
    text: str, source_file: str, storage_options: dict[str, Any] | None = None
) -> MLTable:
    """Parse MLTable YAML ``text`` read from ``source_file`` (used to resolve relative paths)."""
    ctx = MLTableContext(source_file)
    try:
        doc = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        raise MLTableError(f"malformed YAML: {exc}", file=source_file) from None
    except safe_yaml.YamlRefused as exc:
        raise MLTableError(str(exc), file=source_file) from None
    if not isinstance(doc, dict):
        raise MLTableError(
            "an MLTable file must be a YAML mapping with a 'paths' list (and optionally "
            "'transformations')",
            file=source_file,
        )
    for k in doc:
        if k not in TOP_LEVEL_KEYS:
            raise ctx.error(
                str(k), f"unknown key; valid top-level keys are: {', '.join(TOP_LEVEL_KEYS)}"
            )
    if "type" in doc and doc["type"] != "mltable":
        raise ctx.error("type", f"must be 'mltable', got {doc['type']!r}")
    base_dir = _paths.parent(source_file)
    path_specs = _parse_paths(ctx, doc.get("paths"), base_dir, storage_options)
    reader, transforms = _transformations(ctx, doc.get("transformations"))
    table = MLTable(
        source_file=source_file,
        base_dir=base_dir,
        paths=path_specs,
        reader=reader,
        transforms=transforms,
        storage_options=storage_options,
    )
    if table.partition_format is not None:
        for t in transforms:
            if t.name == "extract_columns_from_partition_format":
                try:
                    parse_partition_format(t.partition_format)
                except ValueError as exc:
                    raise ctx.error(f"{t.key}.partition_format", str(exc)) from None
    return table


def _parse_paths(
    ctx: MLTableContext, raw: Any, base_dir: str, storage_options: dict[str, Any] | None
) -> tuple[PathSpec, ...]:
    if raw is None:
        raise ctx.error(
            "paths", "missing: an MLTable needs a 'paths' list of {file|folder|pattern: path}"
        )
    if not isinstance(raw, list) or not raw:
        raise ctx.error(
            "paths", f"expected a non-empty list of {{file|folder|pattern: path}}, got {raw!r}"
        )
    out = []
    for i, item in enumerate(raw):
        key = f"paths[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise ctx.error(
                key,
                f"expected one of {{file: ...}}, {{folder: ...}}, {{pattern: ...}}, got {item!r}",
            )
        kind, value = next(iter(item.items()))
        if kind not in ("file", "folder", "pattern"):
            raise ctx.error(
                f"{key}.{kind}", "unknown path kind; valid kinds are: file, folder, pattern"
            )
        key = f"{key}.{kind}"
        if not isinstance(value, str) or not value:
            raise ctx.error(key, f"expected a path string, got {value!r}")
        if _paths.is_azureml_reference(value) or value.startswith("azureml://"):
            raise ctx.error(
                key,
                f"{value!r} is an Azure ML datastore/asset reference, which needs a workspace; "
                "use a local path (relative to the MLTable file) or an fsspec URL instead",
            )
        resolved = _paths.join(base_dir, value)
        spec = PathSpec(kind=kind, value=resolved, written=value, key=key)
        _check_path(ctx, spec, storage_options)
        out.append(spec)
    return tuple(out)


def _check_path(
    ctx: MLTableContext, spec: PathSpec, storage_options: dict[str, Any] | None
) -> None:
    try:
        fs, root = _paths.get_fs(spec.value, storage_options)
    except (ImportError, ValueError) as exc:
        raise ctx.error(spec.key, f"cannot open {spec.value!r}: {exc}") from None
    if spec.kind == "file":
        if not fs.isfile(root):
            raise ctx.error(spec.key, f"file {spec.value!r} does not exist")
    elif spec.kind == "folder":
        if not fs.isdir(root):
            raise ctx.error(spec.key, f"folder {spec.value!r} does not exist")
    elif not fs.glob(root):
        raise ctx.error(spec.key, f"pattern {spec.value!r} matches no file")


def _transformations(ctx: MLTableContext, raw: Any) -> tuple[Reader | None, tuple[Transform, ...]]:
    if raw is None:
        return None, ()
    if not isinstance(raw, list):
        raise ctx.error("transformations", f"expected a list of transformations, got {raw!r}")
    reader: Reader | None = None
    transforms: list[Transform] = []
    valid = ", ".join(READERS + TRANSFORMS)
    for i, item in enumerate(raw):
        key = f"transformations[{i}]"
        if isinstance(item, str):
            name, args = item, None
        elif isinstance(item, dict) and len(item) == 1:
            name, args = next(iter(item.items()))
        else:
            raise ctx.error(
                key, f"expected one transformation as {{name: options}}; valid names are: {valid}"
            )
        key = f"{key}.{name}"
        if name in READERS:
            if reader is not None:
                raise ctx.error(
                    key, f"a second reader; an MLTable has one reader and already has {reader.name}"
                )
            reader = get_format(name).options(ctx, args, key)
        elif name in TRANSFORMS:
            if isinstance(item, str) and name != "extract_columns_from_partition_format":
                raise ctx.error(key, "this transformation needs options")
            transforms.append(parse_transform(ctx, name, args, key))
        else:
            raise ctx.error(
                key, f"unknown transformation {name!r}; valid transformations are: {valid}"
            )
    return reader, tuple(transforms)


def parse_transformations(
    raw: Any, file: str = "<mltable>"
) -> tuple[Reader | None, tuple[Transform, ...]]:
    """A ``transformations`` list (as written in an MLTable file) validated into its reader and
    transformations; errors name ``file``. Used by :mod:`daskprs.mltable` to check the steps
    its Python API adds before they are saved or read."""
    return _transformations(MLTableContext(file), raw)
