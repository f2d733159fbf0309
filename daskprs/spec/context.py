"""What the loader knows while it resolves one job file: the file, the job name, the pipeline's
inputs and outputs and the nodes built so far; and the small rules every section parser shares
(model types read as folders, the ``${{name}}`` / ``${{default_datastore}}`` globals)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from daskprs.spec.bindings import Binding, BindingSyntaxError, parse_binding
from daskprs.spec.components import Node
from daskprs.spec.keys import Where
from daskprs.spec.model import InputSpec, OutputSpec

MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
DEFAULT_DATASTORE = "workspaceblobstore"


@dataclass
class LoadContext:
    """The job being loaded (mutable while the loader fills it in)."""

    file: str
    job_name: str
    inputs: dict[str, InputSpec | None] = field(default_factory=dict)
    outputs: dict[str, OutputSpec] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    outputs_of: dict[str, dict[str, str]] = field(default_factory=dict)  # step -> out -> type

    @property
    def base_dir(self) -> str:
        return os.path.dirname(self.file)


@dataclass(frozen=True)
class StepIO:
    """A step's resolved inputs and outputs, the optional inputs left unset and the steps it
    depends on: what every section parser may need."""

    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    unset: set[str]
    depends: tuple[str, ...]


def data_type(typ: str) -> str:
    return "uri_folder" if typ in MODEL_TYPES else typ


def literal_input(name: str, value: Any) -> InputSpec:
    return InputSpec(name=name, type="literal", value=value)


def global_value(b: Binding, ctx: LoadContext) -> str:
    return ctx.job_name if b.name == "name" else DEFAULT_DATASTORE


def binding_or_fail(text: str, w: Where) -> Binding | None:
    try:
        return parse_binding(text)
    except BindingSyntaxError as exc:
        w.fail(str(exc))
