"""YAML loading that remembers where every key and value came from.

Every mapping/dictionary error names a file and line, so the loader keeps the
line of each key (``Node.line_of(key)``) and of each list item.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from toolkit.core.errors import DictError, Problem
from toolkit.core.limits import MAX_ALIAS_NODES, MAX_FILE_BYTES, MAX_SCALAR_CHARS, MAX_YAML_DEPTH, MAX_YAML_NODES
from toolkit.core.paths import check_project_file, file_kind


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
    # text (most values) is the scalar's own value, as PyYAML's constructor would return it, without its dispatch
    value = node.value if node.tag == _STR else _scalar(node)
    if isinstance(value, str):
        value = _paired(value, file, line)
        _control(value, _CONTROL_IN_TEXT, file, line, "text")
    return value


_scalar_loader = yaml.SafeLoader("")
_STR = "tag:yaml.org,2002:str"
# libyaml's parser when PyYAML was built with it (about 10x faster); the events carry the same marks
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _scalar(node: yaml.ScalarNode) -> Any:
    return _scalar_loader.construct_object(node, deep=True)


# called with (path, bytes) for every file read: the regeneration cache keys its results on exactly these
READ_WATCHERS: list = []


def load_yaml(path: Path, display: str | None = None, root: Path | None = None) -> Any:
    """Parse ``path`` into Node/Seq/scalars; syntax errors become a Problem with a line.

    With ``root`` the file must be a regular file inside that project folder. Every file must be
    within the limits of ``toolkit.core.limits``; its size is checked before it is read."""
    display = display or str(path)
    if root is not None:
        check_project_file(path, root, display)
    return load_yaml_text(_read_bounded(path, display), display)


def _read_bounded(path: Path, display: str) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES, decided before reading it (a FIFO or a
    device is not opened for a blocking read, /dev/zero is not read at all)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise DictError(Problem(display, 1, f"cannot read file: {exc.strerror}")) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DictError(Problem(display, 1, f"is {file_kind(info.st_mode)}, not a file", "name a YAML file"))
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(display, info.st_size)
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise DictError(Problem(display, 1, f"cannot read file: {exc.strerror}")) from None
    if len(data) > MAX_FILE_BYTES:     # it grew while being read
        raise _too_big(display, len(data))
    for watcher in READ_WATCHERS:
        watcher(path, data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DictError(Problem(display, 1, f"file is not valid UTF-8 ({exc.reason})")) from None


def _too_big(display: str, size: int) -> DictError:
    return DictError(Problem(display, 1, f"file is {size:,} bytes; YAML files may have at most {MAX_FILE_BYTES:,} "
                             f"bytes ({MAX_FILE_BYTES // 2**20} MiB)",
                             "split a large dictionary over several files in dictionary/"))


class _Open:
    """A sequence or mapping being composed: its children so far, their expanded size and height."""

    __slots__ = ("node", "children", "size", "height")

    def __init__(self, node: yaml.CollectionNode):
        self.node = node
        self.children: list[yaml.Node] = []
        self.size = 1
        self.height = 1

    def close(self, end: yaml.Event) -> yaml.Node:
        node = self.node
        node.end_mark = end.end_mark
        items = self.children
        node.value = list(zip(items[::2], items[1::2])) if isinstance(node, yaml.MappingNode) else items
        return node


class _Composer:
    """``yaml.compose`` over parser events, without recursion, refusing a file over the limits of
    ``toolkit.core.limits`` at the event that crosses one: nesting, node count, scalar length, and
    aliases, whose expanded size is known when they are met (an alias bomb is refused at its first
    alias over the budget, before anything is expanded)."""

    def __init__(self, parser, display: str):
        self.parser = parser
        self.display = display
        self.anchors: dict[str, yaml.Node] = {}
        self.shapes: dict[str, tuple[int, int]] = {}    # anchor -> (nodes when expanded, height), once composed
        self.nodes = 0
        self.alias_nodes = 0

    def single(self) -> yaml.Node | None:
        parser = self.parser
        parser.get_event()                               # stream start
        root = None
        if not parser.check_event(yaml.StreamEndEvent):
            parser.get_event()                           # document start
            root = self._document()
            parser.get_event()                           # document end
        if not parser.check_event(yaml.StreamEndEvent):
            event = parser.get_event()
            raise self._problem(event, "a second YAML document ('---') in the file", "keep one document per file")
        return root

    def _document(self) -> yaml.Node:
        get_event, stack = self.parser.get_event, []
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                node, size, height = self._scalar(event), 1, 1
            elif kind is yaml.AliasEvent:
                node, (size, height) = self._alias(event, len(stack))
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                done = stack.pop()
                node, size, height = done.close(event), done.size, done.height
                if done.node.anchor is not None:
                    self.shapes[done.node.anchor] = (size, height)
            else:
                stack.append(_Open(self._collection(event, len(stack) + 1)))
                continue
            if not stack:
                return node
            parent = stack[-1]
            parent.children.append(node)
            parent.size += size
            if height >= parent.height:
                parent.height = height + 1

    def _problem(self, event: yaml.Event, message: str, hint: str) -> DictError:
        return DictError(Problem(self.display, event.start_mark.line + 1, message, hint))

    def _count(self, event: yaml.Event, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_YAML_NODES:
            raise self._problem(event, f"more than {MAX_YAML_NODES:,} keys, values and list items (aliases expanded)",
                                "split the file")

    def _anchor(self, event: yaml.NodeEvent, node: yaml.Node) -> None:
        anchor = node.anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                first = self.anchors[anchor].start_mark.line + 1
                raise self._problem(event, f"anchor '&{anchor}' is already defined on line {first}",
                                    "give each anchor its own name")
            self.anchors[anchor] = node

    def _scalar(self, event: yaml.ScalarEvent) -> yaml.ScalarNode:
        self._count(event, 1)
        value = event.value
        if len(value) > MAX_SCALAR_CHARS:
            raise self._problem(event, f"a value of {len(value):,} characters; at most {MAX_SCALAR_CHARS:,} are allowed",
                                "shorten it")
        tag = event.tag
        if tag is None or tag == "!":
            tag = _scalar_loader.resolve(yaml.ScalarNode, value, event.implicit)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
        self._anchor(event, node)
        if node.anchor is not None:
            self.shapes[node.anchor] = (1, 1)
        return node

    def _collection(self, event: yaml.CollectionStartEvent, depth: int) -> yaml.CollectionNode:
        self._count(event, 1)
        if depth > MAX_YAML_DEPTH:
            raise self._problem(event, f"nesting deeper than {MAX_YAML_DEPTH} levels", "flatten the structure")
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
        tag = event.tag
        if tag is None or tag == "!":
            tag = _scalar_loader.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self._anchor(event, node)
        return node

    def _alias(self, event: yaml.AliasEvent, depth: int) -> tuple[yaml.Node, tuple[int, int]]:
        anchor = event.anchor
        if anchor not in self.anchors:
            raise self._problem(event, f"found undefined alias '{anchor}'", f"define '&{anchor}' before using '*{anchor}'")
        if anchor not in self.shapes:
            raise self._problem(event, f"alias '*{anchor}' is inside the value it refers to (a loop)",
                                "an alias may only repeat a value defined before it")
        size, height = self.shapes[anchor]
        if depth + height > MAX_YAML_DEPTH:
            raise self._problem(event, f"alias '*{anchor}' nests the file deeper than {MAX_YAML_DEPTH} levels",
                                "flatten the structure")
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise self._problem(event, f"aliases expand to more than {MAX_ALIAS_NODES:,} values (at '*{anchor}', "
                                f"which repeats {size:,})", "write the values out or use fewer aliases")
        self._count(event, size)
        return self.anchors[anchor], (size, height)


def _compose(text: str, display: str) -> yaml.Node | None:
    try:
        return _compose_with(_PARSER, text, display)
    except yaml.YAMLError:
        if _PARSER is yaml.SafeLoader:
            raise
    # PyYAML's own parser names the offending token ("found character '\t' that cannot start any
    # token"): ask it for the message (it, like libyaml's, keeps its state in lists, not recursion)
    return _compose_with(yaml.SafeLoader, text, display)


def _compose_with(parser_class, text: str, display: str) -> yaml.Node | None:
    parser = parser_class(text)
    try:
        return _Composer(parser, display).single()
    finally:
        parser.dispose()


def _explained(exc: yaml.MarkedYAMLError, text: str, line: int) -> tuple[str, str]:
    """PyYAML's parser words (block end, block mapping start) in the author's terms, with how to fix it."""
    problem = str(exc.problem or exc.context)
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "'\\t'" in problem or "\t" in here[:len(here) - len(here.lstrip())]:
        return "invalid YAML: a tab character where YAML allows only spaces", "indent with spaces, not tabs"
    if "expected <block end>" in problem or "did not find expected key" in problem:
        above = next((t for t in reversed(lines[:line - 1]) if t.strip() and not t.lstrip().startswith("#")), "")
        indent = len(here) - len(here.lstrip(" "))
        above_indent = len(above) - len(above.lstrip(" "))
        return (f"invalid YAML: the indentation of this line ({indent} spaces) does not line up with the lines "
                f"around it (the line above has {above_indent})",
                "indent keys of one level by the same number of spaces")
    return f"invalid YAML: {problem}", ""


def load_yaml_text(text: str, display: str) -> Any:
    if len(text) > MAX_FILE_BYTES:      # more characters than the limit allows bytes
        raise _too_big(display, len(text.encode("utf-8", "surrogatepass")))
    try:
        root = _compose(text, display)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise DictError(Problem(display, line, *_explained(exc, text, line))) from None
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
