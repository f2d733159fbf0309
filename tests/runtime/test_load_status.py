"""LoadStatus: how an entry process tells its parent, without a pipe message, that a mini
batch is loaded and how many items it has."""

from __future__ import annotations

import os
import time

from daskprs.runtime.protocol import LoadStatus


def test_the_parent_reads_what_the_process_wrote_for_that_mini_batch_only():
    parent, path = LoadStatus.create()
    try:
        child = LoadStatus(path)  # the entry process maps the same file
        assert parent.read(1) is None  # nothing loaded yet
        before = time.monotonic()
        child.write(1, 250)
        items, loaded_at = parent.read(1) or (None, 0.0)
        assert items == 250 and before <= loaded_at <= time.monotonic()
        assert parent.read(2) is None  # the next mini batch is not loaded yet
        child.write(2, None)  # loading failed
        assert parent.read(2) == (None, parent.read(2)[1])  # type: ignore[index]
        assert parent.read(1) is None  # an older mini batch is no longer described
    finally:
        os.unlink(path)


def test_a_write_the_parent_overlaps_is_not_believed():
    parent, path = LoadStatus.create()
    try:
        child = LoadStatus(path)
        child.write(3, 10)
        # the process began writing mini batch 4 (first copy of its number only)
        LoadStatus._SEQ.pack_into(child._mm, 0, 4)
        assert parent.read(3) is None and parent.read(4) is None
    finally:
        os.unlink(path)
