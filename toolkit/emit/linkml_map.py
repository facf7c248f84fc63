"""Export each source's mapping as a LinkML-Map TransformationSpecification.

`dict export linkml-map` writes, per source, ``<source>.transform.yaml`` (the specification) and
``<source>.source-schema.yaml`` (the source tables as a LinkML schema, its ``source_schema``); the
target schema is the dictionary itself. LinkML-Map's expression language is Python-like and has no
notion of a rejected record, so not everything a mapping says can be written in it. Every feature that
cannot is listed — in the command's output and as ``comments`` in the specification — never dropped
silently; where LinkML-Map computes a feature slightly differently the difference is listed too.

What carries over exactly: column copies and renames, constants, code maps (``value_mappings``, or
``case()`` for an unmapped default/keep), NULL-aware CASE/IF/COALESCE/NULLIF, comparisons, AND/OR/NOT,
IN, BETWEEN, simple LIKE patterns, ``||``, TRIM, SUBSTRING/LEFT/RIGHT at constant positions, REPLACE,
LENGTH, ABS, FLOOR, CEIL, YEAR/MONTH/DAY, GLOBAL_ID, and to-one joins on one key column.
What does not: reject rules (filter, reject_when, required/enum/pattern/range checks, unmapped codes
and failed casts rejecting a record), grouped derivations (aggregation over records), regular
expressions, LPAD, GREATEST/LEAST, STR_TO_DATE, most casts, ROUND (Python rounds halves to even),
% and joins chained through another join.
"""
from __future__ import annotations

import os

import keyword
import re
from dataclasses import dataclass, field

import yaml
from sqlglot import exp

from toolkit.expressions.functions import BY_NODE
from toolkit.expressions.language import _positional
from toolkit.expressions.python import ThreeValuedLogic, runtime
from toolkit.plan.identity import blank_rule_applies
from toolkit.emit.generate import generator
from toolkit.plan import Plan, SlotPlan, SourcePlan, ViewPlan, slot_checks
from toolkit.core.types import Type

LINKML_RANGES = {Type.STRING: "string", Type.INTEGER: "integer", Type.DECIMAL: "decimal", Type.FLOAT: "double",
                 Type.BOOLEAN: "boolean", Type.DATE: "date", Type.DATETIME: "datetime"}
ZS = runtime()._ZS   # the characters SQL TRIM removes


class Unsupported(Exception):
    """A mapping construct LinkML-Map's expression language cannot express with the same meaning."""


@dataclass
class SlotExport:
    name: str
    status: str                         # exact | approximate | unsupported | unmapped
    derivation: dict | None = None
    notes: list[str] = field(default_factory=list)      # how LinkML-Map computes it differently
    rejects: list[str] = field(default_factory=list)    # records this slot rejects, which LinkML-Map keeps


@dataclass
class DerivationExport:
    view: ViewPlan
    exported: bool
    class_derivation: dict | None
    slots: list[SlotExport]
    unsupported: list[str]             # features of this derivation left out of the spec
    approximations: list[str]          # features written, that LinkML-Map computes differently

    @property
    def joins(self) -> dict:
        return (self.class_derivation or {}).get("joins", {})


@dataclass
class SourceExport:
    source: SourcePlan
    spec: dict
    source_schema: dict
    derivations: list[DerivationExport]

    @property
    def spec_file(self) -> str:
        return f"{self.source.name}.transform.yaml"

    @property
    def schema_file(self) -> str:
        return f"{self.source.name}.source-schema.yaml"

    def unsupported(self) -> list[str]:
        return [f"{d.view.name}: {u}" for d in self.derivations for u in d.unsupported]

    def approximations(self) -> list[str]:
        return [f"{d.view.name}: {a}" for d in self.derivations for a in d.approximations]


# ----------------------------------------------------------------------------- expressions

