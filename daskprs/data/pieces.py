"""Loading a mini batch (:class:`~daskprs.data.model.MiniBatchPiece`) inside a worker."""

from __future__ import annotations

import pandas as pd

from daskprs.data import column_types
from daskprs.data.formats import get_format
from daskprs.data.input_cache import local_copy
from daskprs.data.key_files import read_key_rows
from daskprs.data.model import MiniBatchPiece, MLTable, Part, TableSchema
from daskprs.data.transforms import add_partition_columns, apply_transforms

__all__ = ["MiniBatchPiece", "load_piece", "load_rows", "meta_frame"]


def meta_frame(table: MLTable, schema: TableSchema) -> pd.DataFrame:
    """The empty DataFrame with the table's final columns and dtypes."""
    reader = table.reader
    assert reader is not None
    df = get_format(reader.name).meta(table, schema)
    if reader.include_path_column:
        df.insert(0, reader.path_column, pd.Series([], dtype=column_types.STRING_DTYPE))
    return apply_transforms(table, add_partition_columns(table, df, None, schema))


def load_rows(piece: MiniBatchPiece, stop: int | None = None) -> pd.DataFrame:
    table, schema = piece.table, piece.schema
    assert table is not None and schema is not None
    if piece.materialized:
        frames = [read_key_rows(p.path, p.row_start, _stop(p)) for p in piece.parts]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    assert table.reader is not None
    fmt = get_format(table.reader.name)
    frames = []
    for part in piece.parts:
        df = fmt.read(part, table, schema)
        frames.append(add_partition_columns(table, df, part.path, schema))
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = apply_transforms(table, df, piece.offsets, stop)
    if len(df) == 0 and stop is None:
        return meta_frame(table, schema)
    return df


def _stop(part: Part) -> int:
    assert part.row_stop is not None, "a key-file part names its rows"
    return part.row_stop


def load_piece(piece: MiniBatchPiece) -> pd.DataFrame | list[str]:
    """The mini batch's data, inside the worker: a DataFrame, or a list of local file paths."""
    if piece.kind == "files":
        return [local_copy(p, piece.storage_options) for p in piece.files]
    return load_rows(piece)
