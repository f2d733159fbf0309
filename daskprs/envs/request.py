"""What to build for one environment and its content hash.

The hash covers what decides the environment's content: the requirements derived from the
conda file (its pip entries verbatim and its mapped conda packages, in order), the Python
version (X.Y), the runtime's requirements and daskprs's version. Comments, the file's name or
location, ``image:`` and unmapped conda packages do not change it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass

from daskprs.envs import interpreters
from daskprs.envs.conda import CondaSpec
from daskprs.envs.requirements import RUNTIME_REQUIREMENTS, runtime_conflicts
from daskprs.errors import SpecError

FORMAT = 1  # bump when the layout of a built environment changes


@dataclass(frozen=True)
class EnvRequest:
    """One environment to build or reuse: plain data (shipped to workers in cluster mode)."""

    key: str  # the content hash: the environment's folder name under the env dir
    python: str  # X.Y
    python_spec: str  # PEP 440 specifier from the conda file ("" when it has none)
    requirements: tuple[str, ...]  # the user's: mapped conda packages, then pip entries
    runtime: tuple[str, ...]  # the entry runtime's own, beside the user's
    conda_file: str  # for messages: the file (or the YAML holding an inline spec)
    workdir: str  # relative paths in pip entries (-r, ./pkg) are relative to it
    unmapped: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def daskprs_version() -> str:
    from daskprs import __version__

    return __version__


def make_request(conda: CondaSpec, where: str, key: str) -> EnvRequest:
    """The request for a conda file; spec errors for a bad python pin or a pin that the
    runtime cannot work with (both named)."""
    spec = interpreters.specifier(conda.python, conda.file, key)
    minor = interpreters.wanted_minor(spec)
    if tuple(int(p) for p in minor.split(".")) < interpreters.MIN_PYTHON:
        interpreters.find(spec, minor, where, conda.file, key)  # raises, naming the version
    conflicts = runtime_conflicts(conda.requirements)
    if conflicts:
        raise SpecError(
            f"{where}: " + "; ".join(map(str, conflicts)) + " (pandas 2 or 3, pyarrow 14 or "
            "later); relax the pin, or run the step with --environments current",
            file=conda.file,
            key="dependencies",
        )
    content = {
        "format": FORMAT,
        "python": minor,
        "python_spec": str(spec),
        "requirements": list(conda.requirements),
        "runtime": list(RUNTIME_REQUIREMENTS),
        "daskprs": daskprs_version(),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
    return EnvRequest(
        key=f"py{minor}-{digest}",
        python=minor,
        python_spec=str(spec),
        requirements=conda.requirements,
        runtime=RUNTIME_REQUIREMENTS,
        conda_file=conda.file,
        workdir=os.path.dirname(conda.file) if os.path.isabs(conda.file) else os.getcwd(),
        unmapped=conda.unmapped,
    )
