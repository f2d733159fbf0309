"""The vectorized conversions (``value_parsing``) against the per-value code they replaced.

``reference_types.py`` holds the conversions as they were before issue 16, value by value. On
generated columns (text with nulls, blanks of every kind, booleans in any case, custom true /
false words, numbers that truncate or overflow, datetimes in many layouts, some invalid; and
numeric, boolean and mixed-type columns) both must give the same dtype and the same values,
or both raise.
"""

from __future__ import annotations

import datetime
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import reference_types as ref
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daskprs.data import column_types, value_parsing
from daskprs.data.model import ColumnType

BLANKS = ["", " ", "\t", "\u00a0", "\u3000", "\x1c", "\u2029"]
WORDS = [
    "true",
    "false",
    "True",
    "FALSE",
    "tRuE",
    "t",
    "F",
    "1",
    "0",
    "yes",
    "no",
    "Y",
    "N",
    "Yes",
    "YES",
    "No",
    "NO",
    "y",
    "maybe",
]
NUMBERS = [
    "0",
    "-0",
    "1",
    "+7",
    "007",
    "1.5",
    "-1.5",
    "2.9999",
    ".5",
    "1e3",
    "1E-3",
    "-2e10",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1e400",
    "-1e400",
    "inf",
    "-inf",
    "Infinity",
    "nan",
    "-nan",
    "+NaN",
    "INF",
    "NaN",
    "1,000",
    "5%",
    "0x10",
    "1_000",
    "12abc",
    "abc",
]
DATES = [
    "2021-03-04",
    "2021-03-04T05:06:07",
    "2021-03-04 05:06:07",
    "2021-03-04T05:06",
    "2021-03-04T05",
    "2021-03-04T05:06:07.123",
    "2021-03-04T05:06:07.123456789",
    "2021-03-04T05:06:07.1234567891",
    "2021-03-04T05:06:07Z",
    "2021-03-04T05:06:07+02:00",
    "2021-03-04T05:06:07+02",
    "2021-03-04T05:06:07-0130",
    "2021-03-04T05:06:07-0130",
    "2021-02-30",
    "2021-13-01",
    "2021-01-01T24:00:00",
    "2021-01-01T23:59:60",
    "2021-1-2",
    "20210304",
    "2021-03",
    "2021",
    "2021/03/04",
    "2021/3/4",
    "03/04/2021",
    "3/4/2021",
    "31/12/2021",
    "04-03-2021",
    "31-12-2021",
    "3-4-2021",
    "03/13/2021 05:06:07",
    "13-03-2021 5:06",
    "13-03-2021  05:06:07",
    "03/13/2021 05:6",
    "03/13/2021 24:00",
    "04.03.2021",
    "4 Mar 2021",
    "2021-03-04t05:06:07",
    "2262-04-11T23:47:16.854775807",
    "1677-09-21T00:12:43.145224193",
    "1970-01-01",
    "2021-03-04T05:06:07.",
    "10:30:00",
]
OUT_OF_RANGE = ["3000-01-01", "1600-01-01", "2262-04-12"]
FORMATS = [
    ("%d/%m/%Y",),
    ("%Y-%m-%d", "%d.%m.%Y"),
    ("%m/%d/%Y %H:%M",),
    ("%Y%m%d",),
    ("%Y-%m-%dT%H:%M:%S%z",),
]


@st.composite
def texts(draw, vocab: list[str], out_of_range: bool = False) -> str:
    word = draw(st.sampled_from(vocab + (OUT_OF_RANGE if out_of_range else [])))
    if draw(st.booleans()):  # surrounded by blanks of any kind
        word = draw(st.sampled_from(BLANKS)) + word + draw(st.sampled_from(BLANKS))
    return word


def values(vocab: list[str], out_of_range: bool = False) -> st.SearchStrategy:
    text = texts(vocab, out_of_range) | st.sampled_from(BLANKS) | st.text(max_size=6)
    return st.lists(st.none() | text, max_size=30)


ALL_WORDS = WORDS + NUMBERS + DATES


def as_series(vals: list, how: str) -> pd.Series:
    if how == "object":
        return pd.Series(vals, dtype=object)
    return pd.Series(vals, dtype=column_types.STRING_DTYPE)


