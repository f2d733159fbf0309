"""``read_mltable``: an MLTable as a Dask DataFrame whose partitions are the mini batches."""

from __future__ import annotations

from typing import Any

from daskprs.data.mltable_spec import load_mltable
from daskprs.data.pieces import load_piece, meta_frame
from daskprs.data.planning import plan_mini_batches
from daskprs.data.sizes import parse_mini_batch_size
from daskprs.errors import MLTableError


def read_mltable(
    path: str,
    mini_batch_size: str | int | None = None,
    partition_keys: list[str] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """A ``dask.dataframe.DataFrame`` with one partition per mini batch the job would cut.

    ``mini_batch_size``: bytes, as an int or the Azure string form (``"1mb"``, ``"10kb"``);
    None is 1 MiB. ``partition_keys``: one partition per distinct key combination instead.
    """
    import dask
    import dask.dataframe as dd

    table = load_mltable(path, storage_options=storage_options)
    if not table.is_tabular:
        raise MLTableError(
            "this MLTable has no reader transformation, so it is a file list, not a table; add "
            "read_delimited, read_parquet, read_json_lines or read_delta_lake to transformations",
            file=table.source_file,
            key="transformations",
        )
    size = None if mini_batch_size is None else parse_mini_batch_size(mini_batch_size)
    pieces = plan_mini_batches(table, size, partition_keys)
    # Dask would turn object columns (booleans with nulls, nested JSON values) into text
    with dask.config.set({"dataframe.convert-string": False}):
        # the planned table (pieces[0].table) carries the output dtypes its transformations give
        if not pieces:  # partition keys of an empty table: no group, one empty partition
            first = plan_mini_batches(table, size)[0]
            assert first.schema is not None
            return dd.from_pandas(meta_frame(first.table or table, first.schema), npartitions=1)
        schema = pieces[0].schema
        assert schema is not None
        meta = meta_frame(pieces[0].table or table, schema)
        return dd.from_map(
            load_piece, pieces, meta=meta, enforce_metadata=False, label="read-mltable"
        )
