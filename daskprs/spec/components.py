"""Component references (``component: ./file.yml`` or an inline mapping) merged under their node.

A node's own settings win over its component's; ``task``, ``resources`` and ``retry_settings``
merge key by key. Every merged value remembers where it came from (file and dotted key), so an
error names the file the user has to edit, and relative paths resolve against that file.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.spec import keys as K
from daskprs.spec.keys import Where

_NESTED = ("task", "resources", "retry_settings")


class SpecWarning(UserWarning):
    """Something in a spec is accepted (as Azure accepts it) but probably not what was meant."""


@dataclass
class Node:
    """One step before resolution: its settings merged with its component's."""

    name: str
    kind: str  # "parallel" | "command"
    where: Where  # the node in its pipeline file (jobs.<name>) or the standalone file
    settings: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Where] = field(default_factory=dict)  # "task.code" -> where it was set
    in_ports: dict[str, dict[str, Any]] = field(default_factory=dict)  # component inputs
    out_ports: dict[str, dict[str, Any]] = field(default_factory=dict)  # component outputs
    in_values: dict[str, Any] = field(default_factory=dict)  # the node's own inputs
    out_values: dict[str, Any] = field(default_factory=dict)  # the node's own outputs
    component_file: str | None = None
    cloud: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        head, _, tail = key.partition(".")
        value = self.settings.get(head)
        if tail:
            return value.get(tail, default) if isinstance(value, dict) else default
        return default if value is None else value

    def at(self, key: str) -> Where:
        """Where ``key`` (dotted, e.g. ``retry_settings.timeout``) was set, or would be set."""
        found = self.origin.get(key)
        if found is not None:
            return found
        head, _, tail = key.partition(".")
        parent = self.origin.get(head)
        if parent is not None:
            return parent / tail if tail else parent
        return self.where / key

    def written(self) -> dict[str, Any]:
        """The node as written, its component merged underneath (settings, then its own
        inputs and outputs): recorded in job.json for the report's settings view."""
        out: dict[str, Any] = {"type": self.kind, **self.settings}
        if self.in_values:
            out["inputs"] = dict(self.in_values)
        if self.out_values:
            out["outputs"] = dict(self.out_values)
        return out

    def base_dir(self, key: str) -> str:
        return os.path.dirname(self.at(key).file)

    def absorb(self, body: dict[str, Any], at: Where, skip: frozenset[str]) -> None:
        """Lay ``body``'s settings over the current ones, recording where each came from."""
        for key, value in body.items():
            if key in skip:
                continue
            if (
                key in _NESTED
                and isinstance(value, dict)
                and isinstance(self.settings.get(key), dict)
            ):
                merged = dict(self.settings[key])
                merged.update(value)
                self.settings[key] = merged
            else:
                self.settings[key] = value
            self.origin[key] = at / key
            if isinstance(value, dict):
                for sub in value:
                    self.origin[f"{key}.{sub}"] = at / key / str(sub)


def read_yaml(path: str, where: Where) -> dict[str, Any]:
    """A YAML file that must hold a mapping (errors name ``where``, the referencing key)."""
    try:
        doc = safe_yaml.load_file(path)
    except FileNotFoundError:
        where.fail(f"file not found: {path}")
    except IsADirectoryError:
        where.fail(f"{path} is a folder, not a YAML file")
    except safe_yaml.YamlRefused as exc:
        Where(path).fail(str(exc))
    except yaml.YAMLError as exc:
        Where(path).fail(f"not valid YAML: {exc}")
    if not isinstance(doc, dict):
        Where(path).fail(f"must be a YAML mapping, got {type(doc).__name__}")
    return doc


def load_component(ref: Any, base_dir: str, where: Where) -> tuple[dict[str, Any], Where]:
    """The component body and the place its keys are reported from."""
    if isinstance(ref, dict):
        return ref, where
    if not isinstance(ref, str) or not ref.strip():
        where.fail(f"must be a path to a component YAML file or an inline component, got {ref!r}")
    ref = ref.strip()
    if ref.startswith("file:"):
        ref = ref[len("file:") :]
    if ref.startswith("azureml:"):
        where.fail(
            f"{ref!r} refers to a component registered in an Azure ML workspace or registry, "
            "which daskprs cannot fetch; download its YAML (az ml component show) and reference "
            "the local file instead, e.g. component: ./components/score.yml"
        )
    path = os.path.normpath(os.path.join(base_dir, ref))
    return read_yaml(path, where), Where(path)