class _Translator(ThreeValuedLogic):
    """A bound mapping expression as a LinkML-Map expression (simpleeval, NULL as None)."""

    def __init__(self, view: ViewPlan, joinable: set[str]):
        self.view = view
        self.joinable = joinable
        self.caveats: list[str] = []

    def _name(self, node: exp.Column) -> str:
        column = node.name
        if not column.isidentifier() or keyword.iskeyword(column):
            raise Unsupported(f"column {column!r} is not a name LinkML-Map expressions can use")
        if node.table == self.view.base.alias:
            return column
        if node.table in self.joinable:
            return f"{node.table}.{column}"
        raise Unsupported(f"column {node.table}.{column} comes through a join LinkML-Map cannot express")

    def value(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Paren):
            return self.value(node.this)
        if isinstance(node, exp.Column):
            return self._name(node)
        if isinstance(node, exp.Literal):
            if node.is_string:
                return repr(node.this)
            if not re.fullmatch(r"[0-9]+", node.this):
                self.caveats.append("decimal numbers are computed in binary floating point")
            return node.this
        if isinstance(node, exp.Boolean):
            return "True" if node.this else "False"
        if isinstance(node, exp.Null):
            return "None"
        if isinstance(node, exp.Neg):
            return f"(-{self.value(node.this)})"
        if isinstance(node, exp.DPipe):
            return f"({self.value(node.this)} + {self.value(node.expression)})"
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            op = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}[type(node)]
            types = {self._type(node.this), self._type(node.expression)}
            if types & {Type.DECIMAL, Type.FLOAT}:
                self.caveats.append("decimal numbers are computed in binary floating point")
            return f"({self.value(node.this)} {op} {self.value(node.expression)})"
        if isinstance(node, exp.Div):
            divisor = node.expression
            if not (isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.this) != 0):
                raise Unsupported("'/' by a value that may be 0 (LinkML-Map raises where SQL gives NULL)")
            self.caveats.append("decimal numbers are computed in binary floating point")
            return f"({self.value(node.this)} / {self.value(divisor)})"
        if isinstance(node, exp.Mod):
            raise Unsupported("'%' (Python's remainder takes the divisor's sign, SQL's the dividend's)")
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
                             exp.Like, exp.ILike, exp.And, exp.Or, exp.Not)):
            truth, falsity = self.truth(node), self.falsity(node)
            return f"case(({truth}, True), ({falsity}, False))"
        if isinstance(node, exp.Case):
            return self._case(node)
        if isinstance(node, exp.If):
            branches = [(self.truth(node.this), self.value(node.args["true"]))]
            if node.args.get("false") is not None:
                branches.append(("True", self.value(node.args["false"])))
            return self._case_call(branches)
        if isinstance(node, exp.Nullif):
            a, b = self.value(node.this), self.value(node.expression)
            return f"case(({a} is not None and {b} is not None and {a} == {b}, None), (True, {a}))"
        if isinstance(node, exp.Concat):
            parts = [f"coalesce({self._text(a)}, '')" for a in node.expressions]
            return "(" + " + ".join(parts) + ")" if parts else "''"
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self._cast(node)
        if isinstance(node, exp.Trim):
            if node.args.get("expression") is not None:
                raise Unsupported("TRIM of other characters")
            method = {"LEADING": "lstrip", "TRAILING": "rstrip"}.get((node.args.get("position") or "").upper(), "strip")
            return f"{method}({self.value(node.this)}, {ZS!r})"
        if isinstance(node, exp.Substring):
            start, length = node.args.get("start"), node.args.get("length")
            s = _positive_int(start)
            n = _positive_int(length, allow_zero=True) if length is not None else None
            if s is None or (length is not None and n is None):
                raise Unsupported("SUBSTRING at a position that is not a positive constant")
            end = f", {s - 1 + n}" if n is not None else ""
            return f"substr({self.value(node.this)}, {s - 1}{end})"
        if isinstance(node, exp.Left):
            n = _positive_int(node.expression, allow_zero=True)
            if n is None:
                raise Unsupported("LEFT of a length that is not a constant")
            return f"substr({self.value(node.this)}, 0, {n})"
        if isinstance(node, exp.Right):
            n = _positive_int(node.expression)
            if n is None:
                raise Unsupported("RIGHT of a length that is not a positive constant")
            return f"substr({self.value(node.this)}, {-n})"
        if isinstance(node, exp.Replace):
            search = node.expression
            if not (isinstance(search, exp.Literal) and search.is_string and search.this):
                raise Unsupported("REPLACE of a text that is not a non-empty constant")
            return f"replace({self.value(node.this)}, {self.value(search)}, {self.value(node.args['replacement'])})"
        fn = BY_NODE.get(type(node))
        if fn is not None and fn.linkml:   # its LinkML-Map expression, from the function table
            if fn.linkml_note:
                self.caveats.append(fn.linkml_note)
            args = [self.value(a) for a in _positional(node)]
            return fn.linkml.format(*args, args=", ".join(args))
        if fn is not None and fn.linkml is None:
            raise Unsupported(fn.name + (f" ({fn.linkml_note})" if fn.linkml_note else ""))
        raise Unsupported(f"`{node.sql()}`")

    def _case(self, node: exp.Case) -> str:
        branches = []
        for b in node.args.get("ifs") or []:
            cond = exp.EQ(this=node.this.copy(), expression=b.this.copy()) if node.this is not None else b.this
            branches.append((self.truth(cond), self.value(b.args["true"])))
        if node.args.get("default") is not None:
            branches.append(("True", self.value(node.args["default"])))
        return self._case_call(branches)

    @staticmethod
    def _case_call(branches: list[tuple[str, str]]) -> str:
        return "case(" + ", ".join(f"({c}, {v})" for c, v in branches) + ")"

    def _text(self, node: exp.Expression) -> str:
        t = self._type(node)
        if t in (Type.STRING, Type.NULL):
            return self.value(node)
        if t is Type.INTEGER:
            return f"str({self.value(node)})"
        raise Unsupported(f"text of a {t.value} value (Python and SQL write it differently)")

    def _cast(self, node: exp.Expression) -> str:
        target = _cast_type(node.to)
        source = self._type(node.this)
        if target is source and target is not Type.DECIMAL:
            return self.value(node.this)
        if target is Type.STRING:
            return self._text(node.this)
        if target is Type.FLOAT and source in (Type.INTEGER, Type.DECIMAL):
            return f"float({self.value(node.this)})"
        raise Unsupported(f"CAST from {source.value} to {target.value if target else node.to.sql()}")

    def _type(self, node: exp.Expression) -> Type:
        from toolkit.expressions.language import ExpressionError, Scope, _Checker

        tables = {ref.alias: ref.table for ref in self.view.tables()}
        try:
            return _Checker(Scope(self.view.source, self.view.base.alias, tables)).type_of(node)
        except (ExpressionError, KeyError, AttributeError):
            return Type.STRING

    # the tests ThreeValuedLogic joins into conditions: NULL is neither true nor false
    def _leaf_truth(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Is):
            x = self.value(node.this)
            if isinstance(node.expression, exp.Null):
                return f"({x} is None)"
            return f"({x} == {self.value(node.expression)})"
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            return self._compare(node, {exp.EQ: "==", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}[type(node)])
        if isinstance(node, exp.In):
            items = [i for i in node.expressions if not isinstance(i, exp.Null)]
            x = self.value(node.this)
            return f"({x} is not None and {x} in [{', '.join(self.value(i) for i in items)}])"
        if isinstance(node, exp.Between):
            x = self.value(node.this)
            return f"({x} is not None and {self.value(node.args['low'])} <= {x} and {x} <= {self.value(node.args['high'])})"
        if isinstance(node, (exp.Like, exp.ILike)):
            return self._like(node)
        return f"({self.value(node)} == True)"

    def _leaf_falsity(self, node: exp.Expression) -> str:
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            return self._compare(node, {exp.EQ: "!=", exp.NEQ: "==", exp.GT: "<=", exp.GTE: "<", exp.LT: ">=", exp.LTE: ">"}[type(node)])
        if isinstance(node, exp.In):
            if any(isinstance(i, exp.Null) for i in node.expressions):
                return "False"
            x = self.value(node.this)
            return f"({x} is not None and {x} not in [{', '.join(self.value(i) for i in node.expressions)}])"
        if isinstance(node, exp.Between):
            x = self.value(node.this)
            lo, hi = self.value(node.args["low"]), self.value(node.args["high"])
            return f"({x} is not None and (({lo} is not None and {x} < {lo}) or ({hi} is not None and {x} > {hi})))"
        if isinstance(node, (exp.Like, exp.ILike)):
            x = self.value(node.this)
            return f"({x} is not None and not {self._like(node)})"
        return f"({self.value(node)} == False)"

    def _compare(self, node: exp.Expression, op: str) -> str:
        a, b = node.this, node.expression
        if self._type(a) is Type.NULL or self._type(b) is Type.NULL:
            return "False"
        left, right = self.value(a), self.value(b)
        guards = [f"{side} is not None" for side, n in ((left, a), (right, b)) if not isinstance(n, (exp.Literal, exp.Boolean))]
        return "(" + " and ".join(guards + [f"{left} {op} {right}"]) + ")"

    def _like(self, node: exp.Expression) -> str:
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string) or "_" in pattern.this:
            raise Unsupported("LIKE with a pattern other than text%, %text, %text% or text")
        p = pattern.this
        x = self.value(node.this)
        if isinstance(node, exp.ILike):
            self.caveats.append("ILIKE lower-cases with Python's Unicode case mapping")
            x, p = f"lower({x})", p.lower()
        core = p.strip("%")
        if "%" in core:
            raise Unsupported("LIKE with a '%' inside the pattern")
        if p.startswith("%") and p.endswith("%") and len(p) > 1:
            test = f"contains({x}, {core!r})"
        elif p.startswith("%"):
            test = f"endswith({x}, {core!r})"
        elif p.endswith("%"):
            test = f"startswith({x}, {core!r})"
        else:
            test = f"{x} == {core!r}"
        return f"({x} is not None and {test})"


