"""Run YAML files through ``azure.ai.ml.load_job`` (+ ``_validate()``), offline; print JSON.

Executed by ``.venv-azure/bin/python`` (never imported by the daskprs test process)::

    .venv-azure/bin/python tests/oracle_spec/azure_probe.py a.yml b.yml ...
    echo '[{"file": "a.yml", "set": ["jobs.x.mini_batch_size=1mb"]}]' | ... azure_probe.py -

``set`` entries are passed as ``params_override`` (what ``az ml job create --set`` does).
One JSON object per file on stdout, one per line:
``{"file": ..., "accepted": bool, "error": str | null, "steps": {name: settings}}``
where ``settings`` holds the normalised values the parity test compares.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import warnings

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")


def _get(obj, name, default=None):
    if obj is None:
        return default
    value = getattr(obj, name, None)
    if value is None and isinstance(obj, dict):
        value = obj.get(name)
    return default if value is None else value


def _leaf(node, *path):
    """``node.a.b``, falling back to the node's component when the node leaves it unset."""
    sources = [node]
    component = _get(node, "component")
    if component is not None and not isinstance(component, str):
        sources.append(component)
    for source in sources:
        value = source
        for name in path:
            value = _get(value, name)
        if value is not None:
            return value
    return None


def _settings(node):
    mbs = _leaf(node, "mini_batch_size")
    return {
        "type": "parallel",
        "mini_batch_size": int(mbs) if isinstance(mbs, int) or str(mbs).isdigit() else mbs,
        "logging_level": _leaf(node, "logging_level"),
        "max_concurrency_per_instance": _leaf(node, "max_concurrency_per_instance"),
        "instance_count": _leaf(node, "resources", "instance_count"),
        "error_threshold": _leaf(node, "error_threshold"),
        "mini_batch_error_threshold": _leaf(node, "mini_batch_error_threshold"),
        "max_retries": _leaf(node, "retry_settings", "max_retries"),
        "timeout": _leaf(node, "retry_settings", "timeout"),
        "partition_keys": _leaf(node, "partition_keys"),
        "entry_script": _leaf(node, "task", "entry_script"),
        "program_arguments": _leaf(node, "task", "program_arguments"),
        "append_row_to": _leaf(node, "task", "append_row_to"),
    }


def _overrides(items: list[str]) -> list[dict]:
    out = []
    for item in items:
        key, _, raw = item.partition("=")
        import yaml

        out.append({key: yaml.safe_load(raw) if raw.strip() else ""})
    return out


def probe(path: str, overrides: list[str] | None = None) -> dict:
    import yaml
    from azure.ai.ml import load_component, load_job

    out = {"file": path, "accepted": False, "error": None, "steps": {}}
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            with open(path, encoding="utf-8") as fh:
                raw = yaml.safe_load(fh)
            # azure-ai-ml has no standalone parallel *job*: a `type: parallel` file is a
            # parallel component (what `az ml component create` takes)
            is_parallel = isinstance(raw, dict) and raw.get("type") == "parallel"
            params = _overrides(overrides or [])
            if is_parallel:
                job = load_component(path, params_override=params)
            else:
                job = load_job(path, params_override=params)
            result = job._validate()
        if not result.passed:
            out["error"] = json.dumps(result.error_messages, default=str)
            return out
    except Exception as exc:  # noqa: BLE001 - any rejection counts
        out["error"] = f"{type(exc).__name__}: {exc}"[:4000]
        return out
    out["accepted"] = True
    jobs = getattr(job, "jobs", None)
    nodes = dict(jobs) if jobs else {getattr(job, "name", None) or "job": job}
    for name, node in nodes.items():
        kind = type(node).__name__
        if kind in ("Parallel", "ParallelJob", "ParallelComponent"):
            try:
                out["steps"][name] = _settings(node)
            except Exception as exc:  # noqa: BLE001
                out["steps"][name] = {"probe_error": repr(exc)}
        else:
            out["steps"][name] = {"type": kind}
    return out


def main(argv: list[str]) -> int:
    items = json.load(sys.stdin) if argv == ["-"] else [{"file": p} for p in argv]
    for item in items:
        print(json.dumps(probe(item["file"], item.get("set")), default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
