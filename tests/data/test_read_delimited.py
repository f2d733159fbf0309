"""read_delimited options; expected values are what the mltable library returned on the same files."""

from __future__ import annotations

import pandas as pd
import pytest
from datahelpers import csv_spec

from daskprs.data import load_mltable, load_piece, plan_mini_batches, read_mltable

FILES = {"f1.csv": "a,b\n1,x\n2,y\n", "sub/f2.csv": "a,b\n3,\n,w\n", "sub/f3.csv": "c,a\n5,6\n"}


def read_all(folder, size=None) -> pd.DataFrame:
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    return pd.concat([load_piece(p) for p in pieces], ignore_index=True)


def two_files(make_table, files=("./f1.csv", "./sub/f2.csv"), **options):
    spec = {"paths": [{"file": f} for f in files], "transformations": [{"read_delimited": options}]}
    return make_table(spec, FILES)


def values(df: pd.DataFrame) -> dict[str, list]:
    return {c: [None if pd.isna(v) else v for v in df[c]] for c in df.columns}


def test_all_files_same_headers(make_table):
    df = read_all(two_files(make_table))
    assert values(df) == {"a": [1.0, 2.0, 3.0, None], "b": ["x", "y", None, "w"]}
    assert df["a"].dtype == "float64"


def test_from_first_file_treats_other_headers_as_data(make_table):
    df = read_all(two_files(make_table, header="from_first_file"))
    assert values(df) == {"a": ["1", "2", "a", "3", None], "b": ["x", "y", "b", None, "w"]}


def test_no_header(make_table):
    df = read_all(two_files(make_table, header="no_header"))
    assert list(df.columns) == ["Column1", "Column2"]
    assert values(df)["Column1"] == ["a", "1", "2", "a", "3", None]


def test_all_files_different_headers_unions_columns(make_table):
    df = read_all(
        two_files(make_table, ("./f1.csv", "./sub/f3.csv"), header="all_files_different_headers")
    )
    assert list(df.columns) == ["a", "b", "c"]
    assert values(df) == {"a": [1, 2, 6], "b": ["x", "y", None], "c": [None, None, 5.0]}


def test_same_headers_maps_by_position(make_table):
    df = read_all(two_files(make_table, ("./f1.csv", "./sub/f3.csv")))
    assert values(df) == {"a": [1, 2, 5], "b": ["x", "y", "6"]}


def test_empty_as_string_and_path_column(make_table):
    folder = two_files(make_table, empty_as_string=True, include_path_column=True)
    df = read_all(folder)
    assert list(df.columns) == ["Path", "a", "b"]
    assert values(df)["a"] == ["1", "2", "3", ""]
    assert values(df)["b"] == ["x", "y", "", "w"]
    assert df["Path"].tolist() == [str(folder / "f1.csv")] * 2 + [str(folder / "sub/f2.csv")] * 2


def test_no_inference_gives_strings(make_table):
    df = read_all(two_files(make_table, infer_column_types=False))
    assert values(df) == {"a": ["1", "2", "3", None], "b": ["x", "y", None, "w"]}


def test_inferred_kinds(make_table):
    text = "i,f,b,d,s,e\n1,1.5,true,2020-01-02,x,0\n2,2e3,False,2021-12-31,y,1\n"
    df = read_all(make_table(csv_spec(), {"data.csv": text}))
    assert [str(t) for t in df.dtypes] == [
        "int64",
        "float64",
        "bool",
        "datetime64[ns]",
        str(df["s"].dtype),
        "bool",
    ]
    assert df["d"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2021-12-31")]


def test_type_overrides(make_table):
    spec = csv_spec(
        infer_column_types={"column_type_overrides": [{"columns": "e", "column_type": "int"}]}
    )
    df = read_all(make_table(spec, {"data.csv": "e,f\n0,1\n1,2\n"}))
    assert str(df["e"].dtype) == "int64" and str(df["f"].dtype) == "int64"


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("utf16", "utf-16"),
        ("latin1", "latin-1"),
        ("iso88591", "iso-8859-1"),
        ("windows1252", "cp1252"),
        ("ascii", "ascii"),
    ],
)
def test_encodings(make_table, encoding, codec):
    word = "plain" if codec == "ascii" else "café"
    folder = make_table(
        csv_spec(encoding=encoding), {"data.csv": f"a,b\n1,{word}\n2,z\n".encode(codec)}
    )
    assert values(read_all(folder)) == {"a": [1, 2], "b": [word, "z"]}


