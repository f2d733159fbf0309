"""The options of an MLTable file's transformations, one parser per reader
(``read_delimited``, ``read_parquet``, ``read_json_lines``, ``read_delta_lake``, in
:data:`READER_PARSERS`) and per transformation (``take``, ``filter``, ...), each checked as the
``mltable`` library's JSON schema has it. Errors are :class:`~daskprs.errors.MLTableError`
naming the file and the dotted key."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from daskprs.data.model import (
    ENCODINGS,
    HEADER_MODES,
    READERS,
    SIMPLE_TYPES,
    ColumnSelector,
    ColumnType,
    Reader,
    Transform,
)
from daskprs.errors import MLTableError


class MLTableContext:
    """The MLTable file being parsed: errors name it."""

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


def _selector(ctx: MLTableContext, value: Any, key: str) -> ColumnSelector:
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


def _column_type(ctx: MLTableContext, value: Any, key: str) -> ColumnType:
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


def _str_list(ctx: MLTableContext, value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(key, f"expected a list of strings, got {value!r}")
    return value


def _conversions(
    ctx: MLTableContext, value: Any, key: str
) -> tuple[tuple[ColumnSelector, ColumnType], ...]:
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


def _bool(ctx: MLTableContext, opts: dict[str, Any], name: str, key: str, default: bool) -> bool:
    return bool(ctx.expect(opts.get(name, default), bool, f"{key}.{name}", "true or false"))


def _encoding(ctx: MLTableContext, opts: dict[str, Any], key: str) -> str:
    enc = opts.get("encoding", "utf8")
    if enc not in ENCODINGS:
        raise ctx.error(
            f"{key}.encoding",
            f"unknown encoding {enc!r}; valid encodings are: {', '.join(ENCODINGS)}",
        )
    return str(enc)


_PATH_OPTIONS = ("include_path_column", "path_column")
_DELIMITED_OPTIONS = (
    "delimiter",
    "header",
    "support_multi_line",
    "empty_as_string",
    "encoding",
    "include_path_column",
    "path_column",
    "infer_column_types",
    "partition_size",
)
_JSON_LINES_OPTIONS = (
    "invalid_lines",
    "encoding",
    "include_path_column",
    "path_column",
    "partition_size",
)


def _path_column(ctx: MLTableContext, opts: dict[str, Any], key: str) -> str:
    return str(
        ctx.expect(opts.get("path_column", "Path"), str, f"{key}.path_column", "a column name")
    )


def _inference(
    ctx: MLTableContext, infer: Any, key: str
) -> tuple[bool, int, tuple[tuple[ColumnSelector, ColumnType], ...]]:
    """``infer_column_types``: true, false or ``{sample_size, column_type_overrides}``."""
    sample_size = 200
    overrides: tuple[tuple[ColumnSelector, ColumnType], ...] = ()
    if isinstance(infer, dict):
        io = ctx.options(
            infer, f"{key}.infer_column_types", ("sample_size", "column_type_overrides")
        )
        sample_size = io.get("sample_size", 200)
        if not isinstance(sample_size, int) or isinstance(sample_size, bool) or sample_size <= 0:
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
        return True, sample_size, overrides
    if not isinstance(infer, bool):
        raise ctx.error(
            f"{key}.infer_column_types",
            f"expected true, false or {{sample_size, column_type_overrides}}, got {infer!r}",
        )
    return infer, sample_size, overrides


def _read_delimited(ctx: MLTableContext, name: str, raw: Any, key: str) -> Reader:
    opts = ctx.options(raw, key, _DELIMITED_OPTIONS)
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
    infer, sample_size, overrides = _inference(ctx, opts.get("infer_column_types", True), key)
    return Reader(
        name=name,
        key=key,
        delimiter=delim,
        header=header,
        encoding=_encoding(ctx, opts, key),
        support_multi_line=_bool(ctx, opts, "support_multi_line", key, False),
        empty_as_string=_bool(ctx, opts, "empty_as_string", key, False),
        include_path_column=_bool(ctx, opts, "include_path_column", key, False),
        path_column=_path_column(ctx, opts, key),
        infer_column_types=infer,
        sample_size=sample_size,
        type_overrides=overrides,
    )


def _read_parquet(ctx: MLTableContext, name: str, raw: Any, key: str) -> Reader:
    opts = ctx.options(raw, key, _PATH_OPTIONS)
    return Reader(
        name=name,
        key=key,
        include_path_column=_bool(ctx, opts, "include_path_column", key, False),
        path_column=_path_column(ctx, opts, key),
    )


def _read_json_lines(ctx: MLTableContext, name: str, raw: Any, key: str) -> Reader:
    opts = ctx.options(raw, key, _JSON_LINES_OPTIONS)
    invalid = opts.get("invalid_lines", "error")
    if invalid not in ("error", "drop"):
        raise ctx.error(f"{key}.invalid_lines", f"expected 'error' or 'drop', got {invalid!r}")
    return Reader(
        name=name,
        key=key,
        encoding=_encoding(ctx, opts, key),
        invalid_lines=invalid,
        include_path_column=_bool(ctx, opts, "include_path_column", key, False),
        path_column=_path_column(ctx, opts, key),
    )


def _read_delta_lake(ctx: MLTableContext, name: str, raw: Any, key: str) -> Reader:
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


# reader transformation -> its option parser (one per name in READERS)
READER_PARSERS: dict[str, Callable[[MLTableContext, str, Any, str], Reader]] = {
    "read_delimited": _read_delimited,
    "read_parquet": _read_parquet,
    "read_json_lines": _read_json_lines,
    "read_delta_lake": _read_delta_lake,
}
assert tuple(READER_PARSERS) == READERS


def _positive_int(ctx: MLTableContext, value: Any, key: str, allow_zero: bool = False) -> int:
    ok = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        raise ctx.error(key, f"expected a positive integer, got {value!r}")
    return int(value)


def parse_transform(ctx: MLTableContext, name: str, raw: Any, key: str) -> Transform:
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
