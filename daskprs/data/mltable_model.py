"""The MLTable file as daskprs holds it: frozen, picklable dataclasses and the names the
``mltable`` library's JSON schema allows (readers, transformations, header modes, encodings).
No parsing here: :mod:`daskprs.data.mltable_spec` builds these from YAML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MLTABLE_FILE_NAME = "MLTable"

HEADER_MODES = (
    "no_header",
    "from_first_file",
    "all_files_different_headers",
    "all_files_same_headers",
)
# accepted spelling -> Python codec (None: not a Python codec name we can cut by bytes)
ENCODINGS = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf8 bom": "utf-8-sig",
    "utf-8 bom": "utf-8-sig",
    "utf8bom": "utf-8-sig",
    "iso88591": "iso-8859-1",
    "iso-8859-1": "iso-8859-1",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "ascii": "ascii",
    "utf16": "utf-16",
    "utf-16": "utf-16",
    "windows1252": "cp1252",
    "windows-1252": "cp1252",
}
SIMPLE_TYPES = ("string", "int", "float", "boolean", "stream_info")
READERS = ("read_delimited", "read_parquet", "read_json_lines", "read_delta_lake")
TRANSFORMS = (
    "take",
    "skip",
    "take_random_sample",
    "drop_columns",
    "keep_columns",
    "convert_column_types",
    "filter",
    "extract_columns_from_partition_format",
)
TOP_LEVEL_KEYS = ("$schema", "type", "metadata", "paths", "transformations", "traits")


@dataclass(frozen=True)
class PathSpec:
    """One ``paths`` entry, resolved: ``kind`` is file / folder / pattern."""

    kind: str
    value: str  # resolved local path or URL
    written: str  # as written in the MLTable file
    key: str  # dotted key, e.g. "paths[0].file"


@dataclass(frozen=True)
class ColumnSelector:
    """Column names, or a regex ``pattern`` (``ignore_case``, ``invert``) as mltable accepts."""

    names: tuple[str, ...] = ()
    pattern: str | None = None
    ignore_case: bool = False
    invert: bool = False

    def select(self, columns: list[str]) -> list[str]:
        if self.pattern is None:
            named = set(self.names)
            return [c for c in columns if c in named]  # the table's order, as mltable keeps it
        rx = re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)
        return [c for c in columns if bool(rx.fullmatch(c)) != self.invert]


@dataclass(frozen=True)
class ColumnType:
    """A ``column_type``: int, float, string, boolean (true/false values), datetime (formats)."""

    name: str
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    mismatch_as: str = "error"
    formats: tuple[str, ...] = ()
    date_constant: str | None = None


@dataclass(frozen=True)
class Transform:
    """One transformation step. ``name`` is the YAML key; the other fields are its options."""

    name: str
    key: str
    count: int = 0  # take / skip
    probability: float = 0.0  # take_random_sample
    seed: int | None = None
    columns: ColumnSelector | None = None  # drop_columns / keep_columns
    conversions: tuple[tuple[ColumnSelector, ColumnType], ...] = ()  # convert_column_types
    expression: str = ""  # filter
    partition_format: str = ""  # extract_columns_from_partition_format


@dataclass(frozen=True)
class Reader:
    """The reader transformation (``read_delimited`` / ``read_parquet`` / ...) and its options."""

    name: str
    key: str
    delimiter: str = ","
    header: str = "all_files_same_headers"
    encoding: str = "utf8"  # as written (normalised spelling); see codec
    support_multi_line: bool = False
    empty_as_string: bool = False
    include_path_column: bool = False
    path_column: str = "Path"
    infer_column_types: bool = True
    sample_size: int = 200
    type_overrides: tuple[tuple[ColumnSelector, ColumnType], ...] = ()
    invalid_lines: str = "error"  # read_json_lines
    version_as_of: int | None = None  # read_delta_lake
    timestamp_as_of: str | None = None

    @property
    def codec(self) -> str:
        return ENCODINGS[self.encoding]

    @property
    def cuttable(self) -> bool:
        """Whether files may be cut into byte windows: a line-based reader, no multi-line
        records, and an encoding whose line ends can be found in raw bytes."""
        if self.name not in ("read_delimited", "read_json_lines"):
            return False
        return not self.support_multi_line and self.codec in ("utf-8", "utf-8-sig", "ascii")


@dataclass(frozen=True)
class MLTable:
    """A parsed, validated MLTable file. Frozen and picklable."""

    source_file: str
    base_dir: str
    paths: tuple[PathSpec, ...]
    reader: Reader | None = None
    transforms: tuple[Transform, ...] = ()
    storage_options: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    # Set by planning (daskprs.data.schema.planned_table): the kinds of the output columns whose
    # dtype depends on nulls (int / int? / boolean / boolean?), after all transformations;
    # None: not planned yet.
    planned_kinds: tuple[tuple[str, str], ...] | None = None

    @property
    def is_tabular(self) -> bool:
        return self.reader is not None

    @property
    def partition_keys(self) -> tuple[str, ...]:
        from daskprs.data.partition_format import parse_partition_format

        for t in self.transforms:
            if t.name == "extract_columns_from_partition_format":
                return parse_partition_format(t.partition_format).columns
        return ()

    @property
    def partition_format(self) -> str | None:
        for t in self.transforms:
            if t.name == "extract_columns_from_partition_format":
                return t.partition_format
        return None
