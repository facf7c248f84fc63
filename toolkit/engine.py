"""Running the generated views in DuckDB, the embedded default engine."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import dialects
from .errors import DictError, Problem
from .generators.sql import integrated_statements, source_file_statements
from .plan import Plan, SourcePlan, ViewPlan
from .source_schema import file_head

_SCANNERS_LOADED: set[int] = set()


def connect(database: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(database))


def _load_scanner(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Scanners come from the duckdb-extension-{sqlite,postgres,mysql} packages: no download at run time."""
    try:
        con.execute(f"LOAD {name}")
        return
    except duckdb.Error:
        pass
    import duckdb_extensions

    duckdb_extensions.import_extension(name, con=con)
    con.execute(f"LOAD {name}")


def attach(con: duckdb.DuckDBPyConnection, source: SourcePlan, location: Path | str) -> None:
    """Make ``location`` (a SQLite or DuckDB file, or a database URL) readable as the source's database schema."""
    if isinstance(location, str):
        return attach_live(con, source, location)
    if not location.exists():
        raise DictError(Problem(str(location), 1, f"data for source '{source.name}' not found"))
    head = file_head(location)
    alias = source.database_schema.replace('"', '""')
    path = str(location).replace("'", "''")
    if head.startswith(b"SQLite format 3"):
        _load_scanner(con, "sqlite")
        con.execute(f"ATTACH '{path}' AS \"{alias}\" (TYPE sqlite, READ_ONLY)")
    else:
        con.execute(f"ATTACH '{path}' AS \"{alias}\" (READ_ONLY)")


_SCANNER_OF = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}
# The views' meaning is DuckDB's: no filter, aggregate or ORDER BY is sent to the server, where a case- or
# space-insensitive collation would answer differently; TINYINT(1) stays the integer the source schema says.
_SCANNER_SETTINGS = {
    "postgres": {"pg_experimental_filter_pushdown": False},
    "mysql": {"mysql_experimental_filter_pushdown": False, "mysql_aggregate_pushdown_enabled": False,
              "mysql_order_pushdown_enabled": False, "mysql_tinyint1_as_boolean": False},
}


def attach_live(con: duckdb.DuckDBPyConnection, source: SourcePlan, url: str) -> None:
    """A live PostgreSQL or MySQL/MariaDB database, read where it is through DuckDB's scanner (read-only).

    The schema holding the legacy tables is ``?schema=`` in the URL, else the one ``dict import-source``
    recorded, else ``public`` (PostgreSQL); on MySQL it is the URL's database.
    """
    attach_url(con, source.database_schema, url, source.schema.database_schema, f"source '{source.name}'")


def attach_url(con: duckdb.DuckDBPyConnection, alias: str, url: str, default_schema: str = "", what: str = "") -> None:
    """Attach the live database at ``url`` read-only as catalog ``alias`` (``?schema=`` in the URL, else
    ``default_schema``, else ``public`` on PostgreSQL); ``what`` names it in error messages."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    from .introspect import public_url

    what = what or public_url(url)
    parts = urlsplit(url)
    scanner = _SCANNER_OF.get(parts.scheme.split("+")[0])
    if scanner is None:
        raise DictError(Problem("--data", 1, f"{what}: cannot read {public_url(url)}",
                                "give a SQLite or DuckDB file, or a postgresql:// or mysql:// URL"))
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None) or default_schema or "public"
    plain = urlunsplit((parts.scheme.split("+")[0].replace("mariadb", "mysql"), parts.netloc, parts.path, urlencode(query), ""))
    options = "TYPE postgres, READ_ONLY, SCHEMA " + _literal(schema) if scanner == "postgres" else "TYPE mysql, READ_ONLY"
    try:
        _load_scanner(con, scanner)
        for setting, value in _SCANNER_SETTINGS[scanner].items():
            con.execute(f"SET {setting} = {'true' if value else 'false'}")
        con.execute(f"ATTACH {_literal(plain)} AS {_q(alias)} ({options})")
    except duckdb.Error as exc:
        from .introspect import _scrub

        detail = _scrub(str(exc).strip().splitlines()[0], url)
        raise DictError(Problem("--data", 1, f"{what}: cannot attach {public_url(url)}: {detail}",
                                "check the URL, that the server runs and that the user may read the tables")) from None


def require_tables(con: duckdb.DuckDBPyConnection, source: SourcePlan, location: Path | str) -> None:
    """Every table and column the source's views read is in the attached data: else one error naming them."""
    from .introspect import public_url

    missing, lacking = [], []
    read = _columns_read(source)
    for table in sorted({ref.table.name for v in source.views for ref in v.tables()}):
        try:
            found = con.execute(f"SELECT * FROM {_qualified(source.database_schema, table)} LIMIT 0").description
        except duckdb.Error:
            missing.append(table)
            continue
        have = {d[0].lower() for d in found}
        lacking += [f"{table}.{c}" for c in sorted(read.get(table, ())) if c.lower() not in have]
    where = public_url(location) if isinstance(location, str) else str(location)
    hint = f"is this the source's database? its tables must match mappings/{source.name}.source.yaml"
    if missing:
        raise DictError(Problem("--data", 1, f"source '{source.name}': {where} has no table {_some(missing)}", hint))
    if lacking:
        raise DictError(Problem("--data", 1, f"source '{source.name}': {where} has no column {_some(lacking)}", hint))


