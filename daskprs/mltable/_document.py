"""The MLTable document: the dict mltable builds, and its translation for our data layer.

An :class:`~daskprs.mltable.MLTable` holds its MLTable file as a dict, in the form the real
library gives from ``_to_yaml_dict()`` (its Rust core, rslex, rewrites every step into one
canonical form): readers with all their defaults written out, column patterns as
``{ignoreCase, invert, pattern, selector: name_regex}``, ``type: mltable``, no ``$schema``.
:func:`canonical` produces that form; ``save()`` writes it, so the real library loads what we
save, and :func:`canonical` accepts what it saved.

Reading goes through ``daskprs.data`` (one implementation): :func:`parser_form` rewrites the
canonical steps into the spelling ``daskprs.data.mltable_spec`` parses, and
:func:`validate_steps` checks every step with that parser (without touching the paths, which
mltable only opens when the data is read).
"""

from __future__ import annotations

import copy
import os
from typing import Any

from daskprs.data import paths as _paths
from daskprs.data.formats import READERS
from daskprs.data.mltable_options import EXTRACT_DEFAULTS
from daskprs.data.mltable_spec import parse_transformations
from daskprs.data.partition_format import parse_partition_format
from daskprs.errors import MLTableError
from daskprs.mltable._errors import DOCS
from daskprs.urls import FILE_SCHEME, is_remote

DEFAULT_PARTITION_SIZE = 20 * 1024 * 1024  # mltable's partition_size for CSV / JSON lines
POST_STEPS = ("select_partitions", "sample")  # steps mltable has and daskprs.data does not
PATH_KINDS = ("file", "folder", "pattern")

_READER_DEFAULTS: dict[str, dict[str, Any]] = {
    "read_delimited": {
        "delimiter": ",",
        "empty_as_string": False,
        "encoding": "utf8",
        "header": "all_files_same_headers",
        "include_path_column": False,
        "infer_column_types": True,
        "partition_size": DEFAULT_PARTITION_SIZE,
        "path_column": "Path",
        "support_multi_line": False,
    },
    "read_json_lines": {
        "encoding": "utf8",
        "include_path_column": False,
        "invalid_lines": "error",
        "partition_size": DEFAULT_PARTITION_SIZE,
        "path_column": "Path",
    },
    "read_parquet": {"include_path_column": False, "path_column": "Path"},
    "read_delta_lake": {"include_path_column": False},
}
# rslex writes these encodings in their short form; the others as given
_ENCODING_SPELLING = {"utf-8": "utf8", "latin-1": "latin1", "iso-8859-1": "iso88591"}


# ---------------------------------------------------------------------------- canonical form


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_nulls(v) for v in value if v is not None]
    return value


def canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as mltable's ``_to_yaml_dict()`` gives it (a new dict; unknown shapes kept)."""
    out: dict[str, Any] = {}
    for key, value in _drop_nulls(copy.deepcopy(doc)).items():
        if key == "$schema" or (key in ("metadata", "traits") and not value):
            continue
        if key == "transformations" and isinstance(value, list):
            if not value:
                continue
            value = [canonical_step(step) for step in value]
        out[key] = value
    out["type"] = doc.get("type", "mltable")
    return out


def canonical_step(step: Any) -> Any:
    """One transformation in canonical form: ``{name: arguments}``."""
    if isinstance(step, str) and step in _READER_DEFAULTS:
        step = {step: {}}
    if not (isinstance(step, dict) and len(step) == 1):
        return step
    name, args = next(iter(step.items()))
    if name in _READER_DEFAULTS and (args is None or isinstance(args, dict)):
        args = {**_READER_DEFAULTS[name], **(args or {})}
        if isinstance(args.get("encoding"), str):
            args["encoding"] = _ENCODING_SPELLING.get(args["encoding"], args["encoding"])
        infer = args.get("infer_column_types")
        if isinstance(infer, dict) and isinstance(infer.get("column_type_overrides"), list):
            infer["column_type_overrides"] = _conversions(infer["column_type_overrides"])
    elif name in ("keep_columns", "drop_columns"):
        args = _selector(args)
    elif name == "convert_column_types" and isinstance(args, list):
        args = _conversions(args)
    elif name == "extract_columns_from_partition_format" and isinstance(args, dict):
        args = {**EXTRACT_DEFAULTS, **args}
    return {name: args}


