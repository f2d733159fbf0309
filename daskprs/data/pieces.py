"""A mini batch as planned (:class:`MiniBatchPiece`) and its loading inside a worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from daskprs.data import column_types
from daskprs.data.input_cache import local_copy
from daskprs.data.mltable_spec import MLTable
from daskprs.data.readers import Part, TableSchema, read_part
from daskprs.data.transforms import add_partition_columns, apply_transforms


@dataclass(frozen=True)
class MiniBatchPiece:
    """One mini batch: small, frozen and picklable (it is shipped to worker processes).

    ``kind == "files"``: ``files`` are the full paths handed to ``run()``.
    ``kind == "rows"``: ``parts`` are slices of files read with ``table``'s reader and
    transformations; ``offsets`` feed the global steps (take / skip / take_random_sample);
    ``materialized`` parts are rows ``[row_start, row_stop)`` of key files already holding
    final rows (``partition_keys`` groups, :mod:`daskprs.data.keys`).
    """

    id: int
    kind: Literal["rows", "files"]
    files: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    table: MLTable | None = field(default=None, repr=False)
    schema: TableSchema | None = field(default=None, repr=False)
    offsets: tuple[int, ...] = ()
    materialized: bool = False
    partition_key_value: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    storage_options: dict[str, Any] | None = field(
        default=None, hash=False, compare=False, repr=False
    )

    def describe(self) -> dict[str, Any]:
        """JSON-able description for logs."""
        d: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.kind == "files":
            d["files"] = list(self.files)
        else:
            d["parts"] = [
                {"file": p.path, "rows": [p.row_start, p.row_stop]}
                if self.materialized
                else p.describe()
                for p in self.parts
            ]
            if self.table is not None:
                d["mltable"] = self.table.source_file
        if self.partition_key_value is not None:
            d["partition_key_value"] = {
                k: _jsonable(v) for k, v in self.partition_key_value.items()
            }
        return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def meta_frame(table: MLTable, schema: TableSchema) -> pd.DataFrame:
    """The empty DataFrame with the table's final columns and dtypes."""
    reader = table.reader
    assert reader is not None
    if reader.name == "read_parquet" and schema.arrow_schema is not None:
        df = schema.arrow_schema.empty_table().to_pandas()
        df = column_types.conform_nullable(df, schema.kind_map)
    else:
        df = pd.DataFrame({c: pd.Series([], dtype=object) for c in schema.columns})
        df = column_types.apply_kinds(df, schema.kind_map)
        for c in df.columns:
            if c not in schema.kind_map or schema.kind_map[c] == "string":
                df[c] = df[c].astype(_str_dtype())
    if reader.include_path_column:
        df.insert(0, reader.path_column, pd.Series([], dtype=_str_dtype()))
    return apply_transforms(table, add_partition_columns(table, df, None, schema))


def _str_dtype() -> Any:
    return column_types.STRING_DTYPE


def load_rows(piece: MiniBatchPiece, stop: int | None = None) -> pd.DataFrame:
    table, schema = piece.table, piece.schema
    assert table is not None and schema is not None
    if piece.materialized:
        from daskprs.data.keys import read_key_rows

        frames = [read_key_rows(p.path, p.row_start, _stop(p)) for p in piece.parts]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frames = []
    for part in piece.parts:
        df = read_part(part, table, schema)
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
