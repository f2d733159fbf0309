"""The options of an MLTable file's transformations (``take``, ``filter``, ...) and the option
checks the readers share (each format parses its own reader's options:
:meth:`daskprs.data.formats.base.Format.options`), each checked as the ``mltable`` library's
JSON schema has it. Errors are :class:`~daskprs.errors.MLTableError` naming the file and the
dotted key."""

from __future__ import annotations

import re
from typing import Any

from daskprs.data.filter_expr import compile_filter
from daskprs.data.model import (
    ENCODINGS,
    SIMPLE_TYPES,
    ColumnSelector,
    ColumnType,
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


# extract_columns_from_partition_format's options besides partition_format: only their defaults
EXTRACT_DEFAULTS: dict[str, Any] = {"ignore_errors": False, "path_column": "Path"}


def _selector(ctx: MLTableContext, value: Any, key: str) -> ColumnSelector:
    if isinstance(value, str):
        return ColumnSelector(names=(value,))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        dups = sorted({v for v in value if value.count(v) > 1})
        if dups:
            raise ctx.error(key, f"duplicate column names {dups}; name each column once")
        return ColumnSelector(names=tuple(value))
    if isinstance(value, dict) and "selector" in value:
        # the spelling mltable's save() writes (rslex's): {ignoreCase, invert, pattern, selector}
        opts = ctx.options(value, key, ("pattern", "ignoreCase", "invert", "selector"))
        if opts["selector"] != "name_regex":
            raise ctx.error(f"{key}.selector", f"expected name_regex, got {opts['selector']!r}")
        value = {
            "pattern": opts.get("pattern"),
            "ignore_case": opts.get("ignoreCase", False),
            "invert": opts.get("invert", False),
        }
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


def bool_option(
    ctx: MLTableContext, opts: dict[str, Any], name: str, key: str, default: bool
) -> bool:
    return bool(ctx.expect(opts.get(name, default), bool, f"{key}.{name}", "true or false"))


def encoding_option(ctx: MLTableContext, opts: dict[str, Any], key: str) -> str:
    enc = opts.get("encoding", "utf8")
    if enc not in ENCODINGS:
        raise ctx.error(
            f"{key}.encoding",
            f"unknown encoding {enc!r}; valid encodings are: {', '.join(ENCODINGS)}",
        )
    return str(enc)


PATH_OPTIONS = ("include_path_column", "path_column")


def check_partition_size(ctx: MLTableContext, opts: dict[str, Any], key: str) -> None:
    """``partition_size`` (mltable's partition bytes; the mini-batch size decides ours): a
    positive int, as mltable requires (0 or -5 fail its read)."""
    size = opts.get("partition_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise ctx.error(
            f"{key}.partition_size", f"expected a positive number of bytes, got {size!r}"
        )


def path_column_option(ctx: MLTableContext, opts: dict[str, Any], key: str) -> str:
    return str(
        ctx.expect(opts.get("path_column", "Path"), str, f"{key}.path_column", "a column name")
    )


def inference_option(
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
        try:
            compile_filter(expr)
        except ValueError as exc:
            raise ctx.error(key, str(exc)) from None
        return Transform(name, key, expression=expr)
    # extract_columns_from_partition_format
    if isinstance(raw, str):
        fmt = raw
    else:
        opts = ctx.options(raw, key, ("partition_format", *EXTRACT_DEFAULTS))
        if "partition_format" not in opts:
            raise ctx.error(
                f"{key}.partition_format", "missing: e.g. '{Store}/{Brand}/{file_name}.csv'"
            )
        for option, default in EXTRACT_DEFAULTS.items():  # mltable's save() writes both
            if opts.get(option, default) != default:
                raise ctx.error(
                    f"{key}.{option}",
                    f"only {default!r} is supported (mltable's default), got {opts[option]!r}",
                )
        fmt = ctx.expect(
            opts["partition_format"], str, f"{key}.partition_format", "a format string"
        )
    return Transform(name, key, partition_format=fmt)