def _positive_int(node, allow_zero: bool = False) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and re.fullmatch(r"[0-9]+", node.this):
        n = int(node.this)
        return n if (n > 0 or (allow_zero and n == 0)) else None
    return None


def _cast_type(to: exp.DataType) -> Type | None:
    from toolkit.core.types import from_native

    if to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.NVARCHAR):
        return Type.STRING
    return from_native(to)


# ----------------------------------------------------------------------------- derivations

def _joins(view: ViewPlan) -> tuple[dict, list[str]]:
    """LinkML-Map joins (alias -> class_named, source_key, lookup_key) and the joins it cannot express."""
    joins, problems = {}, []
    for join in view.joins:
        alias, on = join.ref.alias, join.on.ast
        sides = [on.this, on.expression] if isinstance(on, exp.EQ) else []
        mine = [s for s in sides if isinstance(s, exp.Column) and s.table == alias]
        base = [s for s in sides if isinstance(s, exp.Column) and s.table == view.base.alias]
        if join.cardinality != "to_one":
            problems.append(f"join {alias} ({join.ref.table.name}) is to_many: LinkML-Map looks up one row")
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", alias) or len(mine) != 1 or len(base) != 1:
            problems.append(f"join {alias} ON {join.on.text}: LinkML-Map joins match one column of the driving table")
        else:
            joins[alias] = {"class_named": join.ref.table.name, "source_key": base[0].name, "lookup_key": mine[0].name}
    return joins, problems


