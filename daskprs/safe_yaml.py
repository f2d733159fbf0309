"""Reading YAML that may be hostile or broken, in bounded time and memory.

Every YAML file daskprs reads (pipeline, component and MLTable files, ``--set`` values) goes
through here:

- a file larger than :data:`MAX_YAML_BYTES` is refused before it is parsed;
- the bytes must be UTF-8 (as ``azure.ai.ml.load_job`` reads them); the first byte that is not
  is named by its offset and line;
- aliases (``*name``) are counted, and the document's size with every alias expanded is
  charged against :data:`MAX_EXPANDED` while it is composed, so an alias bomb (a few KB that
  expand to gigabytes) is refused after a few thousand nodes instead of being written out;
  recursive aliases and nesting deeper than :data:`MAX_DEPTH` are refused too.

The event parser is libyaml's when PyYAML has it (about four times faster than the
pure-Python one); composing and constructing are PyYAML's own, with the budget added.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

MAX_YAML_BYTES = 10 * 1000 * 1000  # 10 MB
MAX_ALIASES = 1000
MAX_EXPANDED = MAX_YAML_BYTES  # characters of scalars (+1 per node), aliases expanded
MAX_DEPTH = 100


class YamlRefused(ValueError):
    """The YAML is too large, not UTF-8, or expands beyond the budget."""


def read_bytes(path: str) -> bytes:
    """The file's bytes, refusing one larger than :data:`MAX_YAML_BYTES` unread."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_YAML_BYTES + 1)
    text_of(data)  # refuses a file over the limit
    return data


def text_of(data: bytes) -> str:
    """The text of a YAML file's bytes (read with at most ``MAX_YAML_BYTES + 1`` bytes)."""
    if len(data) > MAX_YAML_BYTES:
        raise YamlRefused(
            f"the file is larger than {MAX_YAML_BYTES // 1000 // 1000} MB, the limit for a YAML "
            "file; a pipeline, component or MLTable file is a few KB — keep data out of it"
        )
    return decode(data)


def decode(data: bytes) -> str:
    """``data`` as UTF-8 text; an undecodable byte is named by its offset and line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlRefused(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
            f"(line {line}) cannot be decoded ({exc.reason}); save the file as UTF-8"
        ) from None


def load_file(path: str) -> Any:
    """The YAML document in ``path`` (see the module docstring for the limits)."""
    return load(decode(read_bytes(path)))


def load(text: str) -> Any:
    """Like ``yaml.safe_load(text)``, within the size, alias and depth budget."""
    if len(text) > MAX_YAML_BYTES:
        raise YamlRefused(f"the YAML text is larger than {MAX_YAML_BYTES // 1000 // 1000} MB")
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _BudgetComposer(Composer):
    """PyYAML's composer, charging each node's expanded size against the budget."""

    check_event: Any  # from the parser mixed in beside it
    peek_event: Any

    def __init__(self) -> None:
        super().__init__()
        self._weights: dict[int, int] = {}
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                self._refuse(f"more than {MAX_ALIASES} aliases (*name)", event)
            node = super().compose_node(parent, index)
            if id(node) not in self._weights:
                self._refuse(f"the alias *{event.anchor} refers to a node that holds it", event)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._refuse(f"nested more than {MAX_DEPTH} levels deep", self.peek_event())
        node = super().compose_node(parent, index)
        self._depth -= 1
        weight = self._weigh(node)
        if weight > MAX_EXPANDED:
            self._refuse(
                f"with its aliases expanded, the document would be larger than "
                f"{MAX_EXPANDED // 1000 // 1000} MB (an alias bomb?)",
                node,
            )
        self._weights[id(node)] = weight
        return node

    def _weigh(self, node: Any) -> int:
        if isinstance(node, ScalarNode):
            return len(node.value) + 1
        w = self._weights
        if isinstance(node, SequenceNode):
            return 1 + sum(w.get(id(item), 0) for item in node.value)
        if isinstance(node, MappingNode):
            return 1 + sum(w.get(id(k), 0) + w.get(id(v), 0) for k, v in node.value)
        return 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        self._weights = {}
        return node

    def _refuse(self, what: str, at: Any) -> None:
        mark = getattr(at, "start_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise YamlRefused(f"the YAML is refused: {what}{where}")


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _Loader(_BudgetComposer, CParser, SafeConstructor, Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BudgetComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, _BudgetComposer, SafeConstructor, Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            _BudgetComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
