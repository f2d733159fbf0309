from __future__ import annotations

import os
import time

import fsspec
import pytest

from daskprs.data import list_input_files, load_mltable, load_piece, plan_mini_batches
from tests.helpers.files import read_text


def test_memory_folder_file_list_downloads_local_copies():
    fs = fsspec.filesystem("memory")
    for name in ["b.txt", "a.txt", "sub/c.txt"]:
        fs.pipe(f"/inputs-x/{name}", name.encode())
    listed = list_input_files("memory://inputs-x")
    assert [p.rsplit("inputs-x/", 1)[1] for p in listed] == ["a.txt", "b.txt", "sub/c.txt"]
    pieces = plan_mini_batches("memory://inputs-x", 2)
    local = [p for piece in pieces for p in load_piece(piece)]
    assert all(os.path.isfile(p) for p in local)
    assert [read_text(p) for p in local] == ["a.txt", "b.txt", "sub/c.txt"]


def test_memory_mltable_folder_of_csv():
    fs = fsspec.filesystem("memory")
    fs.pipe(
        "/tbl-y/MLTable", b"paths:\n  - folder: ./parts\ntransformations:\n  - read_delimited: {}\n"
    )
    fs.pipe("/tbl-y/parts/2.csv", b"a\n3\n4\n")
    fs.pipe("/tbl-y/parts/1.csv", b"a\n1\n2\n")
    pieces = plan_mini_batches(load_mltable("memory://tbl-y"), 4)
    assert [v for p in pieces for v in load_piece(p)["a"].tolist()] == [1, 2, 3, 4]


def test_missing_input_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        list_input_files(str(tmp_path / "nope"))


@pytest.mark.slow
def test_listing_and_planning_many_files_is_fast(tmp_path):
    n_dirs, per_dir = 100, 1000  # 100k files; the target is 1M in <= 10 s
    for d in range(n_dirs):
        folder = tmp_path / f"d{d:03d}"
        folder.mkdir()
        for f in range(per_dir):
            (folder / f"{f:04d}").touch()
    t0 = time.perf_counter()
    pieces = plan_mini_batches(str(tmp_path), 10)
    elapsed = time.perf_counter() - t0
    assert len(pieces) == n_dirs * per_dir // 10
    assert load_piece(pieces[0])[0].endswith("d000/0000")
    assert elapsed < 3.0, f"planning 100k files took {elapsed:.1f} s"
