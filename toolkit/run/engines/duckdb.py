"""DuckDB (embedded): the reference engine, and the default runner of `dict run`, `demo` and matching.

Sources are read where they are: a SQLite or DuckDB file is attached read-only, a live PostgreSQL
or MySQL/MariaDB database through DuckDB's scanner; ``DuckDBEngine`` can also hold loaded copies.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.core.names import DUCKDB_TARGET
from toolkit.plan import Plan, SourcePlan
from toolkit.load.source_schema import file_head
from toolkit.run.engines import Engine
from toolkit.run.engines.data import TableData


def connect(database: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(database))


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect_name = "duckdb"

    def __init__(self, database: str | Path = ":memory:", con: duckdb.DuckDBPyConnection | None = None):
        """A fresh in-memory session holding ``database`` (a file) if given; or the session ``con``, as it is."""
        self.con = con if con is not None else duckdb.connect()
        if con is None and str(database) != ":memory:":
            # attached under a fixed name: a file named like a schema (canonical.duckdb) would make
            # "canonical"."customer" ambiguous between the catalog and the schema
            self.execute(_sql(_attach(exp.Literal.string(str(database)), DUCKDB_TARGET)))
            self.execute(_sql(exp.Use(this=exp.Table(this=_id(DUCKDB_TARGET)))))

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def attach(self, source: SourcePlan, location: Path | str) -> None:
        """The source's data read where it is (see ``attach``), its tables checked against the source schema."""
        attach(self.con, source, location)
        require_tables(self.con, source, location)

    def load_table(self, schema: str, data: TableData) -> None:
        """Bulk load through a JSON-lines file (DuckDB parses it typed, with NULL and '' kept apart)."""
        self.create_table(schema, data)
        names = [c.name for c in data.columns]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as fh:
            for row in data.rows:
                fh.write(json.dumps(dict(zip(names, row)), default=str, ensure_ascii=False) + "\n")
            path = Path(fh.name)
        try:
            if data.rows:
                columns = exp.Struct(expressions=[
                    exp.PropertyEQ(this=exp.Literal.string(c.name), expression=exp.Literal.string(self.column_type(c).sql(dialect="duckdb")))
                    for c in data.columns])
                reader = exp.Anonymous(this="read_json", expressions=[
                    exp.Literal.string(str(path)),
                    exp.PropertyEQ(this=exp.var("format"), expression=exp.Literal.string("newline_delimited")),
                    exp.PropertyEQ(this=exp.var("columns"), expression=columns)])
                self.execute(_sql(exp.insert(exp.select(exp.Star()).from_(exp.Table(this=reader)),
                                             self.physical_table(schema, data.table.name))))
        finally:
            path.unlink(missing_ok=True)

    transactional_ddl = True

    def objects(self, namespace: str) -> list[tuple[str, str]]:
        rows = self.con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = ? "
            "UNION ALL SELECT sequence_name, 'SEQUENCE' FROM duckdb_sequences() "
            "WHERE database_name = current_database() AND schema_name = ? "
            "UNION ALL SELECT DISTINCT function_name, 'MACRO' FROM duckdb_functions() "
            "WHERE NOT internal AND database_name = current_database() AND schema_name = ?",
            [namespace] * 3).fetchall()
        return sorted((str(n), "TABLE" if k == "BASE TABLE" else str(k)) for n, k in rows)

    def view_namespace(self) -> str:
        return str(self.con.execute("SELECT current_schema()").fetchone()[0])

    def close(self) -> None:
        self.con.close()


# ------------------------------------------------------------------------------ reading sources where they are

_SCANNERS = ("sqlite", "postgres", "mysql")


