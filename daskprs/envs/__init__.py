"""Per-step environments (``--environments build``): a step's conda file becomes a cached
virtual environment its entry processes and command run in.

Modules: ``conda`` (conda files, the conda -> PyPI table), ``requirements`` (the runtime's
requirements, the current-mode check), ``interpreters`` (which Python), ``request`` (what to
build, its hash), ``build`` (uv or venv + pip, locked, atomic), ``overlay`` (daskprs's own
code for other interpreters), ``cache`` (list / prune), ``prepare`` (one run's steps),
``cluster`` (per-worker builds), ``run`` (what the engine holds), ``cli``.
"""

from daskprs.envs.prepare import EnvironmentWarning, EnvOptions, StepEnv, prepare_environments
from daskprs.envs.run import RunEnvironments

__all__ = [
    "EnvOptions",
    "EnvironmentWarning",
    "RunEnvironments",
    "StepEnv",
    "prepare_environments",
]
