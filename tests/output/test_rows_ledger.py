import os

import pandas as pd
import pytest

from daskprs.engine.ledger import Ledger
from daskprs.output.assemble import assemble
from daskprs.output.rows import UnsupportedReturn, format_rows
from daskprs.runtime.protocol import RUN_DONE, RUN_EXCEPTION, AttemptRecord
from tests.helpers.files import read_text


def test_list_rows_are_str_plus_newline():
    assert format_rows(["a", 1, 2.5, {"k": "v"}, ("t",)]).text == "a\n1\n2.5\n{'k': 'v'}\n('t',)\n"


def test_dataframe_rows_are_space_separated_without_header_or_index():
    df = pd.DataFrame({"a": ["x y", "z", 'q"r'], "b": [1.5, None, 3.0], "c": [True, False, None]})
    rows = format_rows(df)
    assert rows.text == '"x y" 1.5 True\nz  False\n"q""r" 3.0 \n'
    assert rows.count == 3
    assert rows.header == "a b c\n"


@pytest.mark.parametrize("value", [None, 3, "abc", {"a": 1}])
def test_unsupported_returns_are_rejected(value):
    with pytest.raises(UnsupportedReturn, match="list, a tuple or a pandas DataFrame"):
        format_rows(value)


def test_ledger_round_trip_ignores_torn_line(tmp_path):
    path = str(tmp_path / "state" / "ledger.jsonl")
    led = Ledger(path)
    led.open()
    led.append(AttemptRecord(0, 1, RUN_EXCEPTION, error="boom"), final=False)
    led.append(AttemptRecord(0, 2, RUN_DONE, total=3, succeeded=3, part="p0"), final=True)
    led.append(AttemptRecord(1, 1, RUN_DONE, total=2, succeeded=2), final=True)
    led.close()
    with open(path, "a") as fh:
        fh.write('{"mini_batch_id": 2, "attem')  # killed mid-write
    again = Ledger(path)
    again.load()
    assert sorted(again.final) == [0, 1]
    assert again.final[0].attempt == 2 and again.final[0].part == "p0"
    assert again.attempts == {0: 2, 1: 1}


def test_assemble_in_order_with_single_header(tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "a").write_text("1 x\n")
    (parts / "b").write_text("junk2 y\n3 z\ntail-of-a-killed-attempt")  # a spool file
    recs = [
        AttemptRecord(0, 1, RUN_DONE, part="a", part_bytes=4, header="n s\n"),
        AttemptRecord(1, 1, RUN_DONE),  # returned nothing
        AttemptRecord(2, 1, RUN_DONE, part="b", part_offset=4, part_bytes=8, header="n s\n"),
    ]
    target = str(tmp_path / "out" / "result.txt")
    assert assemble(str(parts), recs, target, header=True) == 12
    assert read_text(target) == "n s\n1 x\n2 y\n3 z\n"
    assemble(str(parts), recs, target, header=False)
    assert read_text(target) == "1 x\n2 y\n3 z\n"
    assert os.listdir(tmp_path / "out") == ["result.txt"]  # no temporary file left
