"""One table, one schema: every mini batch has the dtypes planned for the whole table.

The oracle suite checks them against mltable (test_mini_batch_dtypes_are_the_tables); these
tests need no oracle and cover the planning scan's limit (``scan.SCAN_BYTES``).
"""

from __future__ import annotations

import json
import logging

import pandas as pd
from datahelpers import csv_spec

from daskprs.data import (
    column_types,
    load_mltable,
    load_piece,
    plan_mini_batches,
    read_mltable,
    scan,
)
from daskprs.data.pieces import meta_frame

JSONL = {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]}


def pieces_of(folder, size):
    table = load_mltable(str(folder))
    pieces = plan_mini_batches(table, size)
    return table, pieces, [load_piece(p) for p in pieces]


def dtypes(df: pd.DataFrame) -> list[str]:
    return [str(t) for t in df.dtypes]


def test_int_nulls_in_some_windows_are_float_everywhere(make_table):
    text = "k,n,b,d\n" + "".join(
        f"{i},{'' if i == 3 else i},{'' if i == 35 else 'true'},{'' if i == 20 else '2020-01-02'}\n"
        for i in range(40)
    )
    folder = make_table(csv_spec(), {"data.csv": text})
    table, pieces, frames = pieces_of(folder, 64)
    assert len(frames) > 4
    meta = meta_frame(table, pieces[0].schema)
    assert dtypes(meta) == ["int64", "float64", "object", "datetime64[ns]"]
    for df in frames:
        assert dtypes(df) == dtypes(meta)
    ddf = read_mltable(str(folder), mini_batch_size=64)
    assert dtypes(ddf._meta)[:2] == dtypes(meta)[:2]
    for i in range(ddf.npartitions):  # the partitions agree with the meta
        assert dtypes(ddf.get_partition(i).compute()) == dtypes(ddf._meta)
    whole = pd.concat(frames, ignore_index=True)
    assert whole["n"].isna().tolist() == [i == 3 for i in range(40)]
    assert whole["b"].tolist() == [None if i == 35 else True for i in range(40)]


def test_text_column_with_only_numbers_in_a_window_stays_text(make_table):
    text = "k,s\n" + "".join(f"{i},{'00' + str(i) if i < 20 else f'v{i}'}\n" for i in range(40))
    folder = make_table(csv_spec(), {"data.csv": text})
    _, _, frames = pieces_of(folder, 64)
    assert all(dtypes(df) == dtypes(frames[-1]) for df in frames)
    assert pd.concat(frames)["s"].tolist()[:2] == ["000", "001"]


def test_a_null_after_the_planning_scan_is_the_logged_exception(make_table, monkeypatch, caplog):
    monkeypatch.setattr(scan, "SCAN_BYTES", 1 << 10)
    monkeypatch.setattr(column_types, "_warned", set())  # warned once per column and process
    text = "k,n\n" + "".join(f"{i},{'' if i == 19000 else i}\n" for i in range(20000))
    folder = make_table(csv_spec(), {"data.csv": text})
    with caplog.at_level(logging.WARNING, logger="daskprs"):
        _, pieces, frames = pieces_of(folder, 1 << 16)
    late = [i for i, df in enumerate(frames) if df["n"].isna().any()]
    assert len(late) == 1
    assert str(frames[late[0]]["n"].dtype) == "float64"
    assert all(str(df["n"].dtype) == "int64" for i, df in enumerate(frames) if i not in late)
    assert "'n' was planned as int without nulls" in caplog.text


def test_a_null_inside_the_planning_scan_makes_the_column_float(make_table, monkeypatch):
    monkeypatch.setattr(scan, "SCAN_BYTES", 1 << 20)
    text = "k,n\n" + "".join(f"{i},{'' if i == 900 else i}\n" for i in range(1000))  # > 200 rows
    folder = make_table(csv_spec(), {"data.csv": text})
    _, _, frames = pieces_of(folder, 1 << 10)
    assert {str(df["n"].dtype) for df in frames} == {"float64"}


