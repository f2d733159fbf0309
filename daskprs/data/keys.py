"""``partition_keys``: one mini batch per distinct key combination (product.md §3).

Keys taken from paths (``extract_columns_from_partition_format``) group whole files: no data is
read. Keys on ordinary columns need the data: a Dask shuffle on the keys writes each group to a
parquet file under ``work_dir`` (the engine gives a folder in the run's state dir), and each
group is one mini batch. Groups come in order of first appearance in the table, rows inside a
group in table order, so the plan is stable.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import replace
from typing import Any

import pandas as pd

from daskprs.data.mltable_spec import MLTable
from daskprs.data.pieces import MiniBatchPiece, load_rows, meta_frame
from daskprs.data.readers import Part, TableSchema
from daskprs.data.transforms import partition_values
from daskprs.errors import MLTableError

_PIECE = "__daskprs_piece"
_ROW = "__daskprs_row"


def _check_path_keys(table: MLTable, keys: list[str]) -> None:
    missing = [k for k in keys if k not in table.partition_keys]
    if missing:
        valid = list(table.partition_keys) or "none (add extract_columns_from_partition_format)"
        raise MLTableError(
            f"partition_keys {missing} are not partition keys of this MLTable; valid keys: {valid}",
            file=table.source_file,
            key="transformations",
        )


def _group_files(
    table: MLTable, files: list[str], keys: list[str]
) -> list[tuple[dict[str, Any], list[int]]]:
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[int]]] = {}
    for index, path in enumerate(files):
        values = partition_values(table, path)
        kv = {k: values[k] for k in keys}
        groups.setdefault(tuple(kv.values()), (kv, []))[1].append(index)
    return list(groups.values())


def plan_file_groups(table: MLTable, files: list[str], keys: list[str]) -> list[MiniBatchPiece]:
    """A file-list MLTable with path keys: one list of files per key combination."""
    _check_path_keys(table, keys)
    return [
        MiniBatchPiece(
            id=i,
            kind="files",
            files=tuple(files[j] for j in idx),
            partition_key_value=kv,
            storage_options=table.storage_options,
        )
        for i, (kv, idx) in enumerate(_group_files(table, files, keys))
    ]


def plan_key_groups(
    table: MLTable, schema: TableSchema, files: list[str], keys: list[str], work_dir: str | None
) -> list[MiniBatchPiece]:
    if all(k in table.partition_keys for k in keys):
        return [
            MiniBatchPiece(
                id=i,
                kind="rows",
                parts=tuple(Part(files[j], j) for j in idx),
                table=table,
                schema=schema,
                partition_key_value=kv,
            )
            for i, (kv, idx) in enumerate(_group_files(table, files, keys))
        ]
    meta = meta_frame(table, schema)
    missing = [k for k in keys if k not in meta.columns]
    if missing:
        raise MLTableError(
            f"partition_keys {missing} are not columns of this table; columns: {list(meta.columns)}",
            file=table.source_file,
            key="transformations",
        )
    return _shuffle_groups(table, schema, files, keys, work_dir, meta)


def _load_ordered(piece: MiniBatchPiece) -> pd.DataFrame:
    df = load_rows(piece)
    df = df.copy()
    df[_PIECE] = piece.id
    df[_ROW] = range(len(df))
    return df


def _group_name(values: tuple[Any, ...]) -> str:
    text = json.dumps([None if pd.isna(v) else str(v) for v in values])
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def _write_groups(df: pd.DataFrame, keys: list[str], out_dir: str) -> pd.DataFrame:
    rows = []
    if len(df):
        for values, group in df.groupby(keys, dropna=False, sort=False):
            values = values if isinstance(values, tuple) else (values,)
            group = group.sort_values([_PIECE, _ROW])
            first = (int(group[_PIECE].iloc[0]), int(group[_ROW].iloc[0]))
            path = os.path.join(out_dir, f"group-{_group_name(values)}.parquet")
            group.drop(columns=[_PIECE, _ROW]).reset_index(drop=True).to_parquet(path, index=False)
            rows.append(
                {
                    "path": path,
                    "piece": first[0],
                    "row": first[1],
                    "values": json.dumps([_plain(v) for v in values]),
                }
            )
    return pd.DataFrame(rows, columns=["path", "piece", "row", "values"])


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v if isinstance(v, (str, int, float, bool)) else str(v)


def _shuffle_groups(
    table: MLTable,
    schema: TableSchema,
    files: list[str],
    keys: list[str],
    work_dir: str | None,
    meta: pd.DataFrame,
) -> list[MiniBatchPiece]:
    import dask.dataframe as dd

    from daskprs.data.planning import plan_table

    out_dir = os.path.join(work_dir or tempfile.mkdtemp(prefix="daskprs-keys-"), "partition_keys")
    os.makedirs(out_dir, exist_ok=True)
    pieces = plan_table(table, None)
    ordered_meta = meta.assign(
        **{_PIECE: pd.Series([], dtype="int64"), _ROW: pd.Series([], dtype="int64")}
    )
    ddf = dd.from_map(_load_ordered, pieces, meta=ordered_meta, enforce_metadata=False)
    if ddf.npartitions > 1:
        ddf = ddf.shuffle(on=keys)
    out_meta = pd.DataFrame(
        {
            "path": pd.Series([], dtype=object),
            "piece": pd.Series([], dtype="int64"),
            "row": pd.Series([], dtype="int64"),
            "values": pd.Series([], dtype=object),
        }
    )
    written = ddf.map_partitions(_write_groups, keys, out_dir, meta=out_meta).compute()
    written = written.sort_values(["piece", "row"]).reset_index(drop=True)
    group_schema = replace(schema)
    return [
        MiniBatchPiece(
            id=i,
            kind="rows",
            parts=(Part(str(row.path), 0),),
            table=table,
            schema=group_schema,
            materialized=True,
            partition_key_value=dict(zip(keys, json.loads(str(row.values)), strict=True)),
        )
        for i, row in enumerate(written.itertuples(index=False))
    ]
