"""``MLTable``: an MLTable document, its transformations as methods, and its data.

As in mltable, an MLTable is immutable and lazy: every method returns a new MLTable whose
document has one more transformation (``_add_transformation_step``), and data is read only by
``to_pandas_dataframe()`` / ``show()`` / ``get_partition_count()`` / ``validate()`` /
``to_dask_dataframe()`` — through the data layer (:mod:`daskprs.mltable._read`).
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from daskprs.errors import MLTableError
from daskprs.mltable import _document, _read
from daskprs.mltable._datatype import DataType
from daskprs.mltable._errors import (
    MLTableArgumentError,
    MLTableNotImplementedError,
    MLTableValidationError,
    argument_error,
)

_VALIDATE_ERR_MSG = (
    "Can not load data from this MLTable's associated datastores. Please check the associated "
    "paths."
)


F = TypeVar("F", bound=Callable[..., Any])


def _names_the_table(method: F) -> F:
    """Argument errors of ``method`` also name the table (the file it was loaded from, or the
    ``from_*`` call that built it)."""

    @functools.wraps(method)
    def wrapper(self: MLTable, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except MLTableArgumentError as exc:
            if exc.file is not None:
                raise
            raise MLTableArgumentError(exc.message, file=self._source, key=exc.key) from None

    return wrapper  # type: ignore[return-value]


class MLTable:
    """A lazily evaluated, immutable series of operations that load data from its paths.

    Not built directly: use :func:`mltable.load` or one of the ``from_*`` functions.
    """

    _doc: dict[str, Any]
    _path_pairs: list[tuple[dict[str, str], dict[str, str]]]
    _load_uri: str
    _source: str
    _storage_options: dict[str, Any] | None
    _partition_keys: list[str]
    traits: Traits
    metadata: Metadata

    def __init__(self) -> None:
        self._loaded = False

    # -- construction ---------------------------------------------------------------------------
    @staticmethod
    def _create(
        doc: dict[str, Any],
        path_pairs: list[tuple[dict[str, str], dict[str, str]]],
        load_uri: str,
        source: str,
        storage_options: dict[str, Any] | None = None,
    ) -> MLTable:
        table = MLTable()
        table._doc = doc
        table._path_pairs = path_pairs
        table._load_uri = load_uri
        table._source = source
        table._storage_options = storage_options
        table._loaded = True
        table._partition_keys = []
        table.traits = Traits(table)
        table.metadata = Metadata(table)
        return table

    def _derive(self, doc: dict[str, Any]) -> MLTable:
        return MLTable._create(
            doc, self._path_pairs, self._load_uri, self._source, self._storage_options
        )

    def _add_transformation_step(self, step: str, args: Any, index: int | None = None) -> MLTable:
        """A new MLTable with ``{step: args}`` inserted at ``index`` (None: appended)."""
        self._check_loaded()
        doc = copy.deepcopy(self._doc)
        steps = doc.setdefault("transformations", [])
        new = _document.canonical_step({step: args})
        steps.insert(len(steps) if index is None else index, new)
        _document.validate_steps(steps, self._source)
        return self._derive(doc)

    def _check_loaded(self) -> None:
        if not self._loaded:
            raise MLTableError(
                "this MLTable was not loaded: create one with mltable.load() or a from_* function"
            )

    # -- the document -----------------------------------------------------------------------------
    def _to_yaml_dict(self) -> dict[str, Any]:
        """The MLTable document as a dict (a copy)."""
        self._check_loaded()
        return copy.deepcopy(self._doc)

    def __repr__(self) -> str:
        """The MLTable document as YAML."""
        self._check_loaded()
        return yaml.dump(self._doc)

    def __str__(self) -> str:
        return self.__repr__()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MLTable):
            return False
        a, b = self._to_yaml_dict(), other._to_yaml_dict()
        return all(a.get(k) == b.get(k) for k in ("transformations", "metadata", "traits")) and (
            self.paths == other.paths
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def paths(self) -> list[dict[str, str]]:
        """The paths as given (relative ones: to the folder the MLTable was loaded from)."""
        self._check_loaded()
        return [dict(og) for og, _ in self._path_pairs]

    @property
    def partition_keys(self) -> list[str]:
        """The columns of ``extract_columns_from_partition_format`` (datetime column last)."""
        self._check_loaded()
        from daskprs.data.partition_format import parse_partition_format

        for step in self._doc.get("transformations") or []:
            if _document.step_name(step) == "extract_columns_from_partition_format":
                fmt = step["extract_columns_from_partition_format"]["partition_format"]
                try:
                    return list(parse_partition_format(fmt).columns)
                except ValueError as exc:
                    raise argument_error(
                        "extract_columns_from_partition_format", "partition_format", str(exc)
                    ) from None
        return []

    # -- transformations --------------------------------------------------------------------------
    @_names_the_table
    def take(self, count: int = 20) -> MLTable:
        """The first ``count`` rows."""
        _positive_int("take", "count", count)
        return self._add_transformation_step("take", count)

    @_names_the_table
    def skip(self, count: int) -> MLTable:
        """All but the first ``count`` rows."""
        _positive_int("skip", "count", count)
        return self._add_transformation_step("skip", count)

    @_names_the_table
    def take_random_sample(self, probability: float, seed: int | None = None) -> MLTable:
        """Each row with chance ``probability`` (0 < p < 1); ``seed`` None: a random one."""
        if not (isinstance(probability, float) and 0 < probability < 1):
            raise argument_error(
                "take_random_sample",
                "probability",
                f"expected a float greater than 0 and less than 1, got {probability!r}",
            )
        seed = _seed("take_random_sample", seed)
        return self._add_transformation_step(
            "take_random_sample", {"probability": probability, "seed": seed}
        )

    @_names_the_table
    def filter(self, expression: str) -> MLTable:
        """The rows for which ``expression`` (e.g. ``'col("a") > 3'``) is true."""
        if not isinstance(expression, str):
            raise argument_error(
                "filter", "expression", f"expected an expression string, got {expression!r}"
            )
        return self._add_transformation_step("filter", expression)

    @_names_the_table
    def keep_columns(self, columns: str | list[str] | tuple[str] | set[str]) -> MLTable:
        """Only ``columns`` (a name or a list, tuple or set of names)."""
        columns = _column_names("keep_columns", columns)
        in_traits = self._columns_in_traits()
        kept = {columns} if isinstance(columns, str) else set(columns)
        if in_traits - kept:
            raise argument_error(
                "keep_columns", "columns", f"the trait columns {sorted(in_traits)} must be kept"
            )
        return self._add_transformation_step("keep_columns", columns)

    @_names_the_table
    def drop_columns(self, columns: str | list[str] | tuple[str] | set[str]) -> MLTable:
        """All columns but ``columns`` (a name or a list, tuple or set of names)."""
        columns = _column_names("drop_columns", columns)
        dropped = {columns} if isinstance(columns, str) else set(columns)
        if self._columns_in_traits() & dropped:
            raise argument_error(
                "drop_columns", "columns", "columns in traits must be kept and cannot be dropped"
            )
        return self._add_transformation_step("drop_columns", columns)

    @_names_the_table
    def convert_column_types(self, column_types: dict[Any, Any]) -> MLTable:
        """Convert columns: ``{column or (columns, ...): DataType or type name}``."""
        return self._add_transformation_step(
            "convert_column_types", column_type_mappings("convert_column_types", column_types)
        )

    @_names_the_table
    def extract_columns_from_partition_format(self, partition_format: str) -> MLTable:
        """Columns from each file's path, e.g. ``'{Store}/{Brand}/{file}.csv'`` or
        ``'{Date:yyyy/MM/dd}/data.csv'``; matched against the end of the path."""
        if not isinstance(partition_format, str):
            raise argument_error(
                "extract_columns_from_partition_format",
                "partition_format",
                f"expected a format string, got {partition_format!r}",
            )
        return self._add_transformation_step(
            "extract_columns_from_partition_format", {"partition_format": partition_format}, 0
        )

    @_names_the_table
    def select_partitions(self, partition_index_list: int | list[int]) -> MLTable:
        """Only the partitions (mini batches at the reader's partition size) with these
        indices; ``get_partition_count()`` says how many there are."""
        indices: Any = partition_index_list
        if isinstance(indices, int) and not isinstance(indices, bool):
            indices = [indices]
        if not (isinstance(indices, list) and indices) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in indices
        ):
            raise argument_error(
                "select_partitions",
                "partition_index_list",
                f"expected an int or a non-empty list of ints, got {partition_index_list!r}",
            )
        return self._add_transformation_step("select_partitions", indices)

    @_names_the_table
    def random_split(
        self, percent: float = 0.5, seed: int | None = None
    ) -> tuple[MLTable, MLTable]:
        """Two MLTables, with about ``percent`` and ``1 - percent`` of the rows (disjoint)."""
        if not (isinstance(percent, float) and 0 < percent < 1):
            raise argument_error(
                "random_split",
                "percent",
                f"expected a float greater than 0 and less than 1, got {percent!r}",
            )
        seed = _seed("random_split", seed)

        def split(low: float, high: float) -> MLTable:
            return self._add_transformation_step(
                "sample",
                {
                    "sampler": "random_percent",
                    "sampler_arguments": {
                        "probability": high,
                        "probability_lower_bound": low,
                        "seed": seed,
                    },
                },
            )

        return split(0.0, percent), split(percent, 1.0)

    # -- data -------------------------------------------------------------------------------------
    def _plan(self) -> _read.ReadPlan:
        self._check_loaded()
        return _read.read_plan(self._doc, self._source, self._storage_options)

    def to_pandas_dataframe(self) -> Any:
        """All rows as a pandas DataFrame (a file list: one ``Path`` column)."""
        return _read.to_frame(self._plan())

    def to_dask_dataframe(self) -> Any:
        """All rows as a Dask DataFrame, one partition per partition of this table (daskprs's
        addition: ``daskprs.read_mltable`` of this table)."""
        return _read.to_dask(self._plan())

    def show(self, count: int = 20) -> Any:
        """The first ``count`` rows as a pandas DataFrame."""
        return self.take(count).to_pandas_dataframe()

    def get_partition_count(self) -> int:
        """How many partitions the data has (see ``select_partitions``)."""
        plan = self._plan()
        pieces, _ = _read._selected(plan)
        return len(pieces)

    def validate(self) -> None:
        """Raise ``MLTableValidationError`` (a RuntimeError) when no row can be read."""
        try:
            frame = self.take(1).to_pandas_dataframe()
        except (MLTableError, OSError, ValueError) as exc:
            raise MLTableValidationError(f"{_VALIDATE_ERR_MSG} {exc}", file=self._source) from exc
        if len(frame) != 1:
            raise MLTableValidationError(
                f"{_VALIDATE_ERR_MSG} The table has no rows.", file=self._source
            )

    @_names_the_table
    def save(
        self,
        path: str | None = None,
        overwrite: Any = True,
        colocated: bool = False,
        show_progress: bool = False,
        if_err_remove_files: bool = True,
    ) -> MLTable:
        """Write this MLTable's file (and with ``colocated`` its data files) to folder ``path``
        (default: the working directory); returns this MLTable."""
        from daskprs.mltable._save import save

        self._check_loaded()
        save(self, path, overwrite, colocated, show_progress, if_err_remove_files)
        return self

    # -- what daskprs does not serve ---------------------------------------------------------------
    def _download(self, *args: Any, **kwargs: Any) -> Any:
        raise MLTableNotImplementedError("MLTable._download()")

    def _mount(self, *args: Any, **kwargs: Any) -> Any:
        raise MLTableNotImplementedError("MLTable._mount()")

    def _columns_in_traits(self) -> set[str]:
        traits = self._doc.get("traits") or {}
        cols = set(traits.get("index_columns") or [])
        if traits.get("timestamp_column"):
            cols.add(traits["timestamp_column"])
        return cols


class Metadata:
    """The ``metadata`` section: ``has(key)``, ``get(key)``, ``add(key, value)``."""

    def __init__(self, table: MLTable) -> None:
        self._table = table

    def _section(self) -> dict[str, Any]:
        return self._table._doc.get("metadata") or {}

    def has(self, key: str) -> bool:
        _property_name("metadata", key)
        return key in self._section()

    def get(self, key: str) -> Any:
        return self._section().get(key) if self.has(key) else None

    def add(self, key: str, value: Any) -> None:
        _property_name("metadata", key)
        self._table._doc.setdefault("metadata", {})[key] = value


class Traits:
    """The ``traits`` section: ``timestamp_column`` and ``index_columns``."""

    def __init__(self, table: MLTable) -> None:
        self._table = table

    def _get(self, name: str, what: str) -> Any:
        value = (self._table._doc.get("traits") or {}).get(name)
        if value is None:
            raise argument_error("traits", name, f"{what} is not set")
        return value

    @property
    def timestamp_column(self) -> str:
        return str(self._get("timestamp_column", "the timestamp column"))

    @timestamp_column.setter
    def timestamp_column(self, column_name: str) -> None:
        if not isinstance(column_name, str):
            raise argument_error(
                "traits", "timestamp_column", f"expected a column name, got {column_name!r}"
            )
        self._table._doc.setdefault("traits", {})["timestamp_column"] = column_name

    @property
    def index_columns(self) -> list[str]:
        return list(self._get("index_columns", "the index columns"))

    @index_columns.setter
    def index_columns(self, index_columns_list: list[str]) -> None:
        if index_columns_list and not isinstance(index_columns_list, list):
            raise argument_error(
                "traits", "index_columns", f"expected a list, got {index_columns_list!r}"
            )
        self._table._doc.setdefault("traits", {})["index_columns"] = index_columns_list


# ---------------------------------------------------------------------------- argument checks


def _positive_int(call: str, name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise argument_error(call, name, f"expected a positive integer, got {value!r}")


def _seed(call: str, seed: Any) -> int:
    if seed is None:
        return random.randint(1, 1000)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise argument_error(call, "seed", f"a random seed must be an integer, got {seed!r}")
    return seed


def _property_name(section: str, key: Any) -> None:
    if not isinstance(key, str):
        raise argument_error(section, "key", f"property names are strings, got {key!r}")


def _column_names(call: str, columns: Any) -> str | list[str]:
    if isinstance(columns, str):
        return columns
    if not isinstance(columns, (list, tuple, set)) or not all(isinstance(c, str) for c in columns):
        raise argument_error(
            call,
            "columns",
            f"expected a column name or a list, tuple or set of names, got {columns!r}",
        )
    dups = sorted({c for c in columns if list(columns).count(c) > 1})
    if dups:
        raise argument_error(call, "columns", f"duplicate column names {dups}")
    return list(columns)


def column_type_mappings(
    call: str, mappings: Any, allow_stream: bool = True
) -> list[dict[str, Any]]:
    """``{column or (columns, ...): DataType or name}`` -> mltable's ``convert_column_types`` list."""
    arg = "column_types" if call == "convert_column_types" else "infer_column_types"
    if not isinstance(mappings, dict) or not mappings:
        raise argument_error(
            call,
            arg,
            "expected a non-empty dict of {column name or tuple of names: mltable.DataType or "
            f"type name}}, got {mappings!r}",
        )
    seen: set[str] = set()
    out = []
    for columns, column_type in mappings.items():
        group = (columns,) if isinstance(columns, str) else columns
        if not (isinstance(group, tuple) and group and all(isinstance(c, str) for c in group)):
            raise argument_error(
                call,
                arg,
                f"column names are strings or non-empty tuples of strings, got {columns!r}",
            )
        for c in group:
            if c in seen:
                raise argument_error(
                    call, arg, f"column {c!r} is converted to more than one DataType"
                )
            seen.add(c)
        dt = DataType._from_raw(column_type, call)
        if not allow_stream and dt._data_type == "stream_info":
            raise argument_error(
                call,
                arg,
                "overrides to stream are not supported; use MLTable.convert_column_types instead",
            )
        value = list(columns) if isinstance(columns, tuple) else columns
        out.append({"columns": value, "column_type": copy.deepcopy(dt._arguments)})
    return out
