"""One golden record per entity, the same on every engine: the generated ``golden_customer`` view over an
integrated ``customer`` table and a loaded ``customer__clusters`` table gives, on DuckDB, SQLite, PostgreSQL,
MariaDB and Spark, exactly the rows a plain Python reading of the survivorship rules gives.

The records are made to trip engines up: values differing only in case or accents (MariaDB's default
collation calls them equal), ties on every rule (broken by the source ranking, then table and key by code
points: '10' before '9', 'B' before 'a'), nulls that must never win, two records of one source in one entity."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlglot import exp

from engine_support import open_engine
from toolkit.run.engines.compare import normalise
from toolkit.run.engines.data import TableData
from toolkit.emit.golden import ENTITY, PROVENANCE, RECORDS, golden_statements
from toolkit.plan import load_plan
from toolkit.plan.policies import class_table
from toolkit.load.source_schema import Column, Table
from toolkit.core.types import Type

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "h21_golden_canon"
SOURCES = ("crm", "billing", "callcentre", "northwind", "chinook")


@pytest.fixture(scope="module")
def plan():
    return load_plan(ROOT)


def records(seed: int = 21) -> tuple[list[dict], list[tuple]]:
    """Integrated customer rows and the cluster table (source system, key, id, entity, probability)."""
    rnd = random.Random(seed)
    names = [("Ann Lee", "Ann", "Lee"), ("ann lee", "ann", "lee"), ("Ann  Lee", None, "Lee"), ("Émile Zola", "Émile", "Zola"),
             ("Emile Zola", "Emile", "Zola"), (None, "Bob", None), ("王伟", "伟", "王"), (None, None, None)]
    day = date(1980, 1, 1)
    rows, clusters = [], []
    for e in range(60):
        for k in range(rnd.choice([1, 2, 3, 3, 4, 5])):
            system = rnd.choice(SOURCES)
            key = rnd.choice(["9", "10", "a", "B", "b", f"{e}-{k}", "é"]) + f"-{e}"
            if any(r["_source_system"] == system and r["_source_key"] == key for r in rows):
                key += f"-{k}"
            full, given, family = rnd.choice(names)
            rows.append({"id": f"{system}:Customer:{key}", "customer_type": rnd.choice(["person", "Person", None]),
                         "full_name": full, "given_name": given, "family_name": family,
                         "organisation_name": rnd.choice([None, "Acme", "ACME", "Acme Ltd", "Äcme"]),
                         "birth_date": rnd.choice([None, day, day, day + timedelta(days=1)]),
                         "customer_tier": rnd.choice(["gold", "Gold", None, "silver"]),
                         "household_id": rnd.choice([None, "H1", "h1"]), "registered_unit_id": None,
                         "support_agent_id": rnd.choice([None, "A1", "a1"]), "salutation": rnd.choice([None, "Ms", "MS"]),
                         "preferred_language": rnd.choice([None, "en", "EN", "fr"]),
                         "customer_since": rnd.choice([None, day, day + timedelta(days=400), day + timedelta(days=400)]),
                         "support_agent": rnd.choice([None, "Zoe", "zoe"]),
                         "_source_system": system, "_source_table": rnd.choice(["customers", "Customers", "clients"]),
                         "_source_key": key})
            clusters.append((system, key, rows[-1]["id"], f"E{e:03d}", 0.99))
    return rows, clusters


def expected(plan, rows: list[dict], clusters: list[tuple]) -> list[tuple]:
    """The golden rows by a plain reading of the rules (Python compares text by code points)."""
    golden = plan.golden[0]
    survive, cls = golden.survive, golden.target
    entity = {(s, k): e for s, k, _, e, _ in clusters}
    members: dict[str, list[dict]] = {}
    for r in rows:
        members.setdefault(entity[(r["_source_system"], r["_source_key"])], []).append(r)
    out = []
    for e, group in sorted(members.items()):
        row = [e, len(group)]
        picks = {}
        for unit in survive.units:
            rule = unit.rule
            ranking = survive.ranking(golden.sources, rule if rule.kind == "source_priority" else None)
            counts = Counter(tuple(r[s] for s in unit.slots) for r in group)

            def key(r, unit=unit, rule=rule, ranking=ranking, counts=counts):
                values = [r[s] for s in unit.slots]
                k = [all(v is None for v in values)]
                if rule.kind == "most_recent":
                    stamp = r[rule.timestamp]
                    k += [stamp is None, -(stamp.toordinal() if stamp else 0)]
                elif rule.kind == "most_complete":
                    k += [-sum(v is not None for v in values),
                          -sum(len(v) for v, s in zip(values, unit.slots) if v is not None and cls.slot(s).type is Type.STRING)]
                elif rule.kind == "most_frequent":
                    k.append(-counts[tuple(values)])
                return (*k, ranking.index(r["_source_system"]), r["_source_table"], r["_source_key"])

            best = min(group, key=key)
            for s in unit.slots:
                picks[s] = best
        for slot in _slot_order(golden):
            picks_row = picks[slot]
            row += [picks_row[slot], *[picks_row[c] for _, c in PROVENANCE]]
        out.append(tuple(row))
    return out


def _slot_order(golden) -> list[str]:
    return [s for u in golden.survive.units for s in u.slots]


def columns(golden) -> list[tuple[str, Type]]:
    out = [(ENTITY, Type.STRING), (RECORDS, Type.INTEGER)]
    for s in _slot_order(golden):
        out += [(s, golden.target.slot(s).type)] + [(f"{s}__{suffix}", Type.STRING) for suffix, _ in PROVENANCE]
    return out


@pytest.mark.unit
def test_the_records_trip_every_rule(plan):
    """The data holds what makes engines disagree: ties broken only by the ranking or by code points."""
    rows, clusters = records()
    want = expected(plan, rows, clusters)
    assert len(want) == 60 and sum(r[1] for r in want) == len(rows)
    sources = {c for r in want for c, (name, _) in zip(r, columns(plan.golden[0])) if name.endswith("__source")}
    assert sources >= {"crm", "billing"}


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["duckdb", "sqlite", "postgres", "mysql", "spark"])
def test_golden_view_is_the_same_on_every_engine(engine_name, plan):
    rows, clusters = records()
    golden = plan.golden[0]
    want = expected(plan, rows, clusters)
    typed = columns(golden)
    base = class_table(golden.target)
    table = Table("customer", {**base.columns, **{c: Column(c, "VARCHAR", Type.STRING) for _, c in PROVENANCE}})
    cols = tuple(table.columns.values())
    cluster_cols = (Column("_source_system", "VARCHAR", Type.STRING), Column("_source_key", "VARCHAR", Type.STRING),
                    Column("id", "VARCHAR", Type.STRING), Column("entity_id", "VARCHAR", Type.STRING),
                    Column("match_probability", "DOUBLE", Type.FLOAT))
    with open_engine(engine_name) as engine:
        engine.create_schema(SCHEMA)
        engine.loaded_schemas.add(SCHEMA)
        engine.load_table(SCHEMA, TableData(table, cols, [tuple(r.get(c.name) for c in cols) for r in rows]))
        engine.load_table(SCHEMA, TableData(Table("customer__clusters", {c.name: c for c in cluster_cols}),
                                            cluster_cols, clusters))
        for _name, statement in golden_statements(plan, SCHEMA):
            engine.run(statement)
        query = exp.select(*[exp.column(exp.to_identifier(n, quoted=True)) for n, _ in typed]).from_(
            exp.Table(this=exp.to_identifier(golden.view_name, quoted=True)))
        got = sorted(tuple(normalise(v, t) for v, (_, t) in zip(r, typed)) for r in engine.select(query))
    want = sorted(tuple(normalise(v, t) for v, (_, t) in zip(r, typed)) for r in want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w, f"{engine_name} entity {w[0]}: " + "; ".join(
            f"{n}: {a!r} vs expected {b!r}" for (n, _), a, b in zip(typed, g, w) if a != b)
