import pytest

from daskprs.data.sizes import MINI_BATCH_SIZE_REGEX, has_size_suffix, parse_mini_batch_size


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1024", 1024),
        ("10kb", 10240),
        ("10KB", 10240),
        ("10Kb", 10240),
        ("1MB", 1 << 20),
        ("1gb", 1 << 30),
        (5, 5),
        ("3kb", 3072),
    ],
)
def test_valid(value, expected):
    assert parse_mini_batch_size(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "10 KB",
        "10k",
        "10B",
        "1.5MB",
        "1TB",
        " 10kb",
        "10kbkb",
        "",
        "abc",
        "-1",
        0,
        -3,
        True,
        1.5,
        None,
    ],
)
def test_invalid_names_regex(value):
    with pytest.raises(ValueError) as info:
        parse_mini_batch_size(value)
    if isinstance(value, str) and value not in ("0",):
        assert MINI_BATCH_SIZE_REGEX in str(info.value)


def test_suffix_detection():
    assert has_size_suffix("10kb") and has_size_suffix("1MB")
    assert not has_size_suffix("10") and not has_size_suffix(10)
