"""Read a live database's catalog into a source schema, through SQLAlchemy's Inspector.

The Inspector knows each server's catalog (PostgreSQL, MySQL/MariaDB, and SQL Server, Oracle
and others when their drivers are installed), so no catalog SQL is written here. The URL's
credentials are used to connect and never written anywhere: the schema records the URL
without user, password or query (see :func:`public_url`).
"""
from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
from collections.abc import Iterable

from toolkit.core.errors import DictError, Problem
from toolkit.load.source_schema import Column, ForeignKey, SourceSchema, Table
from toolkit.core.types import from_native_text

# URL schemes a user types, and the driver this project installs for each.
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
# The dialect name a source schema records for each SQLAlchemy dialect (a sqlglot dialect).
_SQLGLOT_DIALECT = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "mssql": "tsql",
                    "oracle": "oracle", "sqlite": "sqlite"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """Whether ``--from`` names a database server (``scheme://…``) rather than a file."""
    return bool(_URL.match(text))


def _url(text: str):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise DictError(Problem(_scrub(text), 1, f"not a database URL: {_scrub(str(exc), text)}",
                                "e.g. postgresql://user@host:5432/db or mysql://user@host:3306/db")) from None
    driver = _DRIVERS.get(url.drivername)
    if driver:
        url = url.set(drivername=driver)
    if url.password is None:
        env = {"postgresql": "PGPASSWORD", "mysql": "MYSQL_PWD", "mariadb": "MYSQL_PWD"}.get(url.get_backend_name())
        if env and os.environ.get(env):
            url = url.set(password=os.environ[env])
    return url


def public_url(text: str) -> str:
    """``text`` without user, password and query: what may be written into a project file or a log."""
    try:
        url = _url(text)
    except DictError:
        return _scrub(text)
    backend = url.get_backend_name()
    host = url.host or ""
    port = f":{url.port}" if url.port else ""
    database = f"/{url.database}" if url.database else ""
    return f"{backend}://{host}{port}{database}"


def _scrub(message: str, url_text: str | None = None) -> str:
    """``message`` with any password of a URL in it replaced by ``***``."""
    message = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", message)
    if url_text:
        try:
            from sqlalchemy.engine import make_url

            password = make_url(url_text).password
        except Exception:  # noqa: BLE001 - a URL we cannot parse has no password to hide
            password = None
        if password:
            message = message.replace(str(password), "***")
    return message


def _selected(names: Iterable[str], include: tuple[str, ...], exclude: tuple[str, ...]) -> list[str]:
    chosen = [n for n in names if not include or any(fnmatch.fnmatchcase(n, p) for p in include)]
    return [n for n in chosen if not any(fnmatch.fnmatchcase(n, p) for p in exclude)]


def selected_tables(schema: SourceSchema, include: tuple[str, ...], exclude: tuple[str, ...], display: str) -> SourceSchema:
    """``schema`` with only the tables ``--include``/``--exclude`` (shell-style patterns) select."""
    if not include and not exclude:
        return schema
    chosen = _selected(schema.tables, include, exclude)
    if not chosen:
        raise DictError(Problem(display, 1, "no table matches --include/--exclude",
                                f"tables there: {', '.join(sorted(schema.tables)[:20])}"))
    return dataclasses.replace(schema, tables={n: schema.tables[n] for n in chosen})


def _native_type(sa_type, dialect, sqlglot_dialect: str) -> str:
    """The server's type, spelled as the DDL importer spells it (so a dump and the live catalog agree)."""
    from sqlglot import exp
    from sqlglot.errors import ParseError

    from toolkit.load.ddl_reader import native_type

    try:
        text = sa_type.compile(dialect=dialect)
    except Exception:  # noqa: BLE001 - a type the dialect cannot spell (e.g. NullType): keep its class name
        return type(sa_type).__name__.upper()
    try:
        return native_type(exp.DataType.build(text, dialect=sqlglot_dialect), sqlglot_dialect)
    except (ParseError, ValueError):
        return text


