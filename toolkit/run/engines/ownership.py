"""What dict owns in a target database, and the guard that keeps it off everything else.

Every object dict creates in a persistent target (views, source copies, canonical tables) is
recorded in a registry table, ``_dict_objects``, in the schema dict manages there. Before any
statement that writes, each schema dict would write to is listed from the server's catalog; one
object the registry does not name (a legacy table, a user's view, a routine) refuses the run.
What dict drops is only ever what the registry names, views before what they read, never with
CASCADE: an object dict did not create that depends on one of them makes the DROP fail.
"""
from __future__ import annotations

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.emit.sql import _id
from toolkit.core.names import REGISTRY_TABLE
from toolkit.run.engines import Engine

def guard(engine: Engine, namespaces: list[str], schema: str, option: str = "--target") -> set[tuple[str, str, str]]:
    """The objects dict owns in ``namespaces``; refuses (before any write) if anything else is there."""
    owned = registry(engine, schema)
    names = {(ns, name) for ns, name, _ in owned}
    foreign = [(ns, name, kind) for ns in namespaces for name, kind in engine.objects(ns)
               if (ns, name) not in names and (ns, name) != (schema, REGISTRY_TABLE)]
    if foreign:
        listed = ", ".join(f"{ns}.{name} ({kind.lower()})" for ns, name, kind in foreign[:8])
        more = f" and {len(foreign) - 8} more" if len(foreign) > 8 else ""
        raise DictError(Problem(option, 1, f"refused: the target holds {len(foreign)} object(s) dict did not create, in "
                                f"schemas it would write to: {listed}{more}; nothing was changed",
                                "dict never drops, replaces or writes objects it did not create: use a database "
                                "(or --schema) of dict's own, and read legacy tables where they are"))
    return owned


def registry(engine: Engine, schema: str) -> set[tuple[str, str, str]]:
    if (REGISTRY_TABLE, "TABLE") not in {(n, k) for n, k in engine.objects(schema)}:
        return set()
    rows = engine.select(exp.select(_id("namespace"), _id("name"), _id("kind")).from_(_table(schema, REGISTRY_TABLE)))
    return {(str(ns), str(name), str(kind)) for ns, name, kind in rows}


def present(engine: Engine, namespaces: list[str]) -> set[tuple[str, str, str]]:
    return {(ns, name, kind) for ns in namespaces for name, kind in engine.objects(ns)}


def register(engine: Engine, schema: str, objects: set[tuple[str, str, str]]) -> None:
    registry = _table(schema, REGISTRY_TABLE)
    engine.drop_table(registry)
    text = exp.DataType.build("VARCHAR(255)")
    engine.run(exp.Create(this=exp.Schema(this=registry.copy(), expressions=[
        exp.ColumnDef(this=_id(c), kind=text.copy()) for c in ("namespace", "name", "kind")]), kind="TABLE"))
    rows = sorted(o for o in objects if o[:2] != (schema, REGISTRY_TABLE))
    for i in range(0, len(rows), 500):
        values = exp.values([tuple(exp.Literal.string(v) for v in row) for row in rows[i:i + 500]])
        engine.run(exp.insert(values, registry.copy(), columns=[_id(c) for c in ("namespace", "name", "kind")]))


def drop_owned(engine: Engine, owned: set[tuple[str, str, str]]) -> None:
    """Drop what an earlier run created, each view before what it reads, never with CASCADE: an object dict did
    not create that depends on one of them makes the DROP, and so the whole load, fail."""
    from graphlib import TopologicalSorter

    kinds = {(ns, name): kind for ns, name, kind in owned if kind in ("VIEW", "TABLE")}
    order = TopologicalSorter({o: set() for o in kinds})
    for view, reads in engine.view_dependencies():
        if view in kinds and reads in kinds:
            order.add(reads, view)   # the view goes first
    for ns, name in order.static_order():
        engine.run(exp.Drop(tables=[_table(ns, name)], kind=kinds[(ns, name)], exists=True))


def _table(schema: str, name: str) -> exp.Table:
    return exp.Table(this=_id(name), db=_id(schema))
