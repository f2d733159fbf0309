"""``MLTableHeaders``, ``MLTableFileEncoding`` and ``MLTableSaveOverwriteOption``, as mltable has
them, with the parsing its ``from_*`` functions and ``save()`` apply to strings."""

from __future__ import annotations

from enum import Enum, auto
from typing import Any

from daskprs.mltable._errors import argument_error


class MLTableHeaders(Enum):
    """How column headers are read from delimited files (``from_delimited_files(header=...)``)."""

    #: No column headers are read
    no_header = auto()
    #: Read headers only from first row of first file, everything else is data.
    from_first_file = auto()
    #: Read headers from first row of each file, combining named columns.
    all_files_different_headers = auto()
    #: Read headers from first row of first file, drops first row from other files.
    all_files_same_headers = auto()


class MLTableFileEncoding(Enum):
    """The encodings ``from_delimited_files`` / ``from_json_lines_files`` accept."""

    utf8 = auto()
    iso88591 = auto()
    latin1 = auto()
    ascii = auto()
    utf16 = auto()
    utf8bom = auto()
    windows1252 = auto()


class MLTableSaveOverwriteOption(Enum):
    """What ``save()`` does with files that already exist: fail, overwrite or skip."""

    FAIL_ON_CONFLICT = auto()
    OVERWRITE = auto()
    SKIP = auto()


# string spellings -> member, as mltable's _parse (plus utf16 / utf8bom, which its enum has
# but its string parser forgets; see docs/mltable.md)
_ENCODINGS = {
    "utf8": "utf8",
    "utf-8": "utf8",
    "utf-8 bom": "utf8",
    "iso88591": "iso88591",
    "iso-8859-1": "iso88591",
    "latin1": "latin1",
    "latin-1": "latin1",
    "ascii": "ascii",
    "windows1252": "windows1252",
    "windows-1252": "windows1252",
    "utf16": "utf16",
    "utf-16": "utf16",
    "utf8bom": "utf8bom",
}


def parse_header(call: str, header: Any) -> str:
    """The header mode's name for ``header`` (a string, any case, or an MLTableHeaders)."""
    if isinstance(header, MLTableHeaders):
        return header.name
    if isinstance(header, str) and header.lower() in MLTableHeaders.__members__:
        return header.lower()
    raise argument_error(
        call,
        "header",
        f"invalid header {header!r}; valid headers are: {', '.join(MLTableHeaders.__members__)} "
        "(or an mltable.MLTableHeaders)",
    )


def parse_encoding(call: str, encoding: Any) -> str:
    """The encoding's name as mltable writes it (``utf-8`` -> ``utf8``)."""
    if isinstance(encoding, MLTableFileEncoding):
        return encoding.name
    if isinstance(encoding, str) and encoding in _ENCODINGS:
        return _ENCODINGS[encoding]
    raise argument_error(
        call,
        "encoding",
        f"invalid encoding {encoding!r}; valid encodings are: {', '.join(_ENCODINGS)} "
        "(or an mltable.MLTableFileEncoding)",
    )


def parse_overwrite(option: Any) -> MLTableSaveOverwriteOption:
    """``save(overwrite=...)``: True / 'overwrite', False / 'fail', 'skip', or the enum."""
    if isinstance(option, MLTableSaveOverwriteOption):
        return option
    if option is True or option == "overwrite":
        return MLTableSaveOverwriteOption.OVERWRITE
    if option is False or option == "fail":
        return MLTableSaveOverwriteOption.FAIL_ON_CONFLICT
    if option == "skip":
        return MLTableSaveOverwriteOption.SKIP
    raise argument_error(
        "save",
        "overwrite",
        f"{option!r} is not a supported overwrite option; give True or 'overwrite', False or "
        "'fail', 'skip', or an MLTableSaveOverwriteOption",
    )
