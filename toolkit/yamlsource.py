"""YAML loading that remembers where every key and value came from.

Every mapping/dictionary error names a file and line, so the loader keeps the
line of each key (``Node.line_of(key)``) and of each list item.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DictError, Problem


class Node(dict):
    """A YAML mapping that knows its own line and the line of each key."""

    file: str
    line: int

    def __init__(self, file: str, line: int):
        super().__init__()
        self.file = file
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    """A YAML sequence that knows the line of each item."""

    file: str
    line: int

    def __init__(self, file: str, line: int):
        super().__init__()
        self.file = file
        self.line = line
        self.item_lines: list[int] = []


def _construct(node: yaml.Node, file: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = Node(file, line)
        for key_node, value_node in node.value:
            key = _construct(key_node, file)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise DictError(Problem(file, key_node.start_mark.line + 1, "mapping keys must be plain text"))
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise DictError(Problem(file, key_node.start_mark.line + 1, f"duplicate key '{key}'", "each key may appear once"))
            out[key] = _construct(value_node, file)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(file, line)
        for item in node.value:
            seq.append(_construct(item, file))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    return _scalar(node)


_scalar_loader = yaml.SafeLoader("")


def _scalar(node: yaml.ScalarNode) -> Any:
    return _scalar_loader.construct_object(node, deep=True)


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse ``path`` into Node/Seq/scalars; syntax errors become a Problem with a line."""
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DictError(Problem(display, 1, f"file is not valid UTF-8 ({exc.reason})")) from None
    except OSError as exc:
        raise DictError(Problem(display, 1, f"cannot read file: {exc.strerror}")) from None
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> Any:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise DictError(Problem(display, line, f"invalid YAML: {exc.problem or exc.context}")) from None
    except yaml.YAMLError as exc:
        raise DictError(Problem(display, 1, f"invalid YAML: {exc}")) from None
    if root is None:
        raise DictError(Problem(display, 1, "file is empty"))
    try:
        return _construct(root, display)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise DictError(Problem(display, mark.line + 1 if mark else 1, f"invalid YAML value: {exc.problem}")) from None