def test_utf8_bom_and_crlf(make_table):
    folder = make_table(csv_spec(), {"data.csv": "\ufeffa,b\r\n1,x\r\n2,y\r\n".encode()})
    assert values(read_all(folder, 5)) == {"a": [1, 2], "b": ["x", "y"]}


def test_tab_and_two_char_delimiters(make_table):
    assert values(read_all(make_table(csv_spec(delimiter="\t"), {"data.csv": "a\tb\n1\tx\n"}))) == {
        "a": [1],
        "b": ["x"],
    }
    assert values(read_all(make_table(csv_spec(delimiter="||"), {"data.csv": "a||b\n1||x\n"}))) == {
        "a": [1],
        "b": ["x"],
    }


def test_short_rows_are_padded(make_table):
    df = read_all(make_table(csv_spec(), {"data.csv": "a,b,c\n1,2,3\n4,5\n"}))
    assert values(df) == {"a": [1, 4], "b": [2, 5], "c": [3.0, None]}


def test_read_mltable_partitions_are_pieces(make_table):
    folder = make_table(
        csv_spec(), {"data.csv": "a,b\n" + "".join(f"{i},v{i}\n" for i in range(200))}
    )
    ddf = read_mltable(str(folder), mini_batch_size="1kb")
    pieces = plan_mini_batches(load_mltable(str(folder)), 1024)
    assert ddf.npartitions == len(pieces) > 1
    for i, piece in enumerate(pieces):
        pd.testing.assert_frame_equal(
            ddf.get_partition(i).compute(), load_piece(piece), check_dtype=False
        )
    assert ddf["a"].sum().compute() == sum(range(200))
    assert list(ddf.columns) == ["a", "b"]


def test_header_with_other_column_count_is_an_error(make_table):
    from daskprs.errors import MLTableError

    spec = {
        "paths": [{"file": "./f1.csv"}, {"file": "./f4.csv"}],
        "transformations": ["read_delimited"],
    }
    folder = make_table(spec, {"f1.csv": "a,b\n1,x\n", "f4.csv": "a,b,c\n1,2,3\n"})
    with pytest.raises(MLTableError, match="all_files_different_headers") as info:
        read_all(folder)
    assert info.value.key == "transformations[0].read_delimited.header"
    assert "f4.csv" in str(info.value)


def test_compressed_files_are_one_piece_each(make_table):
    import gzip

    files = {"d/a.csv.gz": gzip.compress(b"a,b\n1,x\n2,y\n"), "d/b.csv": "a,b\n3,z\n"}
    folder = make_table(csv_spec("./d", "folder"), files)
    pieces = plan_mini_batches(load_mltable(str(folder)), 4)
    assert [p.parts[0].length is None for p in pieces][:1] == [True]
    df = pd.concat([load_piece(p) for p in pieces], ignore_index=True)
    assert values(df) == {"a": [1, 2, 3], "b": ["x", "y", "z"]}


@pytest.mark.parametrize("size", [7, 23, 64, 10_000])
def test_memory_mapped_slices_read_the_same_records(make_table, monkeypatch, size):
    """Large local slices are parsed from a memory map: same records as the copied bytes."""
    from daskprs.data import slices

    text = "\ufeffk,s,f\n" + "".join(f'{i},"v, {i}",{i / 2}\r\n' for i in range(60)) + "60,x,1"
    folder = make_table(csv_spec(), {"data.csv": text})
    pieces = plan_mini_batches(load_mltable(str(folder)), size)
    copied = [load_piece(p) for p in pieces]
    monkeypatch.setattr(slices, "MAP_BYTES", 1)
    mapped = [load_piece(p) for p in pieces]
    for a, b in zip(copied, mapped, strict=True):
        pd.testing.assert_frame_equal(a, b)
    whole = pd.concat(mapped, ignore_index=True)
    assert whole["k"].tolist() == list(range(61))
    assert whole["s"].tolist()[:2] == ["v, 0", "v, 1"]
