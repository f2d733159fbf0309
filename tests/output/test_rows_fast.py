"""format_rows's fast path for plain frames gives exactly what ``to_csv`` gives."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from daskprs.output import rows as rows_module
from daskprs.output.rows import format_rows

FLOATS = [0.0, -0.0, 1e16, 5e-324, np.inf, -np.inf, 0.1, 1 / 3, 1e-5, 1e21, 1e22, -7.0, 2.5e-300]
TEXT = ["a", "b c", 'q"uote', "", "x\ny", "ü", " lead", "tab\t", "'sq'", "a,b", "nan", "None"]


def _to_csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, sep=" ", header=False, index=False)
    return buf.getvalue()


def _frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    return pd.DataFrame(
        {
            "i": rng.integers(-(10**12), 10**12, n),
            "u8": rng.integers(0, 255, n).astype("uint8"),
            "b": rng.random(n) > 0.5,
            "f": rng.choice(FLOATS, n) * rng.choice([1.0, rng.random()], n),
            "s": pd.Series(rng.choice(TEXT, n), dtype="str"),
            "ps": pd.Series(rng.choice(TEXT, n), dtype="string"),
        }
    )


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("cols", [["i", "u8", "b", "f"], ["s"], ["i", "s", "f", "ps"], ["b", "ps"]])
def test_fast_path_is_byte_identical_to_to_csv(seed, cols):
    df = _frame(seed)[cols]
    fast = rows_module._fast_rows(df)
    assert fast is not None  # these frames are all plain
    assert fast == _to_csv(df)
    assert format_rows(df, header=False).text == _to_csv(df)


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"f": [1.0, np.nan]}),
        pd.DataFrame({"s": pd.Series(["a", None], dtype="str")}),
        pd.DataFrame({"o": ["a", 1]}),
        pd.DataFrame({"f32": np.array([0.1, 0.2], dtype="float32")}),
        pd.DataFrame({"t": pd.to_datetime(["2020-01-01 00:00", "2021-05-06 07:08"])}),
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}),
        pd.DataFrame({"c": pd.Categorical(["x", "y"])}),
    ],
)
def test_other_frames_go_through_to_csv(df):
    assert rows_module._fast_rows(df) is None
    assert format_rows(df, header=False).text == _to_csv(df)
