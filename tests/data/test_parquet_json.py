from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daskprs.data import load_mltable, load_piece, plan_mini_batches, read_mltable
from daskprs.data.formats.parquet import plan_row_groups, row_group_sizes
from daskprs.errors import MLTableError


def write_parquet(path, n, row_group_size):
    df = pd.DataFrame(
        {"i": range(n), "s": [f"v{i}" for i in range(n)], "f": [i / 2 for i in range(n)]}
    )
    pq.write_table(
        pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=row_group_size
    )
    return df


def parquet_table(make_table, n=100, row_group_size=10, **options):
    folder = make_table(
        {"paths": [{"pattern": "./*.parquet"}], "transformations": [{"read_parquet": options}]}
    )
    df = write_parquet(folder / "a.parquet", n, row_group_size)
    return folder, df


def test_row_groups_merged_up_to_size(make_table):
    folder, df = parquet_table(make_table)
    table = load_mltable(str(folder))
    sizes = [b for b, _ in row_group_sizes(pq.ParquetFile(folder / "a.parquet").metadata)]
    limit = max(sizes) * 3
    pieces = plan_mini_batches(table, limit)
    groups = [p.parts[0].row_groups for p in pieces]
    assert [g for gs in groups for g in gs] == list(range(10))
    for k, gs in enumerate(groups):  # greedy: each piece fits, and the next group would not
        assert sum(sizes[g] for g in gs) <= limit
        if k + 1 < len(groups):
            assert sum(sizes[g] for g in gs) + sizes[groups[k + 1][0]] > limit
    assert 1 < len(pieces) < 10
    got = pd.concat([load_piece(p) for p in pieces], ignore_index=True)
    pd.testing.assert_frame_equal(got, df)


def test_large_row_group_split_into_slices(make_table):
    folder, df = parquet_table(make_table, n=1000, row_group_size=1000)
    pieces = plan_mini_batches(load_mltable(str(folder)), 1024)
    assert len(pieces) > 1
    assert all(p.parts[0].row_groups == (0,) for p in pieces)
    frames = [load_piece(p) for p in pieces]
    assert all(len(f) > 0 for f in frames)
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), df)


def test_parquet_path_column_and_default_one_piece(make_table):
    folder, df = parquet_table(make_table, include_path_column=True)
    pieces = plan_mini_batches(load_mltable(str(folder)), None)
    assert len(pieces) == 1
    out = load_piece(pieces[0])
    assert list(out.columns) == ["Path", "i", "s", "f"]
    assert set(out["Path"]) == {str(folder / "a.parquet")}
    ddf = read_mltable(str(folder))
    assert list(ddf.columns) == ["Path", "i", "s", "f"]
    assert len(ddf.compute()) == 100


@settings(max_examples=200, deadline=None)
@given(
    groups=st.lists(st.tuples(st.integers(1, 500), st.integers(0, 50)), max_size=12),
    size=st.integers(1, 600),
)
def test_row_group_plan_covers_every_row_once(groups, size):
    plan = plan_row_groups(groups, size)
    rows = []
    for rgs, start, stop in plan:
        if len(rgs) > 1:
            assert start == 0 and stop is None
            assert sum(groups[g][0] for g in rgs) <= size
        all_rows = [(g, r) for g in rgs for r in range(groups[g][1])]
        rows.extend(all_rows[start:stop])
    assert rows == [(g, r) for g in range(len(groups)) for r in range(groups[g][1])]


JSONL = (
    '{"a": 1, "b": "x", "c": 1.5}\n{"a": 2, "b": "y", "c": 2.5, "d": true}\nnot json\n{"a": 3}\n'
)


def test_json_lines_drop_invalid_and_union_columns(make_table):
    folder = make_table(
        {
            "paths": [{"file": "./d.jsonl"}],
            "transformations": [{"read_json_lines": {"invalid_lines": "drop"}}],
        },
        {"d.jsonl": JSONL},
    )
    pieces = plan_mini_batches(load_mltable(str(folder)), 20)
    assert len(pieces) > 1
    df = pd.concat([load_piece(p) for p in pieces], ignore_index=True)
    assert list(df.columns) == ["a", "b", "c", "d"]
    assert df["a"].tolist() == [1, 2, 3]
    assert df["b"].tolist()[:2] == ["x", "y"]


def test_json_lines_invalid_line_is_an_error(make_table):
    folder = make_table(
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {"d.jsonl": JSONL},
    )
    with pytest.raises(MLTableError, match="invalid_lines: drop"):
        for p in plan_mini_batches(load_mltable(str(folder)), None):
            load_piece(p)


