"""The data layer's shared dataclasses, at the bottom of the layer: every other module of
``daskprs.data`` imports its data types from here, never from another implementation module.

- the MLTable file as daskprs holds it (:class:`MLTable`, :class:`Reader`, :class:`Transform`,
  ...) and the names the ``mltable`` library's JSON schema allows (transformations, header
  modes, encodings; the readers are the formats': :data:`daskprs.data.formats.READERS`); :mod:`daskprs.data.mltable_spec` builds them from YAML;
- what planning produces: :class:`Part` (one slice of one file), :class:`TableSchema` (the
  table's columns and planned kinds) and :class:`MiniBatchPiece` (one mini batch).

Frozen and picklable (mini batches are shipped to worker processes); no logic beyond trivial
properties."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from daskprs.data.partition_format import parse_partition_format

if TYPE_CHECKING:  # pyarrow is imported only where a schema is read (parsing stays light)
    import pyarrow as pa

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


@dataclass(frozen=True)
class Part:
    """One slice of one file. ``length`` None: the whole file (or all its row groups)."""

    path: str
    file_index: int = 0
    offset: int = 0
    length: int | None = None
    row_groups: tuple[int, ...] | None = None  # parquet: the row groups to read
    row_start: int = 0  # parquet: rows [row_start, row_stop) of those row groups
    row_stop: int | None = None

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"file": self.path}
        if self.row_groups is not None:
            d["row_groups"] = list(self.row_groups)
            if self.row_start or self.row_stop is not None:
                d["rows"] = [self.row_start, self.row_stop]
        elif self.length is not None:
            d["bytes"] = [self.offset, self.offset + self.length]
        return d


@dataclass(frozen=True)
class TableSchema:
    """What planning learned once for the whole table: column names and inferred kinds."""

    columns: tuple[str, ...]  # reader columns in output order (path column excluded)
    # inferred (column, kind); empty: no inference. Parquet: the int / boolean columns only
    # (``int?`` / ``boolean?``: nulls somewhere in the table), the others keep the file's type.
    kinds: tuple[tuple[str, str], ...] = ()
    arrow_schema: pa.Schema | None = None  # parquet: the files' columns (the first file's types)

    @property
    def kind_map(self) -> dict[str, str]:
        return dict(self.kinds)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain data: the arrow schema as Arrow IPC bytes, which every pyarrow
        reads (an entry process in a step environment may run another pyarrow than the
        driver; pyarrow's own pickles name its internal functions)."""
        ipc = None if self.arrow_schema is None else self.arrow_schema.serialize().to_pybytes()
        return (_table_schema, (self.columns, self.kinds, ipc))


def _table_schema(
    columns: tuple[str, ...], kinds: tuple[tuple[str, str], ...], ipc: bytes | None
) -> TableSchema:
    import pyarrow as pa

    arrow = None if ipc is None else pa.ipc.read_schema(pa.py_buffer(ipc))
    return TableSchema(columns, kinds, arrow)


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
