"""The daskprs error hierarchy.

::

    DaskPrsError (Exception)
    ├── SpecError (ValueError)            bad input found before anything ran -> exit code 2
    │   ├── PipelineSpecError             pipeline / parallel / component YAML
    │   └── MLTableError                  an MLTable file, its paths or its data files

A job that runs and fails is not an exception: its result says ``Failed`` (``result.status``,
job.json, exit code 1), with the cause in ``result.steps[name].cause`` and job_result.txt.

Every error survives pickling: it crosses process boundaries (entry-script processes,
Dask workers, the driver).

A ``SpecError`` carries the file, the dotted key path and the message, and renders as
``<file>: <key>: <message>`` so that one line tells the user where to look and what would
be valid. Messages are cut to about :data:`MAX_MESSAGE` characters, keys to 300.
"""

from __future__ import annotations

# A spec error quotes the value it refuses; whatever the value, the message stays readable
# (a value that came from an alias bomb or a 10 MB line is cut in the middle).
MAX_MESSAGE = 1000


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head, tail = (limit - 40) * 2 // 3, (limit - 40) // 3  # the marker fits in the 40
    return f"{text[:head]} ...[{len(text) - head - tail} characters cut]... {text[-tail:]}"


class DaskPrsError(Exception):
    """Base class of every error daskprs raises on purpose."""


class SpecError(DaskPrsError, ValueError):
    """A spec (YAML, MLTable, entry script reference) is invalid. Found before any worker starts."""

    def __init__(self, message: str, file: str | None = None, key: str | None = None) -> None:
        self.message = _cut(message, MAX_MESSAGE)
        self.file = None if file is None else str(file)
        self.key = None if key is None else _cut(key, 300)
        super().__init__(message, self.file, key)

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.key) if p]
        return ": ".join([*parts, self.message])

    def __reduce__(self):  # type: ignore[override,unused-ignore]
        return (type(self), (self.message, self.file, self.key))


class PipelineSpecError(SpecError):
    """A pipeline, parallel job or component YAML is invalid."""


class MLTableError(SpecError):
    """An MLTable file is invalid, or names data that does not exist or cannot be read."""
