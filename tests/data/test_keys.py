from __future__ import annotations

import pandas as pd
import pytest

from daskprs.data import load_mltable, load_piece, plan_mini_batches, read_mltable
from daskprs.errors import MLTableError

FILES = {
    "oj/1000/dominicks/data.csv": "week,qty\n1,10\n2,11\n",
    "oj/1000/tropicana/data.csv": "week,qty\n1,20\n",
    "oj/1001/dominicks/data.csv": "week,qty\n1,30\n2,31\n3,32\n",
}
FORMAT = {"extract_columns_from_partition_format": {"partition_format": "{Store}/{Brand}/data.csv"}}


def oj(make_table, *extra, reader=True):
    steps = ([{"read_delimited": {}}] if reader else []) + [FORMAT, *extra]
    return make_table({"paths": [{"pattern": "./oj/**/*.csv"}], "transformations": steps}, FILES)


def test_path_keys_group_files_without_reading(make_table):
    table = load_mltable(str(oj(make_table)))
    assert table.partition_keys == ("Store", "Brand")
    pieces = plan_mini_batches(table, 10, partition_keys=["Store"])
    assert [p.partition_key_value for p in pieces] == [{"Store": "1000"}, {"Store": "1001"}]
    assert [len(p.parts) for p in pieces] == [2, 1]
    df = load_piece(pieces[0])
    assert list(df.columns) == ["week", "qty", "Store", "Brand"]
    assert df["qty"].tolist() == [10, 11, 20]
    assert set(df["Store"]) == {"1000"}


def test_both_keys_and_extraction_columns(make_table):
    pieces = plan_mini_batches(
        load_mltable(str(oj(make_table))), None, partition_keys=["Store", "Brand"]
    )
    assert [tuple(p.partition_key_value.values()) for p in pieces] == [
        ("1000", "dominicks"),
        ("1000", "tropicana"),
        ("1001", "dominicks"),
    ]


def test_file_only_table_with_path_keys(make_table):
    pieces = plan_mini_batches(load_mltable(str(oj(make_table, reader=False))), None, ["Brand"])
    assert [p.kind for p in pieces] == ["files", "files"]
    assert [len(load_piece(p)) for p in pieces] == [2, 1]


def test_keys_on_ordinary_columns_use_key_files(make_table, tmp_path):
    pieces = plan_mini_batches(
        load_mltable(str(oj(make_table))), 30, ["week"], work_dir=str(tmp_path / "state")
    )
    assert [p.partition_key_value for p in pieces] == [{"week": 1}, {"week": 2}, {"week": 3}]
    frames = [load_piece(p) for p in pieces]
    assert [f["qty"].tolist() for f in frames] == [[10, 20, 30], [11, 31], [32]]
    assert all(list(f.columns) == ["week", "qty", "Store", "Brand"] for f in frames)
    # one key file holding the groups one after another, each mini batch a row range of it
    assert [p.name for p in (tmp_path / "state" / "partition_keys").iterdir()] == ["keys-0-0.arrow"]
    assert [(p.parts[0].row_start, p.parts[0].row_stop) for p in pieces] == [(0, 3), (3, 5), (5, 6)]


def test_unknown_key_is_an_error(make_table):
    table = load_mltable(str(oj(make_table)))
    with pytest.raises(MLTableError, match="not columns"):
        plan_mini_batches(table, None, ["nope"])
    with pytest.raises(MLTableError, match="not partition keys"):
        plan_mini_batches(load_mltable(str(oj(make_table, reader=False))), None, ["nope"])


def test_path_not_matching_format_is_an_error(make_table):
    folder = oj(make_table)
    (folder / "oj" / "stray.csv").write_text("week,qty\n1,1\n")
    with pytest.raises(MLTableError, match="does not match the partition format") as info:
        plan_mini_batches(load_mltable(str(folder)), None, ["Store"])
    assert (
        info.value.key
        == "transformations[1].extract_columns_from_partition_format.partition_format"
    )


def test_read_mltable_with_keys(make_table):
    ddf = read_mltable(str(oj(make_table)), partition_keys=["Store", "Brand"])
    assert ddf.npartitions == 3
    assert ddf.get_partition(2).compute()["qty"].tolist() == [30, 31, 32]


def test_datetime_partition_column(make_table):
    folder = make_table(
        {
            "paths": [{"folder": "./d"}],
            "transformations": [
                "read_delimited",
                {
                    "extract_columns_from_partition_format": {
                        "partition_format": "{Day:yyyy/MM/dd}/x.csv"
                    }
                },
            ],
        },
        {"d/2020/01/02/x.csv": "v\n1\n", "d/2021/12/31/x.csv": "v\n2\n"},
    )
    df = pd.concat([load_piece(p) for p in plan_mini_batches(load_mltable(str(folder)), None)])
    assert df["Day"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2021-12-31")]
