from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest
from datahelpers import csv_spec, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daskprs.data import (
    MiniBatchPiece,
    list_input_files,
    load_mltable,
    load_piece,
    plan_mini_batches,
)
from daskprs.data.formats.base import byte_windows
from daskprs.data.planning import chunk_files


def expected_assignment(text: bytes, size: int, header: bool) -> list[list[int]]:
    """Brute force of product.md §3: record starting at s goes to window ceil(s/size)-1 (s=0: 0)."""
    starts = [0] + [i + 1 for i, b in enumerate(text) if b == 10 and i + 1 < len(text)]
    n = max(1, math.ceil(len(text) / size))
    windows: list[list[int]] = [[] for _ in range(n)]
    for rec, s in enumerate(starts):
        w = 0 if s == 0 else math.ceil(s / size) - 1
        windows[w].append(rec)
    if header:  # record 0 is the header line
        windows = [[r - 1 for r in w if r != 0] for w in windows]
    return windows


def test_byte_windows_count():
    assert len(byte_windows(100, 10)) == 10
    assert len(byte_windows(101, 10)) == 11
    assert byte_windows(0, 7) == [(0, 7)]


def test_chunk_files():
    files = [f"f{i}" for i in range(25)]
    chunks = chunk_files(files, 10)
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert sum(chunks, ()) == tuple(files)


def test_windows_match_mltable_example(make_table):
    # the same file the mltable oracle cut into 5 partitions at size 10 (rows in 0, 2, 3)
    folder = make_table(
        csv_spec(), {"data.csv": "a,b,c,d\n1,x,1.5,true\n2,,2.5,false\n3,z,,true\n"}
    )
    pieces = plan_mini_batches(load_mltable(str(folder)), 10)
    frames = [load_piece(p) for p in pieces]
    assert [len(f) for f in frames] == [1, 0, 1, 1, 0]
    assert [p.id for p in pieces] == list(range(5))
    assert all(list(f.columns) == ["a", "b", "c", "d"] for f in frames)
    assert str(frames[1].dtypes["a"]) == "int64"


def test_record_on_boundary_belongs_to_earlier_window(make_table):
    text = "h\n123456789\nabc\n"  # "abc" starts at byte 12
    folder = make_table(csv_spec(infer_column_types=False), {"data.csv": text})
    pieces = plan_mini_batches(load_mltable(str(folder)), 12)
    assert [load_piece(p)["h"].tolist() for p in pieces] == [["123456789", "abc"], []]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.text(alphabet="abcxyz019", min_size=0, max_size=12), min_size=0, max_size=30),
    size=st.integers(min_value=1, max_value=64),
    trailing_newline=st.booleans(),
)
def test_every_row_in_exactly_one_piece(tmp_path_factory, rows, size, trailing_newline):
    rows = [r or "e" for r in rows]  # an empty line would be an empty record
    text = "col\n" + "\n".join(rows) + ("\n" if trailing_newline and rows else "")
    folder = write_table(
        tmp_path_factory.mktemp("p"), csv_spec(infer_column_types=False), {"data.csv": text}
    )
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    got = [load_piece(p)["col"].tolist() for p in pieces]
    assert len(pieces) == max(1, math.ceil(len(text.encode()) / size))
    assert [v for piece in got for v in piece] == rows  # all rows, once, in order
    expected = expected_assignment(text.encode(), size, header=True)
    assert [[rows[i] for i in w] for w in expected] == got


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=4),
    window=st.integers(min_value=3, max_value=40),
)
def test_pieces_never_cross_files(tmp_path_factory, sizes, window):
    files = {
        f"d/f{i}.csv": "v\n" + "".join(f"{i}{j}\n" for j in range(n)) for i, n in enumerate(sizes)
    }
    folder = write_table(
        tmp_path_factory.mktemp("m"), csv_spec("./d", "folder", infer_column_types=False), files
    )
    pieces = plan_mini_batches(load_mltable(str(folder)), window)
    assert all(len(p.parts) == 1 for p in pieces)
    values = [v for p in pieces for v in load_piece(p)["v"].tolist()]
    assert values == [f"{i}{j}" for i, n in enumerate(sizes) for j in range(n)]
    # planning twice gives the same plan
    assert plan_mini_batches(load_mltable(str(folder)), window) == pieces