def test_json_lines_windows_share_dtypes(make_table):
    recs = [
        {"k": i, "n": None if i == 3 else i, "s": None if i < 15 else f"v{i}", "b": i % 2 == 0}
        | ({"o": {"x": i}} if i > 10 else {})
        for i in range(40)
    ]
    folder = make_table(JSONL, {"d.jsonl": "".join(json.dumps(r) + "\n" for r in recs)})
    table, pieces, frames = pieces_of(folder, 120)
    meta = meta_frame(table, pieces[0].schema)
    assert list(meta.columns) == ["k", "n", "s", "b", "o"]
    assert dtypes(meta)[:2] + dtypes(meta)[3:] == ["int64", "float64", "bool", "object"]
    assert len(frames) > 4
    for df in frames:
        assert dtypes(df) == dtypes(meta)
    whole = pd.concat(frames, ignore_index=True)
    assert whole["n"].isna().tolist() == [i == 3 for i in range(40)]


def test_json_value_of_another_type_is_null(make_table):
    recs = [{"n": "x" if i == 5 else i, "s": 7 if i == 6 else f"s{i}"} for i in range(10)]
    folder = make_table(JSONL, {"d.jsonl": "".join(json.dumps(r) + "\n" for r in recs)})
    _, _, frames = pieces_of(folder, 30)
    whole = pd.concat(frames, ignore_index=True)
    assert whole["n"].isna().tolist() == [i == 5 for i in range(10)]
    assert whole["s"].isna().tolist() == [i == 6 for i in range(10)]
    assert {str(df["n"].dtype) for df in frames} == {"float64"}


# -- convert_column_types, filter, take: the output's dtypes are planned too -----------------


def conversions(*steps, **options):
    spec = csv_spec(**options)
    spec["transformations"].extend(steps)
    return spec


CONVERT = {
    "convert_column_types": [
        {"columns": "n", "column_type": "int"},
        {"columns": "b", "column_type": "boolean"},
        {"columns": "d", "column_type": {"datetime": {"formats": ["%Y-%m-%d"]}}},
    ]
}


def test_converted_columns_have_one_dtype_in_every_mini_batch(make_table):
    # n: a null in one window, a value that is no int in another; b, d likewise
    text = "k,n,b,d\n" + "".join(
        f"{i},{'' if i == 3 else 'abc' if i == 30 else i},"
        f"{'' if i == 12 else 'maybe' if i == 33 else 'true'},"
        f"{'' if i == 20 else 'never' if i == 36 else '2020-01-02'}\n"
        for i in range(40)
    )
    folder = make_table(conversions(CONVERT, infer_column_types=False), {"data.csv": text})
    table, pieces, frames = pieces_of(folder, 64)
    assert len(frames) > 4
    assert pieces[0].table.planned_kinds == (("n", "int?"), ("b", "boolean?"))
    meta = meta_frame(pieces[0].table, pieces[0].schema)
    assert dtypes(meta)[1:] == ["float64", "object", "datetime64[ns]"]
    for df in frames:
        assert dtypes(df) == dtypes(meta)
    whole = pd.concat(frames, ignore_index=True)
    assert whole["n"].isna().tolist() == [i in (3, 30) for i in range(40)]
    assert whole["b"].tolist() == [None if i in (12, 33) else True for i in range(40)]
    assert whole["d"].isna().tolist() == [i in (20, 36) for i in range(40)]


def test_clean_conversions_are_int64_and_bool(make_table):
    text = "k,n,b,d\n" + "".join(
        f"{i},{i}.5,{'t' if i % 2 else 'f'},2020-01-02\n" for i in range(40)
    )
    folder = make_table(conversions(CONVERT, infer_column_types=False), {"data.csv": text})
    _, pieces, frames = pieces_of(folder, 64)
    assert len(frames) > 4
    assert pieces[0].table.planned_kinds == (("n", "int"), ("b", "boolean"))
    for df in frames:
        assert dtypes(df)[1:] == ["int64", "bool", "datetime64[ns]"]
    assert pd.concat(frames)["n"].tolist() == list(range(40))  # truncated, as mltable


