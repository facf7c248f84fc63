"""The match tables, in a DuckDB database dict owns: ``<class>__matches``, ``__clusters``, ``__households``
and ``__match_model`` (the trained model, read back by ``dict match --explain``).

The database is guarded like every target (toolkit/run/engines/ownership.py): one object dict did not create
there refuses the run before anything is written; the tables are replaced in one transaction and recorded
in the registry.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.emit.sql import _id
from toolkit.core.names import STORE_ROWS, match_table

SCHEMA = "main"
COLUMNS = {
    "matches": (("id_l", "VARCHAR"), ("id_r", "VARCHAR"), ("match_weight", "DOUBLE"), ("match_probability", "DOUBLE"),
                ("matched", "BOOLEAN")),
    "clusters": (("_source_system", "VARCHAR"), ("_source_key", "VARCHAR"), ("id", "VARCHAR"), ("entity_id", "VARCHAR"),
                 ("match_probability", "DOUBLE")),
    "households": (("entity_id", "VARCHAR"), ("household_id", "VARCHAR")),
    "match_model": (("model_json", "VARCHAR"), ("hints", "VARCHAR")),
}


def table_name(table: str, part: str) -> str:
    return match_table(table, part)


def open_owned(database: Path):
    """The output database, refused if it holds anything dict did not create."""
    from toolkit.run.engines.duckdb import DuckDBEngine
    from toolkit.run.engines.ownership import guard

    try:
        owner = DuckDBEngine(database)
    except Exception as exc:  # duckdb: not a database file, locked, unreadable
        raise DictError(Problem(str(database), 1, f"cannot open DuckDB database: {str(exc).strip().splitlines()[0]}")) from None
    try:
        guard(owner, [SCHEMA], SCHEMA, "--database")
    except DictError:
        owner.close()
        raise
    return owner


def _read(owner, table: str, part: str, columns: list[str]) -> list[tuple]:
    if (table_name(table, part), "TABLE") not in set(owner.objects(SCHEMA)):
        return []
    query = exp.select(*[_id(c) for c in columns]).from_(exp.Table(this=_id(table_name(table, part)), db=_id(SCHEMA)))
    return owner.con.execute(query.sql(dialect="duckdb")).fetchall()


def previous_entities(owner, table: str) -> dict[str, str]:
    """Record id -> entity id from the earlier run, so ids stay stable."""
    return {str(rid): str(eid) for rid, eid in _read(owner, table, "clusters", ["id", "entity_id"])}


def fingerprint(hints) -> str:
    """The hints a model was trained from (where they are written is not part of it)."""
    return json.dumps([hints.slots, hints.blocking, hints.training, hints.household, hints.threshold])


def trained_model(owner, table: str, hints) -> dict | None:
    """The model an earlier run trained from the same hints, or None (first run, or the hints changed)."""
    rows = _read(owner, table, "match_model", ["model_json", "hints"])
    return json.loads(rows[0][0]) if rows and rows[0][1] == fingerprint(hints) else None


def saved_model(owner, table: str, cls: str) -> dict:
    rows = _read(owner, table, "match_model", ["model_json"])
    if not rows:
        raise DictError(Problem("--explain", 1, f"no trained model for {cls} in the database",
                                f"run `dict match {cls}` with the same --database first"))
    return json.loads(rows[0][0])


def write(owner, table: str, resolution, hints) -> list[str]:
    """Replace the class's match tables in one transaction and register them as dict's; returns their names."""
    from toolkit.run.engines.ownership import present, register

    contents = {"matches": resolution.matches, "clusters": resolution.clusters, "households": resolution.households,
                "match_model": [(json.dumps(resolution.model, sort_keys=True), fingerprint(hints))]}
    owner.begin()
    try:
        for part, rows in contents.items():
            _replace(owner, table_name(table, part), COLUMNS[part], rows)
        register(owner, SCHEMA, present(owner, [SCHEMA]))
        owner.commit()
    except BaseException:
        owner.rollback()
        raise
    return [table_name(table, part) for part in contents]


def _replace(owner, name: str, columns: tuple, rows: list[tuple]) -> None:
    target = exp.Table(this=_id(name), db=_id(SCHEMA))
    owner.con.execute(exp.Drop(tables=[target.copy()], kind="TABLE", exists=True).sql(dialect="duckdb"))
    schema = exp.Schema(this=target.copy(), expressions=[exp.ColumnDef(this=_id(c), kind=exp.DataType.build(t))
                                                          for c, t in columns])
    owner.con.execute(exp.Create(this=schema, kind="TABLE").sql(dialect="duckdb"))
    if rows:   # through Arrow: one statement, not one per row
        import pyarrow as pa

        names = [c for c, _ in columns]
        owner.con.register(STORE_ROWS, pa.table({c: [r[i] for r in rows] for i, c in enumerate(names)}))
        try:
            select = exp.select(*[_id(c) for c in names]).from_(STORE_ROWS)
            owner.con.execute(exp.insert(select, target.copy(), columns=[_id(c) for c in names]).sql(dialect="duckdb"))
        finally:
            owner.con.unregister(STORE_ROWS)
