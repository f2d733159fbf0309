"""Requirements: what the entry-process runtime needs in a built environment, how it meets the
user's pins, and which of a step's requirements the current environment does not satisfy.

The runtime (``daskprs.runtime.child`` and the data loading path) imports pandas, pyarrow,
pyyaml, fsspec and psutil, never Dask, distributed or cloudpickle, so a step may pin versions
of those that the driver cannot hold. The user's pins always win: the runtime's own ranges are
added beside them for the resolver, and a pin outside a runtime range is a spec error.
"""

from __future__ import annotations

import importlib.metadata as metadata
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# daskprs's own dependencies minus dask and the driver-only ones (tqdm): keep in step with
# pyproject.toml (tests/envs checks it).
RUNTIME_REQUIREMENTS: tuple[str, ...] = (
    "pandas>=2.0",
    "pyarrow>=14",
    "pyyaml>=6",
    "fsspec>=2024.2",
    "psutil>=5.9",
)
# what the built environment must be able to import for the runtime to start
RUNTIME_IMPORTS: tuple[str, ...] = ("pandas", "pyarrow", "yaml", "fsspec", "psutil")


def parse(line: str) -> Requirement | None:
    """The requirement in a pip line; None for options (``--index-url``, ``-r``), bare URLs
    and paths, which the installer reads but nothing can check beforehand."""
    text = line.split(" #")[0].strip()
    if not text or text.startswith(("-", "#", ".", "/")) or "://" in text.split("@")[0]:
        return None
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


@dataclass(frozen=True)
class Conflict:
    user: str
    runtime: str

    def __str__(self) -> str:
        return (
            f"{self.user!r} conflicts with {self.runtime!r}, which daskprs's entry-process "
            "runtime needs"
        )


def runtime_conflicts(user_requirements: tuple[str, ...]) -> list[Conflict]:
    """Exact pins (``pandas==1.1.5``) outside the runtime's ranges: errors found without asking
    an index. Ranges that do not meet are left to the resolver, which names both."""
    runtime = {canonicalize_name(Requirement(r).name): Requirement(r) for r in RUNTIME_REQUIREMENTS}
    out: list[Conflict] = []
    for line in user_requirements:
        req = parse(line)
        if req is None or canonicalize_name(req.name) not in runtime:
            continue
        ours = runtime[canonicalize_name(req.name)]
        for spec in req.specifier:
            exact = spec.operator in ("==", "===") and "*" not in spec.version
            if exact and not ours.specifier.contains(spec.version, prereleases=True):
                out.append(Conflict(line, str(ours)))
    return out


def unsatisfied(requirements: tuple[str, ...]) -> list[str]:
    """The requirements this Python environment does not satisfy, each with what is installed,
    e.g. ``cloudpickle==2.2.1 (3.1.1 installed)`` or ``lightgbm (not installed)``."""
    out: list[str] = []
    for line in requirements:
        req = parse(line)
        if req is None:
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(f"{line} (not installed)")
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            out.append(f"{line} ({version} installed)")
    return out
