"""The parity corpus (tests/oracle_spec): its cases, and our side of the comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from daskprs.errors import SpecError
from daskprs.spec.load import load_job
from daskprs.spec.model import ParallelStep, PipelineJob

CORPUS = Path(__file__).resolve().parents[1] / "oracle_spec"

DEFAULTS: dict[str, Any] = {
    "mini_batch_size": None,
    "logging_level": "INFO",
    "max_concurrency_per_instance": 1,
    "instance_count": 1,
    "error_threshold": -1,
    "mini_batch_error_threshold": -1,
    "max_retries": 2,
    "timeout": 60,
    "partition_keys": None,
    "append_row_to": None,
}


def cases() -> dict[str, dict[str, Any]]:
    with open(CORPUS / "cases.yml", encoding="utf-8") as fh:
        loaded: dict[str, dict[str, Any]] = yaml.safe_load(fh)
    return loaded


def ours(name: str, case: dict[str, Any]) -> tuple[PipelineJob | None, SpecError | None]:
    try:
        return load_job(CORPUS / name, case.get("set", [])), None
    except SpecError as exc:
        return None, exc


def our_settings(step: ParallelStep) -> dict[str, Any]:
    return {
        "mini_batch_size": step.mini_batch_size,
        "logging_level": step.logging_level,
        "max_concurrency_per_instance": step.max_concurrency_per_instance,
        "instance_count": step.instance_count,
        "error_threshold": step.error_threshold,
        "mini_batch_error_threshold": step.mini_batch_error_threshold,
        "max_retries": step.retry.max_retries,
        "timeout": step.retry.timeout,
        "partition_keys": list(step.partition_keys) if step.partition_keys else None,
        "append_row_to": step.append_row_to,
    }


def azure_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Azure's values with its unset ones (None) replaced by the defaults its runtime applies;
    values Azure leaves as unresolved bindings are dropped (not comparable)."""
    out: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = raw.get(key)
        if isinstance(value, str) and "${{" in value:
            if key == "append_row_to":
                value = value.strip()[len("${{outputs.") : -2].strip()
            else:
                continue
        if key == "mini_batch_size" and value == 0:
            value = None  # the SDK stores an unset size as 0: the runtime default applies
        out[key] = default if value is None else value
    return out
