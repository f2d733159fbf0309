"""The MLTable file: parse with pyyaml, validate, and freeze into :class:`MLTable`.

Keys, defaults and allowed values follow the ``mltable`` library's JSON schema
(``mltable/schema/MLTable.json``) and its ``from_*`` helpers. Every problem is an
:class:`~daskprs.errors.MLTableError` naming the MLTable file, the dotted key and what would be
valid. Paths are resolved (relative to the MLTable file's folder) and checked here, so a bad
table fails before any worker starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from daskprs.data import paths as _paths
from daskprs.errors import MLTableError
from daskprs.spec import safe_yaml

MLTABLE_FILE_NAME = "MLTable"

HEADER_MODES = (
    "no_header",
    "from_first_file",
    "all_files_different_headers",
    "all_files_same_headers",
)
# accepted spelling -> Python codec (None: not a Python codec name we can cut by bytes)
ENCODINGS = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf8 bom": "utf-8-sig",
    "utf-8 bom": "utf-8-sig",
    "utf8bom": "utf-8-sig",
    "iso88591": "iso-8859-1",
    "iso-8859-1": "iso-8859-1",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "ascii": "ascii",
    "utf16": "utf-16",
    "utf-16": "utf-16",
    "windows1252": "cp1252",
    "windows-1252": "cp1252",
}
SIMPLE_TYPES = ("string", "int", "float", "boolean", "stream_info")
READERS = ("read_delimited", "read_parquet", "read_json_lines", "read_delta_lake")
TRANSFORMS = (
    "take",
    "skip",
    "take_random_sample",
    "drop_columns",
    "keep_columns",
    "convert_column_types",
    "filter",
    "extract_columns_from_partition_format",
)
TOP_LEVEL_KEYS = ("$schema", "type", "metadata", "paths", "transformations", "traits")


# ---------------------------------------------------------------------------- the frozen model


@dataclass(frozen=True)
class PathSpec:
    """One ``paths`` entry, resolved: ``kind`` is file / folder / pattern."""

    kind: str
    value: str  # resolved local path or URL
    written: str  # as written in the MLTable file
    key: str  # dotted key, e.g. "paths[0].file"


@dataclass(frozen=True)
class ColumnSelector:
    """Column names, or a regex ``pattern`` (``ignore_case``, ``invert``) as mltable accepts."""

    names: tuple[str, ...] = ()
    pattern: str | None = None
    ignore_case: bool = False
    invert: bool = False

    def select(self, columns: list[str]) -> list[str]:
        if self.pattern is None:
            named = set(self.names)
            return [c for c in columns if c in named]  # the table's order, as mltable keeps it
        rx = re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)
        return [c for c in columns if bool(rx.fullmatch(c)) != self.invert]


@dataclass(frozen=True)
class ColumnType:
    """A ``column_type``: int, float, string, boolean (true/false values), datetime (formats)."""

    name: str
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    mismatch_as: str = "error"
    formats: tuple[str, ...] = ()
    date_constant: str | None = None


@dataclass(frozen=True)
class Transform:
    """One transformation step. ``name`` is the YAML key; the other fields are its options."""

    name: str
    key: str
    count: int = 0  # take / skip
    probability: float = 0.0  # take_random_sample
    seed: int | None = None
    columns: ColumnSelector | None = None  # drop_columns / keep_columns
    conversions: tuple[tuple[ColumnSelector, ColumnType], ...] = ()  # convert_column_types
    expression: str = ""  # filter
    partition_format: str = ""  # extract_columns_from_partition_format


@dataclass(frozen=True)
class Reader:
    """The reader transformation (``read_delimited`` / ``read_parquet`` / ...) and its options."""

    name: str
    key: str
    delimiter: str = ","
    header: str = "all_files_same_headers"
    encoding: str = "utf8"  # as written (normalised spelling); see codec
    support_multi_line: bool = False
    empty_as_string: bool = False
    include_path_column: bool = False
    path_column: str = "Path"
    infer_column_types: bool = True
    sample_size: int = 200
    type_overrides: tuple[tuple[ColumnSelector, ColumnType], ...] = ()
    invalid_lines: str = "error"  # read_json_lines
    version_as_of: int | None = None  # read_delta_lake
    timestamp_as_of: str | None = None

    @property
    def codec(self) -> str:
        return ENCODINGS[self.encoding]

    @property
    def cuttable(self) -> bool:
        """Whether files may be cut into byte windows (product.md §3)."""
        if self.name not in ("read_delimited", "read_json_lines"):
            return False
        return not self.support_multi_line and self.codec in ("utf-8", "utf-8-sig", "ascii")


@dataclass(frozen=True)
class MLTable:
    """A parsed, validated MLTable file. Frozen and picklable."""

    source_file: str
    base_dir: str
    paths: tuple[PathSpec, ...]
    reader: Reader | None = None
    transforms: tuple[Transform, ...] = ()
    storage_options: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    # Set by planning (daskprs.data.schema.planned_table): the kinds of the output columns whose
    # dtype depends on nulls (int / int? / boolean / boolean?), after all transformations;
    # None: not planned yet.
    planned_kinds: tuple[tuple[str, str], ...] | None = None

    @property
    def is_tabular(self) -> bool:
        return self.reader is not None

    @property
    def partition_keys(self) -> tuple[str, ...]:
        from daskprs.data.partition_format import parse_partition_format

        for t in self.transforms:
            if t.name == "extract_columns_from_partition_format":
                return parse_partition_format(t.partition_format).columns
        return ()

    @property
    def partition_format(self) -> str | None:
        for t in self.transforms:
            if t.name == "extract_columns_from_partition_format":
                return t.partition_format
        return None


# ---------------------------------------------------------------------------- parsing


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, key: str, message: str) -> MLTableError:
        return MLTableError(message, file=self.file, key=key)

    def expect(self, value: Any, types: type | tuple[type, ...], key: str, what: str) -> Any:
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            raise self.error(key, f"expected {what}, got {value!r}")
        if not isinstance(value, types):
            raise self.error(key, f"expected {what}, got {value!r}")
        return value

    def options(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(
                key, f"expected a mapping of options ({', '.join(allowed)}), got {value!r}"
            )
        for k in value:
            if k not in allowed:
                raise self.error(
                    f"{key}.{k}", f"unknown option {k!r}; valid options are: {', '.join(allowed)}"
                )
        return value


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
        import os

        path = os.path.abspath(path)
    fs, root = _paths.get_fs(path, storage_options)
    if fs.isdir(root):
        file_root = root.rstrip("/") + "/" + MLTABLE_FILE_NAME
        source = path.rstrip("/") + "/" + MLTABLE_FILE_NAME
    else:
        file_root, source = root, path
    if not fs.isfile(file_root):
        raise MLTableError(
            "no MLTable file found: the path must be a folder containing a file named 'MLTable' "
            "or the MLTable file itself",
            file=source,
        )
    with fs.open(file_root, "rb") as f:
        data = f.read(safe_yaml.MAX_YAML_BYTES + 1)
    try:
        text = safe_yaml.text_of(data)
    except safe_yaml.YamlRefused as exc:
        raise MLTableError(str(exc), file=source) from None
    return parse_mltable(text, source, storage_options)


def parse_mltable(
    text: str, source_file: str, storage_options: dict[str, Any] | None = None
) -> MLTable:
    """Parse MLTable YAML ``text`` read from ``source_file`` (used to resolve relative paths)."""
    ctx = _Ctx(source_file)
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
    reader, transforms = _parse_transformations(ctx, doc.get("transformations"))
    table = MLTable(
        source_file=source_file,
        base_dir=base_dir,
        paths=path_specs,
        reader=reader,
        transforms=transforms,
        storage_options=storage_options,
    )
    if table.partition_format is not None:
        from daskprs.data.partition_format import parse_partition_format

        for t in transforms:
            if t.name == "extract_columns_from_partition_format":
                try:
                    parse_partition_format(t.partition_format)
                except ValueError as exc:
                    raise ctx.error(f"{t.key}.partition_format", str(exc)) from None
    return table


def _parse_paths(
    ctx: _Ctx, raw: Any, base_dir: str, storage_options: dict[str, Any] | None
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


def _check_path(ctx: _Ctx, spec: PathSpec, storage_options: dict[str, Any] | None) -> None:
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


def _selector(ctx: _Ctx, value: Any, key: str) -> ColumnSelector:
    if isinstance(value, str):
        return ColumnSelector(names=(value,))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        dups = sorted({v for v in value if value.count(v) > 1})
        if dups:
            raise ctx.error(key, f"duplicate column names {dups}; name each column once")
        return ColumnSelector(names=tuple(value))
    if isinstance(value, dict) and "pattern" in value:
        opts = ctx.options(value, key, ("pattern", "ignore_case", "invert"))
        pattern = ctx.expect(opts["pattern"], str, f"{key}.pattern", "a regular expression string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ctx.error(
                f"{key}.pattern", f"invalid regular expression {pattern!r}: {exc}"
            ) from None
        return ColumnSelector(
            pattern=pattern,
            ignore_case=ctx.expect(
                opts.get("ignore_case", False), bool, f"{key}.ignore_case", "true or false"
            ),
            invert=ctx.expect(opts.get("invert", False), bool, f"{key}.invert", "true or false"),
        )
    raise ctx.error(
        key, f"expected a column name, a list of column names or {{pattern: regex}}, got {value!r}"
    )


def _column_type(ctx: _Ctx, value: Any, key: str) -> ColumnType:
    if isinstance(value, str):
        if value not in SIMPLE_TYPES:
            raise ctx.error(
                key,
                f"unknown column type {value!r}; valid types are: {', '.join(SIMPLE_TYPES)}, "
                "{boolean: {...}}, {datetime: {formats: [...]}}",
            )
        return ColumnType(name=value)
    if isinstance(value, dict) and len(value) == 1:
        name, opts = next(iter(value.items()))
        if name == "boolean":
            o = ctx.options(opts, f"{key}.boolean", ("true_values", "false_values", "mismatch_as"))
            tv = _str_list(ctx, o.get("true_values", []), f"{key}.boolean.true_values")
            fv = _str_list(ctx, o.get("false_values", []), f"{key}.boolean.false_values")
            if bool(tv) != bool(fv):
                raise ctx.error(
                    f"{key}.boolean", "true_values and false_values must be given together"
                )
            if set(tv) & set(fv):
                raise ctx.error(f"{key}.boolean", "true_values and false_values must not overlap")
            mm = o.get("mismatch_as", "error")
            if mm not in ("error", "true", "false"):
                raise ctx.error(
                    f"{key}.boolean.mismatch_as", f"expected one of error, true, false; got {mm!r}"
                )
            return ColumnType(
                "boolean", true_values=tuple(tv), false_values=tuple(fv), mismatch_as=mm
            )
        if name == "datetime":
            o = ctx.options(opts, f"{key}.datetime", ("formats", "date_constant"))
            if "formats" not in o:
                raise ctx.error(
                    f"{key}.datetime.formats", "missing: give a strftime format or a list of them"
                )
            formats = o["formats"]
            formats = [formats] if isinstance(formats, str) else formats
            formats = _str_list(ctx, formats, f"{key}.datetime.formats")
            dc = o.get("date_constant")
            if dc is not None:
                ctx.expect(dc, str, f"{key}.datetime.date_constant", "a date string")
            return ColumnType("datetime", formats=tuple(formats), date_constant=dc)
        if name == "stream_info":
            return ColumnType("stream_info")
    raise ctx.error(
        key,
        f"expected one of {', '.join(SIMPLE_TYPES)}, {{boolean: {{...}}}} or "
        f"{{datetime: {{formats: [...]}}}}, got {value!r}",
    )


def _str_list(ctx: _Ctx, value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(key, f"expected a list of strings, got {value!r}")
    return value


def _conversions(ctx: _Ctx, value: Any, key: str) -> tuple[tuple[ColumnSelector, ColumnType], ...]:
    if not isinstance(value, list) or not value:
        raise ctx.error(key, "expected a non-empty list of {columns: ..., column_type: ...}")
    out = []
    for i, item in enumerate(value):
        k = f"{key}[{i}]"
        o = ctx.options(item, k, ("columns", "column_type"))
        for req in ("columns", "column_type"):
            if req not in o:
                raise ctx.error(f"{k}.{req}", "missing: each entry needs columns and column_type")
        out.append(
            (
                _selector(ctx, o["columns"], f"{k}.columns"),
                _column_type(ctx, o["column_type"], f"{k}.column_type"),
            )
        )
    return tuple(out)


def _bool(ctx: _Ctx, opts: dict[str, Any], name: str, key: str, default: bool) -> bool:
    return bool(ctx.expect(opts.get(name, default), bool, f"{key}.{name}", "true or false"))


def _encoding(ctx: _Ctx, opts: dict[str, Any], key: str) -> str:
    enc = opts.get("encoding", "utf8")
    if enc not in ENCODINGS:
        raise ctx.error(
            f"{key}.encoding",
            f"unknown encoding {enc!r}; valid encodings are: {', '.join(ENCODINGS)}",
        )
    return str(enc)


def _parse_reader(ctx: _Ctx, name: str, raw: Any, key: str) -> Reader:
    if name == "read_delimited":
        opts = ctx.options(
            raw,
            key,
            (
                "delimiter",
                "header",
                "support_multi_line",
                "empty_as_string",
                "encoding",
                "include_path_column",
                "path_column",
                "infer_column_types",
                "partition_size",
            ),
        )
        delim = opts.get("delimiter", ",")
        if not isinstance(delim, str) or not 1 <= len(delim) <= 2:
            raise ctx.error(
                f"{key}.delimiter", f"expected a string of 1 or 2 characters, got {delim!r}"
            )
        header = opts.get("header", "all_files_same_headers")
        if header not in HEADER_MODES:
            raise ctx.error(
                f"{key}.header",
                f"unknown header mode {header!r}; valid modes are: {', '.join(HEADER_MODES)}",
            )
        infer = opts.get("infer_column_types", True)
        sample_size = 200
        overrides: tuple[tuple[ColumnSelector, ColumnType], ...] = ()
        if isinstance(infer, dict):
            io = ctx.options(
                infer, f"{key}.infer_column_types", ("sample_size", "column_type_overrides")
            )
            sample_size = io.get("sample_size", 200)
            if (
                not isinstance(sample_size, int)
                or isinstance(sample_size, bool)
                or sample_size <= 0
            ):
                raise ctx.error(
                    f"{key}.infer_column_types.sample_size",
                    f"expected a positive integer, got {sample_size!r}",
                )
            if "column_type_overrides" in io:
                overrides = _conversions(
                    ctx,
                    io["column_type_overrides"],
                    f"{key}.infer_column_types.column_type_overrides",
                )
            infer = True
        elif not isinstance(infer, bool):
            raise ctx.error(
                f"{key}.infer_column_types",
                f"expected true, false or {{sample_size, column_type_overrides}}, got {infer!r}",
            )
        return Reader(
            name=name,
            key=key,
            delimiter=delim,
            header=header,
            encoding=_encoding(ctx, opts, key),
            support_multi_line=_bool(ctx, opts, "support_multi_line", key, False),
            empty_as_string=_bool(ctx, opts, "empty_as_string", key, False),
            include_path_column=_bool(ctx, opts, "include_path_column", key, False),
            path_column=str(
                ctx.expect(
                    opts.get("path_column", "Path"), str, f"{key}.path_column", "a column name"
                )
            ),
            infer_column_types=infer,
            sample_size=sample_size,
            type_overrides=overrides,
        )
    if name == "read_parquet":
        opts = ctx.options(raw, key, ("include_path_column", "path_column"))
        return Reader(
            name=name,
            key=key,
            include_path_column=_bool(ctx, opts, "include_path_column", key, False),
            path_column=str(
                ctx.expect(
                    opts.get("path_column", "Path"), str, f"{key}.path_column", "a column name"
                )
            ),
        )
    if name == "read_json_lines":
        opts = ctx.options(
            raw,
            key,
            ("invalid_lines", "encoding", "include_path_column", "path_column", "partition_size"),
        )
        invalid = opts.get("invalid_lines", "error")
        if invalid not in ("error", "drop"):
            raise ctx.error(f"{key}.invalid_lines", f"expected 'error' or 'drop', got {invalid!r}")
        return Reader(
            name=name,
            key=key,
            encoding=_encoding(ctx, opts, key),
            invalid_lines=invalid,
            include_path_column=_bool(ctx, opts, "include_path_column", key, False),
            path_column=str(
                ctx.expect(
                    opts.get("path_column", "Path"), str, f"{key}.path_column", "a column name"
                )
            ),
        )
    # read_delta_lake
    opts = ctx.options(raw, key, ("version_as_of", "timestamp_as_of", "include_path_column"))
    version = opts.get("version_as_of")
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or version < 0
    ):
        raise ctx.error(f"{key}.version_as_of", f"expected a non-negative integer, got {version!r}")
    ts = opts.get("timestamp_as_of")
    if ts is not None and not isinstance(ts, str):
        raise ctx.error(
            f"{key}.timestamp_as_of", f"expected an RFC 3339 timestamp string, got {ts!r}"
        )
    if version is not None and ts is not None:
        raise ctx.error(key, "give version_as_of or timestamp_as_of, not both")
    return Reader(
        name=name,
        key=key,
        version_as_of=version,
        timestamp_as_of=ts,
        include_path_column=_bool(ctx, opts, "include_path_column", key, False),
    )


def _positive_int(ctx: _Ctx, value: Any, key: str, allow_zero: bool = False) -> int:
    ok = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        raise ctx.error(key, f"expected a positive integer, got {value!r}")
    return int(value)


def _parse_transform(ctx: _Ctx, name: str, raw: Any, key: str) -> Transform:
    if name in ("take", "skip"):
        return Transform(name, key, count=_positive_int(ctx, raw, key))
    if name == "take_random_sample":
        opts = ctx.options(raw, key, ("probability", "seed"))
        p = opts.get("probability")
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ctx.error(f"{key}.probability", f"expected a number between 0 and 1, got {p!r}")
        seed = opts.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ctx.error(f"{key}.seed", f"expected an integer, got {seed!r}")
        return Transform(name, key, probability=float(p), seed=seed)
    if name in ("drop_columns", "keep_columns"):
        return Transform(name, key, columns=_selector(ctx, raw, key))
    if name == "convert_column_types":
        return Transform(name, key, conversions=_conversions(ctx, raw, key))
    if name == "filter":
        expr = ctx.expect(raw, str, key, "a filter expression string, e.g. 'col(\"a\") > 3'")
        from daskprs.data.filter_expr import compile_filter

        try:
            compile_filter(expr)
        except ValueError as exc:
            raise ctx.error(key, str(exc)) from None
        return Transform(name, key, expression=expr)
    # extract_columns_from_partition_format
    if isinstance(raw, str):
        fmt = raw
    else:
        opts = ctx.options(raw, key, ("partition_format",))
        if "partition_format" not in opts:
            raise ctx.error(
                f"{key}.partition_format", "missing: e.g. '{Store}/{Brand}/{file_name}.csv'"
            )
        fmt = ctx.expect(
            opts["partition_format"], str, f"{key}.partition_format", "a format string"
        )
    return Transform(name, key, partition_format=fmt)


def _parse_transformations(ctx: _Ctx, raw: Any) -> tuple[Reader | None, tuple[Transform, ...]]:
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
            reader = _parse_reader(ctx, name, args, key)
        elif name in TRANSFORMS:
            if isinstance(item, str) and name != "extract_columns_from_partition_format":
                raise ctx.error(key, "this transformation needs options")
            transforms.append(_parse_transform(ctx, name, args, key))
        else:
            raise ctx.error(
                key, f"unknown transformation {name!r}; valid transformations are: {valid}"
            )
    return reader, tuple(transforms)
