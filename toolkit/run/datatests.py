"""Data tests from the dictionary: what every canonical row must satisfy, checked on an engine.

Each test is a fact of the plan: an identifier is unique, a required slot is filled, an enum slot holds
a permissible value, a slot whose range is a class names a row of that class, and a row of a class with
a ``max_age`` annotation is not older than that. Only classes the plan's sources derive are tested.
Each test is rendered to a SELECT of its failing rows as a sqlglot AST, in the engine's dialect, over
the integrated views (``dict run``, ``dict materialize``) or the canonical tables: the same tests on
DuckDB, PostgreSQL and MariaDB. Nothing is written to a server; on the embedded engine the stale
rows are also a view, ``<class>__stale``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlglot import exp

from toolkit.core import names
from toolkit.dialects._portable import typed
from toolkit.load.dictionary import Slot
from toolkit.plan import PROVENANCE, Plan
from toolkit.core.types import Type

KINDS = ("unique", "required", "accepted_values", "references", "fresh")
Relation = Callable[[str], exp.Table]          # a class's table name -> where its rows are
Query = Callable[[exp.Expression], list[tuple]]


@dataclass(frozen=True)
class DataTest:
    """One test over one slot of one canonical class."""

    kind: str
    class_name: str
    table: str                      # the class's view or table
    slot: Slot
    key: Slot | None                # the class's identifier (shown with each failing row)
    values: tuple[str, ...] = ()    # accepted_values: the permissible values
    target: str = ""                # references: the referenced class
    target_table: str = ""
    target_key: str = ""
    max_age_days: int = 0           # fresh

    @property
    def name(self) -> str:
        detail = {"references": f" -> {self.target}", "fresh": f" within {self.max_age_days} days"}.get(self.kind, "")
        return f"{self.kind}: {self.class_name}.{self.slot.name}{detail}"

    @property
    def shown(self) -> tuple[str, ...]:
        """The columns of a sample row: the identifier, the slot, where the row comes from."""
        key = (self.key.name,) if self.key is not None and self.key.name != self.slot.name else ()
        return key + (self.slot.name, "_source_system", "_source_key")


@dataclass(frozen=True)
class Outcome:
    test: DataTest
    rows: int                       # rows of the class tested
    failing: int
    sample: tuple[tuple, ...]
    skipped: str = ""               # why the test could not run

    @property
    def passed(self) -> bool:
        return not self.skipped and self.failing == 0

    @property
    def status(self) -> str:
        return "skip" if self.skipped else "pass" if self.passed else "fail"


def plan_tests(plan: Plan) -> list[DataTest]:
    """Every data test the dictionary implies for the classes the plan's sources derive."""
    derived = {i.target.name: i.target for i in plan.integrated}
    tests: list[DataTest] = []
    for cls in derived.values():
        key = cls.identifier
        for slot in cls.slots:
            base = dict(class_name=cls.name, table=cls.table_name, slot=slot, key=key)
            if slot.identifier:
                tests.append(DataTest("unique", **base))
            if slot.required or slot.identifier:
                tests.append(DataTest("required", **base))
            if slot.enum is not None:
                tests.append(DataTest("accepted_values", values=slot.enum.texts, **base))
            if slot.references:
                target = plan.dictionary.classes.get(slot.references)
                target_key = target.identifier.name if target is not None and target.identifier is not None else ""
                tests.append(DataTest("references", target=slot.references, target_table=target.table_name if target else "",
                                      target_key=target_key, **base))
        if cls.freshness is not None:
            tests.append(DataTest("fresh", max_age_days=cls.freshness.days, class_name=cls.name, table=cls.table_name,
                                  slot=cls.slot(cls.freshness.slot), key=key))
    return tests


def _column(name: str, t: Type, table: str = "t") -> exp.Column:
    return typed(exp.column(exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True)), t)


def _from(relation: Relation, table: str, alias: str = "t") -> exp.Table:
    where = relation(table).copy()
    where.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    return where


def _text(value: str) -> exp.Expression:
    return typed(exp.Literal.string(value), Type.STRING)


