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

from .errors import DictError, Problem, Problems
from .types import Type, from_native_text
from .yamlsource import Node, load_yaml


@dataclass(frozen=True)
class Column:
    name: str
    native_type: str
    type: Type
    nullable: bool = True
    line: int = 0


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

    def column(self, name: str) -> Column | None:
        """Exact name first, then a unique case-insensitive match (SQL folds unquoted names)."""
        if name in self.columns:
            return self.columns[name]
        folded = [c for n, c in self.columns.items() if n.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None


@dataclass(frozen=True)
class SourceSchema:
    source: str
    tables: dict[str, Table]
    dialect: str = ""
    file: str = ""
    imported_from: str = ""

    def table(self, name: str) -> Table | None:
        if name in self.tables:
            return self.tables[name]
        folded = [t for n, t in self.tables.items() if n.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None


# ---------------------------------------------------------------- reading

_TABLE_KEYS = {"description", "primary_key", "columns", "foreign_keys"}
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
        if key not in ("source", "dialect", "imported_from", "tables"):
            problems.add(display, data.line_of(key), f"unknown key '{key}' in source schema",
                         "allowed: source, dialect, imported_from, tables")
    tables_node = data.get("tables")
    if not isinstance(tables_node, Node) or not tables_node:
        problems.add(display, data.line_of("tables"), "source schema needs a non-empty 'tables' mapping")
        problems.raise_if_any()
    tables: dict[str, Table] = {}
    seen_folded: dict[str, str] = {}
    for tname, tnode in tables_node.items():
        tline = tables_node.line_of(tname)
        if tname.lower() in seen_folded:
            problems.add(display, tline, f"table '{tname}' differs only in case from '{seen_folded[tname.lower()]}'")
        seen_folded[tname.lower()] = tname
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
            if cname.lower() in folded_columns:
                problems.add(display, cline, f"column '{tname}.{cname}' differs only in case from '{folded_columns[cname.lower()]}'",
                             "SQL folds identifiers' case: most engines cannot tell them apart")
            folded_columns.setdefault(cname.lower(), cname)
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
            columns[cname] = Column(cname, native, from_native_text(native), nullable, cline)
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
        tables[tname] = Table(tname, columns, pk, tuple(fks), str(tnode.get("description", "") or ""), tline)
    problems.raise_if_any()
    return SourceSchema(str(data.get("source", "")), tables, str(data.get("dialect", "") or ""), display,
                        str(data.get("imported_from", "") or ""))


# ---------------------------------------------------------------- writing

def dump_source_schema(schema: SourceSchema) -> str:
    tables = {}
    for table in schema.tables.values():
        body: dict = {}
        if table.description:
            body["description"] = table.description
        if table.primary_key:
            body["primary_key"] = list(table.primary_key)
        body["columns"] = {
            c.name: ({"type": c.native_type} if c.nullable else {"type": c.native_type, "nullable": False})
            for c in table.columns.values()
        }
        if table.foreign_keys:
            body["foreign_keys"] = [
                {"columns": list(fk.columns), "references": fk.references, "referenced_columns": list(fk.referenced_columns)}
                for fk in table.foreign_keys
            ]
        tables[table.name] = body
    doc = {"source": schema.source, "dialect": schema.dialect, "imported_from": schema.imported_from, "tables": tables}
    header = "# Source schema: produced by `dict import-source`; re-run it rather than editing by hand.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


# ---------------------------------------------------------------- importing

def import_ddl(text: str, source: str, dialect: str, imported_from: str) -> SourceSchema:
    """Tables from CREATE TABLE statements in ``text``; other statements are ignored."""
    try:
        statements = sqlglot.parse(text, read=dialect or None)
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        raise DictError(Problem(imported_from, int(err.get("line", 1) or 1),
                                f"cannot parse DDL as {dialect or 'generic'} SQL: {err.get('description', exc)}",
                                "pass --dialect matching the DDL")) from None
    tables: dict[str, Table] = {}
    for stmt in statements:
        if not isinstance(stmt, exp.Create) or (stmt.args.get("kind") or "").upper() != "TABLE":
            continue
        schema_node = stmt.this
        if not isinstance(schema_node, exp.Schema):
            continue
        tname = schema_node.this.name
        columns: dict[str, Column] = {}
        pk: list[str] = []
        fks: list[ForeignKey] = []
        for item in schema_node.expressions:
            if isinstance(item, exp.ColumnDef):
                kind = item.args.get("kind")
                native = kind.sql(dialect="duckdb") if kind else ""
                constraints = item.args.get("constraints") or []
                not_null = any(isinstance(c.kind, exp.NotNullColumnConstraint) and not c.kind.args.get("allow_null")
                               for c in constraints)
                is_pk = any(isinstance(c.kind, exp.PrimaryKeyColumnConstraint) for c in constraints)
                if is_pk:
                    pk.append(item.name)
                for c in constraints:
                    if isinstance(c.kind, exp.Reference):
                        ref = c.kind.this
                        ref_table = ref.this.name if isinstance(ref, exp.Schema) else ref.name
                        ref_cols = [e.name for e in ref.expressions] if isinstance(ref, exp.Schema) else []
                        fks.append(ForeignKey((item.name,), ref_table, tuple(ref_cols)))
                columns[item.name] = Column(item.name, native, from_native_text(native), not (not_null or is_pk))
            elif isinstance(item, exp.PrimaryKey):
                pk.extend(e.name for e in item.expressions)
            elif isinstance(item, exp.Constraint) and any(isinstance(e, exp.PrimaryKey) for e in item.expressions):
                for e in item.expressions:
                    if isinstance(e, exp.PrimaryKey):
                        pk.extend(x.name for x in e.expressions)
            elif isinstance(item, exp.ForeignKey) or (
                isinstance(item, exp.Constraint) and any(isinstance(e, exp.ForeignKey) for e in item.expressions)
            ):
                fk = item if isinstance(item, exp.ForeignKey) else next(e for e in item.expressions if isinstance(e, exp.ForeignKey))
                ref = fk.args.get("reference")
                ref_schema = ref.this if ref is not None else None
                ref_table = ref_schema.this.name if isinstance(ref_schema, exp.Schema) else (ref_schema.name if ref_schema else "")
                ref_cols = tuple(e.name for e in ref_schema.expressions) if isinstance(ref_schema, exp.Schema) else ()
                fks.append(ForeignKey(tuple(e.name for e in fk.expressions), ref_table, ref_cols))
        if pk:
            columns = {n: (Column(c.name, c.native_type, c.type, False) if n in pk else c) for n, c in columns.items()}
        tables[tname] = Table(tname, columns, tuple(pk), tuple(fks))
    if not tables:
        raise DictError(Problem(imported_from, 1, "no CREATE TABLE statements found", "check the file and --dialect"))
    return SourceSchema(source, tables, dialect or "", "", imported_from)


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


def import_source(source: str, from_path: Path, dialect: str | None = None) -> SourceSchema:
    """Import from a DDL file, a SQLite database or a DuckDB database, by looking at the file."""
    display = str(from_path)
    if not from_path.exists():
        raise DictError(Problem(display, 1, "file not found"))
    head = file_head(from_path)
    if head.startswith(b"SQLite format 3"):
        return import_sqlite(from_path, source, from_path.name)
    if from_path.suffix.lower() in (".duckdb", ".ddb") or head[8:12] == b"DUCK":
        return import_duckdb(from_path, source, from_path.name)
    try:
        text = from_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DictError(Problem(display, 1, "not a SQLite/DuckDB database and not UTF-8 DDL text")) from None
    return import_ddl(text, source, dialect or "", from_path.name)
