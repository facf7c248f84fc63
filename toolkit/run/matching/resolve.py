"""Resolve records into entities: train the generated model, score pairs, cluster, keep entity ids stable.

``resolve`` runs on a DuckDB connection holding the records; it returns plain rows, written by
``toolkit/run/matching/store.py`` into a database dict owns. Entity ids survive reruns: a cluster takes the id
of the earlier entity most of its records belonged to, new records attach to that id, and a new entity's id
is derived from its smallest record id (never one an earlier entity used).
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlglot import exp

from toolkit.core.names import MATCH_INPUT
from toolkit.emit.sql import _id
from toolkit.load.match_hints import MatchHints
from toolkit.run.matching.model import household_safe, prepare, quiet_splink, settings, train

@dataclass
class Resolution:
    records: int
    matches: list[tuple]          # (id_l, id_r, match_weight, match_probability, matched)
    clusters: list[tuple]         # (_source_system, _source_key, id, entity_id, match_probability)
    households: list[tuple]       # (entity_id, household_id)
    model: dict                   # Splink's model JSON: explain reads it back
    notes: list[str] = field(default_factory=list)

    @property
    def entities(self) -> int:
        return len({row[3] for row in self.clusters})

    @property
    def household_count(self) -> int:
        return len({row[1] for row in self.households})

    def attached(self, previous: dict[str, str]) -> tuple[int, int]:
        """(new records that joined an earlier entity, entity ids kept) against the earlier run's clusters."""
        earlier = set(previous.values())
        joined = sum(1 for row in self.clusters if row[2] not in previous and row[3] in earlier)
        return joined, len(earlier & {row[3] for row in self.clusters})


