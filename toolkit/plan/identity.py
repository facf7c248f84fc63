"""Identity integrity: can two derivations of one class give the same identifier?

Every derivation of a class puts its rows under the class's identifier slot, and the integrated view
is the UNION ALL of them: two derivations whose ids can be equal give one id to two canonical rows
(three contact-point derivations with the default id ``'<source>:ContactPoint:' || CustomerId`` give
each customer's id three times). ``check_identities`` decides this from the plan, before any data is
read, and refuses such a pair with both derivations' file:line.

The decision is on the *shape* of each id expression: the texts it can be, as a small pattern of
literal characters and holes (a column or an expression of unknown text). ``GLOBAL_ID`` and ``||``
concatenate, ``CASE``/``COALESCE``/``IF`` give alternatives, a code map gives its targets. A hole that
is an integer column cast to text holds only ``-`` and digits; any other hole may hold any text. Two
patterns can give the same id exactly when their languages meet, which a walk over pairs of pattern
positions decides (and yields an example id). The answer errs on the safe side: a pair it cannot tell
apart is refused, and the fix is always a discriminator (a literal that differs) in one id.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from toolkit.core.errors import Problems
from toolkit.core.types import Type

if TYPE_CHECKING:
    from toolkit.plan import SlotPlan, SourcePlan, ViewPlan

# A pattern is a tuple of tokens: (characters allowed, repeated). ``None`` allows any character; a
# repeated token matches zero or more characters from its set, any other token exactly one.
Token = tuple[frozenset[str] | None, bool]
Pattern = tuple[Token, ...]

DIGITS = frozenset("0123456789")
ANY_TEXT: Pattern = ((None, True),)
INTEGER_TEXT: Pattern = ((DIGITS | {"-"}, False), (DIGITS, True))
MOST_ALTERNATIVES = 64   # beyond this many alternatives an expression is taken as any text


def _literal(text: str) -> Pattern:
    return tuple((frozenset(c), False) for c in text)


def _is_text_type(node: exp.DataType) -> bool:
    return node.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR,
                         exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR)


class _Shapes:
    """The patterns an expression of one derivation can give (an empty list: always NULL)."""

    def __init__(self, view: "ViewPlan"):
        self.tables = {ref.alias: ref.table for ref in view.tables()}

    def of(self, node: exp.Expression, null_is_empty: bool = False) -> list[Pattern]:
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Null):
            return [()] if null_is_empty else []
        if isinstance(node, exp.Literal):
            return [_literal(str(node.this))]
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self._cast(node)
        if isinstance(node, exp.Column):
            return [INTEGER_TEXT if self._column_type(node) is Type.INTEGER else ANY_TEXT]
        if isinstance(node, exp.DPipe):
            return self._concat([node.this, node.expression], null_is_empty=False)
        if isinstance(node, exp.Concat):
            return self._concat(list(node.expressions), null_is_empty=True)
        if isinstance(node, exp.Case):
            outputs = [i.args["true"] for i in node.args.get("ifs") or []]
            return self._choice(outputs + ([node.args["default"]] if node.args.get("default") else []))
        if isinstance(node, exp.If):
            return self._choice([node.args["true"]] + ([node.args["false"]] if node.args.get("false") else []))
        if isinstance(node, exp.Coalesce):
            return self._choice([node.this] + list(node.expressions))
        return [ANY_TEXT]

    def _cast(self, node: exp.Cast) -> list[Pattern]:
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if not _is_text_type(node.to):
            return [ANY_TEXT]
        if isinstance(inner, exp.Column) and self._column_type(inner) is Type.INTEGER:
            return [INTEGER_TEXT]
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return [ANY_TEXT]   # a number's text form differs between engines (1.0, 1.00)
        return self.of(inner)

    def _column_type(self, node: exp.Column) -> Type | None:
        table = self.tables.get(node.table)
        column = table.column(node.name) if table is not None else None
        return column.type if column is not None else None

    def _choice(self, nodes: list[exp.Expression]) -> list[Pattern]:
        out: list[Pattern] = []
        for node in nodes:
            out += self.of(node)
        return _capped(list(dict.fromkeys(out)))

    def _concat(self, nodes: list[exp.Expression], null_is_empty: bool) -> list[Pattern]:
        out: list[Pattern] = [()]
        for node in nodes:
            parts = self.of(node, null_is_empty)
            out = _capped(list(dict.fromkeys(_join(a, b) for a in out for b in parts)))
        return out


def _join(a: Pattern, b: Pattern) -> Pattern:
    if a and b and a[-1] == b[0] == (None, True):
        return a + b[1:]   # two runs of any text are one
    return a + b


def _capped(patterns: list[Pattern]) -> list[Pattern]:
    return patterns if len(patterns) <= MOST_ALTERNATIVES else [ANY_TEXT]


def id_patterns(view: "ViewPlan") -> list[Pattern]:
    """The patterns of the identifiers ``view`` gives (empty: it gives none, or only NULL)."""
    plan = next((sp for sp in view.slots if sp.slot.identifier), None)
    return value_patterns(view, plan) if plan is not None else []


def blank_rule_applies(view: "ViewPlan", plan: "SlotPlan") -> bool:
    """Whether the views turn the slot's blank text (empty or only spaces) into NULL: a text slot whose value
    can be blank. Identifiers (GLOBAL_ID) and constants (refused blank when the mapping is read) never are;
    a value of another type cast to text never is."""
    if plan.slot.type is not Type.STRING or plan.expr is None or plan.kind in ("identifier", "constant"):
        return False
    if plan.value_map is None and plan.expr.type is not Type.STRING:
        return False
    return can_be_blank(view, plan)


def can_be_blank(view: "ViewPlan", plan: "SlotPlan") -> bool:
    """Whether the slot's text can be empty or only spaces (a pattern whose every fixed character may be a space)."""
    return any(all(chars is None or " " in chars for chars, repeated in p if not repeated)
               for p in value_patterns(view, plan))


