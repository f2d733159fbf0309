"""Which Python builds an environment: the running interpreter when it fits the conda file's
``python=`` pin, else ``pythonX.Y`` on PATH; the entry runtime needs Python 3.10 or later."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from daskprs.errors import SpecError

MIN_PYTHON = (3, 10)
_CANDIDATE_MINORS = tuple((3, m) for m in range(10, 16))
_PROBE = (
    "import json, sys; print(json.dumps([list(sys.version_info[:3]), "
    "getattr(sys, '_base_executable', sys.executable) or sys.executable]))"
)


@dataclass(frozen=True)
class Interpreter:
    version: tuple[int, int, int]
    executable: str  # the base interpreter (never a venv's python): what ``-m venv`` runs from

    @property
    def minor(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def running() -> Interpreter:
    base = getattr(sys, "_base_executable", "") or sys.executable
    v = sys.version_info
    return Interpreter((v[0], v[1], v[2]), base)


def probe(path: str) -> Interpreter | None:
    """The interpreter at ``path`` (a file or a name on PATH), or None when it does not run."""
    exe = path if os.sep in path else shutil.which(path)
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
        version, base = json.loads(out.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return Interpreter((version[0], version[1], version[2]), base)


def specifier(text: str | None, file: str, key: str) -> SpecifierSet:
    try:
        return SpecifierSet(text or "")
    except InvalidSpecifier:
        raise SpecError(
            f"python{text}: not a version such as python=3.11", file=file, key=key
        ) from None


def pinned_minor(spec: SpecifierSet) -> str | None:
    """``3.11`` for ``==3.11.*`` / ``==3.11.4``; None for ranges."""
    for s in spec:
        if s.operator == "==":
            parts = s.version.split(".")
            if len(parts) >= 2 and parts[1] != "*":
                return f"{parts[0]}.{parts[1]}"
    return None


def wanted_minor(spec: SpecifierSet) -> str:
    """The X.Y an environment for ``spec`` gets (part of its hash): the pinned one, else the
    running interpreter's when it fits, else the newest X.Y the range allows."""
    pinned = pinned_minor(spec)
    if pinned:
        return pinned
    now = running()
    if spec.contains(now.version_text, prereleases=True):
        return now.minor
    for major, minor in reversed(_CANDIDATE_MINORS):
        if spec.contains(f"{major}.{minor}.0", prereleases=True) or spec.contains(
            f"{major}.{minor}.99", prereleases=True
        ):
            return f"{major}.{minor}"
    return now.minor


def find(spec: SpecifierSet, minor: str, where: str, file: str, key: str) -> Interpreter:
    """The interpreter for an environment; a spec error naming the version when none fits."""
    major_minor = tuple(int(p) for p in minor.split("."))
    if major_minor < MIN_PYTHON:
        raise SpecError(
            f"{where} asks for Python {minor}; daskprs's entry-process runtime needs Python "
            f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]} or later",
            file=file,
            key=key,
        )
    now = running()
    if now.minor == minor and spec.contains(now.version_text, prereleases=True):
        return now
    found = probe(f"python{minor}")
    if found is not None and spec.contains(found.version_text, prereleases=True):
        return found
    seen = (
        f"python{minor} on PATH is {found.version_text}" if found else f"no python{minor} on PATH"
    )
    raise SpecError(
        f"{where} asks for Python {minor}{'' if not str(spec) else f' ({spec})'}, but this "
        f"host runs Python {now.version_text} and has {seen}; install Python {minor} (or put "
        f"python{minor} on PATH), or change the conda file's python= line",
        file=file,
        key=key,
    )
