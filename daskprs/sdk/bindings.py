"""The objects a pipeline wires together: pipeline inputs/outputs and node inputs/outputs.

Inside a ``@pipeline`` function a parameter is a :class:`PipelineInput` and
``node.outputs.x`` a :class:`NodeOutput`; passing either to another node binds it, and the
binding becomes ``${{parent.inputs.<name>}}`` / ``${{parent.jobs.<node>.outputs.<name>}}``
when the pipeline is turned into YAML (node names are known only then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from daskprs.sdk.io import Input, Output


class PortReference:
    """A pipeline input, pipeline output or node output that a node input can be bound to:
    its text is the ``${{...}}`` binding expression (:class:`daskprs.spec.bindings.Binding`
    is that expression parsed). Copies of a node keep referring to the same pipeline input
    or node output, so copying returns the object."""

    def __copy__(self) -> PortReference:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PortReference:
        return self


class PipelineInput(PortReference):
    """A pipeline parameter: ``str()`` gives ``${{parent.inputs.<name>}}``; ``_data`` is the
    value the pipeline was called with (an :class:`Input`, a literal or None)."""

    def __init__(self, name: str, meta: Input | None, data: Any) -> None:
        self._port_name = name
        self._meta = meta
        self._data = data

    def __str__(self) -> str:
        return f"${{{{parent.inputs.{self._port_name}}}}}"

    def result(self) -> Any:
        """The value (a literal, or the :class:`Input` given for data)."""
        return self._data

    @property
    def type(self) -> str | None:
        if isinstance(self._data, Input):
            return self._data.type
        return self._meta.type if self._meta is not None else None

    @property
    def path(self) -> str | None:
        return self._data.path if isinstance(self._data, Input) else None

    @path.setter
    def path(self, value: str) -> None:
        if isinstance(self._data, Input):
            self._data.path = value
        else:
            typ = self._meta.type if self._meta is not None else "uri_folder"
            self._data = Input(type=typ, path=value)

    @property
    def mode(self) -> str | None:
        return self._data.mode if isinstance(self._data, Input) else None

    @mode.setter
    def mode(self, value: str | None) -> None:
        if not isinstance(self._data, Input):
            raise AttributeError(f"pipeline input {self._port_name!r} has no data to set a mode on")
        self._data.mode = value

    def __repr__(self) -> str:
        return f"PipelineInput({self._port_name!r}, {self._data!r})"


class PipelineOutput(PortReference):
    """A pipeline output (a returned node output): ``type``, ``path``, ``mode`` settable."""

    def __init__(self, name: str, meta: Output) -> None:
        self._port_name = name
        self.type = meta.type
        self.path = meta.path
        self.mode = meta.mode
        self.description = meta.description
        self.name = meta.name
        self.version = meta.version

    def __str__(self) -> str:
        return f"${{{{parent.outputs.{self._port_name}}}}}"

    def _to_dict(self, base_dir: str) -> dict[str, Any]:
        out = Output(
            type=self.type or "uri_folder",
            path=self.path,
            mode=self.mode,
            description=self.description,
            name=self.name,
            version=self.version,
        )
        return out._to_dict(base_dir)

    def __repr__(self) -> str:
        return f"PipelineOutput({self._port_name!r}, type={self.type!r}, path={self.path!r})"


class NodeInput:
    """``node.inputs.<name>``: the port declaration (``_meta``) and the value bound to it."""

    def __init__(self, name: str, meta: Input | None, owner: Any, data: Any = None) -> None:
        self._port_name = name
        self._meta = meta
        self._owner = owner
        self._data: Any = None
        self._mode: str | None = None
        self._set(data)

    def _set(self, value: Any) -> None:
        if isinstance(value, NodeInput):  # node_b.inputs.x = node_a.inputs.y: same value
            self._mode = value._mode
            value = value._data
        if isinstance(value, dict) and not isinstance(value, PortReference):
            value = Input(**value)
        if not (value is None or isinstance(value, (PortReference, Input, str, int, float, bool))):
            raise TypeError(
                f"input {self._port_name!r}: unsupported value {value!r}; give an Input, a "
                "literal (str, int, float, bool), a pipeline parameter or another node's output"
            )
        self._data = value

    @property
    def type(self) -> str | None:
        if isinstance(self._data, Input):
            return self._data.type
        return self._meta.type if self._meta is not None else None

    @property
    def path(self) -> str | None:
        if isinstance(self._data, Input):
            return self._data.path
        if isinstance(self._data, (PortReference, NodeOutput)):
            return _binding_text(self._data)
        return None

    @path.setter
    def path(self, value: str) -> None:
        if isinstance(self._data, Input):
            self._data.path = value
        else:
            typ = self._meta.type if self._meta is not None else "uri_folder"
            self._data = Input(type=typ or "uri_folder", path=value)

    @property
    def mode(self) -> str | None:
        if self._mode is not None:
            return self._mode
        if isinstance(self._data, Input) and self._data.mode is not None:
            return self._data.mode
        return self._meta.mode if self._meta is not None else None

    @mode.setter
    def mode(self, value: str | None) -> None:
        self._mode = value

    def __repr__(self) -> str:
        return f"NodeInput({self._port_name!r}, {self._data!r})"


class NodeOutput(PortReference):
    """``node.outputs.<name>``: pass it to another node's input to bind the two; set
    ``.path`` / ``.mode`` / ``.type`` to override the declaration for this node."""

    def __init__(self, name: str, meta: Output | None, owner: Any) -> None:
        self._port_name = name
        self._meta = meta
        self._owner = owner
        self._override: dict[str, Any] = {}
        self._bound: PipelineOutput | str | None = None  # ${{parent.outputs.x}}

    def __str__(self) -> str:
        name = getattr(self._owner, "name", None)
        if not name:
            raise ValueError(
                f"output {self._port_name!r} of an unnamed node has no binding text yet: node "
                "names are given when the @pipeline function returns; pass the output object "
                "itself to the other node instead of a string"
            )
        return f"${{{{parent.jobs.{name}.outputs.{self._port_name}}}}}"

    def _set(self, value: Any) -> None:
        if isinstance(value, Output):
            self._override = value._to_dict()
            self._bound = None
        elif isinstance(value, dict):
            self._override = Output(**value)._to_dict()
            self._bound = None
        elif isinstance(value, (PipelineOutput, str)):
            self._bound = value
        elif value is None:
            self._override, self._bound = {}, None
        else:
            raise TypeError(
                f"output {self._port_name!r}: unsupported value {value!r}; give an Output, a "
                "dict or a ${{parent.outputs.<name>}} binding"
            )

    def _get(self, key: str) -> Any:
        if isinstance(self._bound, PipelineOutput):
            return getattr(self._bound, key)
        if key in self._override:
            return self._override[key]
        return getattr(self._meta, key, None) if self._meta is not None else None

    def _put(self, key: str, value: Any) -> None:
        if isinstance(self._bound, PipelineOutput):
            setattr(self._bound, key, value)
        elif value is None:
            self._override.pop(key, None)
        else:
            self._override[key] = value

    type = property(lambda self: self._get("type"), lambda self, v: self._put("type", v))
    path = property(lambda self: self._get("path"), lambda self, v: self._put("path", v))
    mode = property(lambda self: self._get("mode"), lambda self, v: self._put("mode", v))
    description = property(
        lambda self: self._get("description"), lambda self, v: self._put("description", v)
    )
    name = property(lambda self: self._get("name"), lambda self, v: self._put("name", v))
    version = property(lambda self: self._get("version"), lambda self, v: self._put("version", v))

    def __repr__(self) -> str:
        owner = getattr(self._owner, "name", None) or "<unnamed>"
        return f"NodeOutput({owner}.{self._port_name})"


def _binding_text(value: Any) -> str | None:
    try:
        return str(value)
    except ValueError:
        return None


T = TypeVar("T")


class IOGroup(Generic[T]):
    """``node.inputs`` / ``node.outputs`` / ``pipeline_job.inputs``: attribute and item access
    (``node.inputs.data``, ``node.inputs["data"]``); assigning sets the bound value."""

    _items: dict[str, T]
    _setter: Callable[[str, Any], None]
    _what: str

    def __init__(self, items: dict[str, T], setter: Callable[[str, Any], None], what: str) -> None:
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_setter", setter)
        object.__setattr__(self, "_what", what)

    def __getattr__(self, name: str) -> T:
        items = object.__getattribute__(self, "_items")
        if name in items:
            return items[name]
        if name.startswith("__"):
            raise AttributeError(name)
        valid = ", ".join(items) or "none"
        raise AttributeError(f"{self._what} has no {name!r}; valid names: {valid}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._setter(name, value)

    def __getitem__(self, name: str) -> T:
        if name not in self._items:
            raise KeyError(name)
        return self._items[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._setter(name, value)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> Any:
        return self._items.keys()

    def values(self) -> Any:
        return self._items.values()

    def items(self) -> Any:
        return self._items.items()

    def get(self, name: str, default: Any = None) -> Any:
        return self._items.get(name, default)

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{k}: {v!r}' for k, v in self._items.items())}}}"


def text(value: Any) -> Any:
    """Port references (pipeline inputs, node outputs) as their ``${{...}}`` text; other
    values as they are, lists and dicts converted item by item."""
    if isinstance(value, PortReference):
        return str(value)
    if isinstance(value, list | tuple):
        return [text(v) for v in value]
    if isinstance(value, dict):
        return {k: text(v) for k, v in value.items()}
    return value
