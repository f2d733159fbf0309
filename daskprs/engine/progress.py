"""Progress display, kept behind a tiny callback interface (fsspec's Callback idea): the engine
calls ``start`` / ``update`` / ``close`` and never knows which display is attached.

The default uses ``tqdm.auto``: a live bar on a terminal, a widget in Jupyter, and plain
periodic lines when stderr is not a terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any


class Progress:
    """No display: the base class does nothing."""

    def start(self, step: str, total: int) -> None: ...

    def update(self, counts: dict[str, Any]) -> None: ...

    def message(self, text: str) -> None: ...

    def close(self) -> None: ...


class TqdmProgress(Progress):
    def __init__(self, stream: Any = None, min_interval: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._bar: Any = None
        self._plain = not getattr(self.stream, "isatty", lambda: False)()
        self._last_line = 0.0
        self._step = ""
        self._total = 0
        self._t0 = 0.0

    def start(self, step: str, total: int) -> None:
        self._step, self._total, self._t0 = step, total, time.monotonic()
        if self._plain and not _in_notebook():
            self._line(f"[{step}] {total} mini batches planned")
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc=step, unit="mb", file=self.stream, **_width(self.stream))

    def update(self, counts: dict[str, Any]) -> None:
        done = int(counts.get("processed_mini_batches", 0))
        failed = int(counts.get("failed_mini_batches", 0))
        retried = int(counts.get("retried", 0))
        rows = int(counts.get("succeeded_items", 0))
        if self._bar is not None:
            self._bar.n = done
            self._bar.set_postfix(failed=failed, retried=retried, items=rows, refresh=False)
            self._bar.refresh()
            return
        now = time.monotonic()
        if now - self._last_line >= self.min_interval or done == self._total:
            elapsed = now - self._t0
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = (self._total - done) / rate if rate > 0 else float("nan")
            self._line(
                f"[{self._step}] {done}/{self._total} mini batches, {failed} failed, "
                f"{retried} retried, {rows} items, {rate:.1f} mb/s, ETA {eta:.0f}s"
            )

    def message(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self._line(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _line(self, text: str) -> None:
        self._last_line = time.monotonic()
        print(text, file=self.stream, flush=True)


def _width(stream: Any) -> dict[str, Any]:
    """Follow the terminal's width; a terminal that reports none (0 columns, as some pseudo
    terminals do) gets $COLUMNS or 80, where tqdm would draw nothing at all."""
    try:
        if os.get_terminal_size(stream.fileno()).columns > 0:
            return {"dynamic_ncols": True}
    except (AttributeError, OSError, ValueError):
        pass
    return {"ncols": shutil.get_terminal_size().columns}


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
