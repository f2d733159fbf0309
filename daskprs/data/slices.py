"""Byte slices of text files: a whole file, or a byte window cut at record boundaries.

Windows are cut with :func:`fsspec.utils.read_block` and ``delimiter=b"\\n"``, whose convention
is exactly product.md §3's: the block for ``(offset, length)`` holds the records whose first
byte lies in ``(offset, offset + length]`` (and the record at byte 0 when ``offset`` is 0).
A large slice of a local file is a view of a memory map instead of a copy (:data:`MAP_BYTES`).
"""

from __future__ import annotations

import io
import mmap
import os
from typing import Any, TypeAlias

import pyarrow as pa
from fsspec.utils import read_block, seek_delimiter

from daskprs.data import paths
from daskprs.data.model import MLTable, Part

BOM = b"\xef\xbb\xbf"
UTF8 = ("utf-8", "utf-8-sig", "ascii")  # codecs read as UTF-8 (and cut by bytes)

# A local slice at least this large is parsed from a memory map of the file, not copied into
# memory first: the parsers stream it (pandas in chunks, pyarrow zero-copy), which keeps a large
# mini batch as fast per byte as plain pandas / pyarrow reading the file.
MAP_BYTES = 1 << 22


class Mapped:
    """A slice ``[start, end)`` of a memory-mapped file, never copied unless asked."""

    def __init__(self, mm: mmap.mmap, start: int, end: int) -> None:
        self.mm, self.start, self.end = mm, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def __getitem__(self, key: slice) -> Mapped:
        lo, hi, _ = key.indices(len(self))
        return Mapped(self.mm, self.start + lo, self.start + max(lo, hi))

    def find(self, sub: bytes) -> int:
        i = self.mm.find(sub, self.start, self.end)
        return i if i < 0 else i - self.start

    def view(self) -> memoryview:
        return memoryview(self.mm)[self.start : self.end]


Data: TypeAlias = "bytes | Mapped"  # a slice of a file


def read_bytes(part: Part, table: MLTable) -> tuple[bytes, bool]:
    """The bytes of ``part`` and whether they start at byte 0 of the file."""
    with paths.open_binary(part.path, table.storage_options, text_file=True) as f:
        if part.length is None:
            return f.read(), True
        return bytes(read_block(f, part.offset, part.length, b"\n")), part.offset == 0


def _block_bounds(f: Any, offset: int, length: int, size: int) -> tuple[int, int]:
    """``read_block(f, offset, length, b"\\n")``'s ``[start, end)``, without reading the block."""
    f.seek(offset)
    seek_delimiter(f, b"\n", 1 << 16)
    start = min(f.tell(), size)
    f.seek(start + length - (start - offset))
    seek_delimiter(f, b"\n", 1 << 16)
    return start, max(start, min(f.tell(), size))


def read_data(part: Part, table: MLTable) -> tuple[Data, bool]:
    """The bytes of ``part`` and whether they start at byte 0 of the file.

    A large slice of a local, uncompressed UTF-8 file is a view of a memory map (see
    :data:`MAP_BYTES`); the records it holds are exactly :func:`read_block`'s.
    """
    reader = table.reader
    assert reader is not None
    fs, p = paths.get_fs(part.path, table.storage_options)
    if paths.is_local(fs) and not paths.is_compressed(part.path) and reader.codec in UTF8:
        size = os.path.getsize(p)
        start, end = 0, size
        if part.length is not None and size >= MAP_BYTES:
            with open(p, "rb") as f:
                start, end = _block_bounds(f, part.offset, part.length, size)
        if end - start >= MAP_BYTES:
            with open(p, "rb") as f:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            return Mapped(mm, start, end), part.length is None or part.offset == 0
    return read_bytes(part, table)


def to_bytes(data: Data) -> bytes:
    return data if isinstance(data, bytes) else bytes(data.view())


def stream(data: Data) -> Any:
    return io.BytesIO(data) if isinstance(data, bytes) else pa.BufferReader(data.view())
