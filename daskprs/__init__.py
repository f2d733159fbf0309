"""daskprs: Azure ML parallel jobs (ParallelRunStep) on Dask.

>>> import daskprs
>>> job = daskprs.load_job("pipeline.yml")        # doctest: +SKIP
>>> result = daskprs.run(job)                      # doctest: +SKIP

The public names are imported lazily: entry-script processes import ``daskprs.runtime`` and
``daskprs.data`` only, and must not pay for importing ``distributed``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from daskprs.errors import (
    DaskPrsError,
    MLTableError,
    PipelineSpecError,
    SpecError,
)

if TYPE_CHECKING:
    from daskprs.api import load_job, read_mltable, run
    from daskprs.sdk import (
        Input,
        Output,
        RetrySettings,
        RunFunction,
        command,
        load_component,
        parallel_run_function,
    )
    from daskprs.sdk.pipeline import pipeline  # not the submodule of that name (mypy)

_LAZY = {
    "load_job": "daskprs.api",
    "read_mltable": "daskprs.api",
    "run": "daskprs.api",
    # the azure-ai-ml style API
    "Input": "daskprs.sdk",
    "Output": "daskprs.sdk",
    "RetrySettings": "daskprs.sdk",
    "RunFunction": "daskprs.sdk",
    "command": "daskprs.sdk",
    "load_component": "daskprs.sdk",
    "parallel_run_function": "daskprs.sdk",
    "pipeline": "daskprs.sdk",
}

__all__ = [
    "DaskPrsError",
    "Input",
    "Output",
    "RetrySettings",
    "RunFunction",
    "command",
    "load_component",
    "parallel_run_function",
    "pipeline",
    "MLTableError",
    "PipelineSpecError",
    "SpecError",
    "load_job",
    "read_mltable",
    "run",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'daskprs' has no attribute {name!r}")
