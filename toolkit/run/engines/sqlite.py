"""SQLite: sources attached under their schema names, views TEMPORARY, and the functions SQLite lacks.

``connect`` registers, with the neutral semantics, what the sqlite dialect's SQL calls but
SQLite does not have: REGEXP (for ``x REGEXP p``), REGEXP_REPLACE (every match), INITCAP
(words split at ASCII white space and punctuation) and Unicode-aware UPPER and LOWER.
"""
from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlglot import exp

from toolkit.dialects._portable import INITCAP_DELIMITERS
from toolkit.expressions.python import runtime
from toolkit.run.engines import Engine
from toolkit.run.engines.data import TableData

_WORDS = re.compile("([" + re.escape(INITCAP_DELIMITERS) + "]+|[^" + re.escape(INITCAP_DELIMITERS) + "]+)")


_RUNTIME = runtime()   # the translators' RE2 semantics: ASCII \d \w \s, $ only at the very end, RE2 rewrites


def _regexp(pattern, value):
    if pattern is None or value is None:
        return None
    return _RUNTIME._regexp_matches_dynamic(str(value), pattern)


def _regexp_replace(value, pattern, replacement):
    if value is None or pattern is None or replacement is None:
        return None
    return _RUNTIME._regexp_replace_dynamic(str(value), pattern, replacement)


def _case(text: str, upper: bool) -> str:
    """Character by character, like the other engines (no 'ß' -> 'SS' expansion)."""
    out = []
    for ch in text:
        mapped = ("ẞ" if ch == "ß" else ch.upper()) if upper else ch.lower()
        out.append(mapped if len(mapped) == 1 else ch)
    return "".join(out)


def _upper(value):
    return None if value is None else (_case(value, True) if isinstance(value, str) else value)


def _lower(value):
    return None if value is None else (_case(value, False) if isinstance(value, str) else value)


def _initcap(value):
    if value is None:
        return None
    parts = _WORDS.findall(str(value))
    return "".join(p if p[0] in INITCAP_DELIMITERS else _case(p[:1], True) + _case(p[1:], False) for p in parts)


def connect(database: str | Path = ":memory:") -> sqlite3.Connection:
    """A SQLite connection with the functions the sqlite dialect's views need."""
    con = sqlite3.connect(str(database), isolation_level=None)
    con.create_function("REGEXP", 2, _regexp, deterministic=True)
    con.create_function("REGEXP_REPLACE", 3, _regexp_replace, deterministic=True)
    con.create_function("INITCAP", 1, _initcap, deterministic=True)
    con.create_function("UPPER", 1, _upper, deterministic=True)
    con.create_function("LOWER", 1, _lower, deterministic=True)
    return con


class SQLiteEngine(Engine):
    name = "sqlite"
    dialect_name = "sqlite"

    def __init__(self):
        self.con = connect()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def attach(self, schema: str, location: Path) -> None:
        """Read a SQLite source where it is, read-only, under its schema name."""
        uri = "file:" + str(location.resolve()) + "?mode=ro"
        self.con.execute(_attach(exp.Placeholder(), schema), (uri,))

    def load_source(self, data) -> None:
        if data.location is not None:
            self.attach(data.source.database_schema, data.location)
        else:
            super().load_source(data)

    def create_schema(self, schema: str) -> None:
        self.con.execute(_attach(exp.Literal.string(":memory:"), schema))

    def column_type(self, column, key: bool = False) -> exp.DataType:
        if column.native_type:
            try:
                return exp.DataType.build(column.native_type, dialect="duckdb")
            except Exception:
                pass
        return super().column_type(column, key)

    def load_table(self, schema: str, data: TableData) -> None:
        self.create_table(schema, data)
        insert = exp.insert(exp.values([tuple(exp.Placeholder() for _ in data.columns)]),
                            exp.Table(this=exp.to_identifier(data.table.name, quoted=True), db=exp.to_identifier(schema, quoted=True)))
        self.con.executemany(insert.sql("sqlite"),
                             [tuple(_stored(v) for v in row) for row in data.rows])

    def close(self) -> None:
        self.con.close()


def _stored(value):
    """How SQLite stores a typed value: dates and timestamps as ISO text, decimals as REAL."""
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _attach(location: exp.Expression, schema: str) -> str:
    """ATTACH ``location`` AS "schema" (a ? is bound to the file's URI)."""
    return exp.Attach(this=exp.alias_(location, exp.to_identifier(schema, quoted=True))).sql("sqlite")
