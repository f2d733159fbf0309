"""Spec parsing: pipeline / parallel / component YAML -> :mod:`daskprs.spec.model` objects.

``load_job`` (in :mod:`daskprs.spec.load`) is the entry point; the modules follow its flow:
``overrides`` (``--set``) -> ``components`` (nodes merged with their components) -> ``keys``
(schema key sets and scalar coercion) -> ``bindings`` (``${{...}}``, ``$[[...]]``) ->
``arguments`` (the PRS runtime's own program arguments) -> ``files`` (paths, entry script) ->
``ports`` (inputs and outputs) -> ``step_common``, ``command``, ``parallel`` (one function per
YAML section of a step; defaults from ``model``) -> ``graph`` (step order, cycles).

``import daskprs.spec.model`` stays light (worker processes import it): the parser is
imported only when one of the names below is asked for.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SpecWarning", "load_job", "validate_job"]


def __getattr__(name: str) -> Any:
    if name in ("load_job", "validate_job"):
        from daskprs.spec import load

        return getattr(load, name)
    if name == "SpecWarning":
        from daskprs.spec.components import SpecWarning

        return SpecWarning
    raise AttributeError(f"module 'daskprs.spec' has no attribute {name!r}")