def load_scanner(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Scanners come from the duckdb-extension-{sqlite,postgres,mysql} packages: no download at run time."""
    if name not in _SCANNERS:
        raise ValueError(f"no DuckDB scanner '{name}'")
    load = exp.Command(this="LOAD", expression=" " + name)
    try:
        con.execute(_sql(load))
        return
    except duckdb.Error:
        pass
    import duckdb_extensions

    duckdb_extensions.import_extension(name, con=con)
    con.execute(_sql(load))


def attach_file(con: duckdb.DuckDBPyConnection, alias: str, path: Path) -> None:
    """A SQLite or DuckDB file attached read-only as catalog ``alias``."""
    if file_head(path).startswith(b"SQLite format 3"):
        load_scanner(con, "sqlite")
        con.execute(_sql(_attach(exp.Literal.string(str(path)), alias, ("TYPE", "sqlite"), ("READ_ONLY", None))))
    else:
        con.execute(_sql(_attach(exp.Literal.string(str(path)), alias, ("READ_ONLY", None))))


def attach(con: duckdb.DuckDBPyConnection, source: SourcePlan, location: Path | str) -> None:
    """Make ``location`` (a SQLite or DuckDB file, or a database URL) readable as the source's database schema."""
    if isinstance(location, str):
        return attach_live(con, source, location)
    if not location.exists():
        raise DictError(Problem(str(location), 1, f"data for source '{source.name}' not found"))
    attach_file(con, source.database_schema, location)


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

    from toolkit.load.introspect import _scrub, public_url

    what = what or public_url(url)
    parts = urlsplit(url)
    scanner = _SCANNER_OF.get(parts.scheme.split("+")[0])
    if scanner is None:
        raise DictError(Problem("--data", 1, f"{what}: cannot read {public_url(url)}",
                                "give a SQLite or DuckDB file, or a postgresql:// or mysql:// URL"))
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None) or default_schema or "public"
    plain = urlunsplit((parts.scheme.split("+")[0].replace("mariadb", "mysql"), parts.netloc, parts.path, urlencode(query), ""))
    options = [("TYPE", scanner), ("READ_ONLY", None)] + ([("SCHEMA", exp.Literal.string(schema))] if scanner == "postgres" else [])
    try:
        load_scanner(con, scanner)
        for setting, value in _SCANNER_SETTINGS[scanner].items():
            con.execute(_sql(exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.column(setting), expression=exp.Boolean(this=value)))])))
        con.execute(_sql(_attach(exp.Literal.string(plain), alias, *options)))
    except duckdb.Error as exc:
        detail = _scrub(str(exc).strip().splitlines()[0], url)
        raise DictError(Problem("--data", 1, f"{what}: cannot attach {public_url(url)}: {detail}",
                                "check the URL, that the server runs and that the user may read the tables")) from None


def require_tables(con: duckdb.DuckDBPyConnection, source: SourcePlan, location: Path | str) -> None:
    """Every table and column the source's views read is in the attached data: else one error naming them."""
    from toolkit.load.introspect import public_url

    missing, lacking = [], []
    read = _columns_read(source)
    for table in sorted({ref.table.name for v in source.views for ref in v.tables()}):
        probe = exp.select(exp.Star()).from_(exp.Table(this=_id(table), db=_id(source.database_schema))).limit(0)
        try:
            found = con.execute(_sql(probe)).description
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
    from toolkit.emit.sql import names_used

    read: dict[str, set[str]] = {}
    for use in names_used(Plan(None, (source,), ())):
        if use.kind == "column":
            table, column = use.key.split(".", 1)
            read.setdefault(table, set()).add(column)
    return read


def _some(names: list[str]) -> str:
    return ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _attach(location: exp.Expression, alias: str, *options: tuple[str, str | exp.Expression | None]) -> exp.Attach:
    """ATTACH ``location`` AS "alias" (OPTION value, ...)."""
    def value(v):
        return None if v is None else v if isinstance(v, exp.Expression) else exp.var(v)

    return exp.Attach(this=exp.alias_(location, _id(alias)),
                      expressions=[exp.AttachOption(this=exp.var(k), expression=value(v)) for k, v in options] or None)


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _sql(tree: exp.Expression) -> str:
    return tree.sql(dialect="duckdb", identify=True)