def _partitions(connection, schema: str) -> set[str]:
    """PostgreSQL's partitions of a partitioned table: read through their parent, as a dump declares them."""
    if connection.dialect.name != "postgresql":
        return set()
    from sqlalchemy import text

    query = text("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relispartition AND n.nspname = :schema")
    return {row[0] for row in connection.execute(query, {"schema": schema})}


def _row_count(connection, name: str, schema: str | None) -> int:
    from sqlalchemy import func, select, table

    return int(connection.execute(select(func.count()).select_from(table(name, schema=schema))).scalar_one())


def _read_table(inspector, connection, name: str, schema: str | None, counts: bool, dialect: str) -> Table:
    pk = tuple(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or ())
    columns = {}
    for col in inspector.get_columns(name, schema=schema):
        native = _native_type(col["type"], inspector.dialect, dialect)
        columns[col["name"]] = Column(col["name"], native, from_native_text(native),
                                      bool(col.get("nullable", True)) and col["name"] not in pk,
                                      description=(col.get("comment") or "").strip())
    fks = tuple(ForeignKey(tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(name, schema=schema) if fk.get("referred_table"))
    unique = tuple(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema=schema)
                   if u.get("column_names"))
    unique += tuple(tuple(i["column_names"]) for i in inspector.get_indexes(name, schema=schema)
                    if i.get("unique") and all(i.get("column_names") or [None]) and tuple(i["column_names"]) not in unique
                    and tuple(i["column_names"]) != pk)
    try:
        comment = (inspector.get_table_comment(name, schema=schema).get("text") or "").strip()
    except NotImplementedError:
        comment = ""
    rows = _row_count(connection, name, schema) if counts else None
    return Table(name, columns, pk, fks, comment, unique=unique, row_count=rows)


def import_live(source: str, url_text: str, schema: str | None = None, include: tuple[str, ...] = (),
                exclude: tuple[str, ...] = (), views: bool = False, counts: bool = True) -> SourceSchema:
    """Tables (and views on request) of one schema of a live database, with keys, comments and row counts."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    shown = public_url(url_text)
    url = _url(url_text)
    try:
        engine = create_engine(url, poolclass=NullPool)
    except NoSuchModuleError:
        raise DictError(Problem(shown, 1, f"no SQLAlchemy driver for '{url.drivername}'",
                                "use postgresql://… or mysql://…, or install the dialect's driver")) from None
    except (ImportError, SQLAlchemyError) as exc:
        raise DictError(Problem(shown, 1, f"cannot use {shown}: {_scrub(str(exc).splitlines()[0], url_text)}")) from None
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if schema is None:
                schema = inspector.default_schema_name
            if schema not in inspector.get_schema_names():
                raise DictError(Problem(shown, 1, f"schema '{schema}' does not exist",
                                        f"choose one of: {', '.join(sorted(inspector.get_schema_names()))}"))
            partitions = _partitions(connection, schema)
            names = [n for n in inspector.get_table_names(schema=schema) if n not in partitions]
            if views:
                names += inspector.get_view_names(schema=schema)
            chosen = _selected(names, include, exclude)
            if not chosen:
                raise DictError(Problem(shown, 1, f"no tables in schema '{schema}'"
                                        + (" match --include/--exclude" if include or exclude else ""),
                                        f"tables there: {', '.join(sorted(names)[:20]) or 'none'}"))
            dialect = _SQLGLOT_DIALECT.get(url.get_backend_name(), url.get_backend_name())
            tables = {n: _read_table(inspector, connection, n, schema, counts, dialect) for n in sorted(chosen)}
    except DictError:
        raise
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DictError(Problem(shown, 1, f"cannot read the catalog of {shown}: {_scrub(detail, url_text)}",
                                "check the URL, that the server runs and that the user may read the catalog")) from None
    finally:
        engine.dispose()
    return SourceSchema(source, tables, dialect, "", shown, database_schema=schema)