def same(got_fn, want_fn) -> None:
    """Both raise the same exception type, or give the same dtype and values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = want_fn()
        except Exception as exc:  # the reference raises: ours must too
            with pytest.raises(type(exc)):
                got_fn()
            return
        got = got_fn()
    assert str(got.dtype) == str(want.dtype)
    assert list(got.index) == list(want.index)
    pd.testing.assert_series_equal(got, want, check_dtype=True, check_exact=True)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOW = st.sampled_from(["object", "str"])


@SETTINGS
@given(values(ALL_WORDS), HOW, st.sampled_from(["int", "float", "string", "object"]))
def test_numbers_and_text_from_text(vals, how, kind):
    s = as_series(vals, how)
    same(lambda: column_types.convert(s, kind), lambda: ref.convert(s, kind))


BOOL_TYPES = [
    ColumnType("boolean"),
    ColumnType("boolean", mismatch_as="true"),
    ColumnType("boolean", mismatch_as="false"),
    ColumnType("boolean", ("yes", "Y"), ("no", "0"), "false"),
    ColumnType("boolean", ("yes",), ("no",)),
    ColumnType("boolean", ("true",), (), "true"),  # only true_values: the default words
]


@SETTINGS
@given(values(WORDS + NUMBERS[:6]), HOW, st.sampled_from(BOOL_TYPES))
@example(["\u00a0yes", "no", " Y"], "object", BOOL_TYPES[3])
@example(["\x1cTRUE\u3000", "f ", None, ""], "str", BOOL_TYPES[0])
def test_booleans_from_text(vals, how, ct):
    s = as_series(vals, how)
    same(lambda: column_types.convert(s, ct), lambda: ref.convert(s, ct))


@SETTINGS
@given(values(DATES, out_of_range=True), HOW, st.sampled_from([(), *FORMATS]))
def test_datetimes_from_text(vals, how, formats):
    s = as_series(vals, how)
    ct = ColumnType("datetime", formats=formats)
    same(lambda: column_types.convert(s, ct), lambda: ref.convert(s, ct))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1500 * 365 * 86400),
            st.sampled_from(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_iso_datetimes_arrow_and_pandas_agree(stamps):
    """Any valid ISO date-time (years 1500-3000, some outside datetime64[ns]): the same."""
    base = np.datetime64("1500-01-01T00:00:00", "s")
    vals = [pd.Timestamp(base + np.timedelta64(t, "s")).strftime(f) for t, f in stamps]
    for how in ("object", "str"):
        s = as_series(vals, how)
        same(
            lambda s=s: column_types.convert(s, "datetime"),
            lambda s=s: ref.convert(s, "datetime"),
        )


floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1.0, 2.5, 1e16, 1e20, -1e19, 2.0**63, 9.2e18, 1e-5, 0.1 + 0.2]
)
NUMERIC = st.one_of(
    st.lists(floats, max_size=20).map(lambda v: pd.Series(v, dtype="float64")),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=20).map(
        lambda v: pd.Series(v, dtype="int64")
    ),
    st.lists(st.integers(0, 2**64 - 1), max_size=20).map(lambda v: pd.Series(v, dtype="uint64")),
    st.lists(st.booleans(), max_size=20).map(lambda v: pd.Series(v, dtype=bool)),
)
JSON_VALUES = st.lists(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | texts(WORDS + NUMBERS[:8] + DATES[:4]),
    max_size=20,
)
KINDS = ["int", "float", "string", "object", "datetime", *BOOL_TYPES]


@SETTINGS
@given(NUMERIC, st.sampled_from(KINDS))
@example(pd.Series([1678, 2021], dtype="int64"), "datetime")  # a number is no year: null
def test_numeric_columns(s, kind):
    same(lambda: column_types.convert(s, kind), lambda: ref.convert(s, kind))


BOOLS_WITH_NULLS = st.lists(st.none() | st.booleans() | st.just(float("nan")), max_size=20)


@SETTINGS
@given(JSON_VALUES | BOOLS_WITH_NULLS, st.sampled_from(KINDS))
def test_mixed_type_columns(vals, kind):
    """Object columns of several Python types (JSON lines), and of one (numbers, booleans)."""
    s = pd.Series(vals, dtype=object)
    same(lambda: column_types.convert(s, kind), lambda: ref.convert(s, kind))


PLANNED = ["int", "int?", "float", "boolean", "boolean?", "datetime", "string", "object"]


@SETTINGS
@given(
    values(ALL_WORDS) | NUMERIC.map(lambda s: s.tolist()) | JSON_VALUES,
    st.sampled_from(["object", "str", "native"]),
    st.sampled_from(PLANNED),
)
@example(vals=[9223372036854775808], how="native", kind="int")  # uint64: saturated
def test_conform_series(vals, how, kind):
    """The planned dtypes of a mini batch's columns, from what a parser gave."""
    if how == "native":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = pd.Series(vals)
    elif how == "str" and not all(v is None or isinstance(v, str) for v in vals):
        return
    else:
        s = as_series(vals, how)
    same(
        lambda: column_types.conform_series(s.copy(), kind),
        lambda: ref.conform_series(s.copy(), kind),
    )


def test_whitespace_is_pythons():
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert spaces == value_parsing.PY_WHITESPACE


def test_the_comparison_can_fail():
    """The reference and ours differ on a column the vectorized code would get wrong."""
    s = pd.Series(["\u00a0yes", "no"], dtype=object)
    ct = ColumnType("boolean", ("yes",), ("no",))
    with pytest.raises(AssertionError):  # a stripping version of the custom words would say True
        same(
            lambda: value_parsing.to_bool(s.str.strip(), {"yes"}, {"no"}),
            lambda: ref.convert(s, ct),
        )


def test_conversions_keep_the_index():
    s = pd.Series(["1", "x", None], index=[5, 7, 9], dtype=object)
    for kind in ("int", "boolean", "datetime", "string"):
        assert list(column_types.convert(s, kind).index) == [5, 7, 9]


@pytest.mark.parametrize(
    "vals,want",
    [
        ([datetime.date(2021, 1, 1)], [None]),
        ([datetime.time(1, 2), None], [None, None]),
        ([b"ab", "nan", " 7 ", None], [None, 0, 7, None]),
    ],
)
def test_int_of_objects_that_are_no_text_is_null(vals, want):
    """Parquet / JSON object columns (dates, times, bytes) converted to int: null, as mltable
    (was an AttributeError from pandas' .str on a column without a string)."""
    got = column_types.convert(pd.Series(vals, dtype=object), "int")
    assert [None if pd.isna(v) else int(v) for v in got] == want
