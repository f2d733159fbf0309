"""``load`` and the ``from_*`` builders: an MLTable document from a file or from arguments.

As mltable does, they check the document's shape (our data layer's parser checks every
transformation) but do not open the data paths: a missing file is reported, with its key, when
the data is read. Local paths are made absolute (``file:///...``), relative ones against the
MLTable's folder (``load``) or the working directory (``from_*``); ``paths`` keeps them as
given.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.data import paths as _paths
from daskprs.data.mltable_spec import read_mltable_file
from daskprs.errors import MLTableError
from daskprs.mltable import _document
from daskprs.mltable._enums import parse_encoding, parse_header
from daskprs.mltable._errors import argument_error
from daskprs.mltable._table import MLTable, column_type_mappings
from daskprs.urls import is_remote

MLTABLE_FILE_NAME = "MLTable"
_RFC3339 = re.compile(
    r"^((?:(\d{4}-(0[1-9]|1[0-2])-([0-3]\d))T(\d{2}:\d{2}:\d{2}(?:\.\d+)?))(Z|[\+-]\d{2}:\d{2})?)$"
)


def load(uri: str, storage_options: dict[str, Any] | None = None, ml_client: Any = None) -> MLTable:
    """The MLTable in folder ``uri`` (a local path or any fsspec URL; or the MLTable file).

    ``storage_options`` are passed to fsspec; ``ml_client`` is accepted and not used: Azure ML
    asset URIs (``azureml:...``) need a workspace and are not served by daskprs.
    """
    if not isinstance(uri, (str, os.PathLike)):
        raise argument_error("load", "uri", f"expected a path or URL string, got {uri!r}")
    uri = os.fspath(uri)
    if uri.startswith("azureml:"):
        raise MLTableError(
            "Azure ML asset and datastore URIs (azureml:...) need a workspace, which daskprs "
            "does not use; give the folder holding the MLTable file (a local path or an fsspec "
            "URL such as s3://bucket/folder)",
            file=uri,
        )
    folder, text = _read_mltable_file(uri, storage_options)
    source = (
        _paths.join(folder, MLTABLE_FILE_NAME)
        if is_remote(folder)
        else os.path.join(folder, MLTABLE_FILE_NAME)
    )
    try:
        raw = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        raise MLTableError(f"malformed YAML: {exc}", file=source) from None
    except safe_yaml.YamlRefused as exc:  # an alias bomb, nesting too deep
        raise MLTableError(str(exc), file=source) from None
    if not isinstance(raw, dict):
        raise MLTableError(
            "an MLTable file is a YAML mapping with a 'paths' list (and optionally "
            "'transformations')",
            file=source,
        )
    return _build(raw, folder, source, storage_options)


def _read_mltable_file(uri: str, storage_options: dict[str, Any] | None) -> tuple[str, str]:
    """(the MLTable's folder, the MLTable file's text)."""
    if uri.startswith(_document.FILE_SCHEME):
        uri = uri[len(_document.FILE_SCHEME) :]
    if not is_remote(uri):
        uri = os.path.normpath(os.path.abspath(uri))
    folder, _source, text = read_mltable_file(uri, storage_options)
    return folder.rstrip("/") if is_remote(folder) else folder, text


def _build(
    raw: dict[str, Any], base: str, source: str, storage_options: dict[str, Any] | None = None
) -> MLTable:
    """An MLTable from a document whose relative paths are relative to ``base``."""
    for key in raw:
        if key not in ("$schema", "type", "metadata", "paths", "transformations", "traits"):
            raise MLTableError(
                "unknown key; valid top-level keys are: $schema, type, metadata, paths, "
                "transformations, traits",
                file=source,
                key=str(key),
            )
    if raw.get("type", "mltable") != "mltable":
        raise MLTableError(f"must be 'mltable', got {raw['type']!r}", file=source, key="type")
    items = _document.check_paths(raw.get("paths"), source)
    _document.validate_steps(raw.get("transformations"), source)
    pairs = _document.absolute_paths(items, base)
    doc = _document.canonical({**raw, "paths": [p for _, p in pairs]})
    return MLTable._create(doc, pairs, base, source, storage_options)


def from_paths(paths: list[dict[str, str]]) -> MLTable:
    """A file-list MLTable: ``paths`` is a list of ``{file|folder|pattern: path}`` (relative
    local paths are relative to the working directory)."""
    return _from("from_paths", paths, None, {})


def _from(call: str, paths: Any, reader: str | None, args: dict[str, Any]) -> MLTable:
    source = f"mltable.{call}()"
    items = _document.check_paths(paths, source, key=f"{call}(paths)")
    raw: dict[str, Any] = {"paths": items}
    if reader is not None:
        raw["transformations"] = [{reader: args}]
    return _build(raw, os.getcwd(), source)


def from_delimited_files(
    paths: list[dict[str, str]],
    header: Any = "all_files_same_headers",
    delimiter: str = ",",
    support_multi_line: bool = False,
    empty_as_string: bool = False,
    encoding: Any = "utf8",
    include_path_column: bool = False,
    infer_column_types: Any = True,
) -> MLTable:
    """An MLTable reading delimited (CSV) files; the arguments are ``read_delimited``'s."""
    call = "from_delimited_files"
    infer = _infer_column_types(infer_column_types)
    return _from(
        call,
        paths,
        "read_delimited",
        {
            "delimiter": delimiter,
            "header": parse_header(call, header),
            "support_multi_line": support_multi_line,
            "empty_as_string": empty_as_string,
            "encoding": parse_encoding(call, encoding),
            "include_path_column": include_path_column,
            "infer_column_types": infer,
        },
    )


