"""The MLTable readers daskprs can read, one :class:`~daskprs.data.formats.base.Format` each,
registered by reader name in :data:`FORMATS` (as fsspec registers its filesystems).

Everything format-specific, its options included, is behind the ``Format`` interface; planning and loading look the format up with :func:`get_format` and never
compare reader names. A new format is one module here and one line in :data:`FORMATS`.
"""

from __future__ import annotations

from daskprs.data.formats.base import Format
from daskprs.data.formats.delimited import DELIMITED
from daskprs.data.formats.delta import DELTA_LAKE
from daskprs.data.formats.json_lines import JSON_LINES
from daskprs.data.formats.parquet import PARQUET

FORMATS: dict[str, Format] = {f.name: f for f in (DELIMITED, PARQUET, JSON_LINES, DELTA_LAKE)}


# the reader transformations an MLTable file may name
READERS: tuple[str, ...] = tuple(FORMATS)


def get_format(reader_name: str) -> Format:
    """The format of a reader transformation (``read_delimited``, ``read_parquet``, ...)."""
    return FORMATS[reader_name]


__all__ = ["FORMATS", "READERS", "Format", "get_format"]
