"""``DataType``: the column types of ``convert_column_types`` and of ``from_delimited_files``'
``infer_column_types`` overrides, as the ``column_type`` values mltable writes into the MLTable.

>>> DataType.to_int()._arguments
'int'
>>> DataType.to_bool(["y"], ["n"])._arguments
{'boolean': {'true_values': ['y'], 'false_values': ['n'], 'mismatch_as': 'error'}}
>>> DataType.to_datetime("%Y-%m-%d")._arguments
{'datetime': {'formats': ['%Y-%m-%d']}}
"""

from __future__ import annotations

from typing import Any

from daskprs.mltable._errors import argument_error

_SIMPLE = ("string", "int", "float", "boolean", "stream_info")
_MISMATCH_AS_TYPES = ("error", "true", "false")


class DataType:
    """A column type: create one with ``DataType.to_int()``, ``to_float()``, ``to_string()``,
    ``to_bool(...)``, ``to_datetime(formats, ...)`` or ``to_stream()``."""

    _data_type: str
    _arguments: Any

    def __repr__(self) -> str:
        return f"DataType({self._arguments!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataType) and self._arguments == other._arguments

    def __hash__(self) -> int:
        return hash(repr(self._arguments))

    @staticmethod
    def _create(data_type: str) -> DataType:
        dt = DataType()
        dt._data_type = data_type
        dt._arguments = data_type
        return dt

    @staticmethod
    def _from_raw(value: Any, call: str = "convert_column_types") -> DataType:
        """A DataType from a DataType or one of the type names mltable accepts as strings."""
        if isinstance(value, DataType):
            return value
        if isinstance(value, str) and value in _SIMPLE:
            return DataType._create(value)
        raise argument_error(
            call,
            "column_types",
            f"{value!r} is not a supported column type; give an mltable.DataType or one of "
            f"{', '.join(repr(s) for s in _SIMPLE)}",
        )

    @staticmethod
    def _format_str_list(values: Any, name: str) -> list[str] | None:
        if values is None:
            return None
        if isinstance(values, str):
            return [values]
        if not isinstance(values, (list, tuple, set)) or any(
            not isinstance(x, str) for x in values
        ):
            raise argument_error(
                "DataType.to_bool", name, f"must be a list of strings, got {values!r}"
            )
        return list(values) or None

    @staticmethod
    def to_string() -> DataType:
        """Configure conversion to string."""
        return DataType._create("string")

    @staticmethod
    def to_int() -> DataType:
        """Configure conversion to 64-bit integer."""
        return DataType._create("int")

    @staticmethod
    def to_float() -> DataType:
        """Configure conversion to 64-bit float."""
        return DataType._create("float")

    @staticmethod
    def to_bool(
        true_values: list[str] | None = None,
        false_values: list[str] | None = None,
        mismatch_as: str | None = None,
    ) -> DataType:
        """Configure conversion to bool: ``true_values`` and ``false_values`` both None or both
        non-empty lists of strings; ``mismatch_as``: 'true', 'false' or 'error' (None: error)."""
        call = "DataType.to_bool"
        if mismatch_as is not None and mismatch_as not in _MISMATCH_AS_TYPES:
            raise argument_error(
                call, "mismatch_as", f"must be one of {_MISMATCH_AS_TYPES}, got {mismatch_as!r}"
            )
        tv = DataType._format_str_list(true_values, "true_values")
        fv = DataType._format_str_list(false_values, "false_values")
        if (tv is None) != (fv is None):
            raise argument_error(
                call,
                "true_values, false_values",
                "must both be None or both non-empty lists of strings",
            )
        if tv is not None and fv is not None and set(tv) & set(fv):
            raise argument_error(
                call,
                "true_values, false_values",
                f"must not overlap; both hold {sorted(set(tv) & set(fv))}",
            )
        dt = DataType._create("boolean")
        args: dict[str, Any] = {}
        if tv and fv:
            args = {"true_values": tv, "false_values": fv, "mismatch_as": "error"}
        if mismatch_as:
            args["mismatch_as"] = mismatch_as
        dt._arguments = {"boolean": args} if args else "boolean"
        return dt

    @staticmethod
    def to_stream() -> DataType:
        """Configure conversion to stream."""
        return DataType._create("stream_info")

    @staticmethod
    def to_datetime(formats: str | list[str], date_constant: str | None = None) -> DataType:
        """Configure conversion to datetime: ``formats`` a strftime format or a list of them
        (``%Y %y %m %b %B %d %H %I %M %S %f %p %z``), tried in order."""
        if isinstance(formats, str):
            formats = [formats]
        elif not (isinstance(formats, (list, tuple)) and all(isinstance(x, str) for x in formats)):
            raise argument_error(
                "DataType.to_datetime",
                "formats",
                f"expected a format string or a list or tuple of them, got {formats!r}",
            )
        dt = DataType._create("datetime")
        args: dict[str, Any] = {"formats": list(formats)}
        if date_constant is not None:
            args["date_constant"] = date_constant
        dt._arguments = {"datetime": args}
        return dt
