"""Writing a file whole or not at all: a temp file beside it, renamed over it, removed again
when anything fails (a full disk leaves neither a half file nor a stray temp file)."""

from __future__ import annotations

import contextlib
import os


def write_text(path: str, text: str, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` atomically; ``mode`` (e.g. 0o600) is set before the
    rename, so the file is never readable with wider permissions."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        # created with ``mode`` (less the umask), so the text is never readable more widely,
        # not even while it is written; fchmod: a leftover temp file keeps its old mode
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
