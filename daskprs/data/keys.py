"""``partition_keys``: one mini batch per distinct key combination.

Keys taken from paths (``extract_columns_from_partition_format``) group whole files: no data is
read. Keys on ordinary columns need the data: the rows are grouped and written, sorted by group,
to **key files** (uncompressed Arrow IPC) under ``work_dir/partition_keys`` (the engine gives a
folder in the step's state dir); each group is one mini batch, a row range of one key file.

- A small table (up to :data:`SMALL_TABLE_PIECES` pieces of 1 MiB) is grouped in the planning
  thread and written as one key file: no Dask round trip, no per-group file.
- A larger one goes through a Dask shuffle on the keys into partitions of about that size; each
  output partition becomes one key file, its groups sorted like the whole table's.

Groups come in order of first appearance in the table, rows inside a group in table order, and a
key file is named after the table position of its first row, so planning the same table again
(``--resume``) gives the same mini batches and the same files.

Inside the worker, :mod:`daskprs.data.key_files` reads a mini batch's rows.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from daskprs.data.model import MiniBatchPiece, MLTable, Part, TableSchema
from daskprs.data.partitions import partition_values
from daskprs.data.pieces import load_rows, meta_frame
from daskprs.data.table_plan import plan_rows
from daskprs.errors import MLTableError

_PIECE = "__daskprs_piece"
_ROW = "__daskprs_row"

SMALL_TABLE_PIECES = 16  # at most this many 1 MiB pieces: grouped in the planning thread
P2P_PIECES = 256  # larger tables: Dask's P2P shuffle (spills to disk), else the task shuffle

_WRITTEN = ["path", "start", "count", "piece", "row", "values"]


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
    return _column_groups(table, schema, keys, work_dir, meta)


# -- planning: key files -------------------------------------------------------------------------


def _load_ordered(piece: MiniBatchPiece) -> pd.DataFrame:
    """A piece's rows tagged with their table position (piece id, row in the piece)."""
    df = load_rows(piece)
    return df.assign(**{_PIECE: np.full(len(df), piece.id, "int64"), _ROW: np.arange(len(df))})


