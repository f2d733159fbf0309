"""``--set KEY=VALUE`` overrides, applied to the raw YAML before validation (as ``az ml`` does).

>>> doc = {"jobs": {"score": {"mini_batch_size": "10kb"}}}
>>> apply_overrides(doc, ["jobs.score.mini_batch_size=1mb", "jobs.score.resources.instance_count=2"])
{'jobs': {'score': {'mini_batch_size': '1mb', 'resources': {'instance_count': 2}}}}
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.errors import PipelineSpecError
from daskprs.spec.redact import REDACTED, is_secret_key


def _shown(text: str) -> str:
    """``--set`` text for a message: an ``environment_variables`` value is not shown."""
    key, eq, _ = text.partition("=")
    return f"{key}={REDACTED}" if eq and is_secret_key(key.strip()) else text


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"a.b.c=VALUE"`` -> (["a", "b", "c"], VALUE parsed as a YAML scalar)."""
    key, eq, raw = text.partition("=")
    key = key.strip()
    if not eq or not key or any(not part for part in key.split(".")):
        raise PipelineSpecError(
            f"--set {_shown(text)!r}: expected KEY=VALUE with a dotted key, "
            "e.g. jobs.batch_prediction.mini_batch_size=1mb",
            key=key or None,
        )
    try:
        value = safe_yaml.load(raw) if raw.strip() else ""
    except (yaml.YAMLError, safe_yaml.YamlRefused) as exc:
        raise PipelineSpecError(
            f"--set {_shown(text)!r}: the value is not valid YAML"
            + ("" if is_secret_key(key) else f": {exc}"),
            key=key,
        ) from exc
    return key.split("."), value


def apply_overrides(
    doc: dict[str, Any], overrides: Sequence[str], file: str | None = None
) -> dict[str, Any]:
    """A copy of ``doc`` with each override applied in order (missing mappings are created)."""
    if isinstance(overrides, str):
        overrides = [overrides]
    result = copy.deepcopy(doc)
    for text in overrides:
        parts, value = parse_override(text)
        node: Any = result
        for depth, part in enumerate(parts[:-1]):
            where = ".".join(parts[: depth + 1])
            if isinstance(node, list):
                node = node[_index(node, part, where, file)]
                continue
            if not isinstance(node, dict):
                raise PipelineSpecError(
                    f"--set {_shown(text)!r}: {where} is a {type(node).__name__}, not a mapping",
                    file=file,
                    key=where,
                )
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[_index(node, last, ".".join(parts), file)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise PipelineSpecError(
                f"--set {_shown(text)!r}: {'.'.join(parts[:-1])} is a {type(node).__name__}, not a mapping",
                file=file,
                key=".".join(parts[:-1]),
            )
    return result


def _index(node: list[Any], part: str, where: str, file: str | None) -> int:
    try:
        i = int(part)
        node[i]
    except (ValueError, IndexError):
        raise PipelineSpecError(
            f"--set: {part!r} is not an index of this list of {len(node)} items",
            file=file,
            key=where,
        ) from None
    return i
