"""The ledger: one JSON line per finished attempt, under ``<step>/state/ledger.jsonl``.

It is the source of truth for resume: a mini batch whose final attempt is in the ledger is not
run again, and its committed part (if any) goes into the output. Lines are appended and flushed
in batches; a torn last line (the driver was killed mid-write) is ignored on load.
"""

from __future__ import annotations

import json
import os
from typing import IO

from daskprs.runtime.protocol import AttemptRecord


class Ledger:
    def __init__(self, path: str) -> None:
        self.path = path
        self.final: dict[int, AttemptRecord] = {}  # mini batch id -> the attempt that counts
        self.attempts: dict[int, int] = {}  # mini batch id -> attempts used so far
        self._fh: IO[str] | None = None

    def load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn write at a crash
                is_final = bool(entry.pop("final", False))
                rec = AttemptRecord.from_dict(entry)
                self.attempts[rec.mini_batch_id] = max(
                    self.attempts.get(rec.mini_batch_id, 0), rec.attempt
                )
                if is_final:
                    self.final[rec.mini_batch_id] = rec

    def open(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - lives with the run

    def append(self, rec: AttemptRecord, final: bool) -> None:
        assert self._fh is not None
        entry = rec.to_dict()
        entry["final"] = final
        self._fh.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self.attempts[rec.mini_batch_id] = max(self.attempts.get(rec.mini_batch_id, 0), rec.attempt)
        if final:
            self.final[rec.mini_batch_id] = rec

    def flush(self, sync: bool = True) -> None:
        """Hand the lines to the OS (enough to survive a killed driver); ``sync`` also forces
        them to disk (to survive a machine crash; costs milliseconds, so it is batched)."""
        if self._fh is not None:
            self._fh.flush()
            if sync:
                os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self.flush()
            self._fh.close()
            self._fh = None