def _plain(v: Any) -> Any:
    """A key value as JSON can hold it: nulls (NaN, NaT, NA) None, numpy scalars Python."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    return v if isinstance(v, (str, int, float, bool)) else str(v)


def _empty_written() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": pd.Series([], dtype=object),
            "start": pd.Series([], dtype="int64"),
            "count": pd.Series([], dtype="int64"),
            "piece": pd.Series([], dtype="int64"),
            "row": pd.Series([], dtype="int64"),
            "values": pd.Series([], dtype=object),
        }
    )


def write_key_file(df: pd.DataFrame, keys: list[str], out_dir: str) -> pd.DataFrame:
    """Write ``df``'s rows (tagged by :func:`_load_ordered`) grouped by ``keys`` to one key file.

    Groups in order of first appearance, rows of a group in table order. Returns one row per
    group: ``path``, ``start`` / ``count`` (its rows in the file), ``piece`` / ``row`` (the table
    position of its first row) and ``values`` (a tuple of the key values, JSON-able).
    """
    if not len(df):
        return _empty_written()
    piece, row = df[_PIECE].to_numpy(), df[_ROW].to_numpy()
    dp = np.diff(piece)
    in_order = bool(((dp > 0) | ((dp == 0) & (np.diff(row) > 0))).all())
    table_order = None if in_order else np.lexsort((row, piece))  # after a shuffle
    key_frame = df[keys] if table_order is None else df[keys].iloc[table_order]
    codes = key_frame.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")  # by group, then table order
    if table_order is not None:
        order = table_order[order]  # positions in df
    counts = np.bincount(codes)
    starts = np.zeros(len(counts), dtype="int64")
    np.cumsum(counts[:-1], out=starts[1:])
    firsts = df.iloc[order[starts]]
    name = f"keys-{int(firsts[_PIECE].iloc[0])}-{int(firsts[_ROW].iloc[0])}"
    path = _write_file(df, order, os.path.join(out_dir, name))
    values = [
        tuple(_plain(v) for v in row) for row in firsts[keys].itertuples(index=False, name=None)
    ]
    return pd.DataFrame(
        {
            "path": pd.Series([path] * len(counts), dtype=object),
            "start": starts,
            "count": counts.astype("int64"),
            "piece": firsts[_PIECE].to_numpy(dtype="int64"),
            "row": firsts[_ROW].to_numpy(dtype="int64"),
            "values": pd.Series(values, dtype=object),
        }
    )


def _write_file(df: pd.DataFrame, order: np.ndarray, base: str) -> str:
    """Rows ``order`` of ``df`` (without the tag columns) as uncompressed Arrow IPC, or as a
    pickled DataFrame when it holds Python objects (nested JSON, ...: Arrow would change them).
    Written aside and renamed: a process still mapping an older file of that name keeps reading
    the old one (its inode), never a half-written one. Returns the path."""
    columns = [c for c in df.columns if c not in (_PIECE, _ROW)]
    exact = any(pd.api.types.is_object_dtype(df[c].dtype) for c in columns)
    path = base + (".pkl" if exact else ".arrow")
    tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    if exact:
        df[columns].iloc[order].reset_index(drop=True).to_pickle(tmp)
    else:
        table = pa.Table.from_pandas(df, columns=columns, preserve_index=False).take(order)
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    os.replace(tmp, path)
    return path


def _column_groups(
    table: MLTable, schema: TableSchema, keys: list[str], work_dir: str | None, meta: pd.DataFrame
) -> list[MiniBatchPiece]:
    out_dir = os.path.join(work_dir or tempfile.mkdtemp(prefix="daskprs-keys-"), "partition_keys")
    os.makedirs(out_dir, exist_ok=True)
    pieces = plan_rows(table, None)
    if len(pieces) <= SMALL_TABLE_PIECES:
        frames = [_load_ordered(p) for p in pieces]
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        written = write_key_file(df, keys, out_dir)
    else:
        written = _shuffle_key_files(pieces, keys, out_dir, meta)
    written = written.sort_values(["piece", "row"], kind="stable")
    paths: dict[str, str] = {}  # one str per file, not one per mini batch (driver memory)
    return [
        MiniBatchPiece(
            id=i,
            kind="rows",
            parts=(Part(paths.setdefault(path, path), 0, row_start=start, row_stop=start + n),),
            table=table,
            schema=schema,
            materialized=True,
            partition_key_value=dict(zip(keys, values, strict=True)),
        )
        for i, (path, start, n, values) in enumerate(
            zip(
                written["path"].tolist(),
                written["start"].tolist(),
                written["count"].tolist(),
                written["values"].tolist(),
                strict=True,
            )
        )
    ]


def _shuffle_key_files(
    pieces: list[MiniBatchPiece], keys: list[str], out_dir: str, meta: pd.DataFrame
) -> pd.DataFrame:
    """A Dask shuffle on the keys; each output partition is written as one key file."""
    import dask
    import dask.dataframe as dd

    ordered_meta = meta.assign(
        **{_PIECE: pd.Series([], dtype="int64"), _ROW: pd.Series([], dtype="int64")}
    )
    # no conversion of text and object columns to pyarrow strings: the rows keep their dtypes
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_map(_load_ordered, pieces, meta=ordered_meta, enforce_metadata=False)
        if ddf.npartitions > 1:  # output partitions (key files) of ~SMALL_TABLE_PIECES pieces
            # the task shuffle is ~2x faster than P2P up to some hundred MiB; P2P scales further
            method = "tasks" if len(pieces) <= P2P_PIECES else None
            parts = -(-len(pieces) // SMALL_TABLE_PIECES)
            ddf = ddf.shuffle(on=keys, npartitions=parts, shuffle_method=method)
        out = ddf.map_partitions(write_key_file, keys, out_dir, meta=_empty_written())
        return out.compute()