def _selector(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict) and "pattern" in value and "selector" not in value:
        # the MLTable schema documents ignore_case; rslex reads only ignoreCase (and silently
        # drops ignore_case): we honour both (docs/mltable.md)
        return {
            "ignoreCase": value.get("ignoreCase", value.get("ignore_case", False)),
            "invert": value.get("invert", False),
            "pattern": value["pattern"],
            "selector": "name_regex",
        }
    return value


def _conversions(items: list[Any]) -> list[Any]:
    out = []
    for item in items:
        if isinstance(item, dict):
            item = dict(item)
            if "columns" in item:
                item["columns"] = _selector(item["columns"])
            if "column_type" in item:
                item["column_type"] = _column_type(item["column_type"])
        out.append(item)
    return out


def _column_type(value: Any) -> Any:
    if not (isinstance(value, dict) and len(value) == 1):
        return value
    name, opts = next(iter(value.items()))
    if not isinstance(opts, dict):
        return value
    opts = dict(opts)
    if name == "boolean" and "true_values" in opts and "false_values" in opts:
        opts.setdefault("mismatch_as", "error")
    if name == "datetime":
        formats = opts.get("formats")
        if isinstance(formats, (list, tuple)) and len(formats) == 1:
            opts["formats"] = formats[0]  # rslex writes a single format as a string
        elif isinstance(formats, tuple):
            opts["formats"] = list(formats)
    return {name: opts}


# ---------------------------------------------------------------------------- paths


def absolute_paths(
    items: list[dict[str, str]], base: str
) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(as given, absolute) pairs: local paths become ``file:///abs/path`` (relative ones are
    relative to ``base``), URLs stay as they are, as mltable's ``_make_all_paths_absolute``."""
    pairs = []
    for item in items:
        kind, value = next(iter(item.items()))
        pairs.append((dict(item), {kind: _absolute(value, base)}))
    return pairs


def _absolute(value: str, base: str) -> str:
    if value.startswith(FILE_SCHEME) or is_remote(value):
        return value
    if is_remote(base):
        return _paths.join(base, value)
    value = os.path.normpath(value)
    if not os.path.isabs(value):
        value = os.path.join(base, value)
    return FILE_SCHEME + os.path.abspath(value)


def local_path(value: str) -> str | None:
    """The plain local path of a ``file://`` (or plain) path; None for a URL."""
    if value.startswith(FILE_SCHEME):
        return value[len(FILE_SCHEME) :]
    return None if is_remote(value) else value


def check_paths(items: Any, file: str | None, key: str = "paths") -> list[dict[str, str]]:
    """``paths``: a non-empty list of ``{file|folder|pattern: path}`` (MLTableError otherwise)."""
    if not isinstance(items, (list, tuple)) or not items:
        raise MLTableError(
            f"expected a non-empty list of {{file|folder|pattern: path}}, got {items!r}",
            file=file,
            key=key,
        )
    for i, item in enumerate(items):
        ok = isinstance(item, dict) and len(item) == 1
        kind, value = next(iter(item.items())) if ok else (None, None)
        if not ok or kind not in PATH_KINDS or not isinstance(value, str) or not value:
            raise MLTableError(
                "expected one of {file: path}, {folder: path}, {pattern: glob}, got "
                f"{item!r}",
                file=file,
                key=f"{key}[{i}]",
            )
    return [dict(item) for item in items]


# ---------------------------------------------------------------------------- data layer form