def test_a_filter_that_drops_the_nulls_gives_int64(make_table):
    text = "k,n,b\n" + "".join(
        f"{i},{'' if i == 5 else i},{'' if i == 6 else 'true'}\n" for i in range(40)
    )
    spec = conversions({"filter": 'col("k") > 6'})
    folder = make_table(spec, {"data.csv": text})
    table, pieces, frames = pieces_of(folder, 40)
    assert len(frames) > 4
    meta = meta_frame(pieces[0].table, pieces[0].schema)
    assert dtypes(meta) == ["int64", "int64", "bool"]
    assert all(dtypes(df) == dtypes(meta) for df in frames)


def test_path_and_partition_columns_are_the_same_in_every_mini_batch(make_table):
    files = {
        f"oj/{store}/data.csv": "week,qty\n" + "".join(f"{w},{w}\n" for w in range(5))
        for store in (1000, 1001, 1002)
    }
    spec = conversions(
        {"extract_columns_from_partition_format": {"partition_format": "*/{Store}/data.csv"}},
        {"convert_column_types": [{"columns": "Store", "column_type": "int"}]},
        path="./oj/**/*.csv",
        kind="pattern",
        include_path_column=True,
    )
    folder = make_table(spec, files)
    table, pieces, frames = pieces_of(folder, 12)
    assert len(frames) > 3
    meta = meta_frame(pieces[0].table, pieces[0].schema)
    assert list(meta.columns) == ["Path", "week", "qty", "Store"]
    assert [str(t) for t in meta.dtypes][1:] == ["int64", "int64", "int64"]
    for df in frames:
        assert dtypes(df) == dtypes(meta)
    assert sorted(set(pd.concat(frames)["Store"])) == [1000, 1001, 1002]


