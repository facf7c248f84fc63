"""Interaction policies: one file per policy under policies/, in the policy language defined in LinkML.

A policy listens to new or changed canonical records of one dictionary class (the event), reads
records the event references (``lookups``: transaction -> customer), tests a condition in the
mapping expression language and asks one channel for one action for one party, at most once per
party per calendar period. The structure is checked against the JSON Schema generated from
``policy_language.yaml``; names, slots, references, enum codes and expressions against the
dictionary, every problem with its file and line. What comes out is a ``Policy`` whose expressions
are bound ASTs: the SQL emitter and the Python emitter both walk them, so batch and real time share
one meaning (``toolkit/emit/policies.py``).

Policy text is hostile input: names are restricted to ``[a-z][a-z0-9_]*``, slots must exist in the
dictionary, and free text (purpose, owner, title) only ever becomes an escaped literal.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlglot import exp

from toolkit.core.lean import jsonschema as _jsonschema
from toolkit.load.dictionary import ClassDef, Dictionary
from toolkit.core.errors import DictError, Problem, Problems
from toolkit.expressions.language import Expr, ExpressionError, Scope, compile_expression, parse
from toolkit.load.mapping import _jsonable, _line_at, _schema_problem
from toolkit.core.names import policy_view
from toolkit.core.paths import display_path
from toolkit.load.source_schema import Column, Table
from toolkit.core.types import SQL_TYPES, Type
from toolkit.load.yamlsource import Node, folder_files, load_yaml

jsonschema = _jsonschema()   # without its format libraries in the `dict` process (see core/lean.py)

LANGUAGE_SCHEMA = Path(__file__).with_name("policy_language.schema.json")
LANGUAGE_LINKML = Path(__file__).with_name("policy_language.yaml")
EVENT = "event"                  # the alias the triggering record goes by in expressions
NAME = r"^[a-z][a-z0-9_]*$"
PERIOD_KEYS = {                  # the calendar period of the event's time slot, as an integer key
    "day": "YEAR({at}) * 10000 + MONTH({at}) * 100 + DAY({at})",
    "month": "YEAR({at}) * 100 + MONTH({at})",
    "year": "YEAR({at})",
}
DEFAULT_PRIORITY = 100
MAX_NAME = 40                    # policy__<name>__matches stays under PostgreSQL's 63 bytes


@dataclass(frozen=True)
class Lookup:
    """A record reached through a reference slot: ``alias`` is the record of ``target`` whose id is ``via``."""

    alias: str
    target: ClassDef
    via: Expr          # the reference value (a column of the event or of an earlier lookup)
    line: int


@dataclass(frozen=True)
class PayloadValue:
    key: str
    expr: Expr
    line: int


@dataclass(frozen=True)
class Policy:
    name: str
    file: str
    line: int
    title: str
    purpose: str
    owner: str
    trigger: ClassDef
    events: tuple[str, ...]
    filter: Expr | None
    lookups: tuple[Lookup, ...]
    condition: Expr | None
    action: str
    channel: str
    party: Expr
    party_class: str
    payload: tuple[PayloadValue, ...]
    period: str
    at: str             # the event's date or datetime slot
    period_key: Expr
    priority: int
    scope: Scope        # what the expressions may read: alias -> the class's slots as columns

    @property
    def view_name(self) -> str:
        return policy_view(self.name)

    def inputs(self) -> list[tuple[str, str]]:
        """(class, slot) of every canonical slot the policy reads, in order of first use."""
        classes = {EVENT: self.trigger.name, **{lk.alias: lk.target.name for lk in self.lookups}}
        exprs = [e for e in (self.filter, self.condition, self.party, self.period_key) if e is not None]
        exprs += [lk.via for lk in self.lookups] + [p.expr for p in self.payload]
        return list(dict.fromkeys((classes[c.alias], c.column) for e in exprs for c in e.columns))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(LANGUAGE_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def policy_files(root: Path) -> list[Path]:
    return folder_files(root / "policies", "*.yaml", "policies")


def load_policies(root: Path, dictionary: Dictionary) -> tuple[Policy, ...]:
    """Every policy under <root>/policies, checked against the dictionary; all problems at once."""
    problems = Problems()
    policies: list[Policy] = []
    seen: dict[str, str] = {}
    for path in policy_files(root):
        display = display_path(path, root)
        try:
            policy = load_policy(path, display, dictionary, root)
        except DictError as err:
            problems.items.extend(err.problems)
            continue
        if policy.name in seen:
            problems.add(display, policy.line, f"policy '{policy.name}' is already defined in {seen[policy.name]}",
                         "give each policy its own name")
            continue
        seen[policy.name] = display
        policies.append(policy)
    problems.raise_if_any()
    return tuple(sorted(policies, key=lambda p: p.name))


def load_policy(path: Path, display: str, dictionary: Dictionary, root: Path | None = None) -> Policy:
    node = load_yaml(path, display, root)
    if not isinstance(node, Node):
        raise DictError(Problem(display, 1, "a policy file must be a YAML mapping with name, purpose, trigger and action"))
    problems = Problems()
    for err in sorted(_validator().iter_errors(_jsonable(node)), key=lambda e: list(map(str, e.absolute_path))):
        at, message = _schema_problem(err)
        problems.add(display, _line_at(node, at), message)
    problems.raise_if_any()
    return _Reader(node, display, dictionary).read()


def class_table(cls: ClassDef) -> Table:
    """A dictionary class seen as a table of its single-valued slots, typed as the canonical views hold them."""
    columns = {s.name: Column(s.name, SQL_TYPES[s.type].sql(), s.type) for s in cls.slots if not s.multivalued}
    return Table(cls.table_name, columns)


class _Reader:
    """Reads one checked policy file into a Policy, collecting every problem with its line."""

    def __init__(self, node: Node, display: str, dictionary: Dictionary):
        self.node = node
        self.file = display
        self.dictionary = dictionary
        self.problems = Problems()

    def read(self) -> Policy:
        node, problems = self.node, self.problems
        trigger = node["trigger"]
        cls = self.dictionary.classes.get(str(trigger["target_class"]))
        if cls is None:
            raise DictError(Problem(self.file, trigger.line_of("target_class"),
                                         f"unknown class '{trigger['target_class']}' in trigger",
                                         "one of: " + ", ".join(sorted(self.dictionary.classes))))
        scope = Scope(source="policy", driving=EVENT, tables={EVENT: class_table(cls)},
                      classes=frozenset(self.dictionary.classes))
        aliases = {EVENT: cls}
        lookups = self._lookups(node.get("lookups"), scope, aliases)
        filter_ = self._condition(trigger, "filter", Scope(scope.source, EVENT, {EVENT: scope.tables[EVENT]}), aliases)
        condition = self._condition(node, "condition", scope, aliases)
        action = node["action"]
        party, party_class = self._reference(action, "party", scope, aliases)
        channel = str(action["channel"])
        self._check_channel(channel, action.line_of("channel"))
        payload = self._payload(action.get("payload"), scope, aliases)
        period, at, period_key = self._suppression(node.get("suppression"), cls, scope)
        if len(str(node["name"])) > MAX_NAME:
            problems.add(self.file, node.line_of("name"), f"policy name is {len(str(node['name']))} characters; at most "
                         f"{MAX_NAME} (its views, policy__<name>__matches, must fit every engine's name limit)")
        problems.raise_if_any()
        return Policy(
            name=str(node["name"]), file=self.file, line=node.line_of("name"), title=str(node.get("title") or ""),
            purpose=str(node["purpose"]), owner=str(node["owner"]), trigger=cls,
            events=tuple(dict.fromkeys(trigger.get("events") or ("new", "changed"))), filter=filter_,
            lookups=lookups, condition=condition, action=str(action["name"]), channel=channel, party=party,
            party_class=party_class, payload=payload, period=period, at=at, period_key=period_key,
            priority=int(node.get("priority") if node.get("priority") is not None else DEFAULT_PRIORITY), scope=scope)

    # ------------------------------------------------------------------ parts
    def _lookups(self, node, scope: Scope, aliases: dict[str, ClassDef]) -> tuple[Lookup, ...]:
        out = []
        for alias, spec in (node or {}).items():
            line = node.line_of(alias)
            if not _is_name(alias) or alias == EVENT:
                self.problems.add(self.file, line, f"lookup alias {alias!r} must be lower case letters, digits and "
                                  f"underscores, and not '{EVENT}'")
                continue
            via_text = spec.get("via") if isinstance(spec, dict) else spec
            try:
                via, target = self._path(str(via_text), scope, aliases)
            except ExpressionError as exc:
                self.problems.add(self.file, line, f"lookup '{alias}': {exc}")
                continue
            scope.tables[alias] = class_table(target)
            aliases[alias] = target
            out.append(Lookup(alias, target, via, line))
        return tuple(out)

    def _path(self, text: str, scope: Scope, aliases: dict[str, ClassDef]) -> tuple[Expr, ClassDef]:
        """A reference 'slot' (of the event) or 'alias.slot': the bound column and the class it references."""
        parts = text.strip().split(".")
        if len(parts) == 1:
            parts = [EVENT, parts[0]]
        if len(parts) != 2 or not all(_is_name(p) for p in parts):
            raise ExpressionError(f"'{text}' should be a reference slot of the event ('slot') or of a lookup ('alias.slot')")
        alias, slot_name = parts
        if alias not in aliases:
            raise ExpressionError(f"unknown alias '{alias}' (known here: {', '.join(aliases)}); a lookup may only use earlier ones")
        slot = aliases[alias].slot(slot_name)
        if slot is None:
            raise ExpressionError(f"class {aliases[alias].name} has no slot '{slot_name}'")
        if not slot.references or slot.references not in self.dictionary.classes:
            raise ExpressionError(f"slot '{slot_name}' of {aliases[alias].name} is not a reference to a class (its range is {slot.range})")
        return compile_expression(f'"{alias}"."{slot_name}"', scope), self.dictionary.classes[slot.references]

    def _reference(self, node: Node, key: str, scope: Scope, aliases) -> tuple[Expr | None, str]:
        try:
            expr, target = self._path(str(node[key]), scope, aliases)
            return expr, target.name
        except ExpressionError as exc:
            self.problems.add(self.file, node.line_of(key), f"{key}: {exc}")
            return None, ""

    def _condition(self, node: Node, key: str, scope: Scope, aliases) -> Expr | None:
        if node.get(key) is None:
            return None
        expr = self._expression(str(node[key]), scope, aliases, node.line_of(key), key)
        if expr is not None and expr.type not in (Type.BOOLEAN, Type.NULL):
            self.problems.add(self.file, node.line_of(key), f"{key} is {expr.type.value}, but a condition (true/false) is needed")
            return None
        return expr

    def _payload(self, node, scope: Scope, aliases) -> tuple[PayloadValue, ...]:
        out = []
        for key, spec in (node or {}).items():
            line = node.line_of(key)
            if not _is_name(key):
                self.problems.add(self.file, line, f"payload key {key!r} must be lower case letters, digits and underscores")
                continue
            text = spec.get("expr") if isinstance(spec, dict) else spec
            expr = self._expression(str(text), scope, aliases, line, f"payload '{key}'")
            if expr is not None:
                out.append(PayloadValue(key, expr, line))
        return tuple(out)

    def _suppression(self, node, cls: ClassDef, scope: Scope) -> tuple[str, str, Expr | None]:
        node = node or Node(self.file, self.node.line)
        period = str(node.get("period") or "day")
        at = node.get("at")
        temporal = [s.name for s in cls.slots if s.type.temporal and not s.multivalued]
        if at is None:
            if not temporal:
                self.problems.add(self.file, node.line, f"class {cls.name} has no date or datetime slot to place events "
                                  "in a period", "name one with suppression.at")
                return period, "", None
            at = temporal[0]
        if str(at) not in temporal:
            self.problems.add(self.file, node.line_of("at"), f"suppression.at '{at}' is not a date or datetime slot of "
                              f"{cls.name} (one of: {', '.join(temporal) or 'none'})")
            return period, str(at), None
        text = PERIOD_KEYS[period].format(at=exp.column(str(at), table=EVENT, quoted=True).sql())
        return period, str(at), compile_expression(text, Scope(scope.source, EVENT, {EVENT: scope.tables[EVENT]}))

    def _expression(self, text: str, scope: Scope, aliases, line: int, what: str) -> Expr | None:
        try:
            expr = compile_expression(text, scope)
        except ExpressionError as exc:
            self.problems.add(self.file, line, f"{what}: {exc}", f"expression: {text.strip()[:80]}")
            return None
        if expr.aggregate:
            self.problems.add(self.file, line, f"{what}: aggregates are not allowed in a policy (it reads one event)")
            return None
        if expr.strict_casts:
            self.problems.add(self.file, line, f"{what}: CAST can fail on a value; use TRY_CAST (NULL when it does not convert)")
            return None
        self._check_codes(parse(text), scope, aliases, line, what)
        return expr

    def _check_codes(self, tree: exp.Expression, scope: Scope, aliases: dict[str, ClassDef], line: int, what: str) -> None:
        """A text compared with an enum slot must be one of its permissible values (a typo never matches)."""
        for node in tree.find_all(exp.EQ, exp.NEQ, exp.In):
            pairs = [(node.this, v) for v in node.expressions] if isinstance(node, exp.In) else [
                (node.this, node.expression), (node.expression, node.this)]
            for column, value in pairs:
                if not (isinstance(column, exp.Column) and isinstance(value, exp.Literal) and value.is_string):
                    continue
                alias = column.table or next((a for a in scope.tables if scope.tables[a].column(column.name)), EVENT)
                cls = aliases.get(alias)
                slot = cls.slot(column.name) if cls else None
                if slot is not None and slot.enum is not None and value.this not in slot.enum.texts:
                    self.problems.add(self.file, line, f"{what}: '{value.this}' is not a value of {slot.name} "
                                      f"({slot.enum.name}: {', '.join(slot.enum.texts)})")

    def _check_channel(self, channel: str, line: int) -> None:
        slot = self.dictionary.slots.get("channel")
        enum = slot.enum if slot is not None and slot.enum is not None else self.dictionary.enums.get("Channel")
        if enum is not None and channel not in enum.texts:
            self.problems.add(self.file, line, f"channel '{channel}' is not a channel of the dictionary "
                              f"({enum.name}: {', '.join(enum.texts)})")


def _is_name(text) -> bool:
    return isinstance(text, str) and re.fullmatch(NAME, text) is not None


# ---------------------------------------------------------------------------- conflicts

@dataclass(frozen=True)
class Conflict:
    first: Policy
    second: Policy

    def __str__(self) -> str:
        a, b = self.first, self.second
        return (f"{a.file}:{a.line}: policies '{a.name}' (purpose: {a.purpose.strip()}) and '{b.name}' "
                f"({b.file}:{b.line}, purpose: {b.purpose.strip()}) can both fire for one {a.party_class} into channel "
                f"'{a.channel}' in the same {_shorter(a.period, b.period)}; priority orders them "
                f"({a.name}: {a.priority}, {b.name}: {b.priority})")


def _shorter(p: str, q: str) -> str:
    order = list(PERIOD_KEYS)
    return p if order.index(p) <= order.index(q) else q


def conflicts(policies: tuple[Policy, ...]) -> list[Conflict]:
    """Pairs of policies that can act on one party in one channel within one period."""
    out = []
    for i, a in enumerate(policies):
        for b in policies[i + 1:]:
            if a.channel == b.channel and a.party_class == b.party_class and not _disjoint(a, b):
                out.append(Conflict(a, b))
    return out


def _disjoint(a: Policy, b: Policy) -> bool:
    """True only when no event can trigger both: same class, and their filters fix one slot to different codes."""
    if a.trigger.name != b.trigger.name:
        return False
    fixed_a, fixed_b = _fixed_codes(a.filter), _fixed_codes(b.filter)
    return any(slot in fixed_b and not (fixed_a[slot] & fixed_b[slot]) for slot in fixed_a)


def _fixed_codes(expr: Expr | None) -> dict[str, set[str]]:
    """slot -> the codes a top-level conjunct ``slot = 'x'`` or ``slot IN ('x', ...)`` allows."""
    out: dict[str, set[str]] = {}
    if expr is None:
        return out
    for node in expr.ast.flatten() if isinstance(expr.ast, exp.And) else [expr.ast]:
        while isinstance(node, exp.Paren):
            node = node.this
        values = [node.expression] if isinstance(node, exp.EQ) else node.expressions if isinstance(node, exp.In) else []
        if isinstance(node.this, exp.Column) and values and all(isinstance(v, exp.Literal) for v in values):
            out.setdefault(node.this.name, set()).update(v.this for v in values)
    return out


# ---------------------------------------------------------------------------- impact

def policies_reading(policies: tuple[Policy, ...], slots: list[str]) -> list[dict]:
    """The policies that read any of ``slots`` ('Class.slot'): a legacy change reaching those slots breaks them."""
    wanted = set(slots)
    out = []
    for p in policies:
        read = [f"{cls}.{slot}" for cls, slot in p.inputs() if f"{cls}.{slot}" in wanted]
        if read:
            out.append({"policy": p.name, "file": p.file, "line": p.line, "purpose": p.purpose.strip(),
                        "channel": p.channel, "reads": read})
    return out
