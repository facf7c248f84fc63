"""Mapping files: one per source system, in the mapping language defined in LinkML.

The structure is checked against the JSON Schema generated from
``mapping_language.yaml`` (so editors and this loader agree), then read into typed
specs that remember the line of everything an error may need to point at.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from toolkit.core.lean import jsonschema as _jsonschema
from toolkit.core.errors import DictError, Problem, Problems
from toolkit.core.paths import referenced_file
from toolkit.load.yamlsource import Node, Seq, load_yaml

jsonschema = _jsonschema()   # without its format libraries in the `dict` process (see core/lean.py)

LANGUAGE_SCHEMA = Path(__file__).with_name("mapping_language.schema.json")
LANGUAGE_LINKML = Path(__file__).with_name("mapping_language.yaml")


@dataclass(frozen=True)
class Text:
    """A string from a mapping file and the line it is on."""

    text: str
    line: int


@dataclass(frozen=True)
class JoinSpec:
    alias: str
    table: str
    on: Text
    cardinality: str
    line: int


@dataclass(frozen=True)
class RejectSpec:
    when: Text
    reason: str
    line: int


@dataclass(frozen=True)
class ValueMapSpec:
    source_value: str
    target_value: str
    line: int


@dataclass(frozen=True)
class SlotDerivationSpec:
    name: str
    line: int
    populated_from: Text | None = None
    expr: Text | None = None
    value: Text | None = None
    value_mappings: tuple[ValueMapSpec, ...] = ()
    unmapped: str = "reject"
    default: Text | None = None
    description: str = ""
    on_orphan: Text | None = None


@dataclass(frozen=True)
class ClassDerivationSpec:
    name: str
    target_class: str
    populated_from: Text
    line: int
    joins: tuple[JoinSpec, ...] = ()
    filter: Text | None = None
    reject_when: tuple[RejectSpec, ...] = ()
    source_key: tuple[Text, ...] = ()
    group_by: tuple[Text, ...] = ()
    slot_derivations: tuple[SlotDerivationSpec, ...] = ()
    waived_slots: tuple[tuple[str, str, int], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class MappingSpec:
    source: str
    file: str
    path: Path
    class_derivations: tuple[ClassDerivationSpec, ...]
    title: str = ""
    description: str = ""
    steward: str = ""
    source_schema: str = ""
    database_schema: str = ""
    source_schema_line: int = 1

    def source_schema_path(self, root: Path) -> Path:
        """The source schema file this mapping names (default '<source>.source.yaml' beside it), which must be
        a YAML file under mappings/ of the project at ``root``; a path leading elsewhere is an error here."""
        reference = self.source_schema or f"{self.source}.source.yaml"
        return referenced_file(reference, self.path.parent, root, self.file, self.source_schema_line, "source_schema")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(LANGUAGE_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _line_at(root: Node, path) -> int:
    node, line = root, root.line
    for part in path:
        if isinstance(node, Node) and part in node:
            line = node.line_of(part)
            node = node[part]
        elif isinstance(node, Seq) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def _schema_problem(err: jsonschema.ValidationError) -> tuple[list, str]:
    path = list(err.absolute_path)
    where = ".".join(str(p) for p in path) or "top level"
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {}))) if isinstance(err.instance, dict) else []
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        if extra:
            return path + [extra[0]], f"unknown key '{extra[0]}' in {where} (allowed: {allowed})"
    if err.validator == "required":
        return path, f"{where}: {err.message}"
    if err.validator == "anyOf" and err.context:
        # report the branch the author meant (the object), not "should be null"
        deeper = [e for e in err.context if not (e.validator == "type" and not e.relative_path)]
        best = jsonschema.exceptions.best_match(deeper or err.context)
        return _schema_problem(best)
    if err.validator == "type":
        return path, f"{where}: {json.dumps(err.instance, default=str)[:60]} should be {err.validator_value if isinstance(err.validator_value, str) else ' or '.join(err.validator_value)}"
    if err.validator == "enum":
        return path, f"{where}: '{err.instance}' is not one of {', '.join(map(str, err.validator_value))}"
    if err.validator == "pattern":
        return path, f"{where}: '{err.instance}' does not match {err.validator_value}"
    return path, f"{where}: {err.message}"


def _yaml_word_hint(err: jsonschema.ValidationError) -> str:
    """YAML reads an unquoted NO, yes, on, off as true/false and ~ or nothing as null: a country code or a
    flag written bare then fails the schema with a message about a boolean nobody wrote."""
    leaf = err
    while leaf.validator == "anyOf" and leaf.context:   # the branch _schema_problem reports
        deeper = [e for e in leaf.context if not (e.validator == "type" and not e.relative_path)]
        leaf = jsonschema.exceptions.best_match(deeper or leaf.context)
    if isinstance(leaf.instance, bool) or leaf.instance is None:
        shown = "true/false" if isinstance(leaf.instance, bool) else "null"
        return (f"YAML reads an unquoted value such as NO, yes, on or off as {shown}: put the value in quotes, "
                'e.g. Norway: "NO"')
    return ""


def _jsonable(value):
    """YAML scalars such as dates or numbers used as codes, as the text the mapping author wrote."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    return str(value)


