"""Build an environment once, reuse it untouched: ``<env dir>/<key>/`` is a virtual
environment holding the user's requirements and the runtime's; ``daskprs-env.json`` in it says
it is complete.

A build runs under an exclusive file lock (``fcntl.flock`` on ``.locks/<key>.lock``), so two
jobs or two workers on one host build it once; it is made in ``.tmp/`` and renamed into place,
so a half-built environment is never used. ``uv`` builds it when available (``daskprs[envs]``,
or ``uv`` on PATH), else ``python -m venv`` and pip, both with pip's configured indexes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from daskprs.envs import interpreters, overlay
from daskprs.envs.request import EnvRequest
from daskprs.envs.requirements import RUNTIME_IMPORTS

MARKER = "daskprs-env.json"
BUILDER_ENV = "DASKPRS_ENV_BUILDER"  # "uv" or "pip": force one (default: uv when available)


class EnvBuildError(Exception):
    """The installer failed; ``resolver`` is its own message, ``log`` the full build log."""

    def __init__(self, resolver: str, log: str) -> None:
        super().__init__(resolver, log)
        self.resolver = resolver
        self.log = log

    def __str__(self) -> str:
        return f"{self.resolver} (build log: {self.log})"


@dataclass(frozen=True)
class Built:
    """A ready environment and how this lookup got it."""

    key: str
    path: str  # the environment's root
    python: str  # its interpreter: <path>/bin/python
    python_version: str
    built: bool  # True: this call built it; False: reused
    build_seconds: float  # the build's own duration (also when reused)
    lookup_seconds: float  # this call: finding and verifying (plus building, when built)
    builder: str
    log: str  # the build log
    pythonpath: str  # daskprs's runtime for this interpreter (overlay)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hash": self.key,
            "path": self.path,
            "python": self.python,
            "python_version": self.python_version,
            "built": self.built,
            "build_seconds": round(self.build_seconds, 3),
            "lookup_seconds": round(self.lookup_seconds, 4),
            "builder": self.builder,
        }


def default_env_dir() -> str:
    return os.environ.get("DASKPRS_ENV_DIR") or os.path.join("~", ".cache", "daskprs", "envs")


def read_marker(env_path: str) -> dict[str, Any] | None:
    """The marker of a complete environment whose interpreter still exists, else None."""
    try:
        with open(os.path.join(env_path, MARKER), encoding="utf-8") as fh:
            info: dict[str, Any] = json.load(fh)
    except (OSError, ValueError):
        return None
    if not os.path.exists(os.path.join(env_path, "bin", "python")):  # base Python removed
        return None
    return info


@contextlib.contextmanager
def locked(env_dir: str, key: str) -> Iterator[None]:
    os.makedirs(os.path.join(env_dir, ".locks"), exist_ok=True)
    with open(os.path.join(env_dir, ".locks", f"{key}.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(req: EnvRequest, env_dir: str, where: str = "") -> Built:
    """The environment for ``req`` under ``env_dir``: reused when complete, else built (once,
    whoever else asks at the same time). Raises EnvBuildError or SpecError (wrong python)."""
    t0 = time.monotonic()
    env_dir = os.path.abspath(os.path.expanduser(env_dir))
    path = os.path.join(env_dir, req.key)
    log = os.path.join(env_dir, ".logs", f"{req.key}.log")
    info = read_marker(path)
    built = False
    if info is None:
        with locked(env_dir, req.key):
            info = read_marker(path)  # built while we waited for the lock
            if info is None:
                info = _build(req, env_dir, path, log, where)
                built = True
    pythonpath = overlay.ensure_overlay(env_dir)
    _touch_used(env_dir, req.key)
    return Built(
        key=req.key,
        path=path,
        python=os.path.join(path, "bin", "python"),
        python_version=str(info.get("python_version", req.python)),
        built=built,
        build_seconds=float(info.get("build_seconds", 0.0)),
        lookup_seconds=time.monotonic() - t0,
        builder=str(info.get("builder", "")),
        log=log,
        pythonpath=pythonpath,
    )


def _touch_used(env_dir: str, key: str) -> None:
    """Last use, for ``daskprs env prune --days``: a stamp beside the environment, not in it."""
    stamp = os.path.join(env_dir, ".used", key)
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(stamp), exist_ok=True)
        with open(stamp, "a"):
            os.utime(stamp)


def _build(req: EnvRequest, env_dir: str, path: str, log: str, where: str) -> dict[str, Any]:
    t0 = time.monotonic()
    spec = interpreters.specifier(req.python_spec, req.conda_file, "dependencies")
    base = interpreters.find(spec, req.python, where or req.conda_file, req.conda_file, "python")
    tmp_root = os.path.join(env_dir, ".tmp")
    os.makedirs(tmp_root, exist_ok=True)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    for stale in os.listdir(tmp_root):  # a build killed midway (we hold the lock)
        if stale.startswith(f"{req.key}-"):
            shutil.rmtree(os.path.join(tmp_root, stale), ignore_errors=True)
    tmp = os.path.join(tmp_root, f"{req.key}-{os.getpid()}")
    builder = _builder()
    with open(log, "w", encoding="utf-8") as fh:
        fh.write(f"# daskprs environment {req.key} for {req.conda_file}\n")
        fh.write(f"# python {base.version_text} ({base.executable}); builder {builder[0]}\n")
        fh.write("# requirements:\n" + "".join(f"#   {r}\n" for r in req.requirements))
        fh.write("# runtime:\n" + "".join(f"#   {r}\n" for r in req.runtime))
        for r in req.unmapped:
            fh.write(f"# not installed (a conda package with no PyPI equivalent here): {r}\n")
        fh.flush()
        try:
            reqs_file = os.path.join(tmp_root, f"{req.key}-{os.getpid()}.requirements.txt")
            with open(reqs_file, "w", encoding="utf-8") as rf:
                rf.write("\n".join((*req.requirements, *req.runtime)) + "\n")
            packages = _install(builder, base.executable, tmp, reqs_file, req.workdir, fh, log)
            _check_runtime(tmp, env_dir, fh, log)
            info = {
                "key": req.key,
                "python_version": base.version_text,
                "base_python": base.executable,
                "builder": builder[0],
                "requirements": list(req.requirements),
                "runtime": list(req.runtime),
                "conda_file": req.conda_file,
                "packages": packages,
                "created": time.time(),
                "build_seconds": round(time.monotonic() - t0, 3),
            }
            with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as mf:
                json.dump(info, mf, indent=2)
            _relocate(tmp, path)
            os.rename(tmp, path)  # the commit: from here on it is used
            fh.write(f"# built in {info['build_seconds']} s: {path}\n")
            return info
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            with contextlib.suppress(OSError):
                os.remove(reqs_file)


def _builder() -> tuple[str, str]:
    """("uv", path to uv) or ("pip", "")."""
    forced = os.environ.get(BUILDER_ENV, "").strip().lower()
    if forced == "pip":
        return ("pip", "")
    uv = ""
    with contextlib.suppress(ImportError, FileNotFoundError):
        from uv import find_uv_bin

        uv = find_uv_bin()
    uv = uv or shutil.which("uv") or ""
    if uv:
        return ("uv", uv)
    if forced == "uv":
        raise EnvBuildError(f"{BUILDER_ENV}=uv but uv is not installed (pip install uv)", "")
    return ("pip", "")


def _run(cmd: list[str], fh: Any, log: str, cwd: str | None = None, env: Any = None) -> str:
    fh.write("$ " + " ".join(cmd) + "\n")
    fh.flush()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    fh.write(proc.stdout + proc.stderr)
    fh.flush()
    if proc.returncode != 0:
        raise EnvBuildError(resolver_message(proc.stderr or proc.stdout), log)
    return proc.stdout


def _install(
    builder: tuple[str, str], base: str, tmp: str, reqs: str, workdir: str, fh: Any, log: str
) -> dict[str, str]:
    python = os.path.join(tmp, "bin", "python")
    cwd = workdir if os.path.isdir(workdir) else None
    if builder[0] == "uv":
        uv = builder[1]
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
        env.pop("VIRTUAL_ENV")
        _run([uv, "venv", "--seed", "--python", base, tmp], fh, log, env=env)
        # bytecode now: entry processes start fresh interpreters, and a Python that may not
        # write __pycache__ (PYTHONDONTWRITEBYTECODE, a read-only env) would compile pandas
        # on every start (seconds)
        cmd = [uv, "pip", "install", "--python", python, "--compile-bytecode"]
        cmd += [*_uv_index_args(), "-r", reqs]
        _run(cmd, fh, log, cwd=cwd, env=env)
        listing = _run([uv, "pip", "list", "--python", python, "--format", "json"], fh, log)
    else:
        _run([base, "-m", "venv", tmp], fh, log)
        pip = [python, "-m", "pip", "--disable-pip-version-check", "--no-input"]
        _run([*pip, "install", "-r", reqs], fh, log, cwd=cwd)  # compiles bytecode
        listing = _run([*pip, "list", "--format", "json"], fh, log)
    try:
        return {p["name"]: p["version"] for p in json.loads(listing)}
    except (ValueError, KeyError, TypeError):
        return {}


def _uv_index_args() -> list[str]:
    """pip's configured indexes for uv (which does not read pip.conf): index-url,
    extra-index-url and find-links from ``pip config list``, all searched as pip does
    (``--index-strategy unsafe-best-match``: the best version from any index)."""
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    flags = {"index-url": "--index-url", "extra-index-url": "--extra-index-url"}
    flags["find-links"] = "--find-links"
    args: list[str] = ["--index-strategy", "unsafe-best-match"]
    seen: set[tuple[str, str]] = set()
    for line in out.splitlines():
        name, _, value = line.partition("=")
        option = name.rsplit(".", 1)[-1]
        if option not in flags:
            continue
        for v in value.strip().strip("'\"").split():
            if (option, v) not in seen:
                seen.add((option, v))
                args += [flags[option], v]
    return args


def resolver_message(output: str) -> str:
    """The installer's own error lines (pip's ``ERROR:``, uv's ``×`` block), else its tail."""
    lines = [ln.rstrip() for ln in output.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    if errors:
        return "\n".join(errors[-6:])
    for i, ln in enumerate(lines):
        if ln.lstrip().startswith(("×", "error:")):
            return "\n".join(lines[i : i + 12])
    return "\n".join(lines[-10:])


def _check_runtime(tmp: str, env_dir: str, fh: Any, log: str) -> None:
    """The entry runtime imports in the new environment (without Dask): else a build error."""
    code = "import " + ", ".join(RUNTIME_IMPORTS) + "; import daskprs.runtime.child"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    runtime = overlay.ensure_overlay(env_dir)
    env["PYTHONPATH"] = runtime
    python = os.path.join(tmp, "bin", "python")
    _run([python, "-m", "compileall", "-q", runtime], fh, log, env=env)  # for its version
    _run([python, "-c", code], fh, log, env=env)


_SHEBANG_MAX = 127  # Linux reads at most this much of a #! line


def _relocate(tmp: str, final: str) -> None:
    """Scripts in bin/ name the temporary folder (shebangs, activate): point them at the
    final one (a too long shebang becomes pip's /bin/sh trampoline)."""
    old, new = tmp.encode(), final.encode()
    bindir = os.path.join(tmp, "bin")
    for name in os.listdir(bindir):
        p = os.path.join(bindir, name)
        if os.path.islink(p) or not os.path.isfile(p) or os.path.getsize(p) > 1 << 20:
            continue
        with open(p, "rb") as fh:
            data = fh.read()
        if old not in data:
            continue
        data = data.replace(old, new)
        first, _, rest = data.partition(b"\n")
        if first.startswith(b"#!") and len(first) > _SHEBANG_MAX and b" " not in first[2:]:
            exe = first[2:].decode()
            data = f"#!/bin/sh\n'''exec' \"{exe}\" \"$0\" \"$@\"\n' '''\n".encode() + rest
        with open(p, "wb") as fh:
            fh.write(data)
    cfg = os.path.join(tmp, "pyvenv.cfg")
    if os.path.exists(cfg):
        with open(cfg, "rb") as fh:
            data = fh.read()
        with open(cfg, "wb") as fh:
            fh.write(data.replace(old, new))
