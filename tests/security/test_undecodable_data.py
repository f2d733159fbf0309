"""Undecodable text in CSV / JSON-lines data is an MLTableError naming the data file and the
byte offset; found in the planning scan it ends `job create` with exit 2 before anything is
written (issue 17, point 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from daskprs.data import decoding, load_mltable, load_piece, plan_mini_batches
from daskprs.errors import MLTableError
from tests.helpers.jobs import JobFolder


def write_table(folder, data: bytes, name="data.csv", reader="read_delimited", **options):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    (folder / "MLTable").write_text(
        yaml.safe_dump(
            {"paths": [{"file": f"./{name}"}], "transformations": [{reader: options}]},
        )
    )
    return folder


def rows(n: int, start: int = 0) -> bytes:
    return b"".join(b"%d,%d.5,name%d\n" % (i, i, i) for i in range(start, start + n))


def test_a_bad_row_in_the_head_stops_job_create_with_exit_2(tmp_path):
    """The issue's case: a CSV with a Latin-1 byte among UTF-8 rows."""
    jf = JobFolder(tmp_path / "job")
    data = b"id,x,species\n" + rows(100) + b"100,1.5,set\xe9osa\n" + rows(100, 101)
    write_table(jf.root / "table", data, delimiter=",", header="all_files_same_headers")
    jf.script("def run(mini_batch):\n    return mini_batch\n")
    yml = jf.parallel_yaml({"type": "mltable", "path": "./table"})
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "daskprs", "job", "create", "-q", "--file", str(yml)]
        + ["--run-dir", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    offset = data.index(b"\xe9")
    assert f"data.csv: byte 0xe9 at byte offset {offset} cannot be decoded as utf8" in proc.stderr
    assert "read_delimited.encoding" in proc.stderr and "Traceback" not in proc.stderr
    assert not run_dir.exists()  # nothing written


def test_a_bad_row_far_into_the_file_fails_its_mini_batch_naming_the_offset(tmp_path):
    data = b"id,x,name\n" + rows(40_000) + b"40000,1.5,caf\xc3\n" + rows(40_000, 40_001)
    folder = write_table(tmp_path / "t", data, delimiter=",")
    offset = data.index(b"\xc3\n")
    pieces = plan_mini_batches(load_mltable(str(folder)), 64 * 1024)  # the head scan is fine
    assert len(pieces) > 10
    errors = []
    for piece in pieces:
        try:
            load_piece(piece)
        except MLTableError as exc:
            errors.append(str(exc))
    assert len(errors) == 1
    assert f"byte 0xc3 at byte offset {offset} cannot be decoded" in errors[0]


def test_a_bad_header_names_the_offset(tmp_path):
    data = b"id,x,n\xff\n" + rows(10)
    folder = write_table(tmp_path / "t", data, delimiter=",")
    with pytest.raises(MLTableError, match=r"byte 0xff at byte offset 6 "):
        plan_mini_batches(load_mltable(str(folder)), None)


def test_json_lines(tmp_path):
    lines = [json.dumps({"a": i, "b": f"v{i}"}).encode() for i in range(50)]
    lines[30] = b'{"a": 30, "b": "\xe9"}'
    data = b"\n".join(lines) + b"\n"
    folder = write_table(tmp_path / "t", data, name="d.jsonl", reader="read_json_lines")
    offset = data.index(b"\xe9")
    with pytest.raises(MLTableError, match=f"byte 0xe9 at byte offset {offset} "):
        for piece in plan_mini_batches(load_mltable(str(folder)), None):
            load_piece(piece)


def test_a_declared_encoding_that_does_not_fit(tmp_path):
    data = "id,name\n1,x\n".encode("utf-16")[:-1]  # a truncated UTF-16 file
    folder = write_table(tmp_path / "t", data, delimiter=",", encoding="utf16")
    with pytest.raises(MLTableError, match=r"cannot be decoded as utf16"):
        for piece in plan_mini_batches(load_mltable(str(folder)), None):
            load_piece(piece)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_first_bad_byte_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(decoding, "_CHUNK", chunk)
    text = "héllo wörld ✓\n".encode() * 3
    bad = text + b"ok \xe2\x9c more\n"  # a 3-byte character cut short
    path = tmp_path / "f.txt"
    path.write_bytes(bad)
    assert decoding.first_bad_byte(str(path), None, "utf-8") == (len(text) + 3, 0xE2)
    path.write_bytes(text)
    assert decoding.first_bad_byte(str(path), None, "utf-8") is None
    # from a slice start: the scan begins at the next record
    path.write_bytes(b"\xff\xff\n" + text + b"\xfe\n")
    assert decoding.first_bad_byte(str(path), None, "utf-8", start=1) == (3 + len(text), 0xFE)


def test_the_message_lists_encodings_by_their_yaml_names(tmp_path):
    folder = write_table(tmp_path / "t", b"a\n\xff\n", delimiter=",")
    with pytest.raises(MLTableError) as err:
        for piece in plan_mini_batches(load_mltable(str(folder)), None):
            load_piece(piece)
    assert "(utf8, utf8bom, iso88591, latin1, ascii, utf16, windows1252)" in str(err.value)
    assert os.path.join(str(folder), "data.csv") in str(err.value)
    assert textwrap.shorten(str(err.value), 2000) == str(err.value)  # one line
