"""Per-step environments for one run: which Python each step runs in, decided (and built)
before any step runs.

``--environments current`` (the default): every step runs in the driver's Python; a step
whose conda file asks for packages this environment does not satisfy gets a warning.
``--environments build``: each distinct conda file gets a cached virtual environment
(:mod:`daskprs.envs.build`); on a cluster, parallel steps' environments are built by every
worker on first use instead (:mod:`daskprs.envs.cluster`). ``--env-python NAME=PATH`` maps a
registered environment (``azureml:NAME:VERSION``) to a local interpreter, in either mode.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from daskprs.envs import build, overlay, requirements
from daskprs.envs.conda import CondaSpec, parse_conda, read_conda_file
from daskprs.envs.request import EnvRequest, make_request
from daskprs.errors import SpecError
from daskprs.spec.model import EnvironmentRef, PipelineJob

MODES = ("current", "build")
LOG_DIR = os.path.join("sys", "environment")  # in a step's logs tree


class EnvironmentWarning(UserWarning):
    """A step's environment is not what will run it (current mode, an unmapped reference)."""


@dataclass(frozen=True)
class EnvOptions:
    mode: str = "current"
    env_dir: str | None = None  # None: $DASKPRS_ENV_DIR or ~/.cache/daskprs/envs
    env_python: Mapping[str, str] = field(default_factory=dict)  # registered name -> python

    @classmethod
    def coerce(cls, value: EnvOptions | str | None, **kw: Any) -> EnvOptions:
        if isinstance(value, EnvOptions):
            return value
        opts = cls(mode=value or "current", **{k: v for k, v in kw.items() if v is not None})
        if opts.mode not in MODES:
            raise SpecError(f"environments must be one of {', '.join(MODES)}; got {opts.mode!r}")
        return opts

    @property
    def directory(self) -> str:
        """As given (``~`` unexpanded: on a cluster each worker expands its own)."""
        return self.env_dir or build.default_env_dir()


