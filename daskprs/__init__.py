"""daskprs: Azure ML parallel jobs (ParallelRunStep) on Dask.

>>> import daskprs
>>> job = daskprs.load_job("pipeline.yml")        # doctest: +SKIP
>>> result = daskprs.run(job)                      # doctest: +SKIP
"""

from daskprs.api import load_job, read_mltable, run
from daskprs.errors import (
    DaskPrsError,
    EntryScriptError,
    JobFailed,
    MLTableError,
    PipelineSpecError,
    SpecError,
)

__all__ = [
    "DaskPrsError",
    "EntryScriptError",
    "JobFailed",
    "MLTableError",
    "PipelineSpecError",
    "SpecError",
    "load_job",
    "read_mltable",
    "run",
]
__version__ = "0.1.0"
