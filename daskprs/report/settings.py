"""A step's settings as the report shows them: the value in force (written or default) for
each key that shapes a parallel run, the runtime's program arguments, and the YAML as written."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import yaml

from daskprs.spec.model import PARALLEL_DEFAULTS, PrsArguments, RetrySettings


@dataclass(frozen=True)
class Setting:
    key: str
    value: str
    default: bool  # True: not written in the YAML, the default applies


@dataclass
class StepSettings:
    settings: list[Setting] = field(default_factory=list)
    arguments: list[Setting] = field(default_factory=list)  # --error_threshold, ...
    yaml_text: str = ""


def _get(raw: dict[str, Any], dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    return str(value)


_RETRY = RetrySettings()

# (dotted key, default shown when the key is not written; "" shows nothing)
_PARALLEL_KEYS: list[tuple[str, str]] = [
    (key, PARALLEL_DEFAULTS.get(key, ""))
    for key in (
        "task.entry_script",
        "task.code",
        "input_data",
        "mini_batch_size",
        "partition_keys",
        "resources.instance_count",
        "max_concurrency_per_instance",
        "mini_batch_error_threshold",
        "error_threshold",
        "retry_settings.max_retries",
        "retry_settings.timeout",
        "logging_level",
        "task.append_row_to",
        "environment_variables",
    )
]
_COMMAND_KEYS: list[tuple[str, str]] = [
    ("command", ""),
    ("code", ""),
    ("environment_variables", ""),
]


def step_settings(raw: dict[str, Any]) -> StepSettings:
    kind = raw.get("type")
    keys = _COMMAND_KEYS if kind == "command" else _PARALLEL_KEYS
    out = StepSettings()
    for key, default in keys:
        value = _get(raw, key)
        if value is None and key == "environment_variables":
            value = _get(raw, "task.environment_variables")
        if value is not None:
            out.settings.append(Setting(key, _show(value), False))
        elif default:
            out.settings.append(Setting(key, default, True))
    if kind != "command":
        timeout = _get(raw, "retry_settings.timeout")
        try:
            run_timeout = int(timeout) if timeout is not None else _RETRY.timeout
        except (TypeError, ValueError):
            run_timeout = _RETRY.timeout
        out.arguments = _arguments(_get(raw, "task.program_arguments"), run_timeout)
    try:
        out.yaml_text = yaml.safe_dump(raw, sort_keys=False, default_flow_style=False, width=100)
    except yaml.YAMLError:
        out.yaml_text = repr(raw)
    return out


def _arguments(text: Any, run_timeout: int) -> list[Setting]:
    """The runtime's program arguments in force: written ones, then the defaults."""
    from daskprs.spec.arguments import PRS_ARGS, parse_program_arguments

    written: set[str] = set()
    prs = PrsArguments()
    if isinstance(text, str) and text.strip():
        try:
            tokens, prs = parse_program_arguments(text)
        except Exception:  # noqa: BLE001 - a report never fails on a setting it cannot read
            tokens = tuple(text.split())
        for tok in tokens:
            name = tok[2:].partition("=")[0] if tok.startswith("--") else ""
            if name in PRS_ARGS:
                written.add(name)
    rows = []
    for f in fields(PrsArguments):
        value = getattr(prs, f.name)
        if f.name == "progress_update_timeout" and value is None:
            seconds = prs.effective_progress_update_timeout(run_timeout)
            shown = f"{seconds} = 3 × (timeout + task_overhead_timeout)"
        elif value is None:
            shown = "(unset)"
        elif f.name == "process_memory_limit" and isinstance(value, int):
            shown = f"{value >> 20} MiB"
        else:
            shown = _show(value)
        rows.append(Setting(f"--{f.name}", shown, f.name not in written))
    rows.sort(key=lambda s: s.default)  # the written ones first
    return rows