def check_ports(
    body: dict[str, Any], at: Where, kind: str
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Validate a component's ``inputs`` / ``outputs`` port declarations."""
    ins = K.as_mapping(body.get("inputs"), at / "inputs", "inputs")
    outs = K.as_mapping(body.get("outputs"), at / "outputs", "outputs")
    in_ports: dict[str, dict[str, Any]] = {}
    for name, port in ins.items():
        w = at / "inputs" / name
        port = K.as_mapping(port, w, f"input {name!r}")
        K.check_keys(port, K.LITERAL_INPUT_KEYS | K.DATA_INPUT_KEYS, w, f"component input {name!r}")
        typ = port.get("type")
        if typ not in K.DATA_TYPES + K.LITERAL_TYPES:
            (w / "type").fail(
                f"must be one of {', '.join(K.DATA_TYPES + K.LITERAL_TYPES)}; got {typ!r}"
            )
        if "optional" in port:
            port["optional"] = K.as_bool(port["optional"], w / "optional")
        in_ports[name] = port
    out_ports: dict[str, dict[str, Any]] = {}
    for name, port in outs.items():
        w = at / "outputs" / name
        port = K.as_mapping(port, w, f"output {name!r}")
        K.check_keys(port, K.OUTPUT_KEYS, w, f"component output {name!r}")
        typ = port.get("type", "uri_folder")
        if typ not in K.OUTPUT_TYPES + K.LITERAL_TYPES:
            (w / "type").fail(f"must be one of {', '.join(K.OUTPUT_TYPES)}; got {typ!r}")
        out_ports[name] = port
    return in_ports, out_ports


def _node_kind(raw: dict[str, Any], comp_body: dict[str, Any] | None, where: Where) -> str:
    """``parallel`` or ``command``: the step's ``type``, else its component's."""
    kind = raw.get("type")
    if comp_body is not None:
        comp_type = comp_body.get("type", "command")
        if kind is None:
            kind = comp_type
        if comp_type != kind:
            (where / "type").fail(
                f"the step is type {kind!r} but its component is type {comp_type!r}; they must match"
            )
    if kind is None:
        (where / "type").fail("is required: parallel or command")
    if kind in K.UNSUPPORTED_STEP_TYPES:
        (where / "type").fail(
            f"type {kind!r} is not supported by daskprs: {K.UNSUPPORTED_STEP_TYPES[kind]}"
        )
    if kind not in ("parallel", "command"):
        (where / "type").fail(f"must be parallel or command; got {kind!r}")
    return str(kind)


def build_node(name: str, raw: dict[str, Any], where: Where, base_dir: str) -> Node:
    """A pipeline node (``jobs.<name>``) with its component, if any, merged underneath."""
    comp_body: dict[str, Any] | None = None
    comp_at: Where | None = None
    if "component" in raw:
        comp_body, comp_at = load_component(raw["component"], base_dir, where / "component")
    kind = _node_kind(raw, comp_body, where)
    node_keys = K.PARALLEL_NODE_KEYS if kind == "parallel" else K.COMMAND_NODE_KEYS
    node = Node(name=name, kind=str(kind), where=where)
    if comp_body is None:
        K.check_keys(raw, node_keys, where, f"a {kind} step")
    else:
        # Azure's schema for a step that uses a component INCLUDEs unknown keys: accepted,
        # recorded and warned about (a typo there is silently ignored by Azure too)
        for key in raw:
            if key not in node_keys | {"comment"}:
                node.cloud[str(key)] = raw[key]
                warnings.warn(
                    f"{where.file}: {(where / str(key)).key}: unknown key {key!r} ignored "
                    "(Azure ignores it too)",
                    SpecWarning,
                    stacklevel=2,
                )
        raw = {k: v for k, v in raw.items() if k in node_keys | {"comment"}}
    if isinstance(raw.get("task"), dict) and "type" not in raw["task"]:
        (where / "task" / "type").fail(
            f"is required whenever a step gives task: one of {', '.join(K.TASK_TYPES)}"
        )
    K.check_cloud_types(raw, where)
    io_keys = frozenset({"inputs", "outputs", "type", "component"})
    if comp_body is not None:
        assert comp_at is not None
        comp_keys = K.PARALLEL_COMPONENT_KEYS if kind == "parallel" else K.COMMAND_COMPONENT_KEYS
        K.check_keys(comp_body, comp_keys, comp_at, f"a {kind} component")
        K.check_cloud_types(comp_body, comp_at)
        node.in_ports, node.out_ports = check_ports(comp_body, comp_at, str(kind))
        node.absorb(comp_body, comp_at, io_keys | K.CLOUD_KEYS - {"environment"})
        node.component_file = comp_at.file
        node.cloud.update(K.cloud_part(comp_body, "component."))
    node.absorb(raw, where, io_keys | K.CLOUD_KEYS - {"environment"})
    node.cloud.update(K.cloud_part(raw))
    node.in_values = K.as_mapping(raw.get("inputs"), where / "inputs", "inputs")
    node.out_values = K.as_mapping(raw.get("outputs"), where / "outputs", "outputs")
    if comp_body is not None:
        for key, what, ports in (
            ("inputs", "input", node.in_ports),
            ("outputs", "output", node.out_ports),
        ):
            values = node.in_values if key == "inputs" else node.out_values
            for n in values:
                if n not in ports:
                    valid = ", ".join(sorted(ports)) or "none"
                    (where / key / n).fail(
                        f"the component declares no {what} {n!r}; its {key} are: {valid}"
                    )
    return node
