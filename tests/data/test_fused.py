"""Reader columns converted from their text when a conversion is their first use (fused.py).

The oracle cases ``convert_int_nulls_to_string``, ``convert_datetime_out_of_range_to_string``
and ``convert_float_nan_text`` compare them with mltable; these check the plan's limits (what
is not fused) and that every cut gives the same values.
"""

from __future__ import annotations

import pandas as pd
import pytest
from datahelpers import csv_spec

from daskprs.data import load_mltable, load_piece, plan_mini_batches
from daskprs.data.fused import fused_columns

DATA = "i,d,f,x\n9007199254740993,2300-01-01,NaN,1\n,2021-01-01,,2\n5,,1.5,3\n"


def table_with(make_table, *steps):
    spec = csv_spec()
    spec["transformations"].extend(steps)
    return make_table(spec, {"data.csv": DATA})


def read(folder, size=None) -> pd.DataFrame:
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    return pd.concat([load_piece(p) for p in pieces], ignore_index=True)


def to(**kinds):
    return {"convert_column_types": [{"columns": c, "column_type": k} for c, k in kinds.items()]}


@pytest.mark.parametrize("size", [None, 30])
def test_first_use_as_string_keeps_what_the_dtype_loses(make_table, size):
    folder = table_with(make_table, {"take": 10}, to(i="string", d="string", f="string"))
    df = read(folder, size)
    assert df["i"].tolist()[0] == "9007199254740993"
    assert df["d"].tolist()[0] == "2300-01-01T00:00:00+00:00"
    assert df["f"].tolist()[0] == "NaN" and pd.isna(df["f"].tolist()[1])


def test_float_nan_to_boolean_is_true(make_table):
    df = read(table_with(make_table, to(f="boolean")))
    assert df["f"].tolist() == [True, None, True]


def test_not_fused_after_another_conversion(make_table):
    first = table_with(make_table, to(i="float"), to(i="string"))
    table = load_mltable(str(first))
    assert fused_columns(table, ["i", "d", "f", "x"], {"i": "int?"}) == {}
    df = read(first)
    assert df["i"].tolist()[0] == "9007199254740992"  # the float's text, as mltable


@pytest.mark.parametrize(
    "expression,fused",
    [
        ("x > 0", True),  # the filter does not read i: its conversion is still i's first use
        ("i > 0 or x > 0", False),  # the filter reads i as a number first
        ("col('i') > 0", False),
        ("col(d) > 0", False),  # a column named by a value: unknown before the rows
    ],
)
def test_fused_after_a_filter_of_other_columns(make_table, expression, fused):
    filtered = table_with(make_table, {"filter": expression}, to(i="string"))
    want = {"i": "string"} if fused else {}
    assert fused_columns(load_mltable(str(filtered)), ["i", "x"], {"i": "int?"}) == want
    if expression != "col(d) > 0":
        first = read(filtered)["i"].tolist()[0]
        assert first == ("9007199254740993" if fused else "9007199254740992")


def test_only_lossy_kinds_and_plain_types_are_fused(make_table):
    folder = table_with(
        make_table,
        to(x="string", i="boolean"),
        {"convert_column_types": [{"columns": "d", "column_type": {"boolean": {}}}]},
    )
    kinds = {"x": "int", "i": "int?", "d": "datetime"}
    assert fused_columns(load_mltable(str(folder)), ["i", "d", "x"], kinds) == {"x": "string"}
