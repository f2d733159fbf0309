"""What counts as a URL, in one place (the spec, the data layer, the output writer and
``daskprs.mltable`` all ask): ``scheme://...`` at the start of the string.

:func:`is_url` is true for every URL, ``file://`` included (the data layer hands those to
fsspec); :func:`is_remote` leaves ``file://`` out: a path that names a local file either way.
Windows drive letters (``C:\\data``) are not URLs. No imports beyond ``re``: workers use it.
"""

from __future__ import annotations

import re

FILE_SCHEME = "file://"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(path: str) -> bool:
    """``scheme://...`` (s3://, abfs://, memory://, file://, ...)."""
    return bool(_URL.match(path))


def is_remote(path: str) -> bool:
    """A URL other than ``file://``: the data is not a local file."""
    return is_url(path) and not path.startswith(FILE_SCHEME)
