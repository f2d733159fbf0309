"""The ``@pipeline`` decorator (``azure.ai.ml.dsl.pipeline``) and the pipeline job it returns.

Calling the decorated function runs its body once: the function's parameters are
:class:`~daskprs.sdk.bindings.PipelineInput` objects, every node made by a call inside joins
the pipeline, and the node names come from the local variables (``train = ...`` makes step
``train``), as in azure-ai-ml. The returned mapping of node outputs becomes the pipeline's
outputs. ``job.to_job()`` turns the result into the validated
:class:`daskprs.spec.model.PipelineJob` that ``daskprs.run`` runs.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from daskprs.sdk import _context
from daskprs.sdk._util import DATA_TYPES, LITERAL_TYPES, PYTHON_TYPES, compact, literal_type
from daskprs.sdk.bindings import IOGroup, NodeOutput, PipelineInput, PipelineOutput
from daskprs.sdk.entities import PipelineJobSettings
from daskprs.sdk.io import Input, Output
from daskprs.sdk.nodes import BaseNode

_SETTINGS_KWARGS = (
    "default_compute",
    "default_datastore",
    "continue_on_step_failure",
    "force_rerun",
)


class PipelineJob:
    """A pipeline built by a ``@pipeline`` function: ``jobs`` (name -> node), ``inputs``,
    ``outputs`` (``job.outputs.x.path = ...``), ``settings``. ``to_job()`` validates it;
    ``to_dict()`` / ``dump(path)`` give the equivalent pipeline YAML."""

    def __init__(
        self,
        *,
        name: str,
        display_name: str | None,
        description: str | None,
        experiment_name: str | None,
        tags: dict[str, Any] | None,
        settings: PipelineJobSettings,
        inputs: dict[str, PipelineInput],
        outputs: dict[str, PipelineOutput],
        jobs: dict[str, BaseNode],
        compute: str | None = None,
    ) -> None:
        self.name = name
        self.display_name = display_name
        self.description = description
        self.experiment_name = experiment_name
        self.tags = tags
        self.compute = compute
        self.settings = settings
        self.jobs = jobs
        self.inputs: IOGroup[PipelineInput] = IOGroup(inputs, self._set_input, "pipeline inputs")
        self.outputs: IOGroup[PipelineOutput] = IOGroup(
            outputs, self._set_output, "pipeline outputs"
        )

    def _set_input(self, key: str, value: Any) -> None:
        if key not in self.inputs:
            raise AttributeError(f"the pipeline has no input {key!r}")
        self.inputs[key]._data = value

    def _set_output(self, key: str, value: Any) -> None:
        out = self.outputs.get(key)
        if out is None:
            raise AttributeError(f"the pipeline has no output {key!r}")
        if isinstance(value, dict):
            value = Output(**value)
        if not isinstance(value, Output):
            raise TypeError(f"pipeline output {key!r}: give an Output, not {value!r}")
        for field in ("type", "path", "mode", "description", "name", "version"):
            setattr(out, field, getattr(value, field))

    # --- YAML --------------------------------------------------------------------------------
    def to_dict(self, base_dir: str | None = None) -> dict[str, Any]:
        """The pipeline as the YAML mapping the parser reads; local paths made absolute
        against ``base_dir`` (default: the current directory, as azure-ai-ml resolves them)."""
        base = os.path.abspath(base_dir or os.getcwd())
        names = [node.name for node in self.jobs.values()]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1 and n})
            raise ValueError(f"two steps share the name(s) {', '.join(dupes)}; rename one")
        members = set(map(id, self.jobs.values()))
        jobs = {}
        for node in self.jobs.values():
            _check_bindings(node, members, self)
            jobs[str(node.name)] = node._node_dict(base)
        return compact(
            [
                ("type", "pipeline"),
                ("name", self.name),
                ("display_name", self.display_name),
                ("description", self.description),
                ("experiment_name", self.experiment_name),
                ("tags", self.tags),
                ("compute", self.compute),
                ("settings", self.settings._to_dict()),
                ("inputs", {k: _pipeline_input_value(v, base) for k, v in self.inputs.items()}),
                ("outputs", {k: v._to_dict(base) for k, v in self.outputs.items()}),
                ("jobs", jobs),
            ]
        )

    _to_dict = to_dict  # the azure-ai-ml spelling

    def to_yaml(self, base_dir: str | None = None) -> str:
        from daskprs.sdk.loader import job_yaml

        return job_yaml(self.to_dict(base_dir))

    def dump(self, dest: str | os.PathLike[str], **kwargs: Any) -> None:
        """Write the pipeline YAML to ``dest`` (local paths absolute)."""
        with open(dest, "w", encoding="utf-8") as fh:
            fh.write(self.to_yaml())

    def to_job(self) -> Any:
        """The validated :class:`daskprs.spec.model.PipelineJob` (the same object
        ``daskprs.load_job`` returns for the equivalent YAML)."""
        from daskprs.sdk.loader import load_job_dict

        return load_job_dict(self.to_dict(), name=self.name)

    def __repr__(self) -> str:
        return f"PipelineJob(name={self.name!r}, jobs={list(self.jobs)})"


def _pipeline_input_value(pi: PipelineInput, base_dir: str) -> Any:
    data, meta = pi._data, pi._meta
    if isinstance(data, Input):
        if data._is_primitive_type:
            data = data.default
        else:
            return data._to_dict(base_dir)
    if data is not None:
        return data
    typ = meta.type if meta is not None else "string"
    return {"type": typ, "optional": True}  # declared, not given: unset


def _check_bindings(node: BaseNode, members: set[int], job: PipelineJob) -> None:
    for key, ni in node.inputs.items():
        data = ni._data
        if isinstance(data, NodeOutput) and id(data._owner) not in members:
            raise ValueError(
                f"input {key!r} of step {node.name!r} is bound to an output of a node that is "
                "not part of this pipeline; make that node by calling it inside the @pipeline "
                "function"
            )
        if isinstance(data, PipelineInput) and job.inputs.get(data._port_name) is not data:
            raise ValueError(
                f"input {key!r} of step {node.name!r} is bound to {data}, a parameter of "
                "another pipeline"
            )


# --------------------------------------------------------------------------- the decorator


def pipeline(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    version: str | None = None,
    display_name: str | None = None,
    description: str | None = None,
    experiment_name: str | None = None,
    tags: dict[str, str] | str | None = None,
    **kwargs: Any,
) -> Any:
    """Build a pipeline from the nodes a function makes (``azure.ai.ml.dsl.pipeline``).

    ``@pipeline`` or ``@pipeline(name=..., default_compute=..., continue_on_step_failure=...)``.
    The decorated function returns a :class:`PipelineJob` when called.
    """
    options = {
        "name": name,
        "display_name": display_name,
        "description": description,
        "experiment_name": experiment_name,
        "tags": tags,
        "settings": {k: kwargs[k] for k in _SETTINGS_KWARGS if k in kwargs},
        "compute": kwargs.get("compute"),
    }

    def wrap(f: Callable[..., Any]) -> Callable[..., PipelineJob]:
        @functools.wraps(f)
        def wrapper(*args: Any, **call_kwargs: Any) -> PipelineJob:
            return _build(f, args, call_kwargs, options)

        wrapper._is_dsl_func = True  # type: ignore[attr-defined]
        return wrapper

    return wrap(func) if func is not None else wrap


def _build(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], options: dict[str, Any]
) -> PipelineJob:
    if _context.current() is not None:
        raise NotImplementedError(
            f"{func.__name__}: calling a @pipeline function inside another (a pipeline "
            "component) is not supported by daskprs yet; call its steps directly instead"
        )
    sig = inspect.signature(func)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{func.__name__}(): {exc}") from None
    params: dict[str, PipelineInput] = {}
    for pname, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{func.__name__}: *args / **kwargs parameters are not supported")
        if pname in bound.arguments:
            value = bound.arguments[pname]
        else:
            value = None if param.default is param.empty else param.default
        meta = _annotation_meta(param.annotation, value)
        params[pname] = PipelineInput(pname, meta, value)

    scope = _context.BuildScope(func.__name__)
    _context.push(scope)
    try:
        returned, local_vars = _call_keeping_locals(func, params)
    finally:
        _context.pop()
    jobs = _name_nodes(scope.nodes, local_vars)
    outputs = _pipeline_outputs(returned, func.__name__)
    settings = PipelineJobSettings(**options["settings"])
    tags = options["tags"]
    return PipelineJob(
        name=options["name"] or func.__name__,
        display_name=options["display_name"] or func.__name__,
        description=options["description"],
        experiment_name=options["experiment_name"],
        tags=tags if isinstance(tags, dict) or tags is None else {"tags": tags},
        settings=settings,
        inputs=params,
        outputs=outputs,
        jobs=jobs,
        compute=options["compute"],
    )


def _annotation_meta(annotation: Any, value: Any) -> Input | None:
    """The port of a pipeline parameter: from its annotation (``Input(type=...)``, ``Input``,
    ``int``...) or from the value it is given."""
    if isinstance(annotation, Input):
        return annotation
    if isinstance(annotation, str) and annotation in LITERAL_TYPES + DATA_TYPES:
        return Input(type=annotation)
    if annotation in PYTHON_TYPES:
        return Input(type=PYTHON_TYPES[annotation])
    by_name = {t.__name__: name for t, name in PYTHON_TYPES.items()}
    if isinstance(annotation, str) and annotation in by_name:  # from __future__ annotations
        return Input(type=by_name[annotation])
    if isinstance(value, Input):
        return Input(type=value.type)
    typ = literal_type(value)
    return Input(type=typ) if typ is not None else None


def _call_keeping_locals(
    func: Callable[..., Any], params: dict[str, PipelineInput]
) -> tuple[Any, dict[str, Any]]:
    """Call ``func`` and return its result and its local variables at return (used to name the
    nodes after the variables holding them, as azure-ai-ml does). A profile hook sees the
    function's frame as it returns; a profile function already set is chained and restored."""
    code = inspect.unwrap(func).__code__
    captured: dict[str, Any] = {}
    previous = sys.getprofile()

    def profile(frame: Any, event: Any, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            captured.clear()
            captured.update(frame.f_locals)
        if callable(previous):
            previous(frame, event, arg)

    sys.setprofile(profile)
    try:
        result = func(**params)
    finally:
        sys.setprofile(previous)
    return result, captured


def _name_nodes(nodes: list[BaseNode], local_vars: dict[str, Any]) -> dict[str, BaseNode]:
    """Node names: a name set on the node, else the variable holding it, else its component's
    name (``_1``, ``_2``... for repeats)."""
    names: dict[int, str] = {}
    for var, value in local_vars.items():
        if (
            isinstance(value, BaseNode)
            and var != "_"
            and id(value) not in names
            and any(value is n for n in nodes)
        ):
            names[id(value)] = value.name or var
    taken = set(names.values())
    for node in nodes:
        if id(node) in names:
            continue
        base = node.name or node._component_name or f"{node.type}_node"
        candidate, i = base, 0
        while candidate in taken:
            i += 1
            candidate = f"{base}_{i}"
        names[id(node)] = candidate
        taken.add(candidate)
    jobs: dict[str, BaseNode] = {}
    for node in nodes:
        name = names[id(node)]
        if name in jobs:
            raise ValueError(
                f"two steps are named {name!r}; set node.name on one of them to tell them apart"
            )
        node.name = name
        jobs[name] = node
    return jobs


def _pipeline_outputs(returned: Any, func_name: str) -> dict[str, PipelineOutput]:
    if returned is None:
        return {}
    message = (
        f"{func_name} must return a mapping of output names to node outputs "
        "(e.g. return {'models': train.outputs.model_folder}), or nothing"
    )
    if not isinstance(returned, dict):
        raise TypeError(message)
    outputs: dict[str, PipelineOutput] = {}
    for key, value in returned.items():
        if not isinstance(key, str) or not isinstance(value, NodeOutput):
            raise TypeError(message)
        meta = Output(
            type=value.type or "uri_folder",
            path=value.path,
            mode=value.mode,
            description=value.description,
        )
        meta.name, meta.version = value.name, value.version
        pout = PipelineOutput(key, meta)
        value._bound = pout
        outputs[key] = pout
    return outputs
