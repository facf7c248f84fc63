"""`dict run`: create the views over real data and reconcile every derivation."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import engine
from .errors import DictError, Problem
from .plan import Plan


@dataclass(frozen=True)
class RunResult:
    reconciliations: tuple[engine.Reconciliation, ...]
    integrated: dict[str, int]
    shared_ids: tuple = ()   # identity.SharedIds per class whose identifiers several rows carry

    @property
    def balanced(self) -> bool:
        """Every derivation reconciles and every canonical row has an identifier of its own."""
        return all(r.balanced for r in self.reconciliations) and not self.shared_ids


def run_report(plan: Plan, data: dict[str, Path], database: Path | str = ":memory:", con=None) -> RunResult:
    """Attach each source's data, create its views and the integrated views, and count."""
    known = {s.name for s in plan.sources}
    for name in data:
        if name not in known:
            raise DictError(Problem("--data", 1, f"no mapping for source '{name}'", f"mapped sources: {', '.join(sorted(known))}"))
    owner = None
    if con is None and str(database) != ":memory:":
        owner = _owned_file(database)   # a DuckDB file: dict creates views only beside its own objects
        con = owner.con
    con = con or engine.connect(database)
    for name, path in data.items():
        if path is not None:
            engine.attach(con, plan.source(name), path)
            engine.require_tables(con, plan.source(name), path)
    engine.create_views(con, plan, list(data))
    if owner is not None:
        from .engines.ownership import present, register

        register(owner, "main", present(owner, ["main"]))
    recs = tuple(engine.reconcile(con, v) for s in plan.sources if s.name in data for v in s.views)
    return RunResult(recs, engine.integrated_counts(con, plan, list(data)), engine.shared_ids(con, plan, list(data)))


def _owned_file(database: Path | str):
    """The DuckDB file ``--database`` names, refused if it holds anything dict did not create there."""
    from .engines.duckdb import DuckDBEngine
    from .engines.ownership import guard

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
