"""Hand a pipeline / job built in Python to the YAML parser, so both share one validator.

The parser reads files (``daskprs.spec.load.load_job(path)``), so the dict is written as YAML
to ``<tmp>/daskprs-sdk/<name>-<hash>.yml`` (all its local paths are absolute already) and that
file is loaded. When the YAML is invalid the file stays, so the error message (file and dotted
key) points at exactly what was built; when it loads, the file is removed (``job.raw`` keeps
the mapping).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from typing import Any

import yaml


def job_yaml(raw: dict[str, Any]) -> str:
    return yaml.safe_dump(raw, sort_keys=False, default_flow_style=False, allow_unicode=True)


def load_job_dict(raw: dict[str, Any], *, name: str) -> Any:
    """Validate ``raw`` (a pipeline or standalone job mapping) and return the
    :class:`daskprs.spec.model.PipelineJob`."""
    from daskprs.spec.load import load_job

    text = job_yaml(raw)
    folder = os.path.join(tempfile.gettempdir(), "daskprs-sdk")
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "job"
    path = os.path.join(folder, f"{safe}-{digest}.yml")
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    job = load_job(path)
    try:
        os.remove(path)
    except OSError:  # another thread loaded the same content: it removed it
        pass
    return job
