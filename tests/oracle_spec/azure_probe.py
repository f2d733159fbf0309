"""Run YAML files through ``azure.ai.ml.load_job`` (+ ``_validate()``), offline; print JSON.

Executed by ``.venv-azure/bin/python`` (never imported by the daskprs test process)::

    .venv-azure/bin/python tests/oracle_spec/azure_probe.py a.yml b.yml ...

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


def _settings(node):
    resources = _get(node, "resources")
    retry = _get(node, "retry_settings")
    task = _get(node, "task")
    mbs = _get(node, "mini_batch_size")
    return {
        "type": "parallel",
        "mini_batch_size": mbs if mbs is None else int(mbs),
        "logging_level": _get(node, "logging_level"),
        "max_concurrency_per_instance": _get(node, "max_concurrency_per_instance"),
        "instance_count": _get(resources, "instance_count"),
        "error_threshold": _get(node, "error_threshold"),
        "mini_batch_error_threshold": _get(node, "mini_batch_error_threshold"),
        "max_retries": _get(retry, "max_retries"),
        "timeout": _get(retry, "timeout"),
        "partition_keys": _get(node, "partition_keys"),
        "entry_script": _get(task, "entry_script"),
        "program_arguments": _get(task, "program_arguments"),
        "append_row_to": _get(task, "append_row_to"),
    }


def probe(path: str) -> dict:
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
            job = load_component(path) if is_parallel else load_job(path)
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
    for path in argv:
        print(json.dumps(probe(path), default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
