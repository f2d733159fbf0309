"""load_mltable: parsing, path resolution, and the bad-input errors of issue 3 point 6."""

from __future__ import annotations

import pickle

import pytest
from datahelpers import csv_spec

from daskprs.data import MLTable, load_mltable
from daskprs.errors import MLTableError, SpecError


def error_of(folder) -> MLTableError:
    with pytest.raises(MLTableError) as info:
        load_mltable(str(folder))
    return info.value


def test_loads_folder_or_file_and_pickles(make_table):
    folder = make_table(csv_spec(delimiter=";", header="no_header"), {"data.csv": "1;2\n"})
    table = load_mltable(str(folder))
    assert table == load_mltable(str(folder / "MLTable"))
    assert table.is_tabular and table.reader is not None
    assert (table.reader.delimiter, table.reader.header) == (";", "no_header")
    assert table.source_file == str(folder / "MLTable")
    assert table.paths[0].value == str(folder / "data.csv")
    assert pickle.loads(pickle.dumps(table)) == table
    assert isinstance(table, MLTable) and table.partition_keys == ()


def test_partition_keys_property(make_table):
    spec = {
        "paths": [{"pattern": "./**/*.csv"}],
        "transformations": [
            "read_delimited",
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "{Store}/{Brand}/{Date:yyyy}/data.csv"
                }
            },
        ],
    }
    table = load_mltable(str(make_table(spec, {"1/a/2020/data.csv": "x\n1\n"})))
    assert table.partition_keys == ("Store", "Brand", "Date")


@pytest.mark.parametrize(
    ("spec", "key", "words"),
    [
        ({"paths": [{"file": "./nope.csv"}]}, "paths[0].file", "does not exist"),
        ({"paths": [{"folder": "./nope"}]}, "paths[0].folder", "does not exist"),
        ({"paths": [{"pattern": "./*.parquet"}]}, "paths[0].pattern", "matches no file"),
        ({"paths": [{"files": "./data.csv"}]}, "paths[0].files", "file, folder, pattern"),
        ({"paths": []}, "paths", "non-empty list"),
        ({"transformations": []}, "paths", "missing"),
        ({"paths": [{"file": "./data.csv"}], "bogus": 1}, "bogus", "valid top-level keys"),
        ({"paths": [{"file": "azureml:my-data:1"}]}, "paths[0].file", "local path"),
        (
            csv_spec(header="first"),
            "transformations[0].read_delimited.header",
            "all_files_same_headers",
        ),
        (csv_spec(encoding="utf7"), "transformations[0].read_delimited.encoding", "utf8"),
        (
            csv_spec(delimiter=""),
            "transformations[0].read_delimited.delimiter",
            "1 or 2 characters",
        ),
        (
            csv_spec(empty_as_string="yes"),
            "transformations[0].read_delimited.empty_as_string",
            "true or false",
        ),
        (csv_spec(sep=","), "transformations[0].read_delimited.sep", "valid options"),
        (
            {"paths": [{"file": "./data.csv"}], "transformations": [{"read_csv": {}}]},
            "transformations[0].read_csv",
            "read_delimited",
        ),
        (
            {"paths": [{"file": "./data.csv"}], "transformations": [{"take": -1}]},
            "transformations[0].take",
            "positive integer",
        ),
        (
            {
                "paths": [{"file": "./data.csv"}],
                "transformations": [{"take_random_sample": {"probability": 2}}],
            },
            "transformations[0].take_random_sample.probability",
            "between 0 and 1",
        ),
        (
            {"paths": [{"file": "./data.csv"}], "transformations": [{"filter": "col('a') >"}]},
            "transformations[0].filter",
            "ends too early at position 11",
        ),
        (
            {
                "paths": [{"file": "./data.csv"}],
                "transformations": [
                    {"convert_column_types": [{"columns": "a", "column_type": "decimal"}]}
                ],
            },
            "transformations[0].convert_column_types[0].column_type",
            "boolean",
        ),
        (
            {
                "paths": [{"file": "./data.csv"}],
                "transformations": [
                    {"extract_columns_from_partition_format": {"partition_format": "{a:MM}/x.csv"}}
                ],
            },
            "transformations[0].extract_columns_from_partition_format.partition_format",
            "yyyy",
        ),
        (
            {
                "paths": [{"file": "./data.csv"}],
                "transformations": ["read_delimited", "read_parquet"],
            },
            "transformations[1].read_parquet",
            "one reader",
        ),
        (
            {
                "paths": [{"file": "./data.csv"}],
                "transformations": [{"read_json_lines": {"invalid_lines": "skip"}}],
            },
            "transformations[0].read_json_lines.invalid_lines",
            "'drop'",
        ),
    ],
)
def test_bad_input_names_file_key_and_valid_values(make_table, spec, key, words):
    folder = make_table(spec, {"data.csv": "a\n1\n"})
    err = error_of(folder)
    assert err.file == str(folder / "MLTable")
    assert err.key == key
    assert words in str(err)
    assert isinstance(err, SpecError) and isinstance(err, ValueError)
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_malformed_yaml(tmp_path):
    (tmp_path / "MLTable").write_text("paths: [file: {\n")
    err = error_of(tmp_path)
    assert "malformed YAML" in str(err) and err.file == str(tmp_path / "MLTable")


