"""Reading and writing whole files in tests, closed at once (tests run with warnings as errors,
and an ``open(path).read()`` left to the garbage collector is a ResourceWarning)."""

from __future__ import annotations

import os
from typing import Any


def read_text(path: str | os.PathLike[str], mode: str = "r", **kwargs: Any) -> Any:
    """The whole file: text, or bytes with ``mode="rb"``."""
    with open(path, mode, **kwargs) as fh:
        return fh.read()


def write_text(path: str | os.PathLike[str], text: str, mode: str = "w", **kwargs: Any) -> None:
    with open(path, mode, **kwargs) as fh:
        fh.write(text)