def _slot(sp: SlotPlan, view: ViewPlan, joinable: set[str]) -> SlotExport:
    if sp.kind in ("unmapped", "waived"):
        return SlotExport(sp.name, "unmapped")
    if sp.kind == "constant":
        value = _constant(sp)
        return SlotExport(sp.name, "exact", {"value": value})
    translator = _Translator(view, joinable)
    vm = sp.value_map
    notes = []
    try:
        if vm is not None and vm.unmapped == "reject":
            notes.append("an unmapped code rejects the record; LinkML-Map writes null")
        if vm is not None and sp.kind == "copy" and vm.unmapped in ("null", "reject"):
            column = sp.expr.ast
            source = translator.value(column)
            if "." in source:
                raise Unsupported("code map on a joined column")
            derivation = {"populated_from": column.name,
                          "value_mappings": {str(_code(code)): {"value": _typed(target, sp)} for code, target in vm.pairs}}
        elif vm is not None:
            x = translator.value(sp.expr.ast)
            branches = [(f"{x} == {_code_literal(code)}", repr(_typed(target, sp))) for code, target in vm.pairs]
            other = {"default": repr(_typed(vm.default, sp)), "keep": x, "null": "None", "reject": "None"}[vm.unmapped]
            if other != "None":
                branches.append(("True", other))
            derivation = {"expr": _Translator._case_call(branches)}
        elif sp.kind == "copy" and isinstance(sp.expr.ast, exp.Column) and sp.expr.ast.table == view.base.alias:
            translator.value(sp.expr.ast)
            derivation = {"populated_from": sp.expr.ast.name}
        else:
            derivation = {"expr": translator.value(sp.expr.ast)}
    except Unsupported as reason:
        return SlotExport(sp.name, "unsupported", None, [f"slot {sp.name}: {reason} (`{_short(sp.expr.text)}`)"])
    if blank_rule_applies(view, sp):
        notes.append("blank text (empty or only spaces) is NULL in the views; LinkML-Map keeps it")
    caveats = list(dict.fromkeys(translator.caveats))
    status = "approximate" if caveats else "exact"
    return SlotExport(sp.name, status, derivation, [f"slot {sp.name}: {c}" for c in caveats], [f"slot {sp.name}: {n}" for n in notes])