def portable(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as ``save()`` writes it: canonical, except that the steps are spelled as the
    MLTable schema documents them (``{pattern, ignore_case, invert}``, no default
    ``ignore_errors`` / ``path_column`` on ``extract_columns_from_partition_format``), which both
    mltable and daskprs's jobs read (daskprs.data does not accept rslex's spellings)."""
    steps = doc.get("transformations")
    if not isinstance(steps, list):
        return doc
    return {**doc, "transformations": [parser_step(s, "", None, strict=False) for s in steps]}


def parser_step(step: Any, key: str, file: str | None, strict: bool = True) -> Any:
    """A canonical step in the spelling daskprs.data.mltable_spec parses (``strict``: an option
    it cannot honour is an MLTableError; else it is left as it is)."""
    if not (isinstance(step, dict) and len(step) == 1):
        return step
    name, args = next(iter(step.items()))
    if name in ("keep_columns", "drop_columns"):
        args = _parser_selector(args)
    elif name == "convert_column_types" and isinstance(args, list):
        args = _parser_conversions(args)
    elif name in READERS and isinstance(args, dict):
        infer = args.get("infer_column_types")
        if isinstance(infer, dict) and isinstance(infer.get("column_type_overrides"), list):
            infer = {
                **infer,
                "column_type_overrides": _parser_conversions(infer["column_type_overrides"]),
            }
            args = {**args, "infer_column_types": infer}
    elif name == "extract_columns_from_partition_format" and isinstance(args, dict):
        args = dict(args)
        for option, default in EXTRACT_DEFAULTS.items():
            value = args.pop(option, default)
            if value != default and not strict:
                args[option] = value
            elif value != default:
                raise MLTableError(
                    f"only {default!r} is supported by daskprs (see {DOCS}), got {value!r}",
                    file=file,
                    key=f"{key}.{name}.{option}",
                )
    return {name: args}


def _parser_selector(value: Any) -> Any:
    if isinstance(value, dict) and value.get("selector") == "name_regex":
        return {
            "pattern": value.get("pattern"),
            "ignore_case": bool(value.get("ignoreCase", False)),
            "invert": bool(value.get("invert", False)),
        }
    return value


def _parser_conversions(items: list[Any]) -> list[Any]:
    return [
        {**item, "columns": _parser_selector(item["columns"])}
        if isinstance(item, dict) and "columns" in item
        else item
        for item in items
    ]


def step_name(step: Any) -> str | None:
    if isinstance(step, str):
        return step
    if isinstance(step, dict) and len(step) == 1:
        return str(next(iter(step)))
    return None


def validate_steps(steps: Any, file: str | None) -> None:
    """Check every transformation with the data layer's parser (paths are not opened)."""
    if steps is None:
        return
    if not isinstance(steps, list):
        raise MLTableError(
            f"expected a list of transformations, got {steps!r}", file=file, key="transformations"
        )
    readers = 0
    for i, step in enumerate(steps):
        key = f"transformations[{i}]"
        name = step_name(step)
        if name in POST_STEPS:
            _validate_post_step(step, key, file)
            continue
        readers += name in READERS
        if readers > 1 and name in READERS:
            raise MLTableError(
                "a second reader; an MLTable has one reader transformation", file=file, key=key
            )
        try:
            _, transforms = parse_transformations(
                [parser_step(step, key, file)], file or "<mltable>"
            )
        except MLTableError as exc:
            raise MLTableError(
                exc.message,
                file=file,
                key=(exc.key or "").replace("transformations[0]", key, 1) or key,
            ) from None
        for t in transforms:
            if t.name == "extract_columns_from_partition_format":
                try:
                    parse_partition_format(t.partition_format)
                except ValueError as exc:
                    raise MLTableError(
                        str(exc), file=file, key=f"{key}.{t.name}.partition_format"
                    ) from None


def _validate_post_step(step: dict[str, Any], key: str, file: str | None) -> None:
    name, args = next(iter(step.items()))
    key = f"{key}.{name}"
    if name == "select_partitions":
        ok = (
            isinstance(args, list)
            and args
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in args)
        )
        if not ok:
            raise MLTableError(
                f"expected a non-empty list of partition indices (integers >= 0), got {args!r}",
                file=file,
                key=key,
            )
        return
    sampler = args.get("sampler") if isinstance(args, dict) else None
    sargs = args.get("sampler_arguments") if isinstance(args, dict) else None
    if sampler not in ("random_percent", "randomPercent") or not isinstance(sargs, dict):
        raise MLTableError(
            "expected {sampler: random_percent, sampler_arguments: {probability, "
            f"probability_lower_bound, seed}}}}, got {args!r}",
            file=file,
            key=key,
        )
    for option in ("probability", "probability_lower_bound"):
        value = sargs.get(option, 0.0)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            raise MLTableError(
                f"expected a number between 0 and 1, got {value!r}",
                file=file,
                key=f"{key}.sampler_arguments.{option}",
            )
    seed = sargs.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise MLTableError(
            f"expected an integer, got {seed!r}", file=file, key=f"{key}.sampler_arguments.seed"
        )
