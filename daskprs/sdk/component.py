"""``load_component``: a component YAML file (``type: command`` or ``type: parallel``) as a
function; calling it makes a node that refers to the file (``component: <file>``)."""

from __future__ import annotations

import os
from typing import IO, Any

import daskprs.safe_yaml as safe_yaml
from daskprs.sdk import _context
from daskprs.sdk.io import Input, Output
from daskprs.sdk.nodes import BaseNode, Command, Parallel


class Component:
    """A loaded component: ``name``, ``version``, ``type``, declared ``inputs``/``outputs``.
    Call it with its inputs as keyword arguments to make a node."""

    def __init__(self, path: str, body: dict[str, Any]) -> None:
        self.path = path
        self.type = str(body.get("type", "command"))
        self.name = body.get("name")
        self.version = body.get("version")
        self.display_name = body.get("display_name")
        self.description = body.get("description")
        self.inputs: dict[str, Input] = {
            k: Input(**(v if isinstance(v, dict) else {})) for k, v in _ports(body, "inputs")
        }
        self.outputs: dict[str, Output] = {
            k: Output(**(v if isinstance(v, dict) else {})) for k, v in _ports(body, "outputs")
        }
        self._body = body

    def __call__(self, *args: Any, **kwargs: Any) -> BaseNode:
        if args:
            raise TypeError(
                f"component {self.name or self.path} takes its inputs as keyword arguments "
                f"({', '.join(self.inputs) or 'none'})"
            )
        unknown = [k for k in kwargs if k not in self.inputs]
        if unknown:
            raise TypeError(
                f"component {self.name or self.path} got unexpected input(s) "
                f"{', '.join(map(repr, unknown))}; its inputs: {', '.join(self.inputs) or 'none'}"
            )
        cls: type[BaseNode]
        if self.type == "parallel":
            cls = Parallel
        elif self.type == "command":
            cls = Command
        else:
            raise ValueError(
                f"{self.path}: components of type {self.type!r} are not supported by daskprs "
                "(command and parallel are)"
            )
        node = cls(
            inputs=dict(kwargs),
            input_ports=dict(self.inputs),
            output_ports=dict(self.outputs),
            component_path=self.path,
            component_name=self.name,
        )
        _context.register(node)
        return node

    def __repr__(self) -> str:
        return f"Component(name={self.name!r}, type={self.type!r}, path={self.path!r})"


def _ports(body: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    ports = body.get(key) or {}
    return list(ports.items()) if isinstance(ports, dict) else []


def load_component(
    source: str | os.PathLike[str] | IO[Any] | None = None,
    *,
    relative_origin: str | None = None,
    params_override: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Component:
    """Load a component YAML (``azure.ai.ml.load_component``). Relative paths inside it
    (``code``, ``conda_file``) stay relative to the file, as in Azure."""
    if source is None:
        raise ValueError("load_component needs a source: the path of a component YAML file")
    if params_override:
        raise ValueError(
            "params_override is not supported by daskprs: set the values on the node instead "
            "(node.compute = ..., node.resources.instance_count = ...)"
        )
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        if not isinstance(name, str):
            raise ValueError("load_component needs a file path (or a file opened from one)")
        source = name
    path = os.path.abspath(os.fspath(source))
    body = safe_yaml.load_file(path)
    if not isinstance(body, dict):
        raise ValueError(f"{path}: a component YAML must be a mapping")
    return Component(path, body)
