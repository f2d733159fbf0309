"""Build an example's ``pipeline.py`` with azure-ai-ml in place of ``daskprs.sdk`` and print
the pipeline job azure-ai-ml makes (``PipelineJob._to_dict()``) as JSON.

Run with the interpreter of a venv that has azure-ai-ml:
``.venv-azure/bin/python tests/sdk/azure_build.py examples/many-models/pipeline.py``.
The example must define ``build()`` and import the SDK names in one
``from daskprs.sdk import (...)`` statement.
"""

import json
import logging
import os
import re
import sys
import warnings

AZURE_IMPORTS = (
    "from azure.ai.ml import Input, Output, command, load_component\n"
    "from azure.ai.ml.dsl import pipeline\n"
    "from azure.ai.ml.entities import Environment, RetrySettings\n"
    "from azure.ai.ml.parallel import RunFunction, parallel_run_function\n"
)


def main(path: str) -> None:
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    path = os.path.abspath(path)
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    source, count = re.subn(r"from daskprs\.sdk import \([^)]*\)\n", AZURE_IMPORTS, source)
    if count != 1:
        raise SystemExit(f"{path}: expected one `from daskprs.sdk import (...)` statement")
    namespace = {"__file__": path, "__name__": "azure_example"}
    exec(compile(source, path, "exec"), namespace)
    job = namespace["build"]()
    print(json.dumps(job._to_dict(), default=str))


if __name__ == "__main__":
    main(sys.argv[1])
