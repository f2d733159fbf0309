"""daskprs.mltable on its own (no oracle): documents, reads through the data layer, save(),
partitions, errors. The comparisons with the real library are in test_oracle_api.py."""

from __future__ import annotations

import pickle
from pathlib import Path

import fsspec
import pandas as pd
import pytest
import yaml

import daskprs.mltable as mltable
from daskprs.data import load_mltable
from daskprs.errors import MLTableError
from daskprs.mltable._errors import (
    MLTableArgumentError,
    MLTableNotImplementedError,
    MLTableSaveError,
    MLTableValidationError,
)

CSV = "a,b,c\n1,x,true\n2,y,false\n3,,true\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "a.csv").write_text(CSV)
    (tmp_path / "b.csv").write_text("a,b,c\n4,z,false\n5,w,true\n")
    for store, brand, rows in (("S1", "B1", "v\n1\n2\n"), ("S2", "B1", "v\n3\n")):
        (tmp_path / "part" / store / brand).mkdir(parents=True)
        (tmp_path / "part" / store / brand / "data.csv").write_text(rows)
    return tmp_path


def csv2(data: Path) -> mltable.MLTable:
    return mltable.from_delimited_files(
        [{"file": str(data / "a.csv")}, {"file": str(data / "b.csv")}]
    )


def test_the_document_is_mltables(data, monkeypatch) -> None:
    """What mltable 1.7 gives from ``from_delimited_files([{"file": "a.csv"}])._to_yaml_dict()``
    (relative paths: relative to the working directory)."""
    monkeypatch.chdir(data)
    t = mltable.from_delimited_files([{"file": "a.csv"}])
    assert t._to_yaml_dict() == {
        "paths": [{"file": f"file://{data}/a.csv"}],
        "transformations": [
            {
                "read_delimited": {
                    "delimiter": ",",
                    "empty_as_string": False,
                    "encoding": "utf8",
                    "header": "all_files_same_headers",
                    "include_path_column": False,
                    "infer_column_types": True,
                    "partition_size": 20971520,
                    "path_column": "Path",
                    "support_multi_line": False,
                }
            }
        ],
        "type": "mltable",
    }
    assert t.paths == [{"file": "a.csv"}]
    assert yaml.safe_load(str(t)) == t._to_yaml_dict()
    p = t.extract_columns_from_partition_format("{x}/a.csv")
    assert p._to_yaml_dict()["transformations"][0] == {
        "extract_columns_from_partition_format": {
            "ignore_errors": False,
            "partition_format": "{x}/a.csv",
            "path_column": "Path",
        }
    }
    assert p.partition_keys == ["x"]


def test_methods_return_new_tables(data) -> None:
    t = csv2(data)
    before = t._to_yaml_dict()
    taken = t.take(2).filter('col("a") > 1')
    assert t._to_yaml_dict() == before and len(t.to_pandas_dataframe()) == 5
    assert taken.to_pandas_dataframe()["a"].tolist() == [2]
    assert taken != t and t == csv2(data)


def test_reads_are_the_data_layers(data) -> None:
    df = csv2(data).convert_column_types({"a": mltable.DataType.to_float()}).to_pandas_dataframe()
    assert list(df.columns) == ["a", "b", "c"] and df["a"].dtype == "float64"
    assert df["c"].tolist() == [True, False, True, False, True]
    assert csv2(data).show(1)["b"].tolist() == ["x"]


def test_load_over_fsspec(data) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe("/h14/table/a.csv", CSV.encode())
    fs.pipe(
        "/h14/table/MLTable",
        b"paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited: {}\n",
    )
    t = mltable.load("memory://h14/table")
    assert t._to_yaml_dict()["paths"] == [{"file": "memory://h14/table/a.csv"}]
    assert t.to_pandas_dataframe()["a"].tolist() == [1, 2, 3]


def test_partitions_are_mini_batches_at_the_partition_size(data) -> None:
    t = csv2(data)
    assert t.get_partition_count() == 2
    assert t.select_partitions(1).to_pandas_dataframe()["a"].tolist() == [4, 5]
    assert t.take(3).get_partition_count() == 1  # the take ends in the first partition
    small = mltable.load(_save_with(t, data / "small", partition_size=10))
    assert small.get_partition_count() == 7  # ceil(33 bytes / 10) + ceil(25 / 10) windows
    assert pd.concat(
        [small.select_partitions(i).to_pandas_dataframe() for i in range(7)], ignore_index=True
    ).equals(t.to_pandas_dataframe())


def _save_with(t: mltable.MLTable, folder: Path, **reader: object) -> str:
    t.save(str(folder))
    doc = yaml.safe_load((folder / "MLTable").read_text())
    doc["transformations"][0]["read_delimited"].update(reader)
    (folder / "MLTable").write_text(yaml.safe_dump(doc))
    return str(folder)


def test_random_split_is_disjoint_and_complete(data) -> None:
    a, b = csv2(data).random_split(0.5, seed=11)
    rows_a, rows_b = a.to_pandas_dataframe()["a"].tolist(), b.to_pandas_dataframe()["a"].tolist()
    assert sorted(rows_a + rows_b) == [1, 2, 3, 4, 5]
    again, _ = csv2(data).random_split(0.5, seed=11)
    assert again.to_pandas_dataframe()["a"].tolist() == rows_a


def test_to_dask_dataframe(data) -> None:
    t = csv2(data).filter('col("a") != 2')
    ddf = t.to_dask_dataframe()
    assert ddf.npartitions == t.get_partition_count()
    pd.testing.assert_frame_equal(ddf.compute().reset_index(drop=True), t.to_pandas_dataframe())


