"""Checks that need more than one expression at a time: join order, references between
derivations, and the names of the views a plan creates.

Each finds a mapping that would validate expression by expression but break at run time or
silently give wrong rows: a join condition on a table joined later (the SQL fails), a cycle of
joins, a GLOBAL_ID that can never match an identifier, two views with one name (the second
replaces the first).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from toolkit.core.errors import Problems
from toolkit.expressions.functions import GLOBAL_ID
from toolkit.core.names import ALL_REJECTS, fold_case

if TYPE_CHECKING:  # plan imports this module
    from toolkit.expressions import Expr
    from toolkit.load.mapping import JoinSpec
    from toolkit.plan import IntegratedPlan, SourcePlan, ViewPlan

def check_join_order(driving: str, joins: list[tuple["JoinSpec", "Expr"]], file: str, problems: Problems) -> None:
    """Each join's condition relates it to the driving table or a join listed before it.

    SQL evaluates ``LEFT JOIN a ON ...`` with only the tables before ``a`` in scope, so a condition
    naming a later join fails at run time, and one naming no other table matches every row.
    """
    position = {driving: 0} | {j.alias: i for i, (j, _on) in enumerate(joins, 1)}
    refers = {j.alias: {c.alias for c in on.columns} - {j.alias} for j, on in joins}
    for i, (j, on) in enumerate(joins, 1):
        own = any(c.alias == j.alias for c in on.columns)
        if not own or not refers[j.alias]:
            missing = f"'{j.alias}'" if not own else "the driving table or an earlier join"
            problems.add(file, j.line, f"join '{j.alias}' condition `{on.text}` does not refer to {missing}, "
                         "so it would match every row", f"relate them, e.g. {j.alias}.<key> = {driving}.<column>")
            continue
        later = sorted(a for a in refers[j.alias] if position.get(a, 0) > i)
        if not later:
            continue
        cycle = _cycle(j.alias, refers)
        if cycle:
            problems.add(file, j.line, f"joins form a cycle: {' -> '.join(cycle)}",
                         "each join must hang off the driving table or a join listed before it")
        else:
            problems.add(file, j.line, f"join '{j.alias}' refers to '{later[0]}', which is joined after it",
                         f"list '{later[0]}' before '{j.alias}'")


def _cycle(start: str, refers: dict[str, set[str]]) -> list[str]:
    """A path start -> ... -> start through join references, or []."""
    stack, seen = [(start, [start])], set()
    while stack:
        alias, path = stack.pop()
        for nxt in sorted(refers.get(alias, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen and nxt in refers:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return []


def global_id_calls(text: str) -> list[tuple[str, int]]:
    """(class, number of keys) of each GLOBAL_ID('Class', key, ...) in a (valid) expression."""
    try:
        tree = sqlglot.parse_one(text)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return []
    return [(a.expressions[0].this, len(a.expressions) - 1) for a in tree.find_all(exp.Anonymous)
            if a.name.upper() == GLOBAL_ID and a.expressions and isinstance(a.expressions[0], exp.Literal)]


def _id_arity(view: "ViewPlan") -> int | None:
    """How many keys this derivation's identifiers are built from (None if it cannot be told)."""
    for sp in view.slots:
        if not sp.slot.identifier:
            continue
        if sp.kind == "identifier":
            return len(view.group_by or view.source_key)
        calls = global_id_calls(sp.expr.text) if sp.expr is not None and sp.kind == "expr" else []
        own = [n for cls, n in calls if cls == view.target.name]
        return own[0] if len(calls) == 1 and own else None
    return None


def check_references(source: str, views: list["ViewPlan"], problems: Problems) -> None:
    """Every GLOBAL_ID names a class this source derives, with as many keys as its identifiers have.

    GLOBAL_ID('Customer', x) builds '<source>:Customer:<x>': it can only ever equal an identifier
    this same source gives a Customer.
    """
    arities: dict[str, set[int | None]] = {}
    for v in views:
        if v.target.identifier is not None:
            arities.setdefault(v.target.name, set()).add(_id_arity(v))
    for v in views:
        for sp in v.slots:
            if sp.expr is None or sp.kind not in ("expr", "copy"):
                continue
            for cls, keys in global_id_calls(sp.expr.text):
                if sp.slot.identifier and cls == v.target.name:
                    continue   # the derivation's own identifier
                if sp.slot.references and cls != sp.slot.references:
                    problems.add(v.file, sp.line, f"slot '{sp.name}' references {sp.slot.references}, but "
                                 f"`{sp.expr.text}` builds an identifier of {cls}",
                                 f"use GLOBAL_ID('{sp.slot.references}', ...)")
                    continue
                known = arities.get(cls)
                if known is None:
                    problems.add(v.file, sp.line, f"slot '{sp.name}': GLOBAL_ID('{cls}', ...) refers to a {cls} of "
                                 f"source {source}, but {source} has no derivation of {cls}, so it matches nothing",
                                 f"derive {cls} from {source}, or leave the slot unmapped")
                elif None not in known and keys not in known:
                    want = " or ".join(str(n) for n in sorted(known))
                    problems.add(v.file, sp.line, f"slot '{sp.name}': GLOBAL_ID('{cls}', ...) has {keys} key(s), but "
                                 f"{source}'s {cls} identifiers are built from {want}, so it matches nothing",
                                 "give the same keys, in the same order, as that derivation's source_key or group_by")


def created_views(sources: list["SourcePlan"], integrated: list["IntegratedPlan"]) -> list[tuple[str, str, int, str, str]]:
    """(name, file, line, owner, kind) of every view the plan creates (kind: derivation or class), the
    view of all rejects aside."""
    out = []
    for s in sources:
        for v in s.views:
            names = [v.staged_name] + ([v.groups_name] if v.grouped else []) + [v.view_name, v.rejects_name] + \
                ([v.joins_name] if v.joins else []) + \
                ([v.orphans_name] if v.references else [])   # the checks of joins declared to_one, of references
            out += [(name, v.file, v.line, f"derivation '{v.name}' of {s.name}", "derivation") for name in names]
    out += [(name, i.target.file, i.target.line, f"class '{i.target.name}'", "class") for i in integrated
            for name in [i.view_name] + ([i.duplicate_ids_name] if i.target.identifier is not None else [])]
    return out


def check_view_names(sources: list["SourcePlan"], integrated: list["IntegratedPlan"], problems: Problems) -> None:
    """Every view the plan creates has its own name (compared as SQL compares them, ignoring case)."""
    owners: dict[str, str] = {ALL_REJECTS: "the view of all rejects"}
    for name, file, line, owner, kind in created_views(sources, integrated):
        other = owners.setdefault(fold_case(name), owner)
        if other == owner:
            continue
        if kind == "class":
            problems.add(file, line, f"{owner} creates view '{name}', which is also the name of {other}",
                         "rename the class (view names are snake_case, case-insensitive)")
        else:
            problems.add(file, line, f"{owner.rsplit(' of ', 1)[0]} creates view '{name}', which is also "
                         f"the name of a view of {other}", "rename the derivation")
