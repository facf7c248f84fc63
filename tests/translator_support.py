"""Shared by the translator tests: the translator modules, the SQL views over real data, record feeds."""
from __future__ import annotations

import types
from pathlib import Path

from sqlglot import exp

from toolkit.run import demo
from toolkit.run.engines import create_views
from toolkit.run.engines.duckdb import DuckDBEngine, attach
from toolkit.emit.python import source_module

ROOT = Path(__file__).resolve().parents[1]


def load_translator(plan, source_name: str) -> types.ModuleType:
    """The translator module of a source, compiled from the plan (as `dict generate python` writes it)."""
    text = source_module(plan, plan.source(source_name))
    module = types.ModuleType(f"translator_{source_name}")
    module.__file__ = f"generated/python/{source_name}.py"
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dict_rows(con, sql: str, params=()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def estate_and_legacy(plan, chinook: Path, northwind: Path):
    """One DuckDB holding the demo estate, Chinook and Northwind with every view of every source."""
    con = demo.build_estate(":memory:")
    attach(con, plan.source("chinook"), chinook)
    attach(con, plan.source("northwind"), northwind)
    create_views(DuckDBEngine(con=con), plan)
    return con


def records_with_joins(con, view) -> list[dict]:
    """Every row of the derivation's driving table, each carrying its joined tables' candidate rows.

    A join on ``alias.col = driving.col`` gets only the rows with that key (an index, as a service would
    use); any other join condition gets every row of the joined table. Either way the translator applies
    the join condition itself, as the view's LEFT JOIN does.
    """
    base = view.base
    rows = dict_rows(con, f"SELECT * FROM {quoted(base.database_schema)}.{quoted(base.table.name)}")
    for join in view.joins:
        ref = join.ref
        joined = dict_rows(con, f"SELECT * FROM {quoted(ref.database_schema)}.{quoted(ref.table.name)}")
        on = join.on.ast
        key = None
        if isinstance(on, exp.EQ) and all(isinstance(s, exp.Column) for s in (on.this, on.expression)):
            mine = [s for s in (on.this, on.expression) if s.table == ref.alias]
            theirs = [s for s in (on.this, on.expression) if s.table == base.alias]
            if len(mine) == 1 and len(theirs) == 1:
                key = (mine[0].name, theirs[0].name)
        if key is None:
            for row in rows:
                row[ref.alias] = joined
            continue
        index: dict = {}
        for j in joined:
            index.setdefault(j[key[0]], []).append(j)
        for row in rows:
            row[ref.alias] = index.get(row[key[1]], [])
    return rows


def record_level_outcome(con, view) -> tuple[dict, dict]:
    """(canonical rows by source key, reject reasons by source key) the views give ``view``'s records, as one
    record decides them: a row the views reject for a set-level check (on_orphan: reject, which needs the
    other derivations' rows) is canonical record by record, with its values from the __staged view."""
    from toolkit.plan import PROVENANCE

    canonical = {r["_source_key"]: r for r in dict_rows(con, f"SELECT * FROM {quoted(view.view_name)}")}
    rejects = {r["_source_key"]: r["_reject_reason"] for r in dict_rows(con, f"SELECT * FROM {quoted(view.rejects_name)}")}
    if view.rejects_orphans:
        orphaned = {r["_source_key"] for r in dict_rows(
            con, f"SELECT _source_key FROM {quoted(view.orphans_name)} WHERE _on_orphan = 'reject'")}
        columns = ", ".join(quoted(c) for c in [sp.name for sp in view.slots] + list(PROVENANCE))
        for row in dict_rows(con, f"SELECT {columns} FROM {quoted(view.staged_name)} WHERE _reject_reason IS NULL"):
            if row["_source_key"] in orphaned:
                del rejects[row["_source_key"]]
                canonical[row["_source_key"]] = row
    return canonical, rejects

