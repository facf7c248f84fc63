"""MySQL / MariaDB: each source's schema is a database of its own, prefixed per run, dropped at close.

Source tables and views live in databases of the server's default character set and collation, as
legacy tables do (utf8mb4_general_ci, utf8mb4_uca1400_ai_ci, utf8mb4_0900_ai_ci: case-, accent- or
trailing-space-insensitive), and the session is what the generated files set (SET NAMES utf8mb4):
the views compare text exactly by themselves (see ``toolkit/dialects/mysql.py``). Databases made for
dict's own tables (``create_namespace``: canonical tables) use a binary no-pad collation, so ids that
differ only in case or trailing spaces stay distinct keys.
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import unquote, urlparse

from sqlglot import exp

from toolkit.run.engines import Engine
from toolkit.run.engines.data import TableData

DEFAULT_URL = os.environ.get("DICT_MYSQL_URL", "mysql://root@127.0.0.1:3306/")
HOW_TO_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
COLLATION = "utf8mb4_nopad_bin"


def _quoted(name: str) -> exp.Identifier:
    """A database or collation name as a quoted identifier (a backtick inside is doubled)."""
    return exp.to_identifier(name, quoted=True)


def _params(url: str) -> dict:
    u = urlparse(url)
    return {"host": u.hostname or "127.0.0.1", "port": u.port or 3306, "user": unquote(u.username or "root"),
            "password": unquote(u.password or ""), "database": (u.path or "/").lstrip("/") or None}


def available(url: str = DEFAULT_URL) -> str | None:
    import pymysql

    try:
        pymysql.connect(connect_timeout=3, **{k: v for k, v in _params(url).items() if k != "database"}).close()
        return None
    except pymysql.Error as exc:
        return str(exc)


def collation(con) -> str:
    """The binary no-pad collation this server offers (MariaDB: utf8mb4_nopad_bin, MySQL 8: utf8mb4_0900_bin)."""
    with con.cursor() as cur:
        cur.execute("SHOW COLLATION WHERE Collation IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')")
        found = sorted(r[0] for r in cur.fetchall())
    if not found:
        raise RuntimeError("the server has no binary no-pad utf8mb4 collation (MariaDB 10.2+ or MySQL 8 needed)")
    return found[-1]


class MySQLEngine(Engine):
    name = "mysql"
    dialect_name = "mysql"

    def __init__(self, url: str = DEFAULT_URL, prefix: str | None = None, keep: bool = False):
        """Views go in database ``prefix``; a source schema S in ``prefix_S`` (a fresh prefix unless given)."""
        import pymysql

        params = _params(url)
        self.prefix = prefix or f"dict_{uuid.uuid4().hex[:12]}"
        self._own = prefix is None
        self._keep = keep
        self.con = pymysql.connect(autocommit=True, charset="utf8mb4", **{k: v for k, v in params.items() if k != "database"})
        self.collation = collation(self.con)
        for statement in self.dialect.preamble:
            self.execute(statement)
        self.execute("SET SESSION group_concat_max_len = 1048576")  # INITCAP's per-character GROUP_CONCAT
        self._databases: list[str] = []
        self._create_database(self.prefix)
        self.execute(exp.Use(this=exp.Table(this=_quoted(self.prefix))).sql(dialect="mysql"))

    def _create_database(self, name: str, collation: str | None = None) -> None:
        """A database in utf8mb4 and ``collation`` (None: the server's default collation for utf8mb4)."""
        properties = [exp.CharacterSetProperty(this=exp.var("utf8mb4"), default=False)]
        if collation:
            properties.append(exp.CollateProperty(this=_quoted(collation), default=False))
        create = exp.Create(kind="DATABASE", this=exp.Table(this=_quoted(name)), exists=True,
                            properties=exp.Properties(expressions=properties))
        self.execute(create.sql(dialect="mysql"))
        self._databases.append(name)

    def physical(self, schema: str) -> str:
        return f"{self.prefix}_{schema}"

    def create_schema(self, schema: str) -> None:
        self._create_database(self.physical(schema))

    def create_namespace(self, name: str) -> None:
        self._create_database(name, self.collation)

    def execute(self, sql: str) -> None:
        with self.con.cursor() as cur:
            cur.execute(sql)

    def objects(self, namespace: str) -> list[tuple[str, str]]:
        with self.con.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                        "UNION ALL SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s "
                        "UNION ALL SELECT TRIGGER_NAME, 'TRIGGER' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s "
                        "UNION ALL SELECT EVENT_NAME, 'EVENT' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s",
                        [namespace] * 4)
            return sorted((str(n), "TABLE" if k == "BASE TABLE" else str(k)) for n, k in cur.fetchall())

    def view_namespace(self) -> str:
        return self.prefix

    def query(self, sql: str) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def column_type(self, column, key: bool = False) -> exp.DataType:
        t = super().column_type(column, key)
        if t.this == exp.DataType.Type.VARCHAR:
            return exp.DataType.build("VARCHAR(255)" if key else "LONGTEXT", dialect="mysql")
        if t.this == exp.DataType.Type.TIMESTAMP:
            return exp.DataType.build("DATETIME(6)", dialect="mysql")
        return t

    def load_table(self, schema: str, data: TableData) -> None:
        self.create_table(schema, data)
        marks = ", ".join(["%s"] * len(data.columns))
        target = self.physical_table(schema, data.table.name).sql(dialect="mysql", identify=True)
        with self.con.cursor() as cur:
            for i in range(0, len(data.rows), 2000):
                cur.executemany(f"INSERT INTO {target} VALUES ({marks})", data.rows[i:i + 2000])

    def close(self) -> None:
        try:
            if self._own and not self._keep:
                for name in reversed(self._databases):
                    self.execute(exp.Drop(kind="DATABASE", tables=[exp.Table(this=_quoted(name))], exists=True)
                                 .sql(dialect="mysql"))
        finally:
            self.con.close()
