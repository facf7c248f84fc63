"""YAML loading that remembers where every key and value came from.

Every mapping/dictionary error names a file and line, so the loader keeps the
line of each key (``Node.line_of(key)``) and of each list item.
"""
from __future__ import annotations

import os
import re
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


# Names become SQL identifiers and values SQL literals or comments: no control characters
# (NUL ends C strings in drivers; a line break in a name is never meant). Text values may hold
# tabs and line breaks (descriptions).
_CONTROL_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control(text: str, pattern: re.Pattern, file: str, line: int, what: str) -> None:
    found = pattern.search(text)
    if found:
        raise DictError(Problem(file, line, f"{what} {text[:40]!r} contains the control character U+{ord(found.group()):04X}",
                                "remove it; names and values must be printable text"))


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _paired(text: str, file: str, line: int) -> str:
    """``text`` with YAML's UTF-16 escapes of one character ("\\ud83d\\ude00") joined into it (😀); a lone
    half of a pair is no character at all (it cannot be written as UTF-8)."""
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        found = _SURROGATE.search(text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass"))
        raise DictError(Problem(file, line, f"{text[:40]!r} holds U+{ord(found.group()):04X}, half of a UTF-16 "
                                "surrogate pair without its other half", "write the character itself")) from None


def _construct(node: yaml.Node, file: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = Node(file, line)
        for key_node, value_node in node.value:
            key = _construct(key_node, file)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise DictError(Problem(file, key_node.start_mark.line + 1, "mapping keys must be plain text"))
            key = _paired(str(key) if not isinstance(key, str) else key, file, key_node.start_mark.line + 1)
            _control(key, _CONTROL_IN_NAME, file, key_node.start_mark.line + 1, "name")
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
    value = _scalar(node)
    if isinstance(value, str):
        value = _paired(value, file, line)
        _control(value, _CONTROL_IN_TEXT, file, line, "text")
    return value


_scalar_loader = yaml.SafeLoader("")
# libyaml's composer when PyYAML was built with it (about 10x faster); the nodes carry the same marks
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _compose(text: str) -> Any:
    try:
        return yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError:
        if _COMPOSER is yaml.SafeLoader:
            raise
    # PyYAML's own parser names the offending token ("found undefined alias 'nothing'"): ask it for the message
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_yaml_text(text: str, display: str) -> Any:
    try:
        root = _compose(text)
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


def folder_files(directory: Path, pattern: str, display: str) -> list[Path]:
    """``directory.glob(pattern)``, sorted; a folder that exists but cannot be read is an error, not an empty
    folder (glob would say nothing, and generate would drop every file it holds)."""
    try:
        with os.scandir(directory):
            pass
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise DictError(Problem(display, 1, f"cannot read folder: {exc.strerror or exc}",
                                "check that it is a folder you may read")) from None
    return sorted(directory.glob(pattern))