def load_input(con, hints: MatchHints, source: exp.Expression) -> int:
    """Normalise the records into the temporary table Splink reads; returns how many there are."""
    create = exp.Create(this=exp.Table(this=_id(MATCH_INPUT)), kind="TABLE", replace=True, expression=prepare(hints, source),
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    con.execute(create.sql(dialect="duckdb"))
    return int(con.execute(exp.select(exp.func("count", exp.Star())).from_(exp.Table(this=_id(MATCH_INPUT)))
                           .sql(dialect="duckdb")).fetchone()[0])


def filled(con, hints: MatchHints, count: int) -> dict[str, float]:
    """Share of records with a value, per compared slot."""
    counts = [exp.func("count", exp.column(s, quoted=True)) for s, _ in hints.slots]
    row = con.execute(exp.select(*counts).from_(exp.Table(this=_id(MATCH_INPUT))).sql(dialect="duckdb")).fetchone()
    return {s: (n / count if count else 0.0) for (s, _), n in zip(hints.slots, row)}


def linker_for(con, hints: MatchHints, model: dict | None = None, explain: bool = False, spark=None):
    """A Splink linker over the normalised records: on DuckDB in ``con``, or, given a Spark session, on Spark
    (the records sent there once; Splink's Spark backend trains and scores where the cluster is)."""
    from splink import DuckDBAPI, Linker

    quiet_splink()
    if spark is None:
        db_api = DuckDBAPI(connection=con)
        records = db_api.register(MATCH_INPUT)
    else:
        from toolkit.run.matching.spark import spark_api

        db_api = spark_api(spark)
        spark.catalog.dropTempView(MATCH_INPUT)   # a former run's records in this session: Splink refuses to overwrite
        records = db_api.register(spark.createDataFrame(
            con.execute(exp.select("*").from_(exp.Table(this=_id(MATCH_INPUT))).sql(dialect="duckdb")).df()), table_name=MATCH_INPUT)
    if model is None:
        return Linker(records, settings(hints, explain), log_level=None)
    model = dict(model, retain_intermediate_calculation_columns=explain, retain_matching_columns=explain)
    return Linker(records, model, log_level=None)


def resolve(con, hints: MatchHints, source: exp.Expression, previous: dict[str, str] | None = None,
            model: dict | None = None, spark=None) -> Resolution:
    """Match the records ``source`` selects (id, _source_system, _source_key and the compared slots). With the
    ``model`` an earlier run trained, records are scored as before (no retraining), so earlier clusters hold.
    With a Spark session, the model is trained and the pairs scored on Spark; the scored pairs come back here
    and are clustered as on DuckDB."""
    previous = previous or {}
    count = load_input(con, hints, source)
    linker = linker_for(con, hints, model, spark=spark)
    notes = [] if household_safe(hints) else ["a training block holds no slot that tells household members apart: "
                                              "the model may learn households, not people"]
    if model is None:
        notes += train(linker, hints, count, filled(con, hints, count))
    else:
        notes.append("scored with the model trained by the earlier run (--retrain trains a new one)")
    predictions = linker.inference.predict(threshold_match_probability=min(0.2, hints.threshold))
    scored = predictions.physical_name
    if spark is not None:   # the pairs above the lowest threshold: few beside the records
        scored = "__dict_match_predictions"
        frame = predictions.as_spark_dataframe().select("id_l", "id_r", "match_weight", "match_probability").toPandas()
        con.register(scored, frame)
    pairs = con.execute(scored_pairs(hints, scored).sql(dialect="duckdb")).fetchall()
    matches = [(a, b, float(w), float(p), bool(p >= hints.threshold and not household)) for a, b, w, p, household in pairs]
    demoted = sum(1 for *_, p, household in pairs if household and p >= hints.threshold)
    if demoted:
        notes.append(f"{demoted} pair(s) share a household but not a given name: household members, not one person")
    members = connected(con, [(a, b) for a, b, _, _, matched in matches if matched])
    entity = stable_ids(members, previous)
    best: dict[str, float] = {}
    for a, b, _, p, matched in matches:
        if matched and entity[a] == entity[b]:
            best[a], best[b] = max(best.get(a, 0.0), p), max(best.get(b, 0.0), p)
    provenance = con.execute(exp.select("id", "_source_system", "_source_key").from_(exp.Table(this=_id(MATCH_INPUT)))
                             .order_by("id").sql(dialect="duckdb")).fetchall()
    clusters = [(system, key, rid, entity[rid], best.get(rid)) for rid, system, key in provenance]
    return Resolution(count, matches, clusters, households(con, hints, entity), linker.misc.save_model_to_json(), notes)


def scored_pairs(hints: MatchHints, predictions: str) -> exp.Select:
    """id_l, id_r, weight, probability and whether the two share every household slot while their given names
    differ: then they are two members of one household however much else (the address) agrees."""
    given = next((s for s, k in hints.slots if k == "given_name"), "")
    left, right = exp.to_identifier("l"), exp.to_identifier("r")

    def side(alias, name):
        return exp.column(name, table=alias, quoted=True)

    household: exp.Expression = exp.false()
    if given and hints.household:
        same = [side(left, f"__household_{i}").eq(side(right, f"__household_{i}")) for i in range(len(hints.household))]
        differ = exp.func("jaro_winkler_similarity", side(left, given), side(right, given)) < exp.Literal.number(0.88)
        household = exp.and_(*same, differ)
    table = exp.Table(this=_id(MATCH_INPUT))
    return (exp.select(exp.cast(side("p", "id_l"), "VARCHAR"), exp.cast(side("p", "id_r"), "VARCHAR"),
                       side("p", "match_weight"), side("p", "match_probability"),
                       exp.func("coalesce", household, exp.false()))
            .from_(exp.to_table(predictions).as_("p"))
            .join(table.copy().as_("l"), on=side(left, "id").eq(side("p", "id_l")))
            .join(table.copy().as_("r"), on=side(right, "id").eq(side("p", "id_r")))
            .order_by(exp.column("id_l", table="p"), exp.column("id_r", table="p")))


def connected(con, edges: list[tuple[str, str]]) -> dict[str, str]:
    """Record id -> cluster (the smallest id in it): connected components of the matching pairs, every record."""
    parent = {rid: rid for (rid,) in con.execute(exp.select("id").from_(exp.Table(this=_id(MATCH_INPUT)))
                                                  .sql(dialect="duckdb")).fetchall()}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = sorted((root(a), root(b)))
        parent[rb] = ra
    return {rid: root(rid) for rid in parent}


def stable_ids(members: dict[str, str], previous: dict[str, str]) -> dict[str, str]:
    """Record id -> entity id. Each cluster keeps the earlier entity id most of its records had (largest share
    first, so a split entity's bigger part keeps it); a cluster with none gets a new id never used before."""
    groups: dict[str, list[str]] = defaultdict(list)
    for rid, cluster in members.items():
        groups[cluster].append(rid)
    claims = []
    for cluster, rids in groups.items():
        for eid, n in Counter(previous[r] for r in rids if r in previous).items():
            claims.append((-n, eid, min(rids), cluster))
    chosen: dict[str, str] = {}
    taken = set(previous.values())
    kept: set[str] = set()
    for _, eid, _, cluster in sorted(claims):
        if cluster not in chosen and eid not in kept:
            chosen[cluster] = eid
            kept.add(eid)
    for cluster, rids in sorted(groups.items(), key=lambda g: min(g[1])):
        if cluster not in chosen:
            chosen[cluster] = _new_id("E", min(rids), taken)
            taken.add(chosen[cluster])
    return {rid: chosen[cluster] for rid, cluster in members.items()}


def _new_id(prefix: str, seed: str, taken: set[str]) -> str:
    """A short id derived from ``seed`` (the same on every run), lengthened until no earlier id has it."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    for size in range(12, len(digest) + 1):
        if prefix + digest[:size] not in taken:
            return prefix + digest[:size]
    return prefix + digest + str(len(taken))


def households(con, hints: MatchHints, entity: dict[str, str]) -> list[tuple]:
    """(entity_id, household_id): entities whose records share every household slot (normalised) live together."""
    if not hints.household:
        return sorted({(e, _new_id("H", e, set())) for e in entity.values()})
    keys = [exp.column(f"__household_{i}", quoted=True) for i in range(len(hints.household))]
    rows = con.execute(exp.select("id", *keys).from_(exp.Table(this=_id(MATCH_INPUT))).sql(dialect="duckdb")).fetchall()
    parent = {e: e for e in entity.values()}

    def root(e: str) -> str:
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    first: dict[tuple, str] = {}
    for rid, *key in rows:
        if any(v is None for v in key):
            continue
        other = first.setdefault(tuple(key), entity[rid])
        a, b = sorted((root(other), root(entity[rid])))
        parent[b] = a
    members: dict[str, list[str]] = defaultdict(list)
    for e in parent:
        members[root(e)].append(e)
    return sorted((e, _new_id("H", min(group), set())) for group in members.values() for e in group)
