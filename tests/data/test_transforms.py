from __future__ import annotations

import pandas as pd
import pytest
from datahelpers import csv_spec

from daskprs.data import load_mltable, load_piece, plan_mini_batches, read_mltable
from daskprs.data.filter_expr import compile_filter
from daskprs.data.transforms import sample_mask
from daskprs.errors import MLTableError

DATA = "id,name,score,flag,when\n" + "".join(
    f"{i},n{i},{i * 1.5},{'yes' if i % 2 else 'no'},2020-01-{i + 1:02d} 10:00:00\n"
    for i in range(20)
)


def table_with(make_table, *steps, **reader):
    spec = csv_spec(**reader)
    spec["transformations"].extend(steps)
    return make_table(spec, {"data.csv": DATA})


def read(folder, size=None) -> pd.DataFrame:
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    return pd.concat([load_piece(p) for p in pieces], ignore_index=True)


@pytest.mark.parametrize("size", [None, 40, 97])
def test_take_and_skip_are_global_whatever_the_cut(make_table, size):
    folder = table_with(make_table, {"skip": 3}, {"take": 5})
    assert read(folder, size)["id"].tolist() == [3, 4, 5, 6, 7]


@pytest.mark.parametrize("size", [None, 33])
def test_take_random_sample_is_seeded_and_cut_independent(make_table, size):
    folder = table_with(make_table, {"take_random_sample": {"probability": 0.5, "seed": 7}})
    ids = read(folder, size)["id"].tolist()
    expected = [i for i in range(20) if sample_mask(7, 0.5, i, 1)[0]]
    assert ids == expected and 0 < len(ids) < 20
    other = table_with(make_table, {"take_random_sample": {"probability": 0.5, "seed": 8}})
    assert read(other, size)["id"].tolist() != ids


def test_filter_before_take(make_table):
    folder = table_with(make_table, {"filter": 'col("flag") == "yes" and score > 3'}, {"take": 3})
    assert read(folder, 50)["id"].tolist() == [3, 5, 7]


def test_keep_drop_columns_with_regex(make_table):
    folder = table_with(make_table, {"keep_columns": {"pattern": "(id|s.*)"}})
    assert list(read(folder).columns) == ["id", "score"]
    folder = table_with(make_table, {"drop_columns": {"pattern": "N.*", "ignore_case": True}})
    assert list(read(folder).columns) == ["id", "score", "flag", "when"]
    folder = table_with(make_table, {"keep_columns": {"pattern": "id", "invert": True}})
    assert list(read(folder).columns) == ["name", "score", "flag", "when"]
    folder = table_with(make_table, {"drop_columns": ["name", "flag"]})
    assert list(read(folder).columns) == ["id", "score", "when"]


def test_missing_column_is_an_error(make_table):
    folder = table_with(make_table, {"keep_columns": ["id", "nope"]})
    with pytest.raises(MLTableError, match=r"\['nope'\] not found") as info:
        read(folder)
    assert info.value.key == "transformations[1].keep_columns"


def test_convert_column_types(make_table):
    folder = table_with(
        make_table,
        {
            "convert_column_types": [
                {
                    "columns": "flag",
                    "column_type": {"boolean": {"true_values": ["yes"], "false_values": ["no"]}},
                },
                {"columns": ["id", "score"], "column_type": "string"},
                {
                    "columns": "when",
                    "column_type": {"datetime": {"formats": ["%Y-%m-%d %H:%M:%S"]}},
                },
            ]
        },
        infer_column_types=False,
    )
    df = read(folder)
    assert df["flag"].tolist()[:3] == [False, True, False] and str(df["flag"].dtype) == "bool"
    assert df["id"].tolist()[:2] == ["0", "1"]
    assert df["when"].iloc[2] == pd.Timestamp("2020-01-03 10:00:00")
    folder = table_with(
        make_table, {"convert_column_types": [{"columns": "score", "column_type": "int"}]}
    )
    score = read(folder)["score"]
    assert score.tolist()[:3] == [0, 1, 3]  # mltable truncates 1.5 to 1


def test_filter_expressions():
    """mltable's rules (test_filter_expr.py has the rest): text is never converted to a
    number (a number is less than any text), ``&&`` is not an operator."""
    df = pd.DataFrame(
        {"a": [1, 2, 3, None], "b": ["x", "y", "xz", None], "FBI Code": ["11", "12", "11", "13"]}
    )
    assert compile_filter('col("FBI Code") == "11"')(df).tolist() == [True, False, True, False]
    assert compile_filter('a >= 2 and not b == "y"')(df).tolist() == [False, False, True, False]
    assert compile_filter('a < "2"')(df).tolist() == [True, True, True, False]
    assert compile_filter('col("b") == "x" or a == 2')(df).tolist() == [True, True, False, False]
    for bad in ["import os", "a >", "__import__('os')", "a.b.c()", "a > 1 && a < 3"]:
        with pytest.raises(ValueError, match="filter expression"):
            compile_filter(bad)


def test_filter_errors_name_the_step(make_table):
    folder = table_with(make_table, {"filter": "id / 0 > 1"})
    with pytest.raises(MLTableError, match="by zero") as info:
        read(folder)
    assert info.value.key == "transformations[1].filter"
    folder = table_with(make_table, {"filter": "id > 1 &&"})
    with pytest.raises(MLTableError, match="position 8") as info:
        load_mltable(str(folder))
    assert info.value.key == "transformations[1].filter"


def test_read_mltable_meta_matches_transforms(make_table):
    folder = table_with(make_table, {"drop_columns": "when"}, {"filter": "id < 4"})
    ddf = read_mltable(str(folder), mini_batch_size=64)
    assert list(ddf.columns) == ["id", "name", "score", "flag"]
    assert ddf.compute()["id"].tolist() == [0, 1, 2, 3]