def test_multi_line_and_non_utf8_files_are_not_cut(make_table):
    text = 'a,b\n1,"x\ny"\n2,z\n'
    folder = make_table(csv_spec(support_multi_line=True), {"data.csv": text})
    pieces = plan_mini_batches(load_mltable(str(folder)), 4)
    assert len(pieces) == 1
    assert load_piece(pieces[0])["b"].tolist() == ["x\ny", "z"]
    folder = make_table(
        csv_spec(encoding="latin1"), {"data.csv": "a,b\n1,é\n2,ü\n".encode("latin-1")}
    )
    pieces = plan_mini_batches(load_mltable(str(folder)), 4)
    assert len(pieces) == 1
    assert load_piece(pieces[0])["b"].tolist() == ["é", "ü"]


def test_file_lists(tmp_path: Path):
    for rel in ["b/2.txt", "a/1.txt", "a/10.txt", "c.txt", "a/z/3.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    listed = list_input_files(str(tmp_path))
    rel = [str(Path(p).relative_to(tmp_path)) for p in listed]
    assert rel == ["a/1.txt", "a/10.txt", "a/z/3.txt", "b/2.txt", "c.txt"]
    pieces = plan_mini_batches(str(tmp_path), 2)
    assert [p.kind for p in pieces] == ["files"] * 3
    assert [load_piece(p) for p in pieces] == [listed[0:2], listed[2:4], listed[4:]]
    assert len(plan_mini_batches(str(tmp_path), None)) == 1  # default: 10 files
    single = plan_mini_batches(str(tmp_path / "c.txt"), None)
    assert load_piece(single[0]) == [str(tmp_path / "c.txt")]


def test_file_only_mltable(make_table):
    folder = make_table(
        {"paths": [{"folder": "./imgs"}]},
        {"imgs/b.png": "b", "imgs/a.png": "a", "imgs/s/c.png": "c"},
    )
    table = load_mltable(str(folder))
    assert not table.is_tabular
    pieces = plan_mini_batches(table, 2)
    assert [[Path(f).name for f in load_piece(p)] for p in pieces] == [
        ["a.png", "b.png"],
        ["c.png"],
    ]


def test_pieces_pickle_small(make_table):
    folder = make_table(csv_spec(), {"data.csv": "a\n" + "1\n" * 1000})
    pieces = plan_mini_batches(load_mltable(str(folder)), 100)
    blob = pickle.dumps(pieces[3])
    assert len(blob) < 4000
    assert pickle.loads(blob) == pieces[3]
    assert isinstance(pieces[3], MiniBatchPiece)
    assert pieces[3].describe()["parts"] == [
        {"file": str(folder / "data.csv"), "bytes": [300, 400]}
    ]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1mb"])
def test_bad_mini_batch_size(tmp_path, bad):
    with pytest.raises(ValueError, match="mini_batch_size"):
        plan_mini_batches(str(tmp_path), bad)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.integers(min_value=-5, max_value=10**6), min_size=0, max_size=25),
    size=st.integers(min_value=1, max_value=80),
)
def test_json_lines_every_record_in_exactly_one_piece(tmp_path_factory, values, size):
    text = "".join(f'{{"v": {v}, "s": "é{v}"}}\n' for v in values)
    spec = {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]}
    folder = write_table(tmp_path_factory.mktemp("j"), spec, {"d.jsonl": text})
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    assert len(pieces) == max(1, math.ceil(len(text.encode()) / size))
    got = [v for p in pieces for v in load_piece(p)["v"].tolist()] if values else []
    assert got == values
