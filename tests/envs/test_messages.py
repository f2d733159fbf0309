"""What the worker sends an entry process is plain data: pickles that name only daskprs's
classes and builtins, never pandas, numpy or pyarrow internals (the entry process may run
other versions of those in its step environment)."""

from __future__ import annotations

import io
import pickle
from multiprocessing.reduction import ForkingPickler

import pandas as pd

from daskprs.data import load_mltable, load_piece, plan_mini_batches
from daskprs.runtime.protocol import ProcessConfig

ALLOWED_ROOTS = {"daskprs", "builtins", "copyreg", "_codecs", "collections"}


class _Recorder(pickle.Unpickler):
    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.modules: set[str] = set()

    def find_class(self, module: str, name: str):
        self.modules.add(module)
        return super().find_class(module, name)


def _globals(data: bytes) -> set[str]:
    """The modules unpickling ``data`` imports classes or functions from."""
    rec = _Recorder(data)
    rec.load()
    return rec.modules


def _pieces(tmp_path):
    df = pd.DataFrame(
        {"id": range(20), "t": pd.date_range("2024-01-01", periods=20), "k": ["a", "b"] * 10}
    )
    df.to_csv(tmp_path / "a.csv", index=False)
    df.to_parquet(tmp_path / "b.parquet")
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "MLTable").write_text(
        "paths:\n  - file: ../a.csv\ntransformations:\n  - read_delimited: {header: all_files_same_headers}\n"
    )
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "MLTable").write_text(
        "paths:\n  - file: ../b.parquet\ntransformations:\n  - read_parquet: {}\n"
    )
    pieces = plan_mini_batches(load_mltable(str(tmp_path / "csv")), 100)
    pieces += plan_mini_batches(load_mltable(str(tmp_path / "pq")), None)
    pieces += plan_mini_batches(
        load_mltable(str(tmp_path / "pq")), None, ["k"], work_dir=str(tmp_path / "w")
    )
    pieces += plan_mini_batches(str(tmp_path / "csv"), 1)
    return pieces


def test_pieces_pickle_as_plain_data(tmp_path):
    pieces = _pieces(tmp_path)
    assert pieces[0].kind == "rows" and pieces[-1].kind == "files"
    assert any(p.schema is not None and p.schema.arrow_schema is not None for p in pieces)
    for piece in pieces:
        data = bytes(ForkingPickler.dumps(("run", piece, 1)))
        roots = {m.split(".")[0] for m in _globals(data)}
        assert roots <= ALLOWED_ROOTS, (piece.id, roots)
        back = pickle.loads(data)[1]
        assert back == piece
        loaded, again = load_piece(back), load_piece(piece)
        if isinstance(loaded, pd.DataFrame):
            pd.testing.assert_frame_equal(loaded, again)


def test_the_check_sees_a_pandas_object():
    """Control: a pickle holding a pandas object is caught."""
    data = pickle.dumps(("run", pd.Timestamp("2024-01-01"), 1))
    assert "pandas" in {m.split(".")[0] for m in _globals(data)}


def test_process_config_and_results_are_plain(tmp_path):
    config = ProcessConfig(
        run_id="r", step_name="s", code_dir="/c", entry_script="score.py", argv=("a",),
        environment={"A": "1"}, logs_dir="/l", parts_dir="/p", output_dir="/o",
        python="/env/bin/python", python_path="/overlay",
    )  # fmt: skip
    data = bytes(ForkingPickler.dumps(("init", config, "node", "p0", {"PATH": "/bin"})))
    assert {m.split(".")[0] for m in _globals(data)} <= ALLOWED_ROOTS
