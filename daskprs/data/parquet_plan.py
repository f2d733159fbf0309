"""Parquet planning from footers: row groups merged up to the size, big row groups sliced.

Sizes are on-disk bytes (the compressed column chunks of a row group), the analogue of "bytes of
the source text" for CSV. Azure cannot split a parquet row group; we can, by row slices.
"""

from __future__ import annotations

import math

import pyarrow.parquet as pq


def row_group_sizes(metadata: pq.FileMetaData) -> list[tuple[int, int]]:
    """(on-disk bytes, rows) of each row group."""
    out = []
    for i in range(metadata.num_row_groups):
        rg = metadata.row_group(i)
        size = sum(rg.column(c).total_compressed_size for c in range(rg.num_columns))
        out.append((size, rg.num_rows))
    return out


def plan_row_groups(
    groups: list[tuple[int, int]], size: int
) -> list[tuple[tuple[int, ...], int, int | None]]:
    """Pieces as (row groups, row_start, row_stop) from (bytes, rows) per row group.

    >>> plan_row_groups([(10, 5), (10, 5), (50, 100), (5, 1)], 25)
    [((0, 1), 0, None), ((2,), 0, 50), ((2,), 50, 100), ((3,), 0, None)]
    >>> plan_row_groups([], 25)
    [((), 0, None)]
    """
    pieces: list[tuple[tuple[int, ...], int, int | None]] = []
    current: list[int] = []
    current_size = 0
    for i, (nbytes, nrows) in enumerate(groups):
        if nbytes > size:
            if current:
                pieces.append((tuple(current), 0, None))
                current, current_size = [], 0
            n = min(max(1, math.ceil(nbytes / size)), max(1, nrows))
            bounds = [round(k * nrows / n) for k in range(n + 1)]
            pieces.extend(((i,), bounds[k], bounds[k + 1]) for k in range(n))
            continue
        if current and current_size + nbytes > size:
            pieces.append((tuple(current), 0, None))
            current, current_size = [], 0
        current.append(i)
        current_size += nbytes
    if current or not pieces:
        pieces.append((tuple(current), 0, None))
    return pieces
