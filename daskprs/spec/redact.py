"""Secrets out of what a run writes: ``environment_variables`` values become ``***``.

Azure passes ``environment_variables`` to the job's processes and shows them nowhere; they
often hold tokens. The entry processes (and command steps) still receive the real values —
only the copies of the spec that a run writes (``job.json``, ``report.html``) and the messages
it prints are redacted. The names stay, so a reader can see which variables were set.
"""

from __future__ import annotations

from typing import Any

REDACTED = "***"
_KEY = "environment_variables"


def redact(spec: Any) -> Any:
    """A copy of ``spec`` (YAML data) with every ``environment_variables`` value replaced."""
    if isinstance(spec, dict):
        return {
            k: _values(v) if k == _KEY and isinstance(v, dict) else redact(v)
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [redact(v) for v in spec]
    return spec


def _values(env: dict[Any, Any]) -> dict[Any, Any]:
    return {k: REDACTED if v is not None else None for k, v in env.items()}


def is_secret_key(dotted: str) -> bool:
    """``jobs.x.environment_variables.TOKEN`` and the like (a ``--set`` key)."""
    return _KEY in dotted.split(".")
