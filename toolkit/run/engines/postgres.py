"""PostgreSQL: a database of its own per run (schemas named after the sources), dropped at close."""
from __future__ import annotations

import os
import uuid

from sqlglot import exp

from toolkit.run.engines import Engine
from toolkit.run.engines.data import TableData

DEFAULT_URL = os.environ.get("DICT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HOW_TO_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def available(url: str = DEFAULT_URL) -> str | None:
    """None if a server answers at ``url``, else why not."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class PostgresEngine(Engine):
    name = "postgres"
    dialect_name = "postgres"

    def __init__(self, url: str = DEFAULT_URL, database: str | None = None, keep: bool = False):
        """Connect to ``database`` on the server at ``url``; without one, create a fresh database (dropped at close)."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        self._psycopg = psycopg
        self._admin_url = url
        self._own = database is None
        self.database = database or f"dict_{uuid.uuid4().hex[:12]}"
        self._keep = keep
        if self._own:
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(psycopg.sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                              .format(psycopg.sql.Identifier(self.database)))
        params = conninfo_to_dict(url)
        params["dbname"] = self.database
        self.con = psycopg.connect(make_conninfo(**params), autocommit=True)

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def column_type(self, column, key: bool = False) -> exp.DataType:
        t = super().column_type(column, key)
        return exp.DataType.build("TEXT") if t.this == exp.DataType.Type.VARCHAR else t

    def load_table(self, schema: str, data: TableData) -> None:
        self.create_table(schema, data)
        columns = ", ".join(exp.to_identifier(c.name, quoted=True).sql("postgres") for c in data.columns)
        target = self.physical_table(schema, data.table.name).sql(dialect="postgres", identify=True)
        with self.con.cursor() as cur:
            with cur.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in data.rows:
                    copy.write_row(row)

    transactional_ddl = True
    _KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE", "f": "FOREIGN TABLE"}

    def objects(self, namespace: str) -> list[tuple[str, str]]:
        rows = self.con.execute(
            "SELECT c.relname, c.relkind::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %(ns)s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
            "UNION ALL SELECT p.proname, 'ROUTINE' FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = %(ns)s", {"ns": namespace}).fetchall()
        return sorted((str(n), self._KINDS.get(k, k)) for n, k in rows)

    def view_dependencies(self) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        rows = self.con.execute(
            "SELECT DISTINCT dn.nspname, dc.relname, rn.nspname, rc.relname FROM pg_catalog.pg_depend d "
            "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid JOIN pg_catalog.pg_class dc ON dc.oid = r.ev_class "
            "JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid "
            "JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass "
            "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND dc.oid <> rc.oid").fetchall()
        return [((a, b), (c, d)) for a, b, c, d in rows]

    def view_namespace(self) -> str:
        return str(self.con.execute("SELECT current_schema()").fetchone()[0])

    def close(self) -> None:
        self.con.close()
        if self._own and not self._keep:
            with self._psycopg.connect(self._admin_url, autocommit=True) as admin:
                admin.execute(self._psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                              .format(self._psycopg.sql.Identifier(self.database)))

