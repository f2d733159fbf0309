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


def test_not_fused_after_a_filter_or_another_conversion(make_table):
    first = table_with(make_table, to(i="float"), to(i="string"))
    table = load_mltable(str(first))
    assert fused_columns(table, ["i", "d", "f", "x"], {"i": "int?"}) == {}
    df = read(first)
    assert df["i"].tolist()[0] == "9007199254740992"  # the float's text, as mltable
    filtered = table_with(make_table, {"filter": "x > 0"}, to(i="string"))
    assert fused_columns(load_mltable(str(filtered)), ["i"], {"i": "int?"}) == {}
    assert read(filtered)["i"].tolist()[0] == "9007199254740992"  # not fused: float64 first


def test_only_lossy_kinds_and_plain_types_are_fused(make_table):
    folder = table_with(
        make_table,
        to(x="string", i="boolean"),
        {"convert_column_types": [{"columns": "d", "column_type": {"boolean": {}}}]},
    )
    kinds = {"x": "int", "i": "int?", "d": "datetime"}
    assert fused_columns(load_mltable(str(folder)), ["i", "d", "x"], kinds) == {"x": "string"}
