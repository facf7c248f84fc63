"""Proof that the lineage graph tells the truth about the SQL we ship.

For one dialect, every generated view is rendered with the SQL generator (the statement texts its
files are made of), parsed back and run through ``sqlglot.lineage``; each view column's legacy
source columns, composed view by view, must equal those the mapping-derived graph gives for the
same column (along the edges a SELECT list computes, which is what sqlglot can see: not ON,
WHERE or GROUP BY). What sqlglot reads from a view text depends on that text alone, so with the
project's cache on it is kept per text and a view is traced again only when its text changes;
the comparison with the graph is made every run.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage as sqlglot_lineage

from toolkit import dialects
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


def view_texts(plan: Plan, dialect_name: str) -> list[str]:
    """The statement text of every view the SQL files of the dialect create, the texts the generator joins
    into those files (rendered once per plan, or taken from the cache), in file order."""
    from toolkit.core.errors import Problems
    from toolkit.emit.sql import check_names_fit, rendered

    dialect = dialects.get(dialect_name)
    problems = Problems()
    check_names_fit(plan, dialect, problems)
    problems.raise_if_any()
    return [text for statements in rendered(plan, [dialect])[dialect.name].values() for _name, text in statements]


def _queries(text: str, sqlglot_dialect: str) -> dict[str, exp.Query]:
    """View name -> query of each CREATE VIEW in a statement text (SQLite's are preceded by a DROP VIEW)."""
    return {statement.this.name: statement.expression for statement in sqlglot.parse(text, read=sqlglot_dialect)
            if isinstance(statement, exp.Create) and statement.expression is not None}


def rendered_views(plan: Plan, dialect_name: str) -> dict[str, exp.Query]:
    """View name -> its query, parsed back from the SQL the generator writes for the dialect."""
    sqlglot_dialect = dialects.get(dialect_name).sqlglot
    views: dict[str, exp.Query] = {}
    for text in view_texts(plan, dialect_name):
        views.update(_queries(text, sqlglot_dialect))
    return views


def view_hops(query: exp.Query, sqlglot_dialect: str) -> dict[str, set[Ref]]:
    """Column (case-folded) -> the tables' or views' columns one view's SELECT reads directly (sqlglot
    qualifies ``query`` in place)."""
    # trim_selects=False: sqlglot would otherwise copy the whole SELECT for every column it visits (nine
    # tenths of the time); only the leaves' tables and names are read here, which trimming does not change
    nodes = sqlglot_lineage(None, query, schema={}, dialect=sqlglot_dialect, trim_selects=False, copy=False)
    hops: dict[str, set[Ref]] = {}
    for column, node in nodes.items():
        reads: set[Ref] = set()
        for n in node.walk():
            if n.downstream or not isinstance(n.source, exp.Table):
                continue
            if not isinstance(n.source.this, exp.Identifier):
                continue  # a table function (e.g. MySQL's JSON_TABLE numbering characters): rows, not data
            reads.add((n.source.db.lower(), n.source.name.lower(), _column_name(n.name, sqlglot_dialect)))
        hops[column.lower()] = reads
    return hops


@functools.lru_cache(maxsize=None)
def _column_name(name: str, sqlglot_dialect: str) -> str:
    """The column of a lineage leaf's name ('t.col', as sqlglot writes it), case-folded: the same few names
    recur in every view, and parsing one is most of what reading a leaf costs."""
    return exp.maybe_parse(name, into=exp.Column, dialect=sqlglot_dialect).name.lower()


def compose(hops: dict[tuple[str, str], set[Ref]]) -> dict[tuple[str, str], set[Ref]]:
    """(view, column) -> legacy columns, composing each view's reads through the views it selects from."""
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


def _text_facts(text: str, sqlglot_dialect: str) -> dict:
    """What verifying needs of one statement text, as JSON: per view, its columns' names and what each reads."""
    facts = {}
    for name, query in _queries(text, sqlglot_dialect).items():
        columns = [c.alias_or_name for c in query.selects]   # before sqlglot qualifies the tree in place
        hops = view_hops(query, sqlglot_dialect)
        facts[name] = {"columns": columns, "hops": {c: sorted(map(list, reads)) for c, reads in hops.items()}}
    return facts


def sql_facts(plan: Plan, dialect_name: str, root: Path | None = None
              ) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], set[Ref]]]:
    """(view name -> {column, case-folded -> its name}, (view, column) -> what its SELECT reads) for every
    generated view. With ``root``'s cache on, a view text verified before is neither parsed nor traced again:
    its facts are kept under the hash of the dialect and the text (the cache's folder is the toolkit's code
    and sqlglot's version), which is all they depend on."""
    from toolkit.emit.cache import entries

    sqlglot_dialect = dialects.get(dialect_name).sqlglot
    columns: dict[str, dict[str, str]] = {}
    hops: dict[tuple[str, str], set[Ref]] = {}
    with entries(root, "verify", dialect_name) as store:
        for text in view_texts(plan, dialect_name):
            key = hashlib.sha256(f"{dialect_name}\n{text}".encode("utf-8")).hexdigest()
            facts = store.get(key)
            if not _well_formed(facts):
                facts = _text_facts(text, sqlglot_dialect)
                store.set(key, facts)
            for view, f in facts.items():
                columns[view] = {c.lower(): c for c in f["columns"]}
                for column, reads in f["hops"].items():
                    hops[(view.lower(), column)] = {tuple(r) for r in reads}
    return columns, hops


def _well_formed(facts) -> bool:
    """Whether stored facts have the shape ``_text_facts`` gives (a hand-edited or damaged cache: recompute)."""
    return isinstance(facts, dict) and all(
        isinstance(f, dict) and isinstance(f.get("columns"), list) and all(isinstance(c, str) for c in f["columns"])
        and isinstance(f.get("hops"), dict) and all(
            isinstance(reads, list) and all(isinstance(r, list) and len(r) == 3 and all(isinstance(x, str) for x in r)
                                            for r in reads) for reads in f["hops"].values())
        for f in facts.values())


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


def verify(plan: Plan, g: nx.MultiDiGraph, dialect_name: str, root: Path | None = None) -> list[Mismatch]:
    """Every column of every generated view whose SQL lineage differs from the mapping-derived one (with
    ``root``, tracing again only the view texts that changed since they were last traced: see sql_facts)."""
    columns, hops = sql_facts(plan, dialect_name, root)
    from_sql = compose(hops)
    # a golden view reads the cluster table `dict match` writes (entity ids), which no mapping describes
    clusters = {("", g.clusters_name.lower()) for g in plan.golden}
    from_sql = {key: {r for r in reads if r[:2] not in clusters} for key, reads in from_sql.items()}
    names = {name.lower(): name for name in columns}
    mismatches = []
    for (view_key, column_key), reads in sorted(from_sql.items()):
        view = names[view_key]
        column = columns[view].get(column_key, column_key)
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
