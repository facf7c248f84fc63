"""The dictionary's ties to open standards: each term's LinkML ``*_mappings`` (schema.org, Microsoft's
Common Data Model, FIBO, DPV ...) and the CURIE prefixes they are written with.

A CURIE whose prefix no dictionary file declares cannot be expanded to an IRI, so nothing outside
dict (LinkML generators, SSSOM tools, RDF) could read the mapping: the loader refuses it with the
file and line. The SSSOM export and the docs site read the mappings from the typed model.
"""
from __future__ import annotations

import re

from toolkit.core.errors import Problems
from toolkit.load.yamlsource import Node, Seq

MAPPING_KEYS = ("exact_mappings", "close_mappings", "related_mappings", "broad_mappings", "narrow_mappings")
"""LinkML's mapping slots, each the SKOS predicate of its name."""
SKOS = {"exact_mappings": "skos:exactMatch", "close_mappings": "skos:closeMatch",
        "related_mappings": "skos:relatedMatch", "broad_mappings": "skos:broadMatch",
        "narrow_mappings": "skos:narrowMatch"}
_URI_KEYS = ("slot_uri", "class_uri", "enum_uri", "meaning")
_CURIE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*):([^\s:/][^\s]*|)$")
_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


def term_mappings(node: Node) -> tuple[tuple[str, str], ...]:
    """(mapping key, CURIE) pairs of one term, in the order written; non-text entries are the checker's to report."""
    pairs = []
    for key in MAPPING_KEYS:
        values = node.get(key)
        if isinstance(values, list):
            pairs += [(key, v) for v in values if isinstance(v, str)]
    return tuple(pairs)


def declared_prefixes(doc: Node, display: str, problems: Problems) -> dict[str, str]:
    """The ``prefixes`` of one schema file (both the short ``p: iri`` and the ``p: {prefix_reference: iri}`` forms)."""
    node = doc.get("prefixes")
    if node is None:
        return {}
    if not isinstance(node, dict):
        problems.add(display, doc.line_of("prefixes"), "'prefixes' must be a mapping of prefix to IRI")
        return {}
    out = {}
    for name, value in node.items():
        iri = value.get("prefix_reference") if isinstance(value, dict) else value
        if not isinstance(iri, str) or not _IRI.match(iri):
            problems.add(display, node.line_of(name), f"prefix '{name}' must map to an http(s) IRI, not {iri!r}")
            continue
        out[str(name)] = iri
    return out


def check_curies(doc: Node, display: str, prefixes: dict[str, str], problems: Problems) -> None:
    """Every mapping, URI and meaning of every class, slot, enum and permissible value in ``doc`` is a CURIE
    with a declared prefix, or a full http(s) IRI."""
    for section in ("classes", "slots", "enums"):
        terms = doc.get(section)
        if not isinstance(terms, dict):
            continue
        for name, term in terms.items():
            if not isinstance(term, Node):
                continue
            _check_term(term, f"{section[:-1] if section != 'classes' else 'class'} '{name}'", display, prefixes, problems)
            values = term.get("permissible_values") if section == "enums" else None
            if isinstance(values, dict):
                for text, pv in values.items():
                    if isinstance(pv, Node):
                        _check_term(pv, f"permissible value '{text}' of enum '{name}'", display, prefixes, problems)


def _check_term(term: Node, what: str, display: str, prefixes: dict[str, str], problems: Problems) -> None:
    for key in MAPPING_KEYS:
        if key not in term:
            continue
        values = term[key]
        if not isinstance(values, list):
            problems.add(display, term.line_of(key), f"{what}: {key} must be a list of CURIEs")
            continue
        for i, value in enumerate(values):
            line = values.item_lines[i] if isinstance(values, Seq) else term.line_of(key)
            _check_one(value, f"{what}: {key}", display, line, prefixes, problems)
    for key in _URI_KEYS:
        if term.get(key) is not None:
            _check_one(term[key], f"{what}: {key}", display, term.line_of(key), prefixes, problems)


def _check_one(value, what: str, display: str, line: int, prefixes: dict[str, str], problems: Problems) -> None:
    if not isinstance(value, str):
        problems.add(display, line, f"{what}: {value!r} is not a CURIE", "write prefix:local, e.g. schema:name")
        return
    if _IRI.match(value):
        return
    match = _CURIE.match(value)
    if not match:
        problems.add(display, line, f"{what}: '{value}' is not a CURIE (prefix:local) or an http(s) IRI",
                     "write prefix:local, e.g. schema:name")
    elif match.group(1) not in prefixes:
        problems.add(display, line, f"{what}: prefix '{match.group(1)}' of '{value}' is not declared",
                     f"declare it under 'prefixes:' (declared: {', '.join(sorted(prefixes)) or 'none'})")


def curie_prefix(curie: str) -> str:
    """The prefix of a CURIE; "" for a full IRI."""
    return "" if _IRI.match(curie) else curie.split(":", 1)[0]


def expand(curie: str, prefixes: dict[str, str]) -> str:
    """The IRI a (checked) CURIE stands for."""
    if _IRI.match(curie):
        return curie
    prefix, local = curie.split(":", 1)
    return prefixes[prefix] + local


def standard_mappings(dictionary) -> list[tuple[str, str, str, str, str]]:
    """(term kind, term name, SKOS predicate, object CURIE, where) for every class, slot and enum mapping,
    sorted: the dictionary <-> standards half of the SSSOM export."""
    rows = []
    terms = [("class", c.name, c.meta.mappings, c.file, c.line) for c in dictionary.classes.values()]
    terms += [("slot", s.name, s.meta.mappings, s.file, s.line) for s in dictionary.slots.values()]
    terms += [("enum", e.name, e.mappings, e.file, e.line) for e in dictionary.enums.values()]
    for kind, name, mappings, file, line in terms:
        for key, curie in mappings:
            rows.append((kind, name, SKOS[key], curie, f"{file}:{line}"))
    return sorted(rows)
