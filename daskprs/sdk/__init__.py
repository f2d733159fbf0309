"""The Python API mirroring azure-ai-ml (1.35): build the pipeline of a YAML file in Python.

>>> from daskprs.sdk import Input, Output, RunFunction, parallel_run_function, pipeline
>>> score = parallel_run_function(                              # doctest: +SKIP
...     name="score",
...     inputs={"data": Input(type="mltable", mode="direct")},
...     outputs={"scores": Output(type="uri_file")},
...     input_data="${{inputs.data}}",
...     task=RunFunction(code="./src", entry_script="score.py", environment="azureml:env:1",
...                      append_row_to="${{outputs.scores}}"),
... )
>>> @pipeline                                                    # doctest: +SKIP
... def scoring(data):
...     step = score(data=data)
...     step.resources.instance_count = 2
...     return {"scores": step.outputs.scores}
>>> job = scoring(data=Input(type="mltable", path="./table"))   # doctest: +SKIP
>>> daskprs.run(job.to_job())                                    # doctest: +SKIP

The objects build the same mapping the YAML parser reads and hand it to the parser, so a
pipeline built here is validated exactly as its YAML would be (``job.to_yaml()`` shows it).
Aliases of azure-ai-ml's modules: :mod:`daskprs.sdk.dsl` (``pipeline``),
:mod:`daskprs.sdk.parallel` (``parallel_run_function``, ``RunFunction``),
:mod:`daskprs.sdk.entities`.
"""

from __future__ import annotations

from daskprs.sdk.bindings import NodeInput, NodeOutput, PipelineInput, PipelineOutput
from daskprs.sdk.builders import command, parallel_run_function
from daskprs.sdk.component import Component, load_component
from daskprs.sdk.entities import (
    Environment,
    JobResourceConfiguration,
    ParallelTask,
    PipelineJobSettings,
    RetrySettings,
    RunFunction,
)
from daskprs.sdk.io import Input, Output
from daskprs.sdk.nodes import BaseNode, Command, Parallel
from daskprs.sdk.pipeline import PipelineJob, pipeline

__all__ = [
    "BaseNode",
    "Command",
    "Component",
    "Environment",
    "Input",
    "JobResourceConfiguration",
    "NodeInput",
    "NodeOutput",
    "Output",
    "Parallel",
    "ParallelTask",
    "PipelineInput",
    "PipelineJob",
    "PipelineJobSettings",
    "PipelineOutput",
    "RetrySettings",
    "RunFunction",
    "command",
    "load_component",
    "parallel_run_function",
    "pipeline",
]
