"""``extract_columns_from_partition_format``: turn path segments into columns.

``{Store}/{Brand}/{file_name}.csv`` makes string columns ``Store``, ``Brand``, ``file_name``;
``{PartitionDate:yyyy/MM/dd}`` makes one datetime column from the date parts (``yyyy``, ``MM``,
``dd``, ``HH``, ``mm``, ``ss``; ``yyyy`` is required). As in mltable, ``*`` matches any part
of one path segment and a column's value is (part of) one segment, dots included. As the mltable
docs say, "the format should start from the position of first partition key until the end of
file path": it is matched against the end of each path, starting at a path segment; a format that does
not reach the end (``/year={year}/``, ``year={year}/m={m}``) matches the first run of whole
folders it fits, as mltable's does. (The local
mltable library instead anchors it at the start of the absolute path; see
tests/oracle_data/KNOWN_DIFFERENCES.md.) Columns come in mltable's ``partition_keys`` order:
string keys in order, the datetime key last.

>>> fmt = parse_partition_format("{Store}/{Date:yyyy/MM}/data.csv")
>>> fmt.columns
('Store', 'Date')
>>> fmt.extract("/x/1000/2020/05/data.csv")
{'Store': '1000', 'Date': datetime.datetime(2020, 5, 1, 0, 0)}
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass
from typing import Any

DATE_PARTS = {
    "yyyy": "year",
    "MM": "month",
    "dd": "day",
    "HH": "hour",
    "mm": "minute",
    "ss": "second",
}


@dataclass(frozen=True)
class PartitionFormat:
    format: str
    regex: str
    string_columns: tuple[str, ...]
    date_column: str | None
    folders_regex: str = ""  # the format as leading folders of the path (mltable's reading)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.string_columns + ((self.date_column,) if self.date_column else ())

    def extract(self, path: str) -> dict[str, Any] | None:
        """The column values for ``path``, or None when the path does not match the format."""
        path = path.replace("\\", "/")
        m = re.search(self.regex, path)
        if m is None and self.folders_regex:
            m = re.search(self.folders_regex, path)
        if m is None:
            return None
        groups = m.groupdict()
        out: dict[str, Any] = {c: groups[_group(c)] for c in self.string_columns}
        if self.date_column:
            parts = {
                DATE_PARTS[p]: int(groups[f"_sys_{p}"])
                for p in DATE_PARTS
                if groups.get(f"_sys_{p}")
            }
            parts.setdefault("month", 1)
            parts.setdefault("day", 1)
            out[self.date_column] = _dt.datetime(
                parts["year"],
                parts["month"],
                parts["day"],
                parts.get("hour", 0),
                parts.get("minute", 0),
                parts.get("second", 0),
            )
        return out


def _group(column: str) -> str:
    return "c_" + "".join(ch if ch.isalnum() else f"_{ord(ch)}_" for ch in column)


def _date_pattern(date_fmt: str, date_parts: list[str]) -> str:
    """The regex of a datetime column's format (``yyyy/MM/dd``); the date parts it names are
    appended to ``date_parts`` (a part named again matches without a group)."""
    pattern = ""
    j = 0
    while j < len(date_fmt):
        part = date_fmt[j : j + 4] if date_fmt[j : j + 4] == "yyyy" else date_fmt[j : j + 2]
        if part in DATE_PARTS:
            if part in date_parts:
                pattern += rf"\d{{{len(part)}}}"
            else:
                pattern += rf"(?P<_sys_{part}>\d{{{len(part)}}})"
                date_parts.append(part)
            j += len(part)
        else:
            pattern += re.escape(date_fmt[j])
            j += 1
    return pattern


@functools.lru_cache(maxsize=64)
def parse_partition_format(fmt: str) -> PartitionFormat:
    """Translate a partition format to a regex; ValueError when it is not valid."""
    if not isinstance(fmt, str) or "{" not in fmt:
        raise ValueError(
            f"partition_format {fmt!r} names no column; write columns in braces, e.g. "
            "'{Store}/{Brand}/{file_name}.csv' or '{Date:yyyy/MM/dd}/data.csv'"
        )
    pattern = ""
    columns: list[str] = []
    date_column: str | None = None
    date_parts: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if fmt[i : i + 2] in ("{{", "}}"):
            pattern += re.escape(c)
            i += 2
            continue
        if c == "{":
            close = fmt.find("}", i)
            if close < 0:
                raise ValueError(f"partition_format {fmt!r} has an unclosed '{{' at position {i}")
            key = fmt[i + 1 : close]
            if not key:
                raise ValueError(f"partition_format {fmt!r} has an empty '{{}}'; name the column")
            if ":" in key:
                name, date_fmt = key.split(":", 1)
                if date_column is not None:
                    raise ValueError(
                        f"partition_format {fmt!r} has two datetime columns; one is allowed"
                    )
                date_column = name
                pattern += _date_pattern(date_fmt, date_parts)
            else:
                if key in columns:
                    pattern += r"[^/\\]+"
                else:
                    columns.append(key)
                    pattern += rf"(?P<{_group(key)}>[^/\\]+)"
            i = close + 1
            continue
        pattern += r"[^/\\]*?" if c == "*" else re.escape(c)  # within one path segment
        i += 1
    if date_parts and "yyyy" not in date_parts:
        raise ValueError(f"partition_format {fmt!r}: a datetime column needs at least 'yyyy'")
    if not fmt.startswith(("/", "*")):
        pattern = r"(?:^|(?<=/))" + pattern  # start at a path segment
    # A format that does not reach the end of a path (``/year={year}/m={m}/`` for
    # ``.../year=2020/m=1/d.parquet``) matches its first run of whole folders, as in mltable.
    folders = pattern if fmt.endswith("/") else pattern + "(?=/)"
    return PartitionFormat(fmt, pattern + "$", tuple(columns), date_column, folders)