def _cutoff(test: DataTest, as_of: datetime) -> exp.Expression:
    """The oldest value still fresh, as a literal of the slot's type."""
    moment = as_of - timedelta(days=test.max_age_days)
    if test.slot.type is Type.DATE:
        return exp.Cast(this=exp.Literal.string(moment.strftime("%Y-%m-%d")), to=exp.DataType.build("DATE"))
    return exp.Cast(this=exp.Literal.string(moment.strftime("%Y-%m-%d %H:%M:%S")), to=exp.DataType.build("TIMESTAMP"))


def failing_rows(test: DataTest, relation: Relation, as_of: datetime) -> exp.Select:
    """SELECT the rows that break ``test`` (its ``shown`` columns), over the class's rows."""
    value = _column(test.slot.name, test.slot.type)
    types = {test.slot.name: test.slot.type}
    if test.key is not None:
        types[test.key.name] = test.key.type
    select = exp.select(*[_column(c, types.get(c, Type.STRING)) for c in test.shown]).from_(_from(relation, test.table))
    if test.kind == "unique":
        shared = (exp.select(exp.alias_(value.copy(), "_shared", quoted=True)).from_(_from(relation, test.table))
                  .where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())))
                  .group_by(value.copy()).having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))))
        on = exp.EQ(this=value.copy(), expression=_column("_shared", test.slot.type, "d"))
        return select.join(exp.Subquery(this=shared, alias=exp.TableAlias(this=exp.to_identifier("d", quoted=True))), on=on)
    if test.kind == "required":
        return select.where(exp.Is(this=value, expression=exp.null()))
    if test.kind == "accepted_values":
        allowed = exp.In(this=value.copy(), expressions=[_text(v) for v in test.values])
        return select.where(exp.and_(exp.Not(this=exp.Is(this=value, expression=exp.null())), exp.Not(this=exp.Paren(this=allowed))))
    if test.kind == "references":
        target = _column(test.target_key, Type.STRING, "r")
        joined = select.join(_from(relation, test.target_table, "r"), on=exp.EQ(this=value.copy(), expression=target), join_type="LEFT")
        return joined.where(exp.and_(exp.Not(this=exp.Is(this=value, expression=exp.null())),
                                     exp.Is(this=target.copy(), expression=exp.null())))
    if test.kind == "fresh":
        return select.where(exp.LT(this=value, expression=_cutoff(test, as_of)))
    raise ValueError(test.kind)


def stale_view(test: DataTest, relation: Relation, as_of: datetime) -> exp.Create:
    """CREATE VIEW <class>__stale: the rows of a class with ``max_age`` older than that on ``as_of``."""
    return exp.Create(this=exp.Table(this=exp.to_identifier(names.stale_view(test.table), quoted=True)), kind="VIEW",
                      replace=True, expression=failing_rows(test, relation, as_of))


def run_tests(tests: list[DataTest], query: Query, relation: Relation, present: set[str], as_of: datetime,
              sample: int = 5) -> list[Outcome]:
    """Run every test: count its failing rows and show the first ``sample`` (by provenance)."""
    sizes: dict[str, int] = {}
    outcomes = []
    for test in tests:
        missing = [t for t in (test.table, test.target_table) if t and t not in present]
        if test.kind == "references" and not test.target_key:
            outcomes.append(Outcome(test, 0, 0, (), f"{test.target} has no identifier to refer to"))
            continue
        if missing:
            outcomes.append(Outcome(test, 0, 0, (), f"no rows of {', '.join(missing)} here (no source derives it)"))
            continue
        if test.table not in sizes:
            sizes[test.table] = int(query(exp.select(exp.Count(this=exp.Star())).from_(_from(relation, test.table)))[0][0])
        failing = failing_rows(test, relation, as_of)
        count = int(query(exp.select(exp.Count(this=exp.Star())).from_(
            exp.Subquery(this=failing.copy(), alias=exp.TableAlias(this=exp.to_identifier("f", quoted=True)))))[0][0])
        shown = ()
        if count and sample:
            order = [exp.Ordered(this=_column(c, Type.STRING)) for c in PROVENANCE if c in test.shown]
            shown = tuple(tuple(r) for r in query(failing.order_by(*order).limit(sample)))
        outcomes.append(Outcome(test, sizes[test.table], count, shown))
    return outcomes


