"""The table's columns and planned dtypes, decided once at planning from headers and a scan.

mltable types a table from its first ``sample_size`` records (``infer_column_types``); the same
records decide the kinds here. Whether an int or boolean column holds nulls (int64 / bool, or
float64 / object as mltable's ``to_pandas_dataframe()`` gives them) is decided by a scan of the
table's first ``SCAN_BYTES`` bytes (:mod:`daskprs.data.scan`; at least ``sample_size``
records): exact for a table that small, a sample for larger ones. Every mini batch is then read with these dtypes
(:func:`daskprs.data.column_types.conform`); a later value that does not fit becomes null, as in
mltable, and a null in a column planned without nulls is the one logged exception (that mini
batch's column is float64 / object). Also read: the header line of the first file (of every file
with ``all_files_different_headers``), parquet footers (every file's: the columns, and whether an
int / boolean column holds nulls from the row groups' statistics, exact for any size).

Each format infers its own schema (:meth:`daskprs.data.formats.base.Format.schema`); this module
asks it, and plans the dtypes of the output of the transformations from the same head.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from daskprs.data import column_types
from daskprs.data.formats import get_format
from daskprs.data.model import MLTable, TableSchema
from daskprs.data.transforms import add_partition_columns, needs_output_plan, plan_output_kinds


def table_schema(table: MLTable, files: list[str], info: Any = None) -> TableSchema:
    """The table's planned schema; ``info``: what the format's ``inspect`` read (once)."""
    reader = table.reader
    assert reader is not None
    return get_format(reader.name).schema(table, files, info)


def _typed_head(table: MLTable, files: list[str], schema: TableSchema) -> pd.DataFrame | None:
    """The table's head as its mini batches read it: planned reader dtypes, path and partition
    columns (None: nothing read). The same head as the reader's kinds (``Format.head``)."""
    reader = table.reader
    assert reader is not None
    frames = [
        add_partition_columns(table, df, path, schema)
        for path, df in get_format(reader.name).head(table, files, schema)
    ]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def planned_table(table: MLTable, schema: TableSchema, files: list[str]) -> MLTable:
    """``table`` with ``planned_kinds``: the output's int / boolean columns and their nulls.

    mltable gives the whole output of the transformations an int64 / bool column when it holds
    no null, float64 / object otherwise (``convert_column_types`` to int or boolean, and a
    ``filter`` or ``take`` can remove the nulls of a reader column). Decided here, once, from the
    same head of the table as the reader's kinds; every mini batch and the meta then have these
    dtypes (:func:`daskprs.data.transforms.apply_transforms`).
    """
    if table.planned_kinds is not None:
        return table
    if not needs_output_plan(table) or not files:
        return replace(table, planned_kinds=())
    head = _typed_head(table, files, schema)
    if head is None:
        return replace(table, planned_kinds=())
    kinds = schema.kind_map
    if schema.arrow_schema is not None:
        kinds = {f.name: column_types.arrow_kind(f.type) or "object" for f in schema.arrow_schema}
    return replace(table, planned_kinds=plan_output_kinds(table, head, kinds))
