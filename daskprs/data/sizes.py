"""``mini_batch_size`` parsing: the Azure string form (``"1mb"``, ``"10KB"``, ``"1024"``) to an int.

Azure's client (``azure.ai.ml`` ``Parallel.__init__`` and v1 ``_mini_batch_size_to_int``) accepts
``^\\d+([kKmMgG][bB])*$`` and multiplies by binary units. Its ``*`` lets ``"10kbkb"`` through
the regex but then fails the int conversion; we use ``?`` so one regex says what is valid.

>>> parse_mini_batch_size("10kb")
10240
>>> parse_mini_batch_size("1MB")
1048576
>>> parse_mini_batch_size(7)
7
"""

from __future__ import annotations

import re

MINI_BATCH_SIZE_REGEX = r"^\d+([kKmMgG][bB])?$"
_PATTERN = re.compile(MINI_BATCH_SIZE_REGEX)
_UNITS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_mini_batch_size(value: str | int) -> int:
    """Return ``value`` as a positive int (bytes or a file count).

    Raises ``ValueError`` naming the regex when ``value`` is neither a positive int nor a string
    matching ``^\\d+([kKmMgG][bB])?$`` (binary units: kb = 1024, mb = 1024², gb = 1024³).
    """
    if isinstance(value, bool):
        raise ValueError(
            f"mini_batch_size must be a positive int or a string matching the regex "
            f"{MINI_BATCH_SIZE_REGEX} (e.g. '1mb', '10kb', '1024'), got {value!r}"
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _PATTERN.match(value):
        suffix = value[-2:].lower()
        number = int(value[:-2]) * _UNITS[suffix] if suffix in _UNITS else int(value)
    else:
        raise ValueError(
            f"mini_batch_size must follow the regex {MINI_BATCH_SIZE_REGEX} "
            f"(digits with an optional kb/mb/gb suffix, binary units, no spaces, e.g. '1mb', "
            f"'10kb', '1024'), got {value!r}"
        )
    if number <= 0:
        raise ValueError(f"mini_batch_size must be greater than 0, got {value!r}")
    return number


def has_size_suffix(value: str | int) -> bool:
    """True when ``value`` is a string with a kb/mb/gb suffix (a spec error on file inputs)."""
    return isinstance(value, str) and value[-2:].lower() in _UNITS