def test_json_lines_encoding(make_table):
    folder = make_table(
        {
            "paths": [{"file": "./d.jsonl"}],
            "transformations": [{"read_json_lines": {"encoding": "utf16"}}],
        },
        {"d.jsonl": '{"a": "é"}\n{"a": "ü"}\n'.encode("utf-16")},
    )
    pieces = plan_mini_batches(load_mltable(str(folder)), 4)
    assert len(pieces) == 1
    assert load_piece(pieces[0])["a"].tolist() == ["é", "ü"]


def test_delta_lake_needs_deltalake_or_reads(make_table):
    folder = make_table(
        {
            "paths": [{"folder": "./delta"}],
            "transformations": [{"read_delta_lake": {"version_as_of": 0}}],
        },
        {"delta/x.txt": "x"},
    )
    table = load_mltable(str(folder))
    try:
        import deltalake  # noqa: F401
    except ImportError:
        with pytest.raises(MLTableError, match="pip install deltalake"):
            plan_mini_batches(table, None)
        return
    with pytest.raises(MLTableError, match="Delta table"):
        plan_mini_batches(table, None)


def test_delta_lake_roundtrip(make_table):
    deltalake = pytest.importorskip("deltalake")
    folder = make_table(
        {
            "paths": [{"folder": "./delta"}],
            "transformations": [{"read_delta_lake": {"version_as_of": 0}}],
        },
        {"keep.txt": "x"},
    )
    deltalake.write_deltalake(str(folder / "delta"), pd.DataFrame({"a": [1, 2]}))
    deltalake.write_deltalake(str(folder / "delta"), pd.DataFrame({"a": [3]}), mode="append")
    df = pd.concat([load_piece(p) for p in plan_mini_batches(load_mltable(str(folder)), None)])
    assert sorted(df["a"].tolist()) == [1, 2]


def test_dates_outside_nanosecond_range_convert_to_string_as_written():
    """A parquet date / timestamp outside datetime64[ns]'s range (case
    ``parquet_wide_dates_to_string``; mltable writes other dates): the date as written."""
    from pathlib import Path

    case = Path(__file__).parents[1] / "oracle_data" / "cases" / "parquet_wide_dates_to_string"
    table = load_mltable(str(case))
    df = pd.concat([load_piece(p) for p in plan_mini_batches(table, None)])
    assert df["d"].tolist()[:2] == ["1500-01-01T00:00:00+00:00", "2021-03-04T00:00:00+00:00"]
    assert df["d"].iloc[3] == "2300-01-01T00:00:00+00:00" and pd.isna(df["d"].iloc[2])
    assert df["t"].iloc[0] == "1500-01-01T05:06:07.500+00:00" and pd.isna(df["t"].iloc[1])
    assert df["t"].tolist()[2:] == ["2021-01-01T00:00:00+00:00", "2400-01-01T00:00:00+00:00"]


def _rows_by_size(folder, sizes):
    table = load_mltable(str(folder))
    return {
        size: pd.concat([load_piece(p) for p in plan_mini_batches(table, size)]).values.tolist()
        for size in sizes
    }


def test_nested_values_do_not_depend_on_the_mini_batch_size(make_table):
    """Nested values are the same (as parsed) at every mini-batch size: pyarrow typed them per
    slice ({"x": 1.0, "y": None} read whole, {"x": 1} alone; [1.0, 2.0] or [1, 2])."""
    lines = '{"a": {"x": 1}, "b": [1, 2]}\n{"a": {"y": [1]}, "b": [null]}\n{"a": null, "b": []}\n'
    folder = make_table(
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {"d.jsonl": lines},
    )
    by_size = _rows_by_size(folder, [None, 1, 40])
    assert by_size[None] == [[{"x": 1}, [1, 2]], [{"y": [1]}, [None]], [None, []]]
    assert all(rows == by_size[None] for rows in by_size.values())
    folder = make_table({"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]})
    struct = pa.array([{"x": 1}, {"x": None}], pa.struct([("x", pa.int64())]))
    lists = pa.array([[1, 2], [None]], pa.list_(pa.int64()))
    pq.write_table(pa.table({"s": struct, "l": lists}), folder / "d.parquet", row_group_size=1)
    by_size = _rows_by_size(folder, [None, 1])
    assert by_size[None] == by_size[1] == [[{"x": 1}, [1, 2]], [{"x": None}, [None]]]