def _infer_column_types(infer: Any) -> Any:
    call, arg = "from_delimited_files", "infer_column_types"
    if isinstance(infer, bool):
        return infer
    if not isinstance(infer, dict):
        raise argument_error(call, arg, f"expected a bool or a dict, got {infer!r}")
    if not infer:
        return True
    extra = set(infer) - {"sample_size", "column_type_overrides"}
    if extra:
        raise argument_error(
            call,
            arg,
            f"unknown keys {sorted(extra)}; valid keys: sample_size, column_type_overrides",
        )
    out = dict(infer)
    size = infer.get("sample_size", 1)
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise argument_error(call, arg, f"sample_size must be a positive integer, got {size!r}")
    if "column_type_overrides" in infer:
        out["column_type_overrides"] = column_type_mappings(
            call, infer["column_type_overrides"], allow_stream=False
        )
    return out


def from_parquet_files(paths: list[dict[str, str]], include_path_column: bool = False) -> MLTable:
    """An MLTable reading parquet files."""
    return _from(
        "from_parquet_files", paths, "read_parquet", {"include_path_column": include_path_column}
    )


def from_json_lines_files(
    paths: list[dict[str, str]],
    invalid_lines: str = "error",
    encoding: Any = "utf8",
    include_path_column: bool = False,
) -> MLTable:
    """An MLTable reading JSON lines files; ``invalid_lines``: 'error' or 'drop'."""
    call = "from_json_lines_files"
    if invalid_lines not in ("error", "drop"):
        raise argument_error(
            call, "invalid_lines", f"expected 'error' or 'drop', got {invalid_lines!r}"
        )
    return _from(
        call,
        paths,
        "read_json_lines",
        {
            "invalid_lines": invalid_lines,
            "encoding": parse_encoding(call, encoding),
            "include_path_column": include_path_column,
        },
    )


def from_delta_lake(
    delta_table_uri: str,
    timestamp_as_of: str | None = None,
    version_as_of: int | None = None,
    include_path_column: bool = False,
) -> MLTable:
    """An MLTable reading a Delta Lake table (folder ``delta_table_uri``), at a version or a
    time (RFC 3339, e.g. ``2022-10-01T00:00:00Z``) if given. Needs the ``deltalake`` package."""
    call = "from_delta_lake"
    if timestamp_as_of and version_as_of:
        raise argument_error(call, "timestamp_as_of, version_as_of", "give one of them, not both")
    if timestamp_as_of and (
        not isinstance(timestamp_as_of, str) or not _RFC3339.match(timestamp_as_of)
    ):
        raise argument_error(
            call,
            "timestamp_as_of",
            f"{timestamp_as_of!r} is not an RFC 3339 / ISO 8601 timestamp; for example "
            "'2022-10-01T00:00:00Z' or '2022-10-01T22:10:57+02:00'",
        )
    if not isinstance(delta_table_uri, str):
        raise argument_error(call, "delta_table_uri", f"expected a folder, got {delta_table_uri!r}")
    return _from(
        call,
        [{"folder": delta_table_uri}],
        "read_delta_lake",
        {
            "version_as_of": version_as_of,
            "timestamp_as_of": timestamp_as_of,
            "include_path_column": include_path_column,
        },
    )
