"""Proof that the lineage graph tells the truth about the SQL we ship.

For one dialect, every generated view is rendered with the SQL generator, parsed back and
run through ``sqlglot.lineage``; each view column's legacy source columns, composed view by
view, must equal those the mapping-derived graph gives for the same column (along the edges
a SELECT list computes, which is what sqlglot can see: not ON, WHERE or GROUP BY).
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage as sqlglot_lineage

from toolkit import dialects
from toolkit.emit.sql import generate_sql
from toolkit.emit.graph import source_columns
from toolkit.plan import Plan

Ref = tuple[str, str, str]   # (database schema or '' for a view, table or view, column), case-folded


@dataclass(frozen=True)
class Mismatch:
    dialect: str
    view: str
    column: str
    sql_only: tuple[str, ...]
    graph_only: tuple[str, ...]

    def __str__(self) -> str:
        parts = [f"[{self.dialect}] view {self.view}, column {self.column}:"]
        if self.sql_only:
            parts.append(f"the SQL reads {', '.join(self.sql_only)} but the mapping lineage does not")
        if self.graph_only:
            parts.append(f"the mapping lineage has {', '.join(self.graph_only)} but the SQL does not read it")
        return " ".join(parts)


def rendered_views(plan: Plan, dialect_name: str) -> dict[str, exp.Query]:
    """View name -> its query, parsed back from the SQL files the generator writes for the dialect."""
    dialect = dialects.get(dialect_name)
    views: dict[str, exp.Query] = {}
    for _rel, text in sorted(generate_sql(plan, dialect).items()):
        for statement in sqlglot.parse(text, read=dialect.sqlglot):
            if isinstance(statement, exp.Create) and statement.expression is not None:
                views[statement.this.name] = statement.expression
    return views


def sql_hops(views: dict[str, exp.Query], sqlglot_dialect: str) -> dict[tuple[str, str], set[Ref]]:
    """(view, column) -> the tables' or views' columns its SELECT reads directly (one view deep)."""
    hops: dict[tuple[str, str], set[Ref]] = {}
    for name, query in views.items():
        nodes = sqlglot_lineage(None, query, schema={}, dialect=sqlglot_dialect)
        for column, node in nodes.items():
            reads: set[Ref] = set()
            for n in node.walk():
                if n.downstream or not isinstance(n.source, exp.Table):
                    continue
                if not isinstance(n.source.this, exp.Identifier):
                    continue  # a table function (e.g. MySQL's JSON_TABLE numbering characters): rows, not data
                col = exp.maybe_parse(n.name, into=exp.Column, dialect=sqlglot_dialect)
                reads.add((n.source.db.lower(), n.source.name.lower(), col.name.lower()))
            hops[(name.lower(), column.lower())] = reads
    return hops


def sql_column_lineage(views: dict[str, exp.Query], sqlglot_dialect: str) -> dict[tuple[str, str], set[Ref]]:
    """(view, column) -> legacy columns, composing each view's reads through the views it selects from."""
    hops = sql_hops(views, sqlglot_dialect)
    done: dict[tuple[str, str], set[Ref]] = {}

    def resolve(key: tuple[str, str], path: tuple = ()) -> set[Ref]:
        if key in done:
            return done[key]
        if key in path:
            raise ValueError(f"views select from each other in a cycle: {' -> '.join(k[0] for k in path)}")
        out: set[Ref] = set()
        for db, table, column in hops.get(key, ()):
            if not db and (table, column) in hops:
                out |= resolve((table, column), path + (key,))
            else:
                out.add((db, table, column))
        done[key] = out
        return out

    for key in hops:
        resolve(key)
    return done


def graph_column_lineage(plan: Plan, g: nx.MultiDiGraph, view: str, column: str) -> set[Ref] | None:
    """The legacy columns the mapping-derived graph says a view column is computed from (None: no such node)."""
    node = f"viewcol:{view}.{column}"
    if node not in g:
        return None
    schemas = {s.name: s.database_schema for s in plan.sources}
    out = set()
    for c in source_columns(g, node, select_only=True):
        data = g.nodes[c]
        out.add((schemas[data["source"]].lower(), data["table"].lower(), data["label"].lower()))
    return out


def verify(plan: Plan, g: nx.MultiDiGraph, dialect_name: str) -> list[Mismatch]:
    """Every column of every generated view whose SQL lineage differs from the mapping-derived one."""
    dialect = dialects.get(dialect_name)
    views = rendered_views(plan, dialect_name)
    from_sql = sql_column_lineage(views, dialect.sqlglot)
    # a golden view reads the cluster table `dict match` writes (entity ids), which no mapping describes
    clusters = {("", g.clusters_name.lower()) for g in plan.golden}
    from_sql = {key: {r for r in reads if r[:2] not in clusters} for key, reads in from_sql.items()}
    names = {name.lower(): name for name in views}
    mismatches = []
    for (view_key, column_key), reads in sorted(from_sql.items()):
        view = names[view_key]
        columns = {c.alias_or_name.lower(): c.alias_or_name for c in views[view].selects}
        column = columns.get(column_key, column_key)
        expected = graph_column_lineage(plan, g, view, column)
        if expected is None:
            mismatches.append(Mismatch(dialect_name, view, column, ("(no such column in the lineage graph)",), ()))
            continue
        if reads != expected:
            mismatches.append(Mismatch(dialect_name, view, column, tuple(sorted(".".join(r) for r in reads - expected)),
                                       tuple(sorted(".".join(r) for r in expected - reads))))
    for node, data in g.nodes(data=True):
        if data["kind"] == "viewcol" and data["view"].lower() in names \
                and (data["view"].lower(), data["label"].lower()) not in from_sql:
            mismatches.append(Mismatch(dialect_name, data["view"], data["label"], (),
                                       ("(column missing from the generated SQL)",)))
    return mismatches
