"""``mini_batch_size`` parsing, exactly as the Azure ML SDK does it (binary, case-insensitive units).

>>> parse_mini_batch_size("10kb")
10240
>>> parse_mini_batch_size("1MB")
1048576
>>> parse_mini_batch_size(5)
5
"""

from __future__ import annotations

import re

MINI_BATCH_SIZE_REGEX = r"^\d+([kKmMgG][bB])?$"
_PATTERN = re.compile(MINI_BATCH_SIZE_REGEX)
_UNITS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_mini_batch_size(value: int | str) -> int:
    """Return the size in bytes (tabular) or items (file lists); ValueError when invalid."""
    if isinstance(value, bool):
        raise ValueError(f"mini_batch_size must be a string matching {MINI_BATCH_SIZE_REGEX}, not {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"mini_batch_size must not be negative, got {value}")
        return value
    if not isinstance(value, str) or not _PATTERN.match(value):
        raise ValueError(
            f"mini_batch_size must follow regex rule {MINI_BATCH_SIZE_REGEX} "
            f'(e.g. "100", "10kb", "1MB", "1gb"), got {value!r}'
        )
    unit = value[-2:].lower()
    if unit in _UNITS:
        return int(value[:-2]) * _UNITS[unit]
    return int(value)


def has_size_unit(value: int | str) -> bool:
    """True when the value carries a kb/mb/gb suffix (invalid for file-list inputs)."""
    return isinstance(value, str) and value[-2:].lower() in _UNITS