def _short(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _code(code):
    return "true" if code is True else ("false" if code is False else code)


def _code_literal(code) -> str:
    return repr(code)


def _constant(sp: SlotPlan):
    text = sp.expr.ast.this if isinstance(sp.expr.ast, exp.Literal) else sp.expr.ast.this.this
    return _typed(text, sp)


def _typed(text: str | None, sp: SlotPlan):
    """A code-map target or constant as a value of the slot's type (YAML true, not the text 'true')."""
    if text is None:
        return None
    t = sp.slot.type
    rt = runtime()
    if t is Type.BOOLEAN:
        return rt._to_bool(text)
    if t is Type.INTEGER:
        return rt._int(text)
    if t in (Type.DECIMAL, Type.FLOAT):
        return float(text)
    return text


def export_derivation(view: ViewPlan) -> DerivationExport:
    if view.grouped:
        keys = ", ".join(g.text for g in view.group_by)
        return DerivationExport(view, False, None, [], [
            f"not exported: group_by {keys} aggregates many source records into one canonical record; "
            "LinkML-Map maps one object at a time (its aggregation_operation reduces a multivalued slot of one object)"], [])
    joins, join_problems = _joins(view)
    unsupported = list(join_problems)
    join_notes = [f"join {alias}: LinkML-Map's file-based LookupIndex reads the joined table as text and turns "
                  "numeric-looking text into numbers (leading zeros are lost, dates stay text); give it typed rows"
                  for alias in joins]
    for rule in view.rules:
        unsupported.append(f"{rule.kind} `{_short(rule.condition.text)}` rejects records ('{rule.reason}'); "
                           "LinkML-Map has no rejects and maps every record")
    for ref in view.references:
        if ref.reject:
            unsupported.append(f"slot {ref.slot}: on_orphan: reject rejects a record whose {ref.target_class} was "
                               "rejected or does not exist; LinkML-Map maps each record alone")
    checks = sorted({c for sp in view.slots for c in _checks(sp, view.grouped)})
    if checks:
        unsupported.append("record checks that reject (" + "; ".join(checks) + "): LinkML-Map does not validate "
                           "its output (run linkml-validate on it instead)")
    slots = [_slot(sp, view, set(joins)) for sp in view.slots]
    approximations = list(join_notes)
    for s in slots:
        unsupported += s.rejects
        if s.status == "unsupported":
            unsupported += [n + " — slot left out of the specification" for n in s.notes]
        elif s.notes:
            approximations += s.notes
    derivation = {
        "name": view.target.name,
        "populated_from": view.base.table.name,
        "description": f"derivation {view.name} ({view.file}:{view.line})" + (f": {view.description}" if view.description else ""),
        "comments": [f"not supported by LinkML-Map: {u}" for u in unsupported]
                    + [f"computed differently by LinkML-Map: {a}" for a in approximations],
        "slot_derivations": {s.name: s.derivation for s in slots if s.derivation is not None},
    }
    if joins:
        derivation["joins"] = joins
    if not derivation["comments"]:
        del derivation["comments"]
    return DerivationExport(view, True, derivation, slots, unsupported, approximations)


def _checks(sp: SlotPlan, grouped: bool = False) -> list[str]:
    """The plan's checks of the slot in words (LinkML-Map has no reject path for any of them)."""
    return [c.description for c in slot_checks(sp, grouped)]


def _source_schema(source: SourcePlan) -> dict:
    classes = {}
    for table in source.schema.tables.values():
        attributes = {}
        for column in table.columns.values():
            attr = {"range": LINKML_RANGES[column.type]}
            if column.name in table.primary_key and len(table.primary_key) == 1:
                attr["identifier"] = True
            attributes[column.name] = attr
        classes[table.name] = {"description": table.description or f"table {table.name} of {source.name}",
                               "attributes": attributes}
    return {
        "id": f"https://example.org/dict/sources/{source.name}",
        "name": f"{source.name}_source",
        "title": f"{source.title or source.name}: source tables",
        "description": f"The tables of source system {source.name} as recorded in its source schema, as a LinkML "
                       "schema for LinkML-Map. Generated by `dict export linkml-map`.",
        "prefixes": {"linkml": "https://w3id.org/linkml/", source.name: f"https://example.org/dict/sources/{source.name}/"},
        "default_prefix": source.name,
        "default_range": "string",
        "imports": ["linkml:types"],
        "classes": classes,
    }


def export_source(plan: Plan, source: SourcePlan, dictionary_file: str) -> SourceExport:
    derivations = [export_derivation(v) for v in source.views]
    exported = [d for d in derivations if d.exported]
    schema = _source_schema(source)
    spec = {
        "id": f"https://example.org/dict/transform/{source.name}",
        "title": f"{source.title or source.name} onto the {plan.dictionary.name} dictionary",
        "description": f"LinkML-Map form of mappings/{source.name}.yaml, generated by `dict export linkml-map`. "
                       "Features LinkML-Map cannot express are listed under comments, never dropped silently.",
        "source_schema": {"name": schema["name"], "source_file": f"{source.name}.source-schema.yaml"},
        "target_schema": {"name": plan.dictionary.name, "source_file": dictionary_file},
        "comments": [f"not supported by LinkML-Map: {d.view.name}: {u}" for d in derivations for u in d.unsupported],
        "class_derivations": [d.class_derivation for d in exported],
    }
    return SourceExport(source, spec, schema, derivations)


def export_linkml_map(plan: Plan, dictionary_file: str) -> list[SourceExport]:
    """Every source's export; ``dictionary_file``: the dictionary's path as the specs should reference it."""
    return [export_source(plan, s, dictionary_file) for s in plan.sources]


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


@generator("linkml-map")
def linkml_map_files(plan: Plan, **_) -> dict[str, str]:
    """generated/linkml-map/: the LinkML-Map specs `dict export linkml-map` writes, committed beside the SQL."""
    dictionary = os.path.relpath(plan.dictionary.files[0], "generated/linkml-map")
    from toolkit.emit.cache import cached_texts, source_repr

    out: dict[str, str] = {}
    for source in plan.sources:   # a source's specs read its plan, the dictionary's name and that path alone
        out.update(cached_texts("linkml-map", repr((source_repr(plan, source), plan.dictionary.name, dictionary)),
                                lambda: list(files([export_source(plan, source, dictionary)]).items())))
    return {f"linkml-map/{name}": text for name, text in out.items()}


def files(exports: list[SourceExport]) -> dict[str, str]:
    header = "# Generated by `dict export linkml-map` from dictionary/ and mappings/. Do not edit.\n"
    out = {}
    for e in exports:
        out[e.spec_file] = header + dump(e.spec)
        out[e.schema_file] = header + dump(e.source_schema)
    return out
