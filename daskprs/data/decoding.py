"""Text files that do not decode with the reader's ``encoding``: an :class:`MLTableError`
naming the data file and the byte offset of the first byte that does not decode.

The readers decode whole slices at once (pandas, pyarrow, Python), and none of them says
where a bad byte is in the *file*; when one fails, the file is scanned again from the start
of the slice with an incremental decoder to find it. This runs only on the error path.

Where the planning scan reads the head of the data (before any worker starts), the error
ends ``daskprs job create`` with exit 2; a bad byte further on fails the mini batch that
holds it, with the same message.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from daskprs.data.model import ENCODINGS
from daskprs.data.paths import open_binary
from daskprs.errors import MLTableError

F = TypeVar("F", bound=Callable[..., Any])
_CHUNK = 1 << 20
_UTF8 = ("utf-8", "utf-8-sig", "ascii")  # read as UTF-8 by the text formats


def first_bad_byte(
    path: str, storage_options: dict[str, Any] | None, codec: str, start: int = 0
) -> tuple[int, int] | None:
    """(offset, byte) of the first byte of ``path`` at or after the record starting at or
    after ``start`` that ``codec`` cannot decode; None when it all decodes."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    with open_binary(path, storage_options, text_file=True) as f:
        pos = 0
        if start:
            f.seek(start)
            pos = start
            while True:  # records start after a newline, and b"\n" is never inside a UTF-8 char
                chunk = f.read(_CHUNK)
                nl = chunk.find(b"\n")
                if not chunk or nl >= 0:
                    break
                pos += len(chunk)
            if not chunk:
                return None
            pos += nl + 1
            f.seek(pos)
        while True:
            chunk = f.read(_CHUNK)
            pending = getattr(decoder, "buffer", b"")
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                return pos - len(pending) + exc.start, data[exc.start]
            if not chunk:
                return None
            pos += len(chunk)


def undecodable(path: str, table: Any, start: int = 0) -> MLTableError:
    reader = table.reader
    codec = "utf-8" if reader.codec in _UTF8 else reader.codec
    found = first_bad_byte(path, table.storage_options, codec, start)
    where = (
        f"byte 0x{found[1]:02x} at byte offset {found[0]}"
        if found is not None
        else f"a byte at or after byte offset {start}"
    )
    return MLTableError(
        f"{path}: {where} cannot be decoded as {reader.encoding}: the file is not "
        f"{reader.encoding} text, or mixes encodings. Set encoding to the file's own "
        f"({', '.join(e for e in ENCODINGS if e.isalnum())}) or save it as UTF-8",
        file=table.source_file,
        key=f"{reader.key}.encoding",
    )


def _reporting(read: F, where: Callable[[Any], tuple[str, int]]) -> F:
    """``read(first, table, ...)`` raising :func:`undecodable` instead of UnicodeDecodeError;
    ``where(first)``: the file and the byte offset its scan for the bad byte starts at."""

    @functools.wraps(read)
    def wrapper(first: Any, table: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return read(first, table, *args, **kwargs)
        except UnicodeDecodeError:
            path, start = where(first)
            raise undecodable(path, table, start) from None

    return wrapper  # type: ignore[return-value]


def part_errors(read: F) -> F:
    """For ``read(part, table, ...)``: the bad byte is searched from the part's start."""
    return _reporting(read, lambda part: (part.path, part.offset if part.length is not None else 0))


def file_errors(read: F) -> F:
    """For ``read(path, table, ...)``: the bad byte is searched from the file's start."""
    return _reporting(read, lambda path: (path, 0))