@dataclass
class StepEnv:
    """How one step's environment was resolved; ``as_dict`` goes to job.json and the report."""

    step: str
    mode: str  # "current" | "build" | "interpreter"
    ref: EnvironmentRef
    python: str | None = None  # the entry processes' interpreter; None: the driver's Python
    pythonpath: str = ""  # daskprs's runtime for that interpreter
    built: build.Built | None = None
    request: EnvRequest | None = None
    remote: bool = False  # built by each worker when the step starts
    unsatisfied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def interpreter(self) -> tuple[str, str] | None:
        return (self.python, self.pythonpath) if self.python else None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mode": self.mode}
        for k in ("conda_file", "image", "reference"):
            if getattr(self.ref, k):
                d[k] = getattr(self.ref, k)
        if self.built is not None:
            d.update(self.built.as_dict())
        elif self.request is not None:
            d["hash"] = self.request.key
        if self.python and "python" not in d:
            d["python"] = self.python
        if self.mode == "current":
            d["python"] = sys.executable
            d["python_version"] = sys.version.split()[0]
        for k in ("unsatisfied", "notes", "workers"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        return d


def prepare_environments(
    job: PipelineJob,
    options: EnvOptions,
    *,
    local: bool = True,
    message: Callable[[str], None] = lambda _text: None,
) -> dict[str, StepEnv]:
    """Every step's environment, built (or found) now when ``local``; spec errors (exit 2)
    for a bad conda file, a wrong python or an environment the installer cannot build."""
    out: dict[str, StepEnv] = {}
    done: dict[str, build.Built] = {}
    for name, step in job.steps.items():
        ref = step.environment
        if ref is None:
            continue
        env = StepEnv(name, "current", ref)
        out[name] = env
        if ref.reference is not None:
            _map_reference(env, options, message)
            continue
        if ref.conda_file is None and ref.conda is None:
            if ref.image:
                env.notes.append(f"image {ref.image} is recorded, not used")
            continue
        conda = _conda(ref)
        where = f"step {name!r} ({ref.file}: {ref.key})"
        if options.mode == "current":
            env.unsatisfied = requirements.unsatisfied(conda.requirements)
            if env.unsatisfied:
                _warn(
                    f"step {name!r}: the current environment does not satisfy "
                    f"{', '.join(env.unsatisfied)} from {conda.file}; run with "
                    "--environments build to build that environment"
                )
            continue
        env.mode, env.request = "build", make_request(conda, where, ref.key)
        if conda.unmapped:
            env.notes.append(
                "conda packages not installed (no PyPI equivalent in the table): "
                + ", ".join(conda.unmapped)
            )
        if step.type == "parallel" and not local:
            env.remote = True  # each worker builds or reuses it when the step starts
            continue
        key = env.request.key
        if key in done:
            env.built = dataclasses.replace(done[key], built=False, lookup_seconds=0.0)
        else:
            if build.read_marker(os.path.join(_expand(options.directory), key)) is None:
                message(f"building the environment of step {name} ({conda.file}) ...")
            env.built = done[key] = build_or_fail(env.request, options.directory, where)
            how = "built" if env.built.built else "reused"
            seconds = env.built.build_seconds if env.built.built else env.built.lookup_seconds
            message(f"environment {key} for step {name}: {how} ({seconds:.3g} s)")
        env.python, env.pythonpath = env.built.python, env.built.pythonpath
    return out


def build_or_fail(req: EnvRequest, env_dir: str, where: str) -> build.Built:
    try:
        return build.ensure(req, env_dir, where)
    except build.EnvBuildError as exc:
        raise SpecError(
            f"{where}: the environment of {req.conda_file} cannot be built; the installer "
            f"said:\n{exc.resolver}\n(full build log: {exc.log})",
            file=req.conda_file,
        ) from None


def _expand(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


def _warn(text: str) -> None:
    warnings.warn(text, EnvironmentWarning, stacklevel=3)


def _conda(ref: EnvironmentRef) -> CondaSpec:
    if ref.conda is None and ref.conda_file is not None:  # unreadable: the error names why
        return read_conda_file(ref.conda_file)
    return parse_conda(ref.conda, ref.conda_file or f"{ref.file} ({ref.key}.conda_file)")


def _names(reference: str) -> list[str]:
    """The names a registered reference answers to in --env-python: the full reference and
    its name with and without version (azureml:name:1, azureml:name@latest)."""
    bare = reference.split(":", 1)[1] if reference.startswith("azureml:") else reference
    name = bare.replace("@", ":").split(":")[0]
    return [reference, bare, name]


def _map_reference(env: StepEnv, options: EnvOptions, message: Callable[[str], None]) -> None:
    reference = env.ref.reference or ""
    path = next((options.env_python[n] for n in _names(reference) if n in options.env_python), "")
    if not path:
        if options.mode == "build":
            _warn(
                f"step {env.step!r}: {reference} is a registered environment, which daskprs "
                f"cannot build; it runs in the current environment (map it to a local Python "
                f"with --env-python {_names(reference)[-1]}=/path/to/python)"
            )
            env.notes.append(f"{reference} is not mapped: runs in the current environment")
        return
    exe = path if os.sep in path else shutil.which(path) or path
    pythonpath = overlay.ensure_overlay(_expand(options.directory))
    _check_interpreter(env, exe, pythonpath)
    env.mode, env.python, env.pythonpath = "interpreter", exe, pythonpath
    message(f"step {env.step}: {reference} runs in {exe} (--env-python)")


def _check_interpreter(env: StepEnv, exe: str, pythonpath: str) -> None:
    code = "import " + ", ".join(requirements.RUNTIME_IMPORTS) + "; import daskprs.runtime.child"
    run_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run_env["PYTHONPATH"] = pythonpath
    try:
        proc = subprocess.run(
            [exe, "-c", code], capture_output=True, text=True, env=run_env, timeout=120
        )
        error = []
        if proc.returncode:
            error = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
    except (OSError, subprocess.TimeoutExpired) as exc:
        error = [str(exc)]
    if error:
        raise SpecError(
            f"--env-python for {env.ref.reference}: {exe} cannot run daskprs's entry runtime "
            f"({error[0]}); it needs {', '.join(requirements.RUNTIME_REQUIREMENTS)}",
            file=env.ref.file,
            key=env.ref.key,
        )