def _columns_read(source: SourcePlan) -> dict[str, set[str]]:
    """Source table -> the columns the source's views read from it."""
    from .generators.sql import names_used

    read: dict[str, set[str]] = {}
    plan = Plan(None, (source,), ())
    for use in names_used(plan):
        if use.kind == "column":
            table, column = use.key.split(".", 1)
            read.setdefault(table, set()).add(column)
    return read


def _some(names: list[str]) -> str:
    return ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_views(con: duckdb.DuckDBPyConnection, plan: Plan, sources: list[str] | None = None) -> None:
    """Create the views of ``sources`` (default all) and the integrated views over them."""
    dialect = dialects.get("duckdb")
    chosen = [s for s in plan.sources if sources is None or s.name in sources]
    for source in chosen:
        for _name, stmt in source_file_statements(source):
            con.execute(dialect.render(stmt))
    if sources is not None:
        plan = Plan(plan.dictionary, tuple(chosen), tuple(
            type(i)(i.target, tuple(v for v in i.views if v.source in sources)) for i in plan.integrated
            if any(v.source in sources for v in i.views)))
    for _name, stmt in integrated_statements(plan):
        con.execute(dialect.render(stmt))


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


def reconcile(con: duckdb.DuckDBPyConnection, view: ViewPlan) -> Reconciliation:
    base = view.base
    source_rows = con.execute(f"SELECT COUNT(*) FROM {_qualified(base.database_schema, base.table.name)}").fetchone()[0]
    # a grouped view's to_many join repeats a source row once per joined row
    counted = "COUNT(DISTINCT _source_key)" if view.grouped else "COUNT(*)"
    staged = con.execute(f"SELECT {counted} FROM {_q(view.staged_name)}").fetchone()[0]
    canonical = con.execute(f"SELECT COUNT(*) FROM {_q(view.view_name)}").fetchone()[0]
    reasons = con.execute(
        f"SELECT _reject_reason, COUNT(*) FROM {_q(view.rejects_name)} GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    rejected = sum(n for _, n in reasons)
    return Reconciliation(view, source_rows, staged, canonical, rejected, tuple(reasons), join_violations(con, view),
                          orphans(con, view))


def orphans(con: duckdb.DuckDBPyConnection, view: ViewPlan) -> tuple[tuple[str, str, str, str, int], ...]:
    """Per reference slot: how many of its values name a missing or a rejected row of the referenced class."""
    if not view.references:
        return ()
    rows = con.execute(f"SELECT _slot, _target_class, _target_state, _on_orphan, COUNT(*) FROM {_q(view.orphans_name)} "
                       "GROUP BY 1, 2, 3, 4 ORDER BY 1, 3").fetchall()
    return tuple((str(s), str(c), str(t), str(a), int(n)) for s, c, t, a, n in rows)


def join_violations(con: duckdb.DuckDBPyConnection, view: ViewPlan) -> tuple[tuple[str, int, int], ...]:
    """Per join declared to_one: how many driving rows it matched more than once, and the most matches."""
    from .generators.sql import join_check_name, join_check_select

    if join_check_select(view) is None:
        return ()
    rows = con.execute(f"SELECT _join, COUNT(*), MAX(_matches) FROM {_q(join_check_name(view))} GROUP BY 1 ORDER BY 1").fetchall()
    return tuple((str(j), int(n), int(m)) for j, n, m in rows)


def integrated_counts(con: duckdb.DuckDBPyConnection, plan: Plan, sources: list[str]) -> dict[str, int]:
    """Rows of each integrated view created over ``sources``."""
    return {i.view_name: con.execute(f"SELECT COUNT(*) FROM {_q(i.view_name)}").fetchone()[0]
            for i in plan.integrated if any(v.source in sources for v in i.views)}


def shared_ids(con: duckdb.DuckDBPyConnection, plan: Plan, sources: list[str]) -> tuple:
    """Per class created over ``sources``: the identifiers several canonical rows carry (only classes with some)."""
    from .identity import shared_ids as read

    dialect = dialects.get("duckdb")
    found = (read(i, lambda q: con.execute(dialect.to_sql(q)).fetchall())
             for i in plan.integrated if any(v.source in sources for v in i.views))
    return tuple(f for f in found if f is not None)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(schema: str, table: str) -> str:
    return f"{_q(schema)}.{_q(table)}"
