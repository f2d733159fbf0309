"""``from daskprs.sdk.parallel import parallel_run_function, RunFunction``, as
``azure.ai.ml.parallel``."""

from daskprs.sdk.builders import parallel_run_function
from daskprs.sdk.entities import RunFunction
from daskprs.sdk.nodes import Parallel

__all__ = ["Parallel", "RunFunction", "parallel_run_function"]