def test_missing_mltable_file(tmp_path):
    err = error_of(tmp_path)
    assert "named 'MLTable'" in str(err)


def test_memory_filesystem():
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe(
        "/mlt/MLTable", b"paths:\n  - file: ./d.csv\ntransformations:\n  - read_delimited: {}\n"
    )
    fs.pipe("/mlt/d.csv", b"a,b\n1,x\n2,y\n")
    table = load_mltable("memory://mlt")
    assert (
        table.paths[0].value == "memory:///mlt/d.csv"
        or table.paths[0].value == "memory://mlt/d.csv"
    )
    from daskprs.data import load_piece, plan_mini_batches

    pieces = plan_mini_batches(table, 6)
    rows = [r for p in pieces for r in load_piece(p)["a"].tolist()]
    assert rows == [1, 2]


def _spec(path: str, kind: str, *steps: dict) -> dict:
    return {"paths": [{kind: path}], "transformations": [{"read_delimited": {}}, *steps]}


def test_reads_the_spelling_mltable_save_writes(make_table):
    """rslex's spelling (what ``mltable``'s ``save()`` writes) means the documented one."""
    saved = _spec(
        "./**/*.csv",
        "pattern",
        {
            "extract_columns_from_partition_format": {
                "partition_format": "{Store}/data.csv",
                "ignore_errors": False,
                "path_column": "Path",
            }
        },
        {
            "keep_columns": {
                "ignoreCase": True,
                "invert": False,
                "pattern": "^A",
                "selector": "name_regex",
            }
        },
    )
    documented = _spec(
        "./**/*.csv",
        "pattern",
        {"extract_columns_from_partition_format": {"partition_format": "{Store}/data.csv"}},
        {"keep_columns": {"pattern": "^A", "ignore_case": True}},
    )
    files = {"s1/data.csv": "a,b\n1,2\n"}
    a = load_mltable(str(make_table(saved, files)))
    b = load_mltable(str(make_table(documented, files)))
    assert a.transforms == b.transforms and a.partition_keys == b.partition_keys == ("Store",)


@pytest.mark.parametrize(
    "step, key, words",
    [
        (
            {"keep_columns": {"pattern": "a", "selector": "name_list"}},
            "transformations[1].keep_columns.selector",
            "expected name_regex",
        ),
        (
            {"keep_columns": {"pattern": "a", "selector": "name_regex", "ignore_case": True}},
            "transformations[1].keep_columns.ignore_case",
            "valid options are",
        ),
        (
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "{S}/data.csv",
                    "ignore_errors": True,
                }
            },
            "transformations[1].extract_columns_from_partition_format.ignore_errors",
            "only False is supported",
        ),
        (
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "{S}/data.csv",
                    "path_column": "P",
                }
            },
            "transformations[1].extract_columns_from_partition_format.path_column",
            "only 'Path' is supported",
        ),
    ],
)
def test_rslex_spelling_errors_name_the_key(make_table, step, key, words):
    err = error_of(make_table(_spec("./data.csv", "file", step), {"data.csv": "a\n1\n"}))
    assert key in str(err) and words in str(err), str(err)
