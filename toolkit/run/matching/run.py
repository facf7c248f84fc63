"""`dict match CLASS`: the class's integrated view (over --data, or the demo estate) resolved into entities."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.core.names import MATCH_INPUT, MATCH_RECORDS, explain_record
from toolkit.emit.sql import _id
from toolkit.plan import Plan, load_plan
from toolkit.run.matching import store
from toolkit.load.match_hints import MatchHints
from toolkit.run.matching.resolve import Resolution, linker_for, load_input, resolve


@dataclass
class MatchRun:
    cls: str
    resolution: Resolution
    previous: dict[str, str]
    tables: list[str]
    database: Path


def matched_class(plan: Plan, name: str) -> tuple[str, MatchHints]:
    """(the class's table name, its hints), or a clear refusal naming the classes that can be matched."""
    cls = plan.dictionary.classes.get(name) or next(
        (c for c in plan.dictionary.classes.values() if c.table_name == name), None)
    matchable = sorted(c.name for c in plan.dictionary.classes.values() if c.match)
    if cls is None or cls.match is None:
        what = f"class '{name}' has no match hints" if cls else f"no class '{name}' in the dictionary"
        raise DictError(Problem("CLASS", 1, what, "classes with match_blocking: " + (", ".join(matchable) or "none")))
    return cls.table_name, cls.match


def integrated(plan: Plan, data: dict[str, Path | str] | None):
    """An in-memory DuckDB connection holding every view, over ``data`` or, without it, the demo estate.
    Only the views are created: `dict run` reconciles them, matching reads the integrated view."""
    from toolkit.run.engines import create_views
    from toolkit.run.engines.duckdb import DuckDBEngine

    if data:
        known = {s.name for s in plan.sources}
        for name in data:
            if name not in known:
                raise DictError(Problem("--data", 1, f"no mapping for source '{name}'",
                                        f"mapped sources: {', '.join(sorted(known))}"))
        engine = DuckDBEngine()
        for name, path in data.items():
            engine.attach(plan.source(name), path)
        create_views(engine, plan.restrict(list(data)))
        return engine.con
    from toolkit.run.demo import build_estate, estate_scripts

    scripts = estate_scripts()
    con = build_estate(":memory:", scripts)
    mapped = {s.name for s in plan.sources}
    create_views(DuckDBEngine(con=con), plan.restrict([name for name in scripts if name in mapped]))
    return con


def records(table: str, hints: MatchHints) -> exp.Select:
    """The integrated view's id, provenance and every slot the hints read."""
    slots = list(dict.fromkeys([s for s, _ in hints.slots] + list(hints.household)))
    return exp.select(*[exp.column(c, quoted=True) for c in ["id", "_source_system", "_source_key", *slots]]).from_(
        exp.Table(this=_id(table)))


def match(project: Path, name: str, data: dict[str, Path | str] | None, database: Path, retrain: bool = False,
          target: str | None = None) -> MatchRun:
    """Resolve class ``name``; with ``target`` (sc://… or spark://…) Splink trains and scores on that Spark."""
    plan = load_plan(project)
    table, hints = matched_class(plan, name)
    spark = _spark(target)
    owner = store.open_owned(database)
    try:
        previous = store.previous_entities(owner, table)
        model = None if retrain else store.trained_model(owner, table, hints)
        dialect = "spark" if spark is not None else "duckdb"
        if model is not None and model.get("sql_dialect", dialect) != dialect:
            model = None   # its comparisons are SQL of the other engine: trained again here (ids stay stable)
        con = integrated(plan, data)
        try:
            resolution = resolve(con, hints, records(table, hints), previous, model, spark=spark)
        finally:
            con.close()
        tables = store.write(owner, table, resolution, hints)
    finally:
        owner.close()
    return MatchRun(name, resolution, previous, tables, database)


def _spark(target: str | None):
    if target is None:
        return None
    from toolkit.run.engines.spark_cluster import is_spark
    from toolkit.run.matching.spark import session

    if not is_spark(target):
        raise DictError(Problem("--target", 1, f"'{target}' is not a Spark target",
                                "use sc://HOST:PORT (Spark Connect) or spark://HOST:PORT (standalone master)"))
    return session(target)


def explain(project: Path, name: str, data: dict[str, Path | str] | None, database: Path, left: str,
            right: str) -> list[tuple[str, str, str, str, float]]:
    """(slot(s), left value, right value, comparison level, match weight) per comparison, then the prior and total."""
    from splink.internals.waterfall_chart import records_to_waterfall_data

    plan = load_plan(project)
    table, hints = matched_class(plan, name)
    owner = store.open_owned(database)
    try:
        model = store.saved_model(owner, table, name)
    finally:
        owner.close()
    con = integrated(plan, data)
    try:
        load_input(con, hints, records(table, hints))
        linker = linker_for(con, hints, model, explain=True)
        pair = [linker._db_api.register(_record(con, rid, side)) for rid, side in ((left, "l"), (right, "r"))]
        scored = linker.inference.score_pair(*pair).as_record_list()
        bars = records_to_waterfall_data(scored, linker._settings_obj, hide_details=False)
    finally:
        con.close()
    return [(str(b["column_name"]), _shown(b.get("value_l")), _shown(b.get("value_r")), str(b["label_for_charts"]),
             float(b["log2_bayes_factor"] or 0.0)) for b in bars]


def _record(con, rid: str, side: str) -> str:
    """A one-row table of the normalised record ``rid`` (typed, so an empty date stays a DATE)."""
    name = explain_record(side)
    query = exp.select("*").from_(exp.Table(this=_id(MATCH_INPUT))).where(
        exp.column("id", quoted=True).eq(exp.Literal.string(rid)))
    con.execute(exp.Create(this=exp.Table(this=_id(name)), kind="TABLE", replace=True, expression=query,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql(dialect="duckdb"))
    count = exp.select(exp.func("count", exp.Star())).from_(exp.Table(this=_id(name)))
    if con.execute(count.sql(dialect="duckdb")).fetchone()[0] != 1:
        raise DictError(Problem("--explain", 1, f"no record with id {rid!r} in the integrated view",
                                "use ids from the id column of <class>__clusters"))
    return name


def _shown(value) -> str:
    return "" if value is None else str(value)


def unique_parties(plan: Plan, con) -> list[str]:
    """One line per matched class: unique parties vs source records over the views in ``con`` (nothing written);
    none when Splink is not installed (the match extra)."""
    import importlib.util

    if importlib.util.find_spec("splink") is None:
        return []
    import duckdb

    lines = []
    present = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for cls in plan.dictionary.classes.values():
        if cls.match is not None and cls.table_name in present:   # no view when no demo system maps the class
            # Splink keeps its work tables in the connection: an in-memory one, never the estate's file
            scratch = duckdb.connect()
            try:
                scratch.register(MATCH_RECORDS, con.execute(records(cls.table_name, cls.match).sql(dialect="duckdb")).arrow())
                r = resolve(scratch, cls.match, exp.select("*").from_(MATCH_RECORDS))
            finally:
                scratch.close()
            lines.append(f"unique {cls.name} entities: {r.entities} across {r.records} source records "
                         f"({r.household_count} households; dict match {cls.name} keeps them with stable ids)")
            lines += golden_lines(plan, con, cls.name, r)
    return lines


def golden_lines(plan: Plan, con, name: str, resolution: Resolution, shown: int = 3) -> list[str]:
    """The golden records of a few entities whose records come from more than one system: the cluster table
    is written beside the demo's views (the estate is dict's own), the golden view created over it."""
    import pyarrow as pa

    from toolkit.dialects import get
    from toolkit.emit.golden import golden_statements

    golden = next((g for g in plan.golden if g.target.name == name), None)
    if golden is None:
        return []
    duckdb = get("duckdb")
    columns = [c for c, _ in store.COLUMNS["clusters"]]
    con.register("__dict_clusters", pa.table({c: [row[i] for row in resolution.clusters] for i, c in enumerate(columns)}))
    try:
        con.execute(exp.Create(this=exp.Table(this=_id(golden.clusters_name)), kind="TABLE", replace=True,
                               expression=exp.select("*").from_("__dict_clusters")).sql(dialect="duckdb"))
    finally:
        con.unregister("__dict_clusters")
    for view, statement in golden_statements(plan):
        if view == golden.view_name:
            for sql in duckdb.statements(statement):
                con.execute(sql)
    systems: dict[str, set[str]] = {}
    for system, _key, _rid, entity, _p in resolution.clusters:
        systems.setdefault(entity, set()).add(system)
    chosen = sorted((e for e, s in systems.items() if len(s) > 1), key=lambda e: (-len(systems[e]), e))[:shown]
    if not chosen:
        return []
    slots = [s.name for s in golden.target.slots if golden.survive.unit_of(s.name) is not None]
    entity = exp.column("entity_id", quoted=True)
    query = exp.select(entity, exp.column("source_records", quoted=True),
                       *[exp.column(c, quoted=True) for s in slots for c in (s, f"{s}__source", f"{s}__source_key")]
                       ).from_(exp.Table(this=_id(golden.view_name))).where(
        entity.copy().isin(*[exp.Literal.string(e) for e in chosen])).order_by(entity.copy())
    lines = [f"golden {name} records of {len(chosen)} of the entities found in more than one system "
             f"(view {golden.view_name}; each value (source:key it came from)):"]
    for row in con.execute(duckdb.to_sql(query)).fetchall():
        values = iter(row[2:])
        parts = []
        for slot in slots:
            value, source, key = next(values), next(values), next(values)
            if value is not None:
                parts.append(f"{slot}={value} ({source}:{key})")
        lines.append(f"  {row[0]} ({row[1]} records from {', '.join(sorted(systems[row[0]]))}): " + "; ".join(parts))
    return lines
