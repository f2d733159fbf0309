"""Where ``extract_columns_from_partition_format`` puts its columns, and their types (issue 16).

As mltable 1.7 does (the oracle cases ``partition_*`` check the same against the library):
written before ``read_delimited``, the columns come right after the path column (else first)
and are typed with the file's columns; otherwise they are appended, as text (the date key as
datetime), to the columns the table has when the step is reached.
"""

from __future__ import annotations

import pandas as pd
import pytest

from daskprs.data import load_mltable, load_piece, plan_mini_batches, read_mltable
from daskprs.data.partition_format import parse_partition_format
from daskprs.errors import MLTableError

FILES = {
    f"oj/{store}/{brand}/2020/0{m}/data.csv": f"week,qty\n1,{store % 7}\n2,20\n"
    for store in (1000, 1001)
    for brand, m in (("a", 5), ("b", 6))
}
FMT = "*/{Store}/{Brand}/{Month:yyyy/MM}/data.csv"
PATH = {"read_delimited": {"include_path_column": True}}


def extract(fmt: str = FMT) -> dict:
    return {"extract_columns_from_partition_format": {"partition_format": fmt}}


def table(make_table, *steps, files=None):
    spec = {"paths": [{"pattern": "./oj/**/*.csv"}], "transformations": list(steps)}
    return make_table(spec, files or FILES)


def read(folder, size=None) -> pd.DataFrame:
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    return pd.concat([load_piece(p) for p in pieces], ignore_index=True)


def dtypes(df: pd.DataFrame) -> list[str]:
    return [str(t) for t in df.dtypes]


@pytest.mark.parametrize("size", [None, 16])
def test_before_read_delimited_first_and_typed(make_table, size):
    df = read(table(make_table, extract(), "read_delimited"), size)
    assert list(df.columns) == ["Store", "Brand", "Month", "week", "qty"]
    assert dtypes(df)[:3] == ["int64", dtypes(df)[1], "datetime64[ns]"]
    assert df["Store"].tolist() == [1000, 1000, 1000, 1000, 1001, 1001, 1001, 1001]
    df = read(table(make_table, extract(), PATH), size)
    assert list(df.columns) == ["Path", "Store", "Brand", "Month", "week", "qty"]


def test_before_read_delimited_follows_the_readers_typing(make_table):
    df = read(table(make_table, extract(), {"read_delimited": {"infer_column_types": False}}))
    assert df["Store"].tolist()[0] == "1000" and df["week"].tolist()[0] == "1"
    overrides = {"column_type_overrides": [{"columns": "Store", "column_type": "float"}]}
    df = read(table(make_table, extract(), {"read_delimited": {"infer_column_types": overrides}}))
    assert str(df["Store"].dtype) == "float64"


def test_after_the_reader_appended_as_text(make_table):
    df = read(table(make_table, PATH, extract()))
    assert list(df.columns) == ["Path", "week", "qty", "Store", "Brand", "Month"]
    assert df["Store"].tolist()[0] == "1000"
    assert str(df["Month"].dtype) == "datetime64[ns]"


def test_appended_when_the_step_is_reached(make_table):
    """A step before the extraction does not see its columns; the columns come after it."""
    df = read(table(make_table, PATH, {"keep_columns": ["Path", "qty"]}, extract()))
    assert list(df.columns) == ["Path", "qty", "Store", "Brand", "Month"]
    folder = table(make_table, PATH, {"filter": 'col("Brand") == "a"'}, extract())
    with pytest.raises(MLTableError, match="Brand"):
        read(folder)
    df = read(table(make_table, PATH, extract(), {"filter": 'col("Brand") == "a"'}))
    assert set(df["Brand"]) == {"a"} and len(df) == 4


def test_two_steps_before_and_after(make_table):
    folder = table(make_table, extract(), PATH, extract("*/{S2}/{B2}/*/*/data.csv"))
    df = read(folder, 16)
    assert list(df.columns) == ["Path", "Store", "Brand", "Month", "week", "qty", "S2", "B2"]
    assert (df["S2"] == df["Store"].astype(str)).all() and (df["B2"] == df["Brand"]).all()


@pytest.mark.parametrize(
    "steps",
    [
        [extract(), "read_delimited", {"keep_columns": ["qty", "Store"]}],
        [PATH, {"drop_columns": ["week"]}, extract(), {"take": 3}],
        [extract(), PATH, {"filter": "col('Store') == 1001"}],
    ],
)
def test_meta_and_every_mini_batch_agree(make_table, steps):
    ddf = read_mltable(str(table(make_table, *steps)), mini_batch_size=16)
    for i in range(ddf.npartitions):
        part = ddf.get_partition(i).compute()
        assert list(part.columns) == list(ddf._meta.columns)
        assert dtypes(part) == dtypes(ddf._meta)


def test_star_is_one_path_segment_and_values_keep_dots():
    fmt = parse_partition_format("{S}/*/data.csv")
    assert fmt.extract("/x/oj/1000/a/2020/05/data.csv") == {"S": "2020"}
    fmt = parse_partition_format("*/{S}/{B}/*/*/data.csv")
    assert fmt.extract("/x/oj/1000/a/2020/05/data.csv") == {"S": "1000", "B": "a"}
    fmt = parse_partition_format("{M}/{File}.csv")
    assert fmt.extract("/x/06/x.y.csv") == {"M": "06", "File": "x.y"}
