"""Spec parsing: pipeline / parallel / component YAML -> :mod:`daskprs.spec.model` objects.

``load_job`` (in :mod:`daskprs.spec.load`) is the entry point; the modules follow its flow:
``overrides`` (``--set``) -> ``components`` (nodes merged with their components) -> ``keys``
(schema key sets and scalar coercion) -> ``bindings`` (``${{...}}``, ``$[[...]]``) ->
``arguments`` (the PRS runtime's own program arguments) -> ``files`` (paths, entry script) ->
``graph`` (step order, cycles).
"""

from daskprs.spec.components import SpecWarning
from daskprs.spec.load import load_job, validate_job

__all__ = ["SpecWarning", "load_job", "validate_job"]
