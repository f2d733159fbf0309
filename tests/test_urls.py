"""daskprs.urls: the one rule for what is a URL (spec, data, output and mltable all use it)."""

from __future__ import annotations

import pytest

from daskprs.urls import is_remote, is_url


@pytest.mark.parametrize(
    ("path", "url", "remote"),
    [
        ("s3://bucket/key", True, True),
        ("abfs://container/folder", True, True),
        ("memory://x", True, True),
        ("file:///tmp/data", True, False),
        ("/tmp/data", False, False),
        ("relative/folder", False, False),
        ("C:\\data\\file.csv", False, False),
        ("folder/odd://name", False, False),  # '://' not after a scheme at the start
        ("azureml:my_data:1", False, False),
    ],
)
def test_url_rule(path: str, url: bool, remote: bool) -> None:
    assert is_url(path) is url
    assert is_remote(path) is remote
