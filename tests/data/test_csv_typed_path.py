"""The typed Arrow CSV path (``csv_parse._arrow_typed``) against the path it comes before.

For every planned kind, each tricky value of ``test_value_parsing`` (numbers that truncate or
overflow, booleans in any case, datetimes in many layouts, blanks of every kind, empty and
quoted-empty fields) sits between two good values in a slice; the slice parsed with the Arrow
path must give exactly the frame (dtypes and values) the pandas path + ``conform`` gives, as
the data layer gives it to ``run()``. A slice whose values all parse takes the Arrow path (so
the comparison is not of the fallback with itself).
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from test_value_parsing import BLANKS, DATES, NUMBERS, WORDS

from daskprs.data import column_types
from daskprs.data.formats import csv_parse
from daskprs.data.model import Reader, TableSchema

GOOD = {
    "int": "12",
    "int?": "12",
    "float": "1.25",
    "boolean": "true",
    "boolean?": "false",
    "datetime": "2021-03-04T05:06:07",
    "string": "x",
}
TRICKY = [*BLANKS, *WORDS, *NUMBERS, *DATES]
PADDED = [f" {v} " for v in (WORDS + NUMBERS[:12] + DATES[:6])]


def _slice(value: str | None, good: str) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    rows = [[good, "a"], ["" if value is None else value, "b"], [good, "c"]]
    if value == "":
        rows[1][0] = '""'  # a quoted empty field
        out.write("\n".join(",".join(r) for r in rows) + "\n")
    else:
        w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _parse(data: bytes, kind: str, reader: Reader) -> pd.DataFrame:
    schema = TableSchema(columns=("v", "s"), kinds=(("v", kind), ("s", "string")))
    df = csv_parse.parse_csv(data, ["v", "s"], reader, schema, typed=True)
    return column_types.conform(df, schema.kind_map)


def _both(data: bytes, kind: str, reader: Reader, monkeypatch: pytest.MonkeyPatch) -> bool:
    csv_parse._arrow_misses.clear()
    used = []
    arrow_typed = csv_parse._arrow_typed

    def spy(*args: object) -> pd.DataFrame | None:
        out = arrow_typed(*args)  # type: ignore[arg-type]
        used.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(csv_parse, "_arrow_typed", spy)
        fast = _parse(data, kind, reader)
    with monkeypatch.context() as m:
        m.setattr(csv_parse, "_arrow_typed", lambda *a: None)
        slow = _parse(data, kind, reader)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    return bool(used and used[0])


@pytest.mark.parametrize("empty_as_string", [False, True])
@pytest.mark.parametrize("kind", list(GOOD))
def test_arrow_typed_path_gives_what_the_pandas_path_gives(
    kind: str, empty_as_string: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = Reader(name="read_delimited", key="read_delimited", empty_as_string=empty_as_string)
    took_arrow = []
    for value in [*TRICKY, *PADDED, None]:
        try:
            took_arrow.append(_both(_slice(value, GOOD[kind]), kind, reader, monkeypatch))
        except AssertionError as exc:
            raise AssertionError(f"kind {kind!r}, value {value!r}: {exc}") from None
    assert _both(_slice(GOOD[kind], GOOD[kind]), kind, reader, monkeypatch)
    assert any(took_arrow)


def test_a_table_whose_values_keep_failing_stops_trying_arrow_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = Reader(name="read_delimited", key="read_delimited")
    csv_parse._arrow_misses.clear()
    calls = []
    read = csv_parse._arrow_read
    monkeypatch.setattr(csv_parse, "_arrow_read", lambda *a, **k: calls.append(1) or read(*a, **k))
    for _ in range(6):
        _parse(_slice("1.5", "12"), "int", reader)  # "1.5": not an int for Arrow
    assert len(calls) == 3
