"""Print the signatures of the azure-ai-ml names daskprs.sdk mirrors, as JSON.

Run with the interpreter of a venv that has azure-ai-ml (``.venv-azure/bin/python``); the
output is ``azure_signatures.json`` (regenerate it when moving to a newer azure-ai-ml).
"""

import inspect
import json
import sys
import warnings


def params(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    sig = inspect.signature(target)
    out = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        default = None if p.default is p.empty else p.default
        out.append([p.name, p.kind.name, "<required>" if p.default is p.empty else default])
    return out


def main():
    warnings.simplefilter("ignore")
    import azure.ai.ml
    from azure.ai.ml import Input, Output, command, load_component
    from azure.ai.ml.dsl import pipeline
    from azure.ai.ml.entities import (
        Environment,
        JobResourceConfiguration,
        PipelineJobSettings,
        RetrySettings,
    )
    from azure.ai.ml.entities._job.parallel.parallel_task import ParallelTask
    from azure.ai.ml.parallel import RunFunction, parallel_run_function

    names = {
        "Input": Input,
        "Output": Output,
        "command": command,
        "load_component": load_component,
        "pipeline": pipeline,
        "Environment": Environment,
        "JobResourceConfiguration": JobResourceConfiguration,
        "PipelineJobSettings": PipelineJobSettings,
        "RetrySettings": RetrySettings,
        "ParallelTask": ParallelTask,
        "RunFunction": RunFunction,
        "parallel_run_function": parallel_run_function,
    }
    doc = {"azure-ai-ml": azure.ai.ml.__version__}
    doc.update({k: params(v) for k, v in names.items()})
    lines = [f'  "azure-ai-ml": {json.dumps(doc.pop("azure-ai-ml"))}']
    for key in sorted(doc):
        rows = ",\n".join(f"    {json.dumps(row)}" for row in doc[key])
        lines.append(f'  "{key}": [\n{rows}\n  ]')
    sys.stdout.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
