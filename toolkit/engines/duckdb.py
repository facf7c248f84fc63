"""DuckDB (embedded): the reference engine."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb

from . import Engine
from .data import TableData


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect_name = "duckdb"

    def __init__(self, database: str | Path = ":memory:"):
        self.con = duckdb.connect()
        if str(database) != ":memory:":
            # attached under a fixed name: a file named like a schema (canonical.duckdb) would make
            # "canonical"."customer" ambiguous between the catalog and the schema
            self.con.execute(f"ATTACH {_lit(str(database))} AS dict_target")
            self.con.execute("USE dict_target")

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def load_table(self, schema: str, data: TableData) -> None:
        """Bulk load through a JSON-lines file (DuckDB parses it typed, with NULL and '' kept apart)."""
        self.create_table(schema, data)
        types = {c.name: self.column_type(c).sql(dialect="duckdb") for c in data.columns}
        names = [c.name for c in data.columns]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as fh:
            for row in data.rows:
                fh.write(json.dumps(dict(zip(names, row)), default=str, ensure_ascii=False) + "\n")
            path = Path(fh.name)
        try:
            if data.rows:
                columns = "{" + ", ".join(f"{_lit(n)}: {_lit(t)}" for n, t in types.items()) + "}"
                target = self.physical_table(schema, data.table.name).sql(dialect="duckdb", identify=True)
                self.execute(f"INSERT INTO {target} SELECT * FROM read_json({_lit(str(path))}, "
                             f"format = 'newline_delimited', columns = {columns})")
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


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

