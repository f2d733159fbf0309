"""``extract_columns_from_partition_format`` steps of a table: where they are and their values.

A step written before the reader, with a reader that reads such columns as its own (the
format's ``reads_inline_partitions``: ``read_delimited``), is *inline*: mltable reads its values
as columns of the file, right after the path column (else first), typed by the reader's
inference with the file's columns. Otherwise the columns are appended when the step is
reached: text, and the date key datetime (:func:`daskprs.data.transforms.add_partition_columns`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from daskprs.data.model import MLTable
from daskprs.data.partition_format import PartitionFormat, parse_partition_format
from daskprs.errors import MLTableError

_STEP = "extract_columns_from_partition_format"


def partition_values(table: MLTable, path: str) -> dict[str, Any]:
    """The values of the table's (first) partition format for ``path``."""
    fmt_text = table.partition_format
    assert fmt_text is not None
    values = parse_partition_format(fmt_text).extract(path)
    if values is None:
        key = next(t.key for t in table.transforms if t.name == _STEP)
        raise _no_match(table, path, fmt_text, key)
    return values


@dataclass(frozen=True)
class PartitionStep:
    """One ``extract_columns_from_partition_format`` step (``index`` in ``table.transforms``);
    ``inline``: read as columns of the file (module docstring)."""

    index: int
    fmt: PartitionFormat
    inline: bool


_POSITION = re.compile(r"^transformations\[(\d+)\]")


def _position(key: str) -> int | None:
    m = _POSITION.match(key)
    return int(m.group(1)) if m else None


def partition_steps(table: MLTable, reads_inline: bool) -> list[PartitionStep]:
    """The table's partition steps, in order; ``reads_inline``: the reader's format reads the
    steps written before it as columns of the file."""
    reader = table.reader
    at = _position(reader.key) if reader is not None else None
    steps = []
    for index, t in enumerate(table.transforms):
        if t.name == _STEP:
            mine = _position(t.key)
            inline = reads_inline and at is not None and mine is not None and mine < at
            steps.append(PartitionStep(index, parse_partition_format(t.partition_format), inline))
    return steps


def inline_partition_columns(table: MLTable) -> list[str]:
    """The text columns of partition formats written before the reader (called by a format
    that reads them inline: its type inference types them; the date keys are datetime)."""
    return [c for p in partition_steps(table, True) if p.inline for c in p.fmt.string_columns]


def inline_partition_values(table: MLTable, path: str) -> dict[str, str]:
    """The text values of the inline partition columns for ``path`` (the planning scan)."""
    out: dict[str, str] = {}
    for p in partition_steps(table, True):
        if p.inline:
            values = step_values(table, p, path)
            out.update({c: values[c] for c in p.fmt.string_columns})
    return out


def step_values(table: MLTable, p: PartitionStep, path: str) -> dict[str, Any]:
    """The values of step ``p`` for ``path``."""
    values = p.fmt.extract(path)
    if values is None:
        raise _no_match(table, path, p.fmt.format, table.transforms[p.index].key)
    return values


def _no_match(table: MLTable, path: str, fmt: str, key: str) -> MLTableError:
    return MLTableError(
        f"path {path!r} does not match the partition format {fmt!r}; the format must "
        "match the end of every file path, or a run of its folders ('/year={year}/')",
        file=table.source_file,
        key=f"{key}.partition_format",
    )