def load_mapping(path: Path, display: str, project_root: Path | None = None) -> MappingSpec:
    """Read and check one mapping file (with ``project_root``: a regular file inside that project)."""
    root = load_yaml(path, display, project_root)
    if not isinstance(root, Node):
        raise DictError(Problem(display, 1, "a mapping file must be a YAML mapping with 'source' and 'class_derivations'"))
    if "source" not in root and "class_derivations" not in root:
        # some other YAML file in mappings/ (settings, secrets): say so once, quoting none of its keys
        raise DictError(Problem(display, 1, "not a mapping file: it has neither 'source' nor 'class_derivations'",
                                "move files other than mappings and source schemas out of mappings/"))
    problems = Problems()
    for err in sorted(_validator().iter_errors(_jsonable(root)), key=lambda e: list(map(str, e.absolute_path))):
        at, message = _schema_problem(err)
        problems.add(display, _line_at(root, at), message, _yaml_word_hint(err))
    _check_blank_names(root, display, problems)
    problems.raise_if_any()
    return _read(root, display, path)


def _check_blank_names(root: Node, display: str, problems: Problems) -> None:
    """Derivation names and join aliases become SQL identifiers: an empty one is no name at all."""
    cds = root.get("class_derivations")
    if not isinstance(cds, Node):
        return
    for name, cd in cds.items():
        if not name.strip():
            problems.add(display, cds.line_of(name), f"derivation name {name!r} is blank")
        elif "." in name:
            problems.add(display, cds.line_of(name), f"derivation name '{name}' contains '.', which reads as a path in "
                         "SQL (its views are named after it)", "use another character, e.g. '_'")
        joins = cd.get("joins") if isinstance(cd, Node) else None
        for alias in joins if isinstance(joins, Node) else ():
            if not alias.strip():
                problems.add(display, joins.line_of(alias), f"join alias {alias!r} is blank")


def _text(node: Node, key: str) -> Text | None:
    if key not in node or node[key] is None:
        return None
    value = node[key]
    return Text(value if isinstance(value, str) else _scalar_text(value), node.line_of(key))


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _texts(node: Node, key: str) -> tuple[Text, ...]:
    items = node.get(key) or []
    lines = items.item_lines if isinstance(items, Seq) else [node.line_of(key)] * len(items)
    return tuple(Text(str(v), line) for v, line in zip(items, lines))


def _read(root: Node, display: str, path: Path) -> MappingSpec:
    derivations = []
    cds = root["class_derivations"]
    for name, cd in cds.items():
        line = cds.line_of(name)
        cd = cd if isinstance(cd, Node) else Node(display, line)
        joins = []
        jnode = cd.get("joins") or Node(display, line)
        for alias, j in jnode.items():
            jline = jnode.line_of(alias)
            if isinstance(j, str):
                joins.append(JoinSpec(alias, alias, Text(j, jline), "to_one", jline))
            else:
                joins.append(JoinSpec(alias, str(j.get("table") or alias), _text(j, "on"),
                                      str(j.get("cardinality") or "to_one"), jline))
        rejects = []
        rnode = cd.get("reject_when") or []
        for i, r in enumerate(rnode):
            rejects.append(RejectSpec(_text(r, "when"), str(r.get("reason")), rnode.item_lines[i]))
        slots = []
        snode = cd.get("slot_derivations") or Node(display, line)
        for sname, sd in snode.items():
            sline = snode.line_of(sname)
            sd = sd if isinstance(sd, Node) else Node(display, sline)
            vms = []
            vnode = sd.get("value_mappings") or Node(display, sline)
            for src, tgt in vnode.items():
                target = tgt.get("target_value") if isinstance(tgt, dict) else tgt
                vms.append(ValueMapSpec(str(src), _scalar_text(target), vnode.line_of(src)))
            slots.append(SlotDerivationSpec(
                sname, sline, _text(sd, "populated_from"), _text(sd, "expr"), _text(sd, "value"), tuple(vms),
                str(sd.get("unmapped") or "reject"), _text(sd, "default"), str(sd.get("description") or ""),
                _text(sd, "on_orphan")))
        waived = []
        wnode = cd.get("waived_slots") or Node(display, line)
        for slot, w in wnode.items():
            reason = w.get("reason") if isinstance(w, dict) else w
            waived.append((slot, str(reason or ""), wnode.line_of(slot)))
        populated_from = _text(cd, "populated_from") or Text("", line)
        derivations.append(ClassDerivationSpec(
            name=name, target_class=str(cd.get("target_class") or name), populated_from=populated_from, line=line,
            joins=tuple(joins), filter=_text(cd, "filter"), reject_when=tuple(rejects),
            source_key=_texts(cd, "source_key"), group_by=_texts(cd, "group_by"), slot_derivations=tuple(slots),
            waived_slots=tuple(waived), description=str(cd.get("description") or "")))
    return MappingSpec(
        source=str(root["source"]), file=display, path=path, class_derivations=tuple(derivations),
        title=str(root.get("title") or ""), description=str(root.get("description") or ""),
        steward=str(root.get("steward") or ""), source_schema=str(root.get("source_schema") or ""),
        database_schema=str(root.get("database_schema") or ""), source_schema_line=root.line_of("source_schema"))
