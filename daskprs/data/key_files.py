"""Key files inside a worker: the rows of one ``partition_keys`` group (:mod:`daskprs.data.keys`).

Inside the worker (:func:`read_key_rows`), a process memory-maps a key file once and converts a
window of about :data:`WINDOW_BYTES` of rows to pandas at a time; the mini batches of a task are
consecutive groups, so most of them are a slice of a window already converted (~0.05 ms instead
of opening a file per group).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import pandas as pd
import pyarrow as pa

WINDOW_BYTES = 1 << 20  # rows of a key file converted to pandas at once, in a worker
OPEN_KEY_FILES = 64  # key files a process keeps memory-mapped (address space only)
KEPT_WINDOWS = 4  # of those, the most recently read ones keep their converted window


class _KeyFile:
    """An open key file and the window of its rows last converted to pandas: an Arrow file is
    memory-mapped and converted a window at a time; a pickled one is one window."""

    __slots__ = ("stamp", "table", "window_rows", "window", "last_stop")

    def __init__(self, path: str, stamp: tuple[int, ...]) -> None:
        self.stamp = stamp
        self.table: pa.Table | None = None
        self.window: tuple[int, int, pd.DataFrame] | None = None
        self.window_rows = 1
        self.last_stop = -1
        if path.endswith(".pkl"):
            df = pd.read_pickle(path)
            self.window = (0, len(df), df)
            return
        self.table = pa.ipc.open_file(pa.memory_map(path)).read_all()
        per_row = self.table.nbytes / max(1, self.table.num_rows)
        self.window_rows = max(1, int(WINDOW_BYTES / max(per_row, 1.0)))

    def rows(self, start: int, stop: int) -> tuple[int, pd.DataFrame]:
        """A window holding rows ``[start, stop)`` and the row it starts at.

        Reading on from where the last read of this file stopped (the groups of a task are
        consecutive) converts a window of about :data:`WINDOW_BYTES`; a read elsewhere converts
        just its rows."""
        window = self.window
        if window is None or not (window[0] <= start and stop <= window[1]):
            assert self.table is not None
            end = stop
            if start == self.last_stop:
                end = min(self.table.num_rows, max(stop, start + self.window_rows))
            window = self.window = (start, end, self.table.slice(start, end - start).to_pandas())
        self.last_stop = stop
        return window[0], window[2]


_key_files: OrderedDict[str, _KeyFile] = OrderedDict()
_key_files_lock = threading.Lock()  # read_mltable loads partitions in threads


def read_key_rows(path: str, start: int, stop: int) -> pd.DataFrame:
    """Rows ``[start, stop)`` of a key file, as a DataFrame with a fresh RangeIndex.

    The file stays mapped (the last :data:`OPEN_KEY_FILES` of them, the windows of the last
    :data:`KEPT_WINDOWS`; a pickled file is its own window) and is checked by inode,
    size and mtime, so a file written again (planning again into the same folder) is reopened.
    The frame returned is a slice of a cached window: pandas' copy-on-write keeps the caller's
    changes out of it.
    """
    st = os.stat(path)
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    with _key_files_lock:
        kf = _key_files.get(path)
        if kf is None or kf.stamp != stamp:
            kf = _key_files[path] = _KeyFile(path, stamp)
            while len(_key_files) > OPEN_KEY_FILES:
                _key_files.popitem(last=False)
        _key_files.move_to_end(path)
        first, window = kf.rows(start, stop)
        if len(_key_files) > KEPT_WINDOWS:  # bound the memory of converted rows
            for older_path in list(_key_files)[:-KEPT_WINDOWS]:
                older = _key_files[older_path]
                if older.table is None:  # a pickled file is all window: closed
                    del _key_files[older_path]
                else:
                    older.window = None
    df = window.iloc[start - first : stop - first]
    df.index = pd.RangeIndex(len(df))
    return df
