"""`dict run`: create the views over real data on an engine and reconcile every derivation.

Each derivation's counts (source rows, staged, canonical, rejected by reason, to_one joins that
matched several rows, orphan references) are read with neutral SELECTs, so DuckDB and Spark
reconcile alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.emit.sql import _id, join_check_name, join_check_select
from toolkit.plan import Plan, ViewPlan
from toolkit.run.engines import Engine, create_views


@dataclass(frozen=True)
class Reconciliation:
    view: ViewPlan
    source_rows: int      # rows of the driving table
    staged: int
    canonical: int
    rejected: int
    reasons: tuple[tuple[str, int], ...]
    # (join alias, driving rows it matched more than once, most matches) for joins declared to_one
    join_violations: tuple[tuple[str, int, int], ...] = ()
    # (slot, referenced class, 'missing' or 'rejected', 'report' or 'reject', references) naming no canonical row
    orphans: tuple[tuple[str, str, str, str, int], ...] = ()

    @property
    def orphan_rows(self) -> int:
        """Canonical rows whose reference names no canonical row (reported, on_orphan: report)."""
        return sum(n for _slot, _cls, _state, action, n in self.orphans if action == "report")

    @property
    def balanced(self) -> bool:
        """Every source row is a canonical row or a reject; for grouped views every row is staged and
        each staged row feeds a group or is rejected; every to_one join matched at most one row."""
        if self.join_violations:
            return False
        if self.view.grouped:
            return self.staged == self.source_rows
        return self.staged == self.source_rows == self.canonical + self.rejected


@dataclass(frozen=True)
class RunResult:
    reconciliations: tuple[Reconciliation, ...]
    integrated: dict[str, int]
    shared_ids: tuple = ()   # identity.SharedIds per class whose identifiers several rows carry

    @property
    def balanced(self) -> bool:
        """Every derivation reconciles and every canonical row has an identifier of its own."""
        return all(r.balanced for r in self.reconciliations) and not self.shared_ids


def _col(name: str) -> exp.Column:
    return exp.column(_id(name))


def _count(relation: exp.Table, counted: exp.Expression | None = None) -> exp.Select:
    return exp.select(exp.Count(this=counted or exp.Star())).from_(relation)


def _by_position(*positions: int, desc: tuple[int, ...] = ()) -> list[exp.Ordered]:
    return [exp.Ordered(this=exp.Literal.number(p), desc=p in desc) for p in positions]


def reconcile(engine: Engine, view: ViewPlan) -> Reconciliation:
    base = view.base
    source = engine.locate(exp.Table(this=_id(base.table.name), db=_id(base.database_schema)))
    source_rows = engine.select(_count(source))[0][0]
    # a grouped view's to_many join repeats a source row once per joined row
    counted = exp.Distinct(expressions=[_col("_source_key")]) if view.grouped else None
    staged = engine.select(_count(exp.Table(this=_id(view.staged_name)), counted))[0][0]
    canonical = engine.select(_count(exp.Table(this=_id(view.view_name))))[0][0]
    reasons = [(r, int(n)) for r, n in engine.select(
        exp.select(_col("_reject_reason"), exp.Count(this=exp.Star())).from_(exp.Table(this=_id(view.rejects_name)))
        .group_by(exp.Literal.number(1)).order_by(*_by_position(2, 1, desc=(2,))))]
    rejected = sum(n for _, n in reasons)
    return Reconciliation(view, int(source_rows), int(staged), int(canonical), rejected, tuple(reasons),
                          join_violation_counts(engine, view), orphans(engine, view))


def orphans(engine: Engine, view: ViewPlan) -> tuple[tuple[str, str, str, str, int], ...]:
    """Per reference slot: how many of its values name a missing or a rejected row of the referenced class."""
    if not view.references:
        return ()
    keys = [_col(c) for c in ("_slot", "_target_class", "_target_state", "_on_orphan")]
    rows = engine.select(exp.select(*keys, exp.Count(this=exp.Star())).from_(exp.Table(this=_id(view.orphans_name)))
                         .group_by(*[exp.Literal.number(p) for p in (1, 2, 3, 4)]).order_by(*_by_position(1, 3)))
    return tuple((str(s), str(c), str(t), str(a), int(n)) for s, c, t, a, n in rows)


def join_violation_counts(engine: Engine, view: ViewPlan) -> tuple[tuple[str, int, int], ...]:
    """Per join declared to_one: how many driving rows it matched more than once, and the most matches."""
    if join_check_select(view) is None:
        return ()
    rows = engine.select(exp.select(_col("_join"), exp.Count(this=exp.Star()), exp.Max(this=_col("_matches")))
                         .from_(exp.Table(this=_id(join_check_name(view)))).group_by(exp.Literal.number(1))
                         .order_by(*_by_position(1)))
    return tuple((str(j), int(n), int(m)) for j, n, m in rows)


def integrated_counts(engine: Engine, plan: Plan) -> dict[str, int]:
    """Rows of each integrated view of ``plan``."""
    return {i.view_name: int(engine.select(_count(exp.Table(this=_id(i.view_name))))[0][0]) for i in plan.integrated}


def shared_ids(engine: Engine, plan: Plan) -> tuple:
    """Per class of ``plan``: the identifiers several canonical rows carry (only classes with some)."""
    from toolkit.plan.identity import shared_ids as read

    found = (read(i, engine.select) for i in plan.integrated)
    return tuple(f for f in found if f is not None)


def report(engine: Engine, plan: Plan) -> RunResult:
    """The reconciliation of every derivation of ``plan``, whose views ``engine`` holds."""
    recs = tuple(reconcile(engine, v) for s in plan.sources for v in s.views)
    return RunResult(recs, integrated_counts(engine, plan), shared_ids(engine, plan))


def run_report(plan: Plan, data: dict[str, Path | str | None], database: Path | str = ":memory:", con=None) -> RunResult:
    """On DuckDB: attach each source's data (None: its schema is in ``con`` already), create its views and the
    integrated views over them, and count. ``con`` is a DuckDB connection to use, else one is opened on ``database``."""
    from toolkit.run.engines.duckdb import DuckDBEngine

    known = {s.name for s in plan.sources}
    for name in data:
        if name not in known:
            raise DictError(Problem("--data", 1, f"no mapping for source '{name}'", f"mapped sources: {', '.join(sorted(known))}"))
    owner = None
    if con is not None:
        engine = DuckDBEngine(con=con)
    elif str(database) != ":memory:":
        engine = owner = _owned_file(database)   # a DuckDB file: dict creates views only beside its own objects
    else:
        engine = DuckDBEngine()
    for name, path in data.items():
        if path is not None:
            engine.attach(plan.source(name), path)
    plan = plan.restrict(list(data))
    create_views(engine, plan)
    if owner is not None:
        from toolkit.run.engines.ownership import present, register

        register(owner, "main", present(owner, ["main"]))
    return report(engine, plan)


def _owned_file(database: Path | str):
    """The DuckDB file ``--database`` names, refused if it holds anything dict did not create there."""
    from toolkit.run.engines.duckdb import DuckDBEngine
    from toolkit.run.engines.ownership import guard

    try:
        owner = DuckDBEngine(database)
    except Exception as exc:  # duckdb: not a database file, locked, unreadable
        raise DictError(Problem(str(database), 1, f"cannot open DuckDB database: {str(exc).strip().splitlines()[0]}")) from None
    try:
        guard(owner, ["main"], "main", "--database")
    except DictError:
        owner.close()
        raise
    return owner
