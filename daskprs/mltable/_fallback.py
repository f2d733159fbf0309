"""``import mltable`` served by :mod:`daskprs.mltable` where the real package is not installed.

A fallback, never a shadow: :class:`MLTableFallbackFinder` is appended at the *end* of
``sys.meta_path``, after the finders that search ``sys.path``, so it is asked only when no
``mltable`` is importable from the environment; it then provides a module ``mltable`` holding
daskprs.mltable's public names (and ``mltable.mltable``, the module the real package defines them
in). The first such import writes one line to stderr (the step's user logs) saying that daskprs
serves it. Nothing named ``mltable`` is installed anywhere.

Where it is installed:
- entry-script processes: :func:`install`, called once when the process starts
  (``daskprs/runtime/child.py``);
- command steps: :func:`command_environment` puts ``_site`` first on the command's
  ``PYTHONPATH``; that folder holds only a ``sitecustomize.py``, which calls :func:`install` in
  every Python the command starts (when that Python can import daskprs) and then runs the
  ``sitecustomize`` it hides, if there is one.

``DASKPRS_MLTABLE_FALLBACK=0`` in the environment turns the fallback off.
This module imports nothing heavy (not even ``importlib.abc``: the finder and the loader follow
the protocols without subclassing): ``sitecustomize`` imports it at every interpreter start.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from types import ModuleType
from typing import Any

NAME = "mltable"
SUBMODULE = "mltable.mltable"
ENV_SWITCH = "DASKPRS_MLTABLE_FALLBACK"
SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_site")

_logged = False


def enabled(environ: Any = None) -> bool:
    value = (os.environ if environ is None else environ).get(ENV_SWITCH, "1")
    return str(value).strip().lower() not in ("0", "false", "no", "off")


class _Loader:
    """Fills the new ``mltable`` module with daskprs.mltable's public names."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        import daskprs.mltable as impl

        names = {n: getattr(impl, n) for n in impl.__all__}
        module.__dict__.update(names)
        module.__doc__ = impl.__doc__
        extra: dict[str, Any] = {"__daskprs_fallback__": True}
        if module.__name__ == NAME:
            extra["__all__"] = list(impl.__all__)
            extra["__path__"] = []  # a package, so that mltable.mltable imports
        else:
            extra["MLTableSaveOverwriteOption"] = impl.MLTableSaveOverwriteOption
        module.__dict__.update(extra)
        if module.__name__ == NAME:
            _log_once()


class MLTableFallbackFinder:
    """Finds ``mltable`` (and ``mltable.mltable``) only when nothing before it on
    ``sys.meta_path`` did."""

    daskprs_mltable_fallback = True

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == NAME or (
            fullname == SUBMODULE and getattr(sys.modules.get(NAME), "__daskprs_fallback__", False)
        ):
            loader: Any = _Loader()
            return importlib.machinery.ModuleSpec(
                fullname, loader, origin="daskprs.mltable (fallback)"
            )
        return None


def _log_once() -> None:
    global _logged
    if _logged:
        return
    _logged = True
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("daskprs")
    except PackageNotFoundError:
        ours = "?"
    sys.stderr.write(
        f"daskprs: `import mltable` is served by daskprs.mltable (daskprs {ours}): the mltable "
        f"package is not installed for {sys.executable}; see docs/mltable.md\n"
    )
    sys.stderr.flush()


def install() -> bool:
    """Append the fallback finder to ``sys.meta_path`` (once); False when turned off."""
    if not enabled():
        return False
    if not any(getattr(f, "daskprs_mltable_fallback", False) for f in sys.meta_path):
        sys.meta_path.append(MLTableFallbackFinder())
    return True


def command_environment(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a command step's subprocess: ``_site`` first on ``PYTHONPATH``."""
    if not enabled(env):
        return env
    current = env.get("PYTHONPATH", "")
    parts = [p for p in current.split(os.pathsep) if p and p != SITE_DIR]
    return {**env, "PYTHONPATH": os.pathsep.join([SITE_DIR, *parts])}
