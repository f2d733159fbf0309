"""Step keys that parallel and command steps share: ``environment_variables``, ``code``,
``environment``, bindings in command lines and program arguments, and settings that may be
bound to a literal pipeline input (``${{parent.inputs.x}}``)."""

from __future__ import annotations

import os
from typing import Any

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.spec import keys as K
from daskprs.spec.bindings import BindingSyntaxError, find_bindings, optional_bindings
from daskprs.spec.components import Node
from daskprs.spec.context import LoadContext, binding_or_fail
from daskprs.spec.files import resolve_path
from daskprs.spec.keys import Where
from daskprs.spec.model import EnvironmentRef, InputSpec, OutputSpec
from daskprs.urls import is_remote


def env_vars_of(node: Node) -> dict[str, str]:
    raw = node.get("environment_variables")
    w = node.at("environment_variables")
    if raw is not None and not isinstance(raw, dict):  # the value is not shown: a secret?
        w.fail(f"must be a mapping of names to string values, got a {type(raw).__name__}")
    env = K.as_mapping(raw, w, "environment_variables")
    for key, value in env.items():
        if not isinstance(value, str):
            (w / key).fail(
                "environment variable values must be strings (quote them in YAML); got a "
                f"{type(value).__name__}"
            )
    return {str(k): v for k, v in env.items()}


def check_bindings(
    text: str,
    w: Where,
    inputs: dict[str, InputSpec],
    unset: set[str],
    outputs: dict[str, OutputSpec],
) -> None:
    """Every ``${{inputs.x}}`` / ``${{outputs.x}}`` in ``text`` names a declared input/output;
    an unset optional input may only appear inside ``$[[ ]]``."""
    try:
        found = find_bindings(text)
        optional = optional_bindings(text)
    except BindingSyntaxError as exc:
        w.fail(str(exc))
    for b in found:
        if b.scope == "global":
            continue
        if b.scope != "self":
            w.fail(f"{b}: only ${{{{inputs.<name>}}}} and ${{{{outputs.<name>}}}} can be used here")
        if b.kind == "inputs":
            if b in optional and b.name not in inputs:
                continue  # an optional segment whose input is not given: dropped at run time
            if b.name in unset:
                if b not in optional:
                    w.fail(
                        f"{b} is an optional input that is not set; give it a value or put it "
                        "inside an optional segment $[[ ... ]]"
                    )
            elif b.name not in inputs:
                valid = ", ".join(sorted(inputs)) or "none"
                w.fail(f"unbound {b}: the step has no input {b.name!r} (its inputs: {valid})")
        elif b.name not in outputs:
            valid = ", ".join(sorted(outputs)) or "none"
            w.fail(f"unbound {b}: the step has no output {b.name!r} (its outputs: {valid})")


def code_dir_of(node: Node, key: str) -> str:
    w = node.at(key)
    code = K.as_str(node.get(key), w)
    if is_remote(code) or code.startswith("azureml:") or code.startswith("git+"):
        w.fail(f"code must be a local folder (relative to the YAML file); got {code!r}")
    path = resolve_path(code, node.base_dir(key), w)
    if not os.path.isdir(path):
        w.fail(f"code must be a folder; {path} is a file")
    return path


def environment_of(node: Node, key: str) -> EnvironmentRef | None:
    """``environment`` is built only with ``--environments build`` (:mod:`daskprs.envs`);
    registry environments are refused and a local ``conda_file`` must exist, as Azure checks."""
    env = node.get(key)
    w = node.at(key)
    if env is None:
        return None
    node.cloud[w.key.split(".", 2)[-1] if w.key.startswith("jobs.") else w.key] = env
    if isinstance(env, str):
        if env.startswith("azureml://registries/"):
            w.fail(
                f"{env!r} is an environment in an Azure ML registry, which daskprs cannot "
                "fetch: daskprs runs the step in the current Python environment. Install the "
                "packages the entry script needs here and remove the reference, or give a local "
                "environment ({image, conda_file: ./environment.yml}) instead"
            )
        return EnvironmentRef(w.file, w.key, reference=env)
    spec = K.as_mapping(env, w, "environment")
    conda = spec.get("conda_file")
    conda_path = None
    if isinstance(conda, str) and not is_remote(conda) and not conda.startswith("azureml:"):
        conda_path = resolve_path(conda, node.base_dir(key), w / "conda_file")
    image = spec.get("image")
    return EnvironmentRef(
        w.file,
        w.key,
        conda_file=conda_path,
        conda=conda if isinstance(conda, dict) else _conda_content(conda_path),
        image=image if isinstance(image, str) else None,
    )


def _conda_content(path: str | None) -> dict[str, Any] | None:
    """The conda file's mapping; None when it cannot be read (daskprs.envs reports why, when
    it needs the file)."""
    if path is None:
        return None
    try:
        doc = safe_yaml.load_file(path)
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: YamlRefused, undecodable
        return None
    return doc if isinstance(doc, dict) else None


def setting_value(node: Node, key: str, ctx: LoadContext) -> Any:
    """A node setting, with a whole-value ``${{parent.inputs.x}}`` binding replaced by the
    pipeline input's literal value."""
    value = node.get(key)
    if isinstance(value, str) and "${{" in value:
        w = node.at(key)
        b = binding_or_fail(value, w)
        if b is None or b.scope != "parent" or b.kind != "inputs":
            w.fail(
                f"can only be bound to a pipeline input (${{{{parent.inputs.<name>}}}}); got {value!r}"
            )
        spec = ctx.inputs.get(b.name)
        if b.name not in ctx.inputs:
            valid = ", ".join(sorted(ctx.inputs)) or "none declared"
            w.fail(f"unbound {b}: the pipeline has no input {b.name!r} (pipeline inputs: {valid})")
        if spec is None or spec.type != "literal":
            w.fail(f"{b} must be a literal pipeline input (a number or a string) to set {key}")
        return spec.value
    return value


def int_setting(
    node: Node, key: str, ctx: LoadContext, default: int, minimum: int, what: str
) -> int:
    value = setting_value(node, key, ctx)
    if value is None:
        return default
    w = node.at(key)
    number = K.as_int(value, w)
    if number < minimum:
        w.fail(f"must be {what}; got {number}")
    return number
