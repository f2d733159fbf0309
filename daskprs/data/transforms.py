"""Transformations after the reader, in the order written in the MLTable file.

Row-wise steps (``drop_columns``, ``keep_columns``, ``convert_column_types``, ``filter``) need
only the mini batch's own rows. ``take``, ``skip`` and ``take_random_sample`` are about the
*whole* table's row numbers, so each mini batch carries, per such step, the number of rows that
reach that step in the mini batches before it (``offsets``, counted once by planning). With
them the result of every mini batch equals its share of the whole table's result, however the
table was cut. ``take_random_sample`` keeps row *r* when a hash of (seed, r) falls below the
probability: reproducible for a seed, and independent of the cut.
``extract_columns_from_partition_format`` works on file paths, so its values are taken per file
when the file is read (:func:`add_partition_columns`); the columns appear where mltable puts
them (:mod:`daskprs.data.partitions`): written before ``read_delimited``, right after the path column
(or first) and typed by the reader's type inference like the file's own columns; otherwise
appended as text (the date key as datetime) to the columns the table has when the step is
reached, the steps before it not seeing them.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from daskprs.data import column_types
from daskprs.data.filter_expr import FilterError, apply_filter
from daskprs.data.formats import get_format
from daskprs.data.model import ColumnType, MLTable, Transform
from daskprs.data.partitions import PartitionStep, partition_steps, step_values
from daskprs.errors import MLTableError

GLOBAL_TRANSFORMS = ("take", "skip", "take_random_sample")
DEFAULT_SAMPLE_SEED = 0


def global_steps(transforms: tuple[Transform, ...]) -> list[int]:
    """Indices of the steps that need global row numbers."""
    return [i for i, t in enumerate(transforms) if t.name in GLOBAL_TRANSFORMS]


def sample_mask(seed: int | None, probability: float, start: int, n: int) -> np.ndarray:
    """Keep-mask for global rows ``start .. start+n-1`` (splitmix64 of seed and row number)."""
    with np.errstate(over="ignore"):
        s = np.uint64((DEFAULT_SAMPLE_SEED if seed is None else seed) & 0xFFFFFFFFFFFFFFFF)
        x = np.arange(start, start + n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + s
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    u = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return u < probability


def _columns(
    table: MLTable, t: Transform, df: pd.DataFrame, selected: list[str], named: tuple[str, ...]
) -> None:
    missing = [c for c in named if c not in df.columns]
    if missing:
        raise MLTableError(
            f"column(s) {missing} not found; the table has columns {list(df.columns)}",
            file=table.source_file,
            key=t.key,
        )


def apply_step(table: MLTable, t: Transform, df: pd.DataFrame, offset: int = 0) -> pd.DataFrame:
    """Apply one transformation. ``offset``: global row number of ``df``'s first row."""
    if t.name == "take":
        return df.iloc[: max(0, t.count - offset)]
    if t.name == "skip":
        return df.iloc[max(0, t.count - offset) :]
    if t.name == "take_random_sample":
        return df[sample_mask(t.seed, t.probability, offset, len(df))]
    if t.name in ("drop_columns", "keep_columns"):
        assert t.columns is not None
        selected = t.columns.select(list(df.columns))
        _columns(table, t, df, selected, t.columns.names)
        if t.name == "drop_columns":
            return df.drop(columns=selected)
        return df[selected]
    if t.name == "convert_column_types":
        df = df.copy()
        for selector, ctype in t.conversions:
            _columns(table, t, df, [], selector.names)
            for c in selector.select(list(df.columns)):
                df[c] = column_types.convert(_convertible(df[c], ctype), ctype)
        return df
    if t.name == "filter":
        try:
            return apply_filter(df, t.expression)
        except KeyError as exc:
            raise MLTableError(str(exc.args[0]), file=table.source_file, key=t.key) from None
        except FilterError as exc:  # what mltable rejects while evaluating (e.g. / by zero)
            raise MLTableError(str(exc), file=table.source_file, key=t.key) from None
    return df  # extract_columns_from_partition_format: per file, see add_partition_columns


def apply_transforms(
    table: MLTable, df: pd.DataFrame, offsets: tuple[int, ...] = (), stop: int | None = None
) -> pd.DataFrame:
    """Apply the table's steps ``[0, stop)``; ``offsets[k]`` feeds the k-th global step."""
    k = 0
    steps = table.transforms if stop is None else table.transforms[:stop]
    df, hidden = _hide_partition_columns(table, df)
    for index, t in enumerate(steps):
        offset = 0
        if t.name in GLOBAL_TRANSFORMS:
            offset = offsets[k] if k < len(offsets) else 0
            k += 1
        df = _attach(df, hidden.get(index)) if index in hidden else apply_step(table, t, df, offset)
    df = df.reset_index(drop=True)
    if stop is None and table.planned_kinds:
        df = column_types.conform_output(df, dict(table.planned_kinds))
    return df


NULLABLE_KINDS = ("int", "boolean")  # kinds whose dtype depends on nulls (int64 / float64...)
ROW_STEPS = ("convert_column_types", "filter", *GLOBAL_TRANSFORMS)


def needs_output_plan(table: MLTable) -> bool:
    """Whether a transformation can change which columns are int / boolean, or hold nulls."""
    return any(t.name in ROW_STEPS for t in table.transforms)


