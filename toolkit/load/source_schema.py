"""A legacy source's tables, columns, types and keys, as recorded beside its mapping.

Produced by ``dict import-source`` from DDL (any sqlglot dialect) or by introspecting a
live SQLite or DuckDB database; read back by validation to check mappings.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError

from toolkit.core.errors import DictError, Problem, Problems
from toolkit.core.types import Type, from_native_text
from toolkit.load.yamlsource import Node, load_yaml
from toolkit.core.names import fold_case


@dataclass(frozen=True)
class Column:
    name: str
    native_type: str
    type: Type
    nullable: bool = True
    line: int = 0
    description: str = ""


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, Column]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    description: str = ""
    line: int = 0
    unique: tuple[tuple[str, ...], ...] = ()  # unique constraints besides the primary key
    row_count: int | None = None  # rows when imported from a live database

    def column(self, name: str) -> Column | None:
        """Exact name first, then a unique case-insensitive match (SQL folds unquoted names)."""
        if name in self.columns:
            return self.columns[name]
        folded = [c for n, c in self.columns.items() if fold_case(n) == fold_case(name)]
        return folded[0] if len(folded) == 1 else None


@dataclass(frozen=True)
class SourceSchema:
    source: str
    tables: dict[str, Table]
    dialect: str = ""
    file: str = ""
    imported_from: str = ""
    database_schema: str = ""  # the schema the tables were read from, when imported from a live database

    def table(self, name: str) -> Table | None:
        if name in self.tables:
            return self.tables[name]
        folded = [t for n, t in self.tables.items() if fold_case(n) == fold_case(name)]
        return folded[0] if len(folded) == 1 else None


# ---------------------------------------------------------------- reading

_TABLE_KEYS = {"description", "primary_key", "columns", "foreign_keys", "unique", "row_count"}
_SCHEMA_KEYS = ("source", "dialect", "imported_from", "database_schema", "tables")
_COLUMN_KEYS = {"type", "nullable", "description"}

def load_source_schema(path: Path, display: str, project_root: Path | None = None) -> SourceSchema:
    data = load_yaml(path, display, project_root)
    problems = Problems()
    if not isinstance(data, Node) or "tables" not in data:
        # not a source schema at all (another file named by mistake, or on purpose): say so once,
        # without quoting any of its keys or values
        raise DictError(Problem(display, 1, "not a source schema: a source schema file is a mapping with 'source' "
                                "and 'tables'", "run dict import-source to write one"))
    for key in data:
        if key not in _SCHEMA_KEYS:
            problems.add(display, data.line_of(key), f"unknown key '{key}' in source schema",
                         f"allowed: {', '.join(_SCHEMA_KEYS)}")
    tables_node = data.get("tables")
    if not isinstance(tables_node, Node) or not tables_node:
        problems.add(display, data.line_of("tables"), "source schema needs a non-empty 'tables' mapping")
        problems.raise_if_any()
    tables: dict[str, Table] = {}
    seen_folded: dict[str, str] = {}
    for tname, tnode in tables_node.items():
        tline = tables_node.line_of(tname)
        if fold_case(tname) in seen_folded:
            problems.add(display, tline, f"table '{tname}' differs only in case from '{seen_folded[fold_case(tname)]}'")
        seen_folded[fold_case(tname)] = tname
        if not tname.strip():
            problems.add(display, tline, f"table name {tname!r} is blank")
            continue
        if not isinstance(tnode, Node) or not isinstance(tnode.get("columns"), Node):
            problems.add(display, tline, f"table '{tname}' needs a 'columns' mapping")
            continue
        for key in tnode:
            if key not in _TABLE_KEYS:
                problems.add(display, tnode.line_of(key), f"unknown key '{key}' in table '{tname}'",
                             f"allowed: {', '.join(sorted(_TABLE_KEYS))}")
        columns: dict[str, Column] = {}
        folded_columns: dict[str, str] = {}
        for cname, cnode in tnode["columns"].items():
            cline = tnode["columns"].line_of(cname)
            if not cname.strip():
                problems.add(display, cline, f"column name {cname!r} of table '{tname}' is blank")
                continue
            if fold_case(cname) in folded_columns:
                problems.add(display, cline, f"column '{tname}.{cname}' differs only in case from '{folded_columns[fold_case(cname)]}'",
                             "SQL folds identifiers' case: most engines cannot tell them apart")
            folded_columns.setdefault(fold_case(cname), cname)
            if isinstance(cnode, str):
                cnode = {"type": cnode}
            if not isinstance(cnode, dict) or "type" not in cnode:
                problems.add(display, cline, f"column '{tname}.{cname}' needs a 'type'")
                continue
            for key in cnode:
                if key not in _COLUMN_KEYS:
                    problems.add(display, cnode.line_of(key), f"unknown key '{key}' in column '{tname}.{cname}'",
                                 f"allowed: {', '.join(sorted(_COLUMN_KEYS))}")
            nullable = cnode.get("nullable", True)
            if not isinstance(nullable, bool):
                problems.add(display, cnode.line_of("nullable"), f"column '{tname}.{cname}': nullable must be true or false, not {nullable!r}")
                nullable = True
            native = str(cnode["type"])
            columns[cname] = Column(cname, native, from_native_text(native), nullable, cline,
                                    str(cnode.get("description", "") or ""))
        pk_node = tnode.get("primary_key") or []
        if not isinstance(pk_node, list):
            problems.add(display, tnode.line_of("primary_key"), f"primary_key of '{tname}' must be a list of column names",
                         f"e.g. primary_key: [{pk_node}]")
            pk_node = ()
        pk = tuple(str(c) for c in pk_node)
        for col in pk:
            if col not in columns:
                problems.add(display, tnode.line_of("primary_key"), f"primary key column '{col}' is not a column of '{tname}'")
        fks = []
        fk_node = tnode.get("foreign_keys") or []
        for i, fk in enumerate(fk_node if isinstance(fk_node, list) else [fk_node]):
            if not isinstance(fk, dict):
                line = fk_node.item_lines[i] if hasattr(fk_node, "item_lines") else tnode.line_of("foreign_keys")
                problems.add(display, line, f"foreign key of '{tname}' must be a mapping with columns, references "
                             "and referenced_columns")
                continue
            fks.append(ForeignKey(tuple(fk.get("columns", ())), str(fk.get("references", "")),
                                  tuple(fk.get("referenced_columns", ()))))
        unique = _unique_constraints(tnode, tname, columns, display, problems)
        row_count = tnode.get("row_count")
        if row_count is not None and (isinstance(row_count, bool) or not isinstance(row_count, int) or row_count < 0):
            problems.add(display, tnode.line_of("row_count"), f"row_count of '{tname}' must be a whole number ≥ 0")
            row_count = None
        tables[tname] = Table(tname, columns, pk, tuple(fks), str(tnode.get("description", "") or ""), tline,
                              unique, row_count)
    problems.raise_if_any()
    return SourceSchema(str(data.get("source", "")), tables, str(data.get("dialect", "") or ""), display,
                        str(data.get("imported_from", "") or ""), str(data.get("database_schema", "") or ""))


def _unique_constraints(tnode: Node, tname: str, columns: dict, display: str, problems: Problems) -> tuple:
    node = tnode.get("unique") or []
    if not isinstance(node, list) or not all(isinstance(u, list) and u for u in node):
        problems.add(display, tnode.line_of("unique"), f"unique of '{tname}' must be a list of column lists",
                     "e.g. unique: [[email], [country, tax_id]]")
        return ()
    for cols in node:
        for col in cols:
            if str(col) not in columns:
                problems.add(display, tnode.line_of("unique"), f"unique column '{col}' is not a column of '{tname}'")
    return tuple(tuple(str(c) for c in cols) for cols in node)


# ---------------------------------------------------------------- writing

def dump_source_schema(schema: SourceSchema) -> str:
    tables = {}
    for table in schema.tables.values():
        body: dict = {}
        if table.description:
            body["description"] = table.description
        if table.primary_key:
            body["primary_key"] = list(table.primary_key)
        body["columns"] = {c.name: _dump_column(c) for c in table.columns.values()}
        if table.unique:
            body["unique"] = [list(u) for u in table.unique]
        if table.foreign_keys:
            body["foreign_keys"] = [
                {"columns": list(fk.columns), "references": fk.references, "referenced_columns": list(fk.referenced_columns)}
                for fk in table.foreign_keys
            ]
        if table.row_count is not None:
            body["row_count"] = table.row_count
        tables[table.name] = body
    doc = {"source": schema.source, "dialect": schema.dialect, "imported_from": schema.imported_from}
    if schema.database_schema:
        doc["database_schema"] = schema.database_schema
    doc["tables"] = tables
    header = "# Source schema: produced by `dict import-source`; re-run it rather than editing by hand.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


def _dump_column(column: Column) -> dict:
    body: dict = {"type": column.native_type}
    if not column.nullable:
        body["nullable"] = False
    if column.description:
        body["description"] = column.description
    return body


# ---------------------------------------------------------------- importing

def import_sqlite(path: Path, source: str, imported_from: str) -> SourceSchema:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
        tables: dict[str, Table] = {}
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            info = con.execute(f"PRAGMA table_info({quoted})").fetchall()
            pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            columns = {r[1]: Column(r[1], r[2] or "", from_native_text(r[2] or ""), not (r[3] or r[1] in pk))
                       for r in info}
            fk_rows = con.execute(f"PRAGMA foreign_key_list({quoted})").fetchall()
            grouped: dict[int, list] = {}
            for r in fk_rows:
                grouped.setdefault(r[0], []).append(r)
            fks = tuple(ForeignKey(tuple(r[3] for r in rows), rows[0][2], tuple(r[4] or "" for r in rows))
                        for _, rows in sorted(grouped.items()))
            tables[name] = Table(name, columns, pk, fks)
    except sqlite3.DatabaseError as exc:
        raise DictError(Problem(imported_from, 1, f"cannot read SQLite database: {exc}")) from None
    finally:
        con.close()
    return SourceSchema(source, tables, "sqlite", "", imported_from)


def import_duckdb(path: Path, source: str, imported_from: str, schema: str = "main") -> SourceSchema:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DictError(Problem(imported_from, 1, f"cannot open DuckDB database: {exc}")) from None
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = ? ORDER BY table_name, ordinal_position", [schema]).fetchall()
        pks = con.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE schema_name = ? AND constraint_type = 'PRIMARY KEY'", [schema]).fetchall()
    finally:
        con.close()
    pk_of = {t: tuple(cols) for t, cols in pks}
    tables: dict[str, dict[str, Column]] = {}
    for t, c, dtype, nullable in rows:
        tables.setdefault(t, {})[c] = Column(c, dtype, from_native_text(dtype), nullable == "YES")
    return SourceSchema(source, {t: Table(t, cols, pk_of.get(t, ())) for t, cols in tables.items()}, "duckdb", "",
                        imported_from)


def file_head(path: Path) -> bytes:
    """The first 16 bytes of a file: enough to tell a SQLite database ("SQLite format 3") or a DuckDB one."""
    with open(path, "rb") as f:
        return f.read(16)


@dataclass(frozen=True)
class Imported:
    """What ``dict import-source`` read, and what it left out (statement kind -> count)."""
    schema: SourceSchema
    skipped: dict[str, int]


def import_source(source: str, from_: str | Path, dialect: str | None = None, *, database_schema: str | None = None,
                  include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Imported:
    """Import from a database URL, a DDL file, a SQLite database or a DuckDB database."""
    from toolkit.load.introspect import import_live, is_url, selected_tables

    if isinstance(from_, str) and is_url(from_):
        return Imported(import_live(source, from_, database_schema, include, exclude), {})
    from_path = Path(from_)
    display = str(from_path)
    if not from_path.is_file():
        raise DictError(Problem(display, 1, "file not found" if not from_path.exists() else "not a regular file",
                                "give a DDL file, a SQLite or DuckDB database, or a URL such as postgresql://host/db"))
    head = file_head(from_path)
    skipped: dict[str, int] = {}
    if head.startswith(b"SQLite format 3"):
        schema = import_sqlite(from_path, source, from_path.name)
    elif from_path.suffix.lower() in (".duckdb", ".ddb") or head[8:12] == b"DUCK":
        schema = import_duckdb(from_path, source, from_path.name, database_schema or "main")
    else:
        from toolkit.load.ddl_reader import import_ddl

        try:
            text = from_path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise DictError(Problem(display, 1, "not a SQLite/DuckDB database and not UTF-8 DDL text")) from None
        result = import_ddl(text, source, dialect or "", from_path.name)
        schema, skipped = result.schema, dict(result.skipped)
    return Imported(selected_tables(schema, include, exclude, display), skipped)