def test_validate(data) -> None:
    csv2(data).validate()
    with pytest.raises(MLTableValidationError) as err:
        mltable.from_delimited_files([{"file": str(data / "gone.csv")}]).validate()
    assert isinstance(err.value, RuntimeError) and "paths[0].file" in str(err.value)
    with pytest.raises(MLTableValidationError, match="no rows"):
        csv2(data).filter('col("a") > 100').validate()


def test_saved_tables_are_read_by_daskprs_jobs(data, tmp_path) -> None:
    """save() writes the schema's spelling, which the data layer (jobs) parses too."""
    t = mltable.from_delimited_files([{"pattern": str(data / "part" / "**" / "*.csv")}])
    t = t.extract_columns_from_partition_format("{Store}/{Brand}/data.csv")
    t.save(str(data / "part"))
    table = load_mltable(str(data / "part"))
    assert table.partition_keys == ("Store", "Brand")
    assert yaml.safe_load((data / "part" / "MLTable").read_text())["paths"] == [
        {"pattern": "**/*.csv"}
    ]


def test_save_overwrite_options(data) -> None:
    out = data / "out"
    csv2(data).save(str(out))
    first = (out / "MLTable").read_text()
    with pytest.raises(MLTableSaveError, match="already exist") as err:
        csv2(data).take(1).save(str(out), overwrite=False)
    assert err.value.key == "save(overwrite)"
    csv2(data).take(1).save(str(out), overwrite="skip")
    assert (out / "MLTable").read_text() == first
    csv2(data).take(1).save(str(out))
    assert "take: 1" in (out / "MLTable").read_text()
    with pytest.raises(MLTableSaveError, match="is a file"):
        csv2(data).save(str(data / "a.csv"))


def test_save_colocated_copies_the_files(data, monkeypatch) -> None:
    monkeypatch.chdir(data)
    out = data / "colocated"
    t = mltable.from_delimited_files([{"folder": "part"}])
    t.save(str(out), colocated=True)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv")) == [
        "part/S1/B1/data.csv",
        "part/S2/B1/data.csv",
    ]
    assert yaml.safe_load((out / "MLTable").read_text())["paths"] == [{"folder": "part"}]
    pd.testing.assert_frame_equal(
        mltable.load(str(out)).to_pandas_dataframe(), t.to_pandas_dataframe()
    )


def test_a_failed_save_removes_what_it_copied(data, monkeypatch) -> None:
    monkeypatch.chdir(data)
    out = data / "failing"
    (out / "MLTable").mkdir(parents=True)  # the MLTable file cannot be written
    t = mltable.from_delimited_files([{"file": "a.csv"}])
    with pytest.raises(OSError):
        t.save(str(out), colocated=True)
    assert not (out / "a.csv").exists()
    with pytest.raises(OSError):
        t.save(str(out), colocated=True, if_err_remove_files=False)
    assert (out / "a.csv").exists()


@pytest.mark.parametrize(
    "call, key",
    [
        (lambda t: t.take(-1), "take(count)"),
        (lambda t: t.skip(1.5), "skip(count)"),
        (lambda t: t.keep_columns([1]), "keep_columns(columns)"),
        (lambda t: t.filter('col("a") ==== 1'), "transformations[1].filter"),
        (lambda t: t.convert_column_types({"a": "int", ("a",): "float"}), "convert_column_types"),
        (lambda t: t.extract_columns_from_partition_format("{x:MM}"), "transformations[0]"),
        (lambda t: t.select_partitions([]), "select_partitions(partition_index_list)"),
        (lambda t: t.filter('col("zz") > 1').to_pandas_dataframe(), "transformations[1].filter"),
        (lambda t: t.keep_columns("zz").to_pandas_dataframe(), "transformations[1].keep_columns"),
    ],
)
def test_bad_input_names_the_key(data, call, key) -> None:
    with pytest.raises(MLTableError) as err:
        call(csv2(data))
    assert key in str(err.value)
    assert "mltable.from_delimited_files()" in str(err.value)  # where the table came from


def test_bad_files_name_the_file_and_key(data) -> None:
    (data / "bad").mkdir()
    (data / "bad" / "MLTable").write_text(
        "paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited: {}\n  - take: zero\n"
    )
    with pytest.raises(MLTableError) as err:
        mltable.load(str(data / "bad"))
    assert str(err.value).startswith(f"{data}/bad/MLTable: transformations[1].take: ")
    with pytest.raises(MLTableError, match="workspace"):
        mltable.load("azureml:my-table:1")
    with pytest.raises(MLTableError, match="no MLTable file"):
        mltable.load(str(data / "part"))


def test_what_is_not_implemented_says_so(data) -> None:
    t = csv2(data)
    for call in (t._download, t._mount):
        with pytest.raises(NotImplementedError, match="docs/mltable.md"):
            call()
    with pytest.raises(MLTableNotImplementedError, match="select_partitions"):
        t.select_partitions(0).select_partitions(0).to_pandas_dataframe()
    a, _ = t.random_split(0.5, 1)
    with pytest.raises(MLTableNotImplementedError, match="to_dask_dataframe"):
        a.to_dask_dataframe()


def test_errors_survive_pickling() -> None:
    for exc in (
        MLTableArgumentError("bad", key="take(count)"),
        MLTableValidationError("no rows", file="x"),
        MLTableNotImplementedError("MLTable._mount()"),
    ):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)


def test_traits_and_metadata(data) -> None:
    t = csv2(data)
    t.metadata.add("owner", "me")
    t.traits.index_columns = ["a"]
    assert t.metadata.get("owner") == "me" and t.metadata.has("owner")
    assert t._to_yaml_dict()["traits"] == {"index_columns": ["a"]}
    with pytest.raises(MLTableArgumentError):
        t.drop_columns("a")  # a trait column
    with pytest.raises(MLTableArgumentError, match="not set"):
        _ = t.traits.timestamp_column