def outcomes_json(outcomes: list[Outcome], as_of: datetime) -> dict:
    """The outcomes as JSON-ready data (``dict test --format json``)."""
    return {"as_of": as_of.isoformat(sep=" "), "passed": sum(o.passed for o in outcomes),
            "failed": sum(o.status == "fail" for o in outcomes), "skipped": sum(o.status == "skip" for o in outcomes),
            "tests": [{"test": o.test.name, "kind": o.test.kind, "class": o.test.class_name, "slot": o.test.slot.name,
                       "status": o.status, "rows": o.rows, "failing": o.failing, "skipped": o.skipped or None,
                       "columns": list(o.test.shown), "sample": [[_plain(v) for v in r] for r in o.sample]}
                      for o in outcomes]}


def _plain(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


@dataclass(frozen=True)
class Report:
    where: str                      # what was tested: the demo estate, the sources, a target's schema
    as_of: datetime
    outcomes: tuple[Outcome, ...]

    @property
    def passed(self) -> bool:
        return all(o.status != "fail" for o in self.outcomes)


def check_data(plan: Plan, data: dict, target: str = "", schema: str = "", as_of: datetime | None = None,
               sample: int = 5) -> Report:
    """Run the dictionary's data tests: on ``target`` (a server or DuckDB file holding the integrated views
    or canonical tables, in ``schema``), else on DuckDB over ``data`` (SOURCE -> file or URL) or, with
    none, over the demo estate."""
    as_of = as_of or datetime.now().replace(microsecond=0)
    if target:
        return _on_target(plan, target, schema, as_of, sample)
    return _on_duckdb(plan, data, as_of, sample)


def _on_target(plan: Plan, target: str, schema: str, as_of: datetime, sample: int) -> Report:
    from toolkit.run.engines.materialize import open_target

    with open_target(target) as engine:
        schema = schema or engine.view_namespace()
        present = {name for name, _kind in engine.objects(schema)}
        relation = lambda table: exp.Table(this=exp.to_identifier(table, quoted=True),   # noqa: E731
                                           db=exp.to_identifier(schema, quoted=True))
        outcomes = run_tests(plan_tests(plan), engine.select, relation, present, as_of, sample)
    return Report(f"{_without_password(target)} (schema {schema})", as_of, tuple(outcomes))


def _on_duckdb(plan: Plan, data: dict, as_of: datetime, sample: int) -> Report:
    from toolkit.run.demo import build_estate, estate_scripts
    from toolkit.run.engines.duckdb import connect
    from toolkit.run.engines.reconcile import run_report

    if data:
        con, where = connect(":memory:"), ", ".join(f"{name}={path}" for name, path in data.items())
    else:
        con, where = build_estate(":memory:"), "the demo estate"
        data = {name: None for name in estate_scripts() if name in {s.name for s in plan.sources}}
    try:
        run_report(plan, data, con=con)   # attaches the sources, creates the views, checks the sources' tables
        outcomes = on_connection(con, plan.restrict(list(data)), as_of, sample)
    finally:
        con.close()
    return Report(where, as_of, tuple(outcomes))


def on_connection(con, plan: Plan, as_of: datetime, sample: int = 5) -> list[Outcome]:
    """The tests of ``plan`` on a DuckDB connection holding its views; each ``<class>__stale`` view is created."""
    from toolkit import dialects

    duckdb = dialects.get("duckdb")
    query = lambda tree: con.execute(duckdb.render(tree)).fetchall()   # noqa: E731
    relation = lambda table: exp.Table(this=exp.to_identifier(table, quoted=True))   # noqa: E731
    tests = plan_tests(plan)
    for test in tests:
        if test.kind == "fresh":
            con.execute(duckdb.render(stale_view(test, relation, as_of)))
    return run_tests(tests, query, relation, {i.view_name for i in plan.integrated}, as_of, sample)


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