def test_a_conversion_null_after_the_planning_scan_is_the_logged_exception(
    make_table, monkeypatch, caplog
):
    monkeypatch.setattr(scan, "SCAN_BYTES", 1 << 10)
    monkeypatch.setattr(column_types, "_warned", set())  # warned once per column and process
    text = "k,n\n" + "".join(f"{i},{'abc' if i == 19000 else i}\n" for i in range(20000))
    spec = conversions(
        {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
        infer_column_types=False,
    )
    folder = make_table(spec, {"data.csv": text})
    with caplog.at_level(logging.WARNING, logger="daskprs"):
        _, pieces, frames = pieces_of(folder, 1 << 16)
    assert pieces[0].table.planned_kinds == (("n", "int"),)
    late = [i for i, df in enumerate(frames) if df["n"].isna().any()]
    assert len(late) == 1
    assert str(frames[late[0]]["n"].dtype) == "float64"
    assert all(str(df["n"].dtype) == "int64" for i, df in enumerate(frames) if i not in late)
    assert "'n' was planned as int without nulls" in caplog.text


def test_a_conversion_null_inside_the_planning_scan_makes_every_mini_batch_float(make_table):
    text = "k,n\n" + "".join(f"{i},{'abc' if i == 900 else i}\n" for i in range(1000))
    spec = conversions(
        {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
        infer_column_types=False,
    )
    folder = make_table(spec, {"data.csv": text})
    _, _, frames = pieces_of(folder, 1 << 10)
    assert len(frames) > 4
    assert {str(df["n"].dtype) for df in frames} == {"float64"}


def test_read_mltable_meta_has_the_planned_output_dtypes(make_table):
    text = "k,n\n" + "".join(f"{i},{'' if i == 3 else i}\n" for i in range(40))
    spec = conversions(
        {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
        infer_column_types=False,
    )
    folder = make_table(spec, {"data.csv": text})
    ddf = read_mltable(str(folder), mini_batch_size=64)
    for i in range(ddf.npartitions):
        assert dtypes(ddf.get_partition(i).compute()) == dtypes(ddf._meta)


# --- parquet: planned from every file's footer (row-group statistics), exact for any size

PARQUET = {"paths": [{"pattern": "./*.parquet"}], "transformations": ["read_parquet"]}


def parquet_file(columns: dict, row_group_size: int = 10, **options) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf, row_group_size=row_group_size, **options)
    return buf.getvalue()


def test_parquet_null_in_the_last_row_group_types_every_mini_batch(make_table, monkeypatch):
    monkeypatch.setattr(scan, "SCAN_BYTES", 1)  # the footers decide, not a scan of the head
    n = 200
    cols = {
        "i": [None if k == n - 1 else k for k in range(n)],
        "b": [None if k == n - 2 else k % 2 == 0 for k in range(n)],
        "f": [None if k == 5 else k / 2 for k in range(n)],
        "s": [None if k == 7 else f"s{k}" for k in range(n)],
        "clean": list(range(n)),
    }
    folder = make_table(PARQUET, {"d.parquet": parquet_file(cols)})
    for size in (1, 64, 1 << 20):  # row slices, row groups, the whole file
        table, pieces, frames = pieces_of(folder, size)
        meta = meta_frame(pieces[0].table, pieces[0].schema)
        assert dtypes(meta)[:3] == ["float64", "object", "float64"]
        assert dtypes(meta)[4] == "int64"
        for df in frames:
            assert dtypes(df) == dtypes(meta)
            assert all(isinstance(v, bool) for v in df["b"].dropna())
    whole = pd.concat(frames, ignore_index=True)
    assert whole["i"].isna().sum() == 1 and whole["b"].isna().sum() == 1
    ddf = read_mltable(str(folder), mini_batch_size=64)
    assert dtypes(ddf._meta) == dtypes(meta)
    assert dtypes(ddf.get_partition(0).compute()) == dtypes(meta)


def test_parquet_without_statistics_reads_the_column_chunks(make_table, monkeypatch):
    cols = {"i": list(range(40)), "b": [k % 2 == 0 for k in range(40)]}
    nulls = {"i": [None if k == 33 else k for k in range(40)], "b": cols["b"]}
    folder = make_table(
        PARQUET,
        {
            "a.parquet": parquet_file(cols, write_statistics=False),
            "b.parquet": parquet_file(nulls, write_statistics=False),
        },
    )
    _, pieces, frames = pieces_of(folder, 64)
    assert pieces[0].schema.kinds == (("i", "int?"), ("b", "boolean"))
    assert {tuple(dtypes(df)) for df in frames} == {("float64", "bool")}
    # past the scan budget a chunk without a null count counts as holding nulls
    monkeypatch.setattr(scan, "SCAN_BYTES", 0)
    _, pieces, frames = pieces_of(folder, 64)
    assert pieces[0].schema.kinds == (("i", "int?"), ("b", "boolean?"))
    assert {tuple(dtypes(df)) for df in frames} == {("float64", "object")}


def test_parquet_files_with_other_columns_give_every_mini_batch_all_of_them(make_table):
    folder = make_table(
        PARQUET,
        {
            "a.parquet": parquet_file({"x": [1, 2], "y": ["a", "b"]}),
            "b.parquet": parquet_file({"x": [3, 4], "z": [True, False], "w": [5, 6]}),
        },
    )
    table, pieces, frames = pieces_of(folder, 1 << 20)
    meta = meta_frame(table, pieces[0].schema)
    assert list(meta.columns) == ["x", "y", "z", "w"]
    assert dtypes(meta)[0] == "int64" and dtypes(meta)[2:] == ["object", "float64"]
    for df in frames:
        assert list(df.columns) == list(meta.columns) and dtypes(df) == dtypes(meta)
    assert frames[0]["w"].isna().all() and frames[1]["y"].isna().all()
    assert frames[1]["z"].tolist() == [True, False]


def test_parquet_filter_plans_output_dtypes(make_table):
    n = 40
    cols = {"k": list(range(n)), "i": [None if k == 30 else k for k in range(n)]}
    spec = {**PARQUET, "transformations": ["read_parquet", {"filter": 'col("k") < 20'}]}
    folder = make_table(spec, {"d.parquet": parquet_file(cols)})
    table, pieces, frames = pieces_of(folder, 1)
    assert pieces[0].schema.kind_map["i"] == "int?"  # the reader's column holds a null...
    assert dict(pieces[0].table.planned_kinds)["i"] == "int"  # ...the filter drops it
    meta = meta_frame(pieces[0].table, pieces[0].schema)
    assert dtypes(meta) == ["int64", "int64"]
    for df in frames:
        assert dtypes(df) == dtypes(meta)