def plan_output_kinds(
    table: MLTable, head: pd.DataFrame, kinds: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    """The planned kinds of the output's int / boolean columns, from the table's head.

    ``head``: the first rows of the table as mini batches read them (reader kinds, path and
    partition columns): the global rows 0.. of ``take`` / ``skip`` / ``take_random_sample``.
    ``kinds``: the reader's kinds. mltable decides int64 / float64 (bool / object) by the nulls
    of the whole output; the head's output stands for it, as the head stands for the table in
    the reader's kinds. When no head row reaches the end, the last step with rows decides, and a
    column converted after it is planned without nulls (none seen).
    """
    kinds = {c: column_types.base_kind(k) for c, k in kinds.items()}
    df, hidden = _hide_partition_columns(table, head)
    nulls = {c: bool(head[c].isna().any()) for c in head.columns}
    for index, t in enumerate(table.transforms):
        converted: list[str] = []
        if t.name == "convert_column_types":
            for selector, ctype in t.conversions:
                for c in selector.select(list(df.columns)):
                    kinds[c] = ctype.name
                    converted.append(c)
        df = _attach(df, hidden[index]) if index in hidden else apply_step(table, t, df, 0)
        if len(df):
            nulls = {c: bool(df[c].isna().any()) for c in df.columns}
        else:
            nulls.update(dict.fromkeys(converted, False))
    out = []
    for c in df.columns:
        kind = kinds.get(str(c), "string")
        if kind in NULLABLE_KINDS:
            out.append((str(c), column_types.nullable(kind) if nulls.get(c) else kind))
    return tuple(out)


def _convertible(series: pd.Series, ctype: ColumnType | str) -> pd.Series:
    """A column as ``convert_column_types`` converts it, as mltable.

    A column of ``datetime.date`` objects (a parquet date column) is converted as a datetime;
    a datetime column with a zone (parquet ``timestamp[us, UTC]``) as one without (to int or
    float: null, as mltable; ``pd.to_numeric`` made it its epoch number, NaT -2**63).
    """
    kind = ctype if isinstance(ctype, str) else ctype.name
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        if column_types.base_kind(kind) in ("int", "float"):
            return series.dt.tz_convert(None)
        return series
    if series.dtype != object:
        return series
    valid = series.dropna()
    value = valid.iloc[0] if len(valid) else None
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        out = pd.Series(pd.to_datetime(series), index=series.index, name=series.name)
        if column_types.base_kind(kind) == "datetime":  # the planned dtype (dates are [s])
            ok = out.between(pd.Timestamp.min, pd.Timestamp.max)
            out = out.where(ok).astype(column_types.planned_dtype("datetime"))
        return out
    return series


def _steps(table: MLTable) -> list[PartitionStep]:
    reader = table.reader
    inline = reader is not None and get_format(reader.name).reads_inline_partitions
    return partition_steps(table, inline)


def _hide_partition_columns(
    table: MLTable, df: pd.DataFrame
) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """``df`` without the columns of the steps that are not inline, and those columns by step."""
    hidden: dict[int, pd.DataFrame] = {}
    for p in _steps(table):
        cols = [c for c in p.fmt.columns if c in df.columns]
        if not p.inline and cols:
            hidden[p.index] = df[cols]
            df = df.drop(columns=cols)
    return df, hidden


def _attach(df: pd.DataFrame, columns: pd.DataFrame | None) -> pd.DataFrame:
    """Append ``columns`` (rows matched by index: the steps before may have dropped some)."""
    if columns is None:
        return df
    df = df.copy()
    for c in columns.columns:
        df[c] = columns[c]
    return df


def _partition_column(
    value: Any, n: int, index: pd.Index, kind: str | None, date: bool
) -> pd.Series:
    """One partition value repeated ``n`` times, converted once to its planned ``kind``.

    ``value`` None: no row, the planned dtype (the meta).
    """
    if date:
        return pd.Series([value] * n, index=index, dtype="datetime64[ns]")
    if value is None:
        return pd.Series([], dtype=column_types.planned_dtype(kind or "string"))
    one = pd.Series([value], dtype=column_types.STRING_DTYPE)
    if kind is not None and kind != "string":
        one = column_types.conform_series(one, kind)
    return pd.Series(np.repeat(one.to_numpy(), n), index=index, dtype=one.dtype)


def _clash(table: MLTable, p: PartitionStep, col: str) -> MLTableError:
    """A partition column named as a column of the files (mltable: FieldNameConflict)."""
    return MLTableError(
        f"partition column {col!r} of {p.fmt.format!r} is also a column of the files; "
        "rename it in the partition format",
        file=table.source_file,
        key=f"{table.transforms[p.index].key}.partition_format",
    )


def add_partition_columns(
    table: MLTable, df: pd.DataFrame, path: str | None, schema: Any = None
) -> pd.DataFrame:
    """Add the columns of every ``extract_columns_from_partition_format`` for rows of ``path``.

    ``path`` None: no row (the meta). ``schema`` (:class:`~daskprs.data.model.TableSchema`):
    its kinds type the inline columns (:class:`PartitionStep`); without it they are text.
    """
    kinds = schema.kind_map if schema is not None else {}
    at = 1 if table.reader is not None and table.reader.include_path_column else 0
    for p in _steps(table):
        values = step_values(table, p, path) if path is not None else dict.fromkeys(p.fmt.columns)
        for col, value in values.items():
            date = col == p.fmt.date_column
            series = _partition_column(
                value, len(df), df.index, kinds.get(col) if p.inline else None, date
            )
            if col in df.columns:
                if not p.inline and schema is not None and col in schema.columns:
                    raise _clash(table, p, col)
                df = df.drop(columns=[col])
            if p.inline:
                df.insert(min(at, len(df.columns)), col, series)
                at += 1
            else:
                df[col] = series
    return df