def value_patterns(view: "ViewPlan", plan: "SlotPlan") -> list[Pattern]:
    """The patterns of the text a slot of ``view`` can take (empty: only NULL)."""
    if plan.expr is None:
        return []
    shapes = _Shapes(view)
    vm = plan.value_map
    if vm is None:
        return shapes.of(plan.expr.ast)
    out = [_literal(target) for _code, target in vm.pairs]
    if vm.unmapped == "default" and vm.default is not None:
        out.append(_literal(vm.default))
    if vm.unmapped == "keep":
        out += shapes.of(plan.expr.ast)
    return _capped(list(dict.fromkeys(out)))


def _common(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _pick(chars: frozenset[str] | None) -> str:
    if chars is None:
        return "x"
    return "1" if "1" in chars else min(chars)


def shared_text(a: Pattern, b: Pattern) -> str | None:
    """A text both patterns match (the shortest), or None if they have none in common."""
    start, end = (0, 0), (len(a), len(b))
    came_from: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state == end:
            chars = []
            while came_from[state] is not None:
                state, char = came_from[state]
                chars.append(char)
            return "".join(reversed(chars))
        i, j = state
        moves = []
        if i < len(a) and a[i][1]:
            moves.append(((i + 1, j), ""))
        if j < len(b) and b[j][1]:
            moves.append(((i, j + 1), ""))
        if i < len(a) and j < len(b) and not (a[i][1] and b[j][1]):
            common = _common(a[i][0], b[j][0])
            if common is None or common:
                moves.append(((i + (not a[i][1]), j + (not b[j][1])), _pick(common)))
        for nxt, char in moves:
            if nxt not in came_from:
                came_from[nxt] = (state, char)
                queue.append(nxt)
    return None


def can_share_an_id(a: list[Pattern], b: list[Pattern]) -> str | None:
    """An identifier both pattern lists can give, or None if they never give the same one."""
    for pa in a:
        for pb in b:
            text = shared_text(pa, pb)
            if text is not None:
                return text
    return None


def _id_line(view: "ViewPlan") -> int:
    plan = next((sp for sp in view.slots if sp.slot.identifier), None)
    return plan.line if plan is not None and plan.line else view.line


def _id_text(view: "ViewPlan") -> str:
    plan = next(sp for sp in view.slots if sp.slot.identifier)
    return plan.expr.text if plan.expr is not None else "NULL"


def check_identities(sources: list["SourcePlan"], problems: Problems) -> None:
    """Refuse two derivations of one class (of one source or two) whose identifiers can be equal."""
    by_class: dict[str, list[tuple["ViewPlan", list[Pattern]]]] = {}
    for source in sources:
        for view in source.views:
            if view.target.identifier is not None:
                by_class.setdefault(view.target.name, []).append((view, id_patterns(view)))
    for cls, views in by_class.items():
        for k, (view, patterns) in enumerate(views):
            for other, other_patterns in views[:k]:
                shared = can_share_an_id(other_patterns, patterns)
                if shared is None:
                    continue
                _refuse(cls, other, view, shared, problems)
                break


def _refuse(cls: str, first: "ViewPlan", second: "ViewPlan", shared: str, problems: Problems) -> None:
    from toolkit.load.dictionary import snake_case

    id_name = second.target.identifier.name
    example = f" (e.g. '{shared}')" if shared.strip() else ""
    keys = ", ".join(k.ast.name if isinstance(k.ast, exp.Column) else k.text
                     for k in (second.group_by or second.source_key)) or "<key>"
    tag = snake_case(second.name).removeprefix(snake_case(cls) + "_") or snake_case(second.name)
    problems.add(second.file, _id_line(second),
                 f"derivations '{first.name}' ({first.file}:{_id_line(first)}) and '{second.name}' "
                 f"({second.file}:{_id_line(second)}) of {cls} can give the same {id_name}{example}: "
                 f"`{_id_text(first)}` and `{_id_text(second)}`, so two canonical rows would share it",
                 f"add a discriminator to one id expression, e.g. {id_name}: "
                 f"{{expr: \"GLOBAL_ID('{cls}', '{tag}', {keys})\"}}")


# ----------------------------------------------------------------------------- references (orphans)

def bind_references(views: list["ViewPlan"], problems: Problems) -> list["ViewPlan"]:
    """Each derivation with the reference slots its views check for orphans, ordered so that a derivation
    whose ``on_orphan: reject`` reads another derivation's canonical rows comes after it.

    A reference (a slot whose range is a class) is checked against the canonical rows of that class in the
    same source: GLOBAL_ID('Class', ...) builds an identifier only that source's derivations of Class give.
    """
    from dataclasses import replace

    from toolkit.plan import ReferenceCheck

    deriving: dict[str, list["ViewPlan"]] = {}
    for v in views:
        deriving.setdefault(v.target.name, []).append(v)
    bound = []
    for v in views:
        given = {slot: (action, line) for slot, action, line in v.on_orphan}
        checks = []
        for sp in v.slots:
            action, line = given.get(sp.name, ("report", sp.line))
            reject = action == "reject"
            where = f"slot '{sp.name}' of derivation '{v.name}'"
            if not sp.slot.references:
                if sp.name in given:
                    problems.add(v.file, line, f"{where}: on_orphan only applies to a slot whose range is a class "
                                 f"(a reference), and {sp.name} is {sp.slot.range}", "remove on_orphan")
                continue
            targets = deriving.get(sp.slot.references, [])
            key = targets[0].target.identifier if targets else None
            if sp.expr is None or key is None:
                if reject:
                    why = ("the slot is not mapped" if sp.expr is None else
                           f"{v.source} has no derivation of {sp.slot.references} with an identifier")
                    problems.add(v.file, line, f"{where}: on_orphan: reject cannot check this reference: {why}",
                                 "map the slot and derive the class it references from this source, or remove on_orphan")
                continue
            checks.append(ReferenceCheck(sp.name, sp.slot.references, key.name,
                                         tuple((t.checked_name, t.view_name) for t in targets), reject, line, key.type))
        bound.append(replace(v, references=tuple(checks)))
    return _dependencies_first(bound, problems)


def _dependencies_first(views: list["ViewPlan"], problems: Problems) -> list["ViewPlan"]:
    """Declaration order, except that a derivation comes after those its on_orphan: reject reads."""
    by_view = {v.view_name: v for v in views}
    needs = {v.view_name: {t for r in v.references if r.reject for _checked, t in r.targets} for v in views}
    ordered: list["ViewPlan"] = []
    done: set[str] = set()
    while len(ordered) < len(views):
        ready = next((v for v in views if v.view_name not in done and needs[v.view_name] <= done), None)
        if ready is None:
            _refuse_cycle([v for v in views if v.view_name not in done], needs, by_view, problems)
            return views
        ordered.append(ready)
        done.add(ready.view_name)
    return ordered


def _refuse_cycle(left: list["ViewPlan"], needs: dict[str, set[str]], by_view: dict, problems: Problems) -> None:
    start = left[0]
    path, at = [start.view_name], start.view_name
    while True:
        at = sorted(n for n in needs[at] if n in {v.view_name for v in left})[0]
        if at in path:
            path = path[path.index(at):] + [at]
            break
        path.append(at)
    first = by_view[path[0]]
    check = next(r for r in first.references if r.reject and any(t == path[1] for _c, t in r.targets))
    names = " -> ".join(by_view[n].name for n in path)
    problems.add(first.file, check.line, f"on_orphan: reject forms a cycle of derivations ({names}): each would need "
                 "the others' canonical rows first", "report the orphans of one of them instead (remove its on_orphan: reject)")


# ----------------------------------------------------------------------------- at run time

@dataclass(frozen=True)
class SharedIds:
    """Identifiers of one class that several canonical rows carry, as its ``__duplicate_ids`` view lists them."""

    class_name: str
    view: str                                          # the __duplicate_ids view
    ids: int                                           # distinct identifiers carried more than once
    rows: int                                          # canonical rows carrying them
    derivations: tuple[tuple[str, str, int, int], ...]  # (source, derivation, its shared ids, its rows)

    def describe(self) -> str:
        given = ", ".join(f"{s}.{d} ({rows} row(s))" for s, d, _ids, rows in self.derivations)
        if len(self.derivations) == 1:
            fix = "build the id from columns that identify one row: the source_key or group_by"
        else:
            fix = "make the id expressions differ, e.g. add a discriminator to GLOBAL_ID"
        return f"{self.ids} {self.class_name} identifier(s) are carried by {self.rows} rows, from {given} (see view {self.view}; {fix})"


def shared_ids_queries(view: str) -> tuple[exp.Select, exp.Select]:
    """(totals, per derivation) over a class's ``__duplicate_ids`` view, as neutral SELECTs."""
    def col(name: str) -> exp.Column:
        return exp.column(exp.to_identifier(name, quoted=True))

    table = exp.Table(this=exp.to_identifier(view, quoted=True))
    totals = exp.select(exp.Count(this=exp.Distinct(expressions=[col("_id")])), exp.Sum(this=col("_rows"))).from_(table.copy())
    per = (exp.select(col("_source_system"), col("_derivation"), exp.Count(this=exp.Distinct(expressions=[col("_id")])),
                      exp.Sum(this=col("_rows")))
           .from_(table.copy()).group_by(col("_source_system"), col("_derivation"))
           .order_by(col("_source_system"), col("_derivation")))
    return totals, per


def shared_ids(integrated, select) -> SharedIds | None:
    """What ``integrated``'s duplicate-ids view holds, read with ``select`` (neutral SELECT -> rows)."""
    if integrated.target.identifier is None:
        return None
    totals, per = shared_ids_queries(integrated.duplicate_ids_name)
    ids, rows = select(totals)[0]
    if not ids:
        return None
    derivations = tuple((str(s), str(d), int(n), int(r)) for s, d, n, r in select(per))
    return SharedIds(integrated.target.name, integrated.duplicate_ids_name, int(ids), int(rows), derivations)
