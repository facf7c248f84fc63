"""Source data to copy into an engine: the tables and columns a plan reads, as typed rows.

Rows come from where the source lives here: a SQLite file (Chinook, Northwind) or a schema
of a DuckDB database (the demo estate). Values are converted to the canonical type of their
column as recorded in the source schema, so every engine receives the same typed data.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.plan import Plan, SourcePlan
from toolkit.load.source_schema import Column, Table
from toolkit.core.types import Type, coerce
from toolkit.core.types import decimal_digits as declared_decimal


@dataclass(frozen=True)
class TableData:
    table: Table
    columns: tuple[Column, ...]
    rows: list[tuple]


@dataclass(frozen=True)
class SourceData:
    source: SourcePlan
    tables: tuple[TableData, ...]
    location: Path | None = None     # the SQLite file it was read from, if any


def used_columns(plan: Plan, source: str) -> dict[str, list[str]]:
    """Table -> the columns any derivation of ``source`` reads (plus each table's primary key), in table order."""
    wanted: dict[str, set[str]] = {}
    for view in plan.source(source).views:
        exprs = [j.on for j in view.joins] + [r.condition for r in view.rules] + list(view.source_key) + list(view.group_by)
        exprs += [sp.expr for sp in view.slots if sp.expr is not None]
        for ref in view.tables():
            wanted.setdefault(ref.table.name, set()).update(ref.table.primary_key)
        for e in exprs:
            for c in e.columns:
                wanted.setdefault(c.table, set()).add(c.column)
    schema = plan.source(source).schema
    return {t: [c for c in schema.tables[t].columns if c in cols] for t, cols in sorted(wanted.items())}


def decimal_digits(column: Column) -> tuple[int, int]:
    """Precision and scale a DECIMAL source column is stored with (its own when declared)."""
    return declared_decimal(column.native_type)


def read_source(plan: Plan, source: str, location: Path | None = None, duckdb_con=None) -> SourceData:
    """The used tables of ``source`` from a SQLite file at ``location`` or a DuckDB connection's schema."""
    sp = plan.source(source)
    tables = []
    con = sqlite3.connect(f"file:{location}?mode=ro", uri=True) if duckdb_con is None else None
    try:
        for name, cols in used_columns(plan, source).items():
            table = sp.schema.tables[name]
            columns = tuple(table.columns[c] for c in cols)
            select = exp.select(*[exp.column(exp.to_identifier(c, quoted=True)) for c in cols])
            try:
                if duckdb_con is not None:
                    where = exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(sp.database_schema, quoted=True))
                    raw = duckdb_con.execute(select.from_(where).sql("duckdb")).fetchall()
                else:
                    raw = con.execute(select.from_(exp.Table(this=exp.to_identifier(name, quoted=True))).sql("sqlite")).fetchall()
            except Exception as exc:  # sqlite3/duckdb: no such table or column in the data given
                where = str(location) if location is not None else f"schema {sp.database_schema}"
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise DictError(Problem("--data", 1, f"source '{source}': cannot read table '{name}' from {where}: {detail}",
                                        "is this the source's database? its tables must match the source schema")) from None
            rows = [tuple(_typed(v, col, name) for v, col in zip(r, columns)) for r in raw]
            tables.append(TableData(table, columns, rows))
    finally:
        if con is not None:
            con.close()
    return SourceData(sp, tuple(tables), location if duckdb_con is None else None)


def _typed(value, column: Column, table: str):
    """``value`` as the Python value of its canonical type; a value that does not fit is a DictError."""
    t = column.type
    try:
        return coerce(value, t, decimal_digits(column)[1] if t is Type.DECIMAL else 0)
    except ValueError:
        pass
    raise DictError(Problem(column.name, column.line, f"{table}.{column.name}: value {value!r} is not a {t.value} "
                            f"as its declared type {column.native_type or '(none)'} says",
                            "fix the data or the column type in the source schema"))

