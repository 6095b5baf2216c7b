"""Reading YAML with positions: every shape error names its line, column and field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from warroom.errors import FieldError, ValidationFailed

MAX_NODES = 100_000
Position = tuple[int, int]
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"


@dataclass(frozen=True)
class PlacedError(FieldError):
    """A field that failed validation, with its 1-based line and column in the document."""

    line: int = 1
    column: int = 1

    def render(self) -> str:
        """``line:column: field: message``."""
        where = f"{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DocumentInvalid(ValidationFailed):
    """A config document that cannot be applied; every error names its position and field."""

    def __init__(self, errors: Sequence[PlacedError]) -> None:
        super().__init__("; ".join(e.render() for e in errors), list(errors))
        self.placed = list(errors)

    def extra(self) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "field": e.field,
                    "message": e.message,
                    "position": f"{e.line}:{e.column}",
                    "line": e.line,
                    "column": e.column,
                }
                for e in self.placed
            ]
        }


def _kind_of(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "nothing" if node.tag == _NULL else f"{node.value!r}"


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class Reader:
    """Walks the composed YAML tree, collecting every shape error instead of stopping."""

    def __init__(self, positions: dict[str, Position]) -> None:
        self.positions = positions
        self.errors: list[PlacedError] = []
        self.budget = MAX_NODES

    def fail(self, node: Node, path: str, message: str) -> None:
        """Record an error at ``node``."""
        mark = node.start_mark
        self.errors.append(PlacedError(path, message, mark.line + 1, mark.column + 1))

    def visit(self, node: Node, path: str) -> None:
        """Count a node against the budget and remember where ``path`` is written."""
        self.budget -= 1
        if self.budget < 0:
            raise DocumentInvalid([PlacedError("", "the document has too many values", 1, 1)])
        mark = node.start_mark
        self.positions.setdefault(path, (mark.line + 1, mark.column + 1))

    def mapping(self, node: Node, path: str, fields: dict[str, bool]) -> dict[str, Node] | None:
        """A mapping's non-null values by key, refusing unknown, repeated and missing keys."""
        self.visit(node, path)
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"expected a mapping, got {_kind_of(node)}")
            return None
        found: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else ""
            if name in found:
                self.fail(key, _child(path, name), f"{name!r} is given twice")
            elif name not in fields:
                known = ", ".join(fields)
                self.fail(key, _child(path, name), f"unknown field; use {known}")
            elif value.tag != _NULL:
                found[name] = value
                self.visit(value, _child(path, name))
        for name, required in fields.items():
            if required and name not in found:
                self.fail(node, _child(path, name), "is required")
        return found

    def items(self, node: Node | None, path: str) -> list[tuple[str, Node]]:
        """A list's items with their paths; nothing for an absent list."""
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.fail(node, path, f"expected a list, got {_kind_of(node)}")
            return []
        listed = [(f"{path}[{i}]", item) for i, item in enumerate(node.value)]
        for item_path, item in listed:
            self.visit(item, item_path)
        return listed

    def text(self, node: Node | None, path: str, default: str = "") -> str:
        """A scalar as written (``15m``, ``0``, ``2026-11-02T09:00``), or ``default``."""
        if node is None:
            return default
        if not isinstance(node, ScalarNode):
            self.fail(node, path, f"expected text, got {_kind_of(node)}")
            return default
        return str(node.value)

    def optional_text(self, node: Node | None, path: str) -> str | None:
        """A scalar as written, or None when absent."""
        return None if node is None else self.text(node, path)

    def texts(self, node: Node | None, path: str) -> list[str]:
        """A list of scalars as written."""
        return [self.text(item, item_path) for item_path, item in self.items(node, path)]

    def place(self, node: Node, path: str) -> None:
        """Remember where every field nested in ``node`` is written."""
        children: list[tuple[str, Node]] = []
        if isinstance(node, MappingNode):
            children = [(_child(path, getattr(k, "value", "")), v) for k, v in node.value]
        elif isinstance(node, SequenceNode):
            children = [(f"{path}[{i}]", item) for i, item in enumerate(node.value)]
        for child_path, child in children:
            self.visit(child, child_path)
            self.place(child, child_path)

    def data(self, node: Node, path: str) -> Any:
        """Any YAML value as Python data, remembering where each nested field is written."""
        self.place(node, path)
        try:
            return SafeConstructor().construct_document(node)
        except ConstructorError as exc:
            self.fail(node, path, f"cannot be read: {exc.problem}")
            return None

    def mapping_data(self, node: Node | None, path: str) -> dict[str, Any] | None:
        """A free-form mapping (options, grouping) as Python data; None when absent."""
        if node is None:
            return None
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"expected a mapping, got {_kind_of(node)}")
            return None
        value = self.data(node, path)
        return value if isinstance(value, dict) else None

    def boolean(self, node: Node | None, path: str, default: bool) -> bool:
        """true or false, or ``default`` when absent."""
        if node is None:
            return default
        value = self.data(node, path)
        if not isinstance(value, bool):
            self.fail(node, path, f"expected true or false, got {_kind_of(node)}")
            return default
        return value

    def integer(self, node: Node | None, path: str, default: int) -> int:
        """A whole number, or ``default`` when absent."""
        if node is None:
            return default
        if not isinstance(node, ScalarNode) or node.tag != _INT:
            self.fail(node, path, f"expected a whole number, got {_kind_of(node)}")
            return default
        return int(node.value)


def compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "cannot be read"
        raise DocumentInvalid(
            [PlacedError("", f"not valid YAML: {problem}", line, column)]
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentInvalid([PlacedError("", f"not valid YAML: {exc}", 1, 1)]) from None
