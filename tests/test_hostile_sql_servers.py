"""Accepted hostile text never becomes SQL code: the generated views run on the real PostgreSQL and MariaDB.

Each case is a small project that PASSES `dict validate` although one hostile string (quotes,
backslashes, comment and statement markers, dollar quotes, placeholders, look-alike quotes,
emoji, "'); DROP TABLE canary; --" ...) is in every place mapping text reaches the SQL: class,
slot, derivation, source, table, column and join names, the title, descriptions, reject
reasons, the filter (its text is the reason), value-mapping codes and targets, enum values,
the default, string literals in expressions, the pattern; and in the legacy rows.

For PostgreSQL and MariaDB (server default collation, default sql_mode: backslash escapes ON),
the legacy tables are loaded, tables named ``canary`` with known rows are created beside the
views, beside the source tables and in another schema/database, and the catalog is listed. Then
the generated files run as one multi-statement script each (as ``psql -f`` or ``mysql <`` would),
and the test asserts:

- the server executed exactly as many statements as were generated, each a CREATE (OR REPLACE)
  VIEW: a literal that broke out would add statements (or fail the script);
- every canary table and its rows are intact, and the catalog (relations, schemas, databases,
  routines, triggers, rules, users...) differs only by the views dict creates;
- every view returns the same rows as the same project's DuckDB views (the reference), and the
  hostile text comes back byte for byte: a reason, a mapped value or a literal containing quotes
  and backslashes is exactly what the mapping says.

PostgreSQL runs in its own database ``dict_canary_pg``; MariaDB in ``dict_canary_my`` (views),
``dict_canary_src...`` (the source, named by the mapping's database_schema) and
``dict_canary_my_other``. All are dropped at the end.
"""
from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from sqlglot import exp
from typer.testing import CliRunner

from engine_support import missing
from toolkit import dialects
from toolkit.cli import app
from toolkit.emit.sql import comment_statements, generate_sql, plan_statements
from toolkit.plan import Plan, load_plan

pytestmark = pytest.mark.engine

PG_URL = os.environ.get("DICT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MY_URL = os.environ.get("DICT_MYSQL_URL", "mysql://root@127.0.0.1:3306/")
PG_DATABASE = os.environ.get("DICT_CANARY_PG_DATABASE", "dict_canary_pg")   # a name of its own per checkout
MY_DATABASE = "dict_canary_my"          # the views (the connection's current database)
MY_OTHER = "dict_canary_my_other"       # a canary in a database dict has nothing to do with
PG_OTHER = "canary_other"
SOURCE = "hostile"
CANARY_ROWS = [(1, "alpha"), (2, "it's; DROP TABLE canary; --"), (3, "\\'")]

# ---------------------------------------------------------------------------- the cases

DROP = "DROP TABLE canary; --"
CONTROL = "".join(chr(c) for c in (1, 2, 7, 8, 9, 10, 11, 12, 13, 27, 31, 127))  # NUL-free control characters


@dataclass(frozen=True)
class Case:
    id: str
    payload: str
    names: bool = True       # also in class, slot, derivation, table, column, alias and schema names
    text: bool = True        # in literals, codes, enum values, reasons, patterns, title and descriptions
    bare: bool = False       # values are exactly the payload (else the payload after a short tag)


PAYLOADS = [
    ("quote", "'"), ("two-quotes", "''"), ("double-quote", '"'), ("backtick", "`"), ("backslash", "\\"),
    ("backslash-quote", "\\'"), ("line-comment", "--"), ("block-open", "/*"), ("block-close", "*/"),
    ("semicolon", ";"), ("dollar-dollar", "$$"), ("dollar-tag", "$tag$"), ("percent", "%"),
    ("question", "?"), ("named-param", ":name"), ("modifier-apostrophe", "\u02bc"), ("fullwidth-quote", "\uff07"),
    ("drop", DROP), ("quote-paren-drop", "'); " + DROP), ("backslashes-quote-drop", "\\\\'; DROP TABLE canary; #"),
    ("mysql-executable-comment", "/*! DROP TABLE canary */"), ("hash-comment", "# x"),
    ("trailing-backslash", "x\\"), ("backslash-n", "\\n\\0\\Z\\%\\_"), ("pyformat", "%s %(x)s {0}"),
    ("dollar-quote-drop", "$$; DROP TABLE canary; $$"), ("escape-string", "E'\\\\' U&'\\0041'"),
    ("quote-or-true", "' OR '1'='1"), ("close-comment-drop", "*/ DROP TABLE canary; /*"),
    ("mixed-quotes", "`\"'\\`\"'"),
]

CASES = [Case(f"{name}-{form}", payload, bare=form == "bare") for name, payload in PAYLOADS for form in ("affix", "bare")]
CASES += [
    # MariaDB refuses an emoji in a name: dict refuses it when generating for mysql (PostgreSQL runs it)
    Case("emoji-names", "\U0001f600"),
    Case("emoji-text", "\U0001f600 \U0001f9ea", names=False),
    Case("emoji-text-bare", "\U0001f600", names=False, bare=True),
    Case("bidi-and-zero-width", "\u202e\u200b\ufeff'\u2066"),
    Case("line-separators", "a\u2028b\u2029c"),      # a line break to Python's splitlines, not to SQL
    # dict refuses control characters in names and mapping text: they come in the rows only
    Case("control-characters-in-rows", CONTROL, names=False, text=False),
    Case("line-breaks-in-rows", "a\u2028b\u2029c\x85d\r\ne", names=False, text=False),
]


def _lit(text: str) -> str:
    """A string literal in a mapping expression (the neutral dialect doubles quotes)."""
    return "'" + text.replace("'", "''") + "'"


def _q(name: str) -> str:
    """A quoted identifier in a mapping expression."""
    return '"' + name.replace('"', '""') + '"'


def _regex_literal(text: str) -> str:
    """``text`` as a regular expression matching it literally in RE2, PostgreSQL and PCRE alike."""
    return "".join("\\" + c if c in string.punctuation and c != "_" else c for c in text)   # RE2 refuses an escaped _


@dataclass
class Project:
    """One hostile project: its names and values, the YAML files, the legacy rows, and what must come back."""

    case: Case
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        p = self.case.payload
        name = (lambda tag: tag + p) if self.case.names else (lambda tag: tag)
        self.names = {k: name(k) for k in ("Kind", "Deriv", "people", "lookup", "key", "txt", "code", "num", "fk",
                                           "lid", "label", "j", "name_", "mapped", "strict", "literal", "constant",
                                           "joined", "twice", "pat", "Enum")}
        self.names["schema"] = name("dict_canary_src")
        text = self.case.text
        value = (lambda tag: tag + p) if text else (lambda tag: tag)
        first = p if text and self.case.bare else value("v1")
        self.values = {
            "code1": p if text and self.case.bare else value("c1"), "code2": value("c2"),
            "target1": first, "target2": value("v2"), "default": value("dflt"), "strict_default": value("sd"),
            "reason": p if text and self.case.bare else value("reason "), "bad": value("bad"), "drop": value("drop"), "nope": value("nope"),
            "literal": p if text and self.case.bare else value("lit"), "constant": p if text and self.case.bare else value("k"),
            "pattern": "^(ok|" + _regex_literal(value("pat")) + ")", "title": value("Title "),
            "description": value("Description "),
        }

    # files --------------------------------------------------------------------------------
    def write(self, root: Path) -> None:
        n, v = self.names, self.values
        enum_values = [v["target1"], v["target2"], v["default"]]
        dictionary = {
            "id": "https://example.org/hostile", "name": "hostile", "title": v["title"], "description": v["description"],
            "imports": ["linkml:types"], "default_range": "string",
            "classes": {n["Kind"]: {"title": v["title"], "description": v["description"],
                                    "slots": ["id", n["name_"], n["mapped"], n["strict"], n["literal"], n["constant"],
                                              n["joined"], n["twice"], n["pat"]]}},
            "slots": {
                "id": {"identifier": True, "description": "id"},
                n["name_"]: {"description": v["description"], "title": v["title"]},
                n["mapped"]: {"description": v["description"], "range": n["Enum"]},
                n["strict"]: {"description": v["description"]},
                n["literal"]: {"description": v["description"]},
                n["constant"]: {"description": v["description"]},
                n["joined"]: {"description": v["description"]},
                n["twice"]: {"description": v["description"], "range": "integer"},
                n["pat"]: {"description": v["description"], "pattern": v["pattern"]},
            },
            "enums": {n["Enum"]: {"description": v["description"],
                                  "permissible_values": {e: {"description": v["description"]} for e in enum_values}}},
        }
        schema = {"source": SOURCE, "tables": {
            n["people"]: {"primary_key": [n["key"]], "columns": {
                n["key"]: {"type": "VARCHAR", "nullable": False}, n["txt"]: {"type": "VARCHAR"},
                n["code"]: {"type": "VARCHAR"}, n["num"]: {"type": "INTEGER"}, n["fk"]: {"type": "VARCHAR"}}},
            n["lookup"]: {"primary_key": [n["lid"]], "columns": {
                n["lid"]: {"type": "VARCHAR", "nullable": False}, n["label"]: {"type": "VARCHAR"}}},
        }}
        txt = _q(n["txt"])
        self.filter = f"{txt} IS NULL OR {txt} <> {_lit(v['drop'])}"
        derivation = {
            "target_class": n["Kind"], "description": v["description"], "populated_from": n["people"],
            "joins": {n["j"]: {"table": n["lookup"], "on": f"{_q(n['j'])}.{_q(n['lid'])} = {_q(n['people'])}.{_q(n['fk'])}",
                               "cardinality": "to_one"}},
            "filter": self.filter,
            "reject_when": [{"when": f"{txt} = {_lit(v['bad'])}", "reason": v["reason"]}],
            "slot_derivations": {
                n["name_"]: {"populated_from": n["txt"], "description": v["description"]},
                n["mapped"]: {"populated_from": n["code"], "unmapped": "default", "default": v["default"],
                              "value_mappings": {v["code1"]: v["target1"], v["code2"]: v["target2"]}},
                n["strict"]: {"populated_from": n["code"], "unmapped": "reject",
                              "value_mappings": {v["code1"]: v["strict_default"], v["code2"]: v["strict_default"]}},
                n["literal"]: {"expr": f"COALESCE({txt}, {_lit(v['literal'])}) || {_lit(v['literal'])}"},
                n["constant"]: {"value": v["constant"]},
                n["joined"]: {"expr": f"{_q(n['j'])}.{_q(n['label'])}"},
                n["twice"]: {"expr": f"{_q(n['num'])} * 2"},
                n["pat"]: {"expr": f"CASE WHEN {txt} = {_lit(v['nope'])} THEN {txt} ELSE 'ok' END"},
            },
        }
        mapping = {"source": SOURCE, "title": v["title"], "description": v["description"], "steward": v["title"],
                   "source_schema": "hostile.source.yaml", "database_schema": n["schema"],
                   "class_derivations": {n["Deriv"]: derivation}}
        dump = dict(allow_unicode=True, sort_keys=False, width=10_000)
        (root / "dictionary").mkdir(parents=True)
        (root / "mappings").mkdir()
        (root / "dictionary" / "hostile.yaml").write_text(yaml.safe_dump(dictionary, **dump), encoding="utf-8")
        (root / "mappings" / "hostile.source.yaml").write_text(yaml.safe_dump(schema, **dump), encoding="utf-8")
        (root / "mappings" / "hostile.yaml").write_text(yaml.safe_dump(mapping, **dump), encoding="utf-8")

    # rows ---------------------------------------------------------------------------------
    def tables(self) -> dict[str, tuple[list[tuple[str, str]], str, list[tuple]]]:
        """Table -> ([(column, 'text' | 'int')], primary key column, rows): hostile values in the rows too."""
        n, v, p = self.names, self.values, self.case.payload
        people = [
            ("1" + p, "ok", v["code1"], 1, "L1"),                       # accepted: mapped, joined
            (p, p, v["code2"], None, "L2"),                              # the payload itself as key and text
            ("3" + p, v["bad"], v["code1"], 3, None),                    # reject_when
            ("4" + p, v["drop"], v["code1"], 4, "L1"),                   # filter
            ("5" + p, "pat" + p, "zz" + p, -5, "L2"),                    # unmapped: default / reject
            ("6" + p, None, None, None, None),                           # NULLs everywhere
            ("7" + p, v["nope"], v["code1"], 7, "L" + p),               # fails the pattern; the join misses
        ]
        lookup = [("L1", "label" + p), ("L2", p), ("L" + p, None)]
        return {
            n["people"]: ([(n["key"], "text"), (n["txt"], "text"), (n["code"], "text"), (n["num"], "int"),
                           (n["fk"], "text")], n["key"], people),
            n["lookup"]: ([(n["lid"], "text"), (n["label"], "text")], n["lid"], lookup),
        }


def _validated(case: Case, root: Path) -> tuple[Project, Plan]:
    project = Project(case)
    project.write(root)
    result = CliRunner().invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 0, f"the hostile project must pass dict validate:\n{result.output}"
    return project, load_plan(root)


# ---------------------------------------------------------------------------- servers

def _unreachable(what: str, why: str):
    missing(f"{what} is not reachable ({why})")   # skip here, fail under CI=true


class Server:
    """One database server as the test uses it: load tables, list the catalog, run a script, read views."""

    dialect_name = ""
    views_schema = ""
    other_schema = ""

    @property
    def dialect(self):
        return dialects.get(self.dialect_name)

    def sql(self, tree: exp.Expression) -> str:
        return tree.sql(dialect=self.dialect.sqlglot, identify=True)

    def table(self, schema: str, name: str) -> str:
        return self.sql(exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(schema, quoted=True)))

    def ident(self, name: str) -> str:
        return self.sql(exp.to_identifier(name, quoted=True))

    def create_table(self, schema: str, name: str, columns: list[tuple[str, str]], key: str, rows: list[tuple]) -> None:
        types = {"text": self.text_type, "int": "BIGINT"}
        cols = ", ".join(f"{self.ident(c)} {types[t] if c != key else self.key_type}" for c, t in columns)
        target = self.table(schema, name)
        self.execute(f"CREATE TABLE {target} ({cols}, PRIMARY KEY ({self.ident(key)}))")
        marks = ", ".join(["%s"] * len(columns))
        # psycopg and PyMySQL read '%' in a parameterised statement as a placeholder: double it in the name
        self.insert(f"INSERT INTO {target.replace('%', '%%')} VALUES ({marks})", rows)

    def canaries(self, source_schema: str) -> list[tuple[str, str]]:
        return [(self.views_schema, "canary"), (source_schema, "canary"), (self.other_schema, "canary")]

    def plant_canaries(self, source_schema: str) -> None:
        for schema, name in self.canaries(source_schema):
            self.create_table(schema, name, [("id", "int"), ("note", "text")], "id", CANARY_ROWS)

    def canary_rows(self, source_schema: str) -> dict[tuple[str, str], list[tuple]]:
        return {(s, t): [tuple(r) for r in self.query(f"SELECT id, note FROM {self.table(s, t)} ORDER BY id")]
                for s, t in self.canaries(source_schema)}

    def read_view(self, name: str) -> list[tuple]:
        return self.query(f"SELECT * FROM {self.table(self.views_schema, name)}")

    def run_client(self, path: Path) -> tuple[list[str], str | None]:
        """Run a file through the server's own command-line client, under the other quoting setting:
        (the status of each statement the server ran, the server's error that stopped the client or None)."""
        command, env = self.client_command(path)
        if shutil.which(command[0]) is None:
            _unreachable(f"the {command[0]} client", "not installed")
        with path.open("rb") as script:
            result = subprocess.run(command, env={**os.environ, **env}, capture_output=True, timeout=120,
                                    stdin=script if self.client_reads_stdin else subprocess.DEVNULL)
        stdout, stderr = (result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace").strip())
        if result.returncode == 0:
            assert not stderr, f"{command[0]}: {stderr}"
            return self.client_statuses(stdout), None
        assert re.match(self.client_error, stderr), f"{command[0]} failed other than with a server error: {stderr}"
        return self.client_statuses(stdout), stderr


class Postgres(Server):
    dialect_name = "postgres"
    views_schema = "public"
    other_schema = PG_OTHER
    text_type = "TEXT"
    key_type = "TEXT"

    def __init__(self):
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        try:
            self.admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
        except psycopg.Error as exc:
            _unreachable(f"PostgreSQL at {PG_URL}", str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer")
        self.admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')   # the server's default encoding and collation
        self.conninfo = make_conninfo(**{**conninfo_to_dict(PG_URL), "dbname": PG_DATABASE})
        self.con = psycopg.connect(self.conninfo, autocommit=True)

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def insert(self, sql: str, rows: list[tuple]) -> None:
        with self.con.cursor() as cur:
            cur.executemany(sql, rows)

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def reset(self, source_schema: str) -> None:
        for schema in (self.views_schema, self.other_schema, source_schema):
            self.execute(f"DROP SCHEMA IF EXISTS {self.ident(schema)} CASCADE")
            self.execute(f"CREATE SCHEMA {self.ident(schema)}")

    def cleanup(self, source_schema: str) -> None:
        self.execute(f"DROP SCHEMA IF EXISTS {self.ident(source_schema)} CASCADE")

    def run_script(self, text: str) -> list[str]:
        """Run a whole file as one simple-protocol request; the server's status of each statement it ran."""
        with self.con.cursor() as cur:
            cur.execute(text)
            done = [cur.statusmessage]
            while cur.nextset():
                done.append(cur.statusmessage)
        return done

    def catalog(self) -> set[tuple]:
        """Everything a statement could create or drop, in this database and on the server."""
        queries = {
            "relation": "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'",
            "schema": "SELECT nspname, '', '' FROM pg_namespace",
            "function": "SELECT n.nspname, p.proname, p.prokind::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')",
            "trigger": "SELECT tgrelid::regclass::text, tgname, '' FROM pg_trigger",
            "rule": "SELECT ev_class::regclass::text, rulename, '' FROM pg_rewrite WHERE rulename <> '_RETURN'",
            "event trigger": "SELECT evtname, evtevent, '' FROM pg_event_trigger",
            "extension": "SELECT extname, extversion, '' FROM pg_extension",
            "role": "SELECT rolname, rolsuper::text, '' FROM pg_roles",
            "database": "SELECT datname, '', '' FROM pg_database WHERE datname LIKE 'dict\\_canary%%'",
            "setting": "SELECT name, setting, '' FROM pg_settings WHERE name IN ('search_path', "
                       "'standard_conforming_strings', 'default_transaction_read_only')",
        }
        return {(kind, *row) for kind, sql in queries.items() for row in self.query(sql.replace("%%", "%"))}

    def view_entry(self, name: str) -> tuple:
        return ("relation", self.views_schema, name, "v")

    def comments(self) -> dict[tuple, str]:
        """What the catalog says of the views: obj_description of each, col_description of each column."""
        views = "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON " \
                "n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'v'"
        columns = "SELECT c.relname, a.attname, col_description(c.oid, a.attnum) FROM pg_class c JOIN pg_namespace n " \
                  "ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = %s " \
                  "AND c.relkind = 'v' AND a.attnum > 0"
        out = {(v,): t for v, t in self.con.execute(views, (self.views_schema,)).fetchall() if t is not None}
        out.update({(v, c): t for v, c, t in self.con.execute(columns, (self.views_schema,)).fetchall() if t is not None})
        return out

    client_reads_stdin = False
    client_setting = "standard_conforming_strings off"
    client_error = r"psql:[^\n]*: ERROR:  "

    def client_command(self, path: Path) -> tuple[list[str], dict[str, str]]:
        # psql reads the server's standard_conforming_strings to split statements, as the server parses them
        return (["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", self.conninfo, "-f", str(path)],
                {"PGOPTIONS": "-c standard_conforming_strings=off", "PGCLIENTENCODING": "UTF8"})

    @staticmethod
    def client_statuses(stdout: str) -> list[str]:
        return stdout.splitlines()

    def close(self) -> None:
        self.con.close()
        self.admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        self.admin.close()


class MariaDB(Server):
    dialect_name = "mysql"
    views_schema = MY_DATABASE
    other_schema = MY_OTHER
    text_type = "LONGTEXT"
    key_type = "VARCHAR(255)"

    def __init__(self):
        import pymysql
        from pymysql.constants import CLIENT

        from toolkit.run.engines.mysql import _params

        params = self.params = {k: v for k, v in _params(MY_URL).items() if k != "database"}
        try:
            # the server's default collation and sql_mode: no SET NAMES ... COLLATE, backslash escapes on
            self.con = pymysql.connect(autocommit=True, charset="utf8mb4", connect_timeout=3,
                                       client_flag=CLIENT.MULTI_STATEMENTS, **params)
        except pymysql.Error as exc:
            _unreachable(f"MariaDB/MySQL at {MY_URL}", str(exc))
        self._databases: set[str] = set()

    def execute(self, sql: str) -> None:
        with self.con.cursor() as cur:
            cur.execute(sql)

    def insert(self, sql: str, rows: list[tuple]) -> None:
        with self.con.cursor() as cur:
            cur.executemany(sql, rows)

    def query(self, sql: str) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def reset(self, source_schema: str) -> None:
        for name in (self.views_schema, self.other_schema, source_schema):
            self.execute(f"DROP DATABASE IF EXISTS {self.ident(name)}")
            self.execute(f"CREATE DATABASE {self.ident(name)}")   # the server's default character set and collation
            self._databases.add(name)
        self.execute(f"USE {self.ident(self.views_schema)}")

    def cleanup(self, source_schema: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {self.ident(source_schema)}")
        self._databases.discard(source_schema)

    def run_script(self, text: str) -> list[str]:
        """Run a whole file as one multi-statement request; one entry per statement the server ran."""
        with self.con.cursor() as cur:
            cur.execute(text)
            done = [self._status(cur)]
            while cur.nextset():
                done.append(self._status(cur))
        return done

    @staticmethod
    def _status(cur) -> str:
        return "CREATE VIEW" if cur.description is None and cur.rowcount == 0 else f"rows={cur.rowcount}"

    def catalog(self) -> set[tuple]:
        ours = "LIKE 'dict\\\\_canary%%'"
        queries = {
            "relation": f"SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA {ours}",
            "database": f"SELECT SCHEMA_NAME, DEFAULT_COLLATION_NAME, '' FROM information_schema.SCHEMATA WHERE SCHEMA_NAME {ours}",
            "routine": f"SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA {ours}",
            "trigger": f"SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA {ours}",
            "event": "SELECT EVENT_SCHEMA, EVENT_NAME, '' FROM information_schema.EVENTS",
            "user": "SELECT User, Host, '' FROM mysql.user",
            "setting": "SELECT @@GLOBAL.sql_mode, @@SESSION.sql_mode, @@GLOBAL.general_log",
        }
        return {(kind, *map(str, row)) for kind, sql in queries.items() for row in self.query(sql.replace("%%", "%"))}

    def view_entry(self, name: str) -> tuple:
        return ("relation", self.views_schema, name, "VIEW")

    client_reads_stdin = True
    client_setting = "sql_mode NO_BACKSLASH_ESCAPES,ANSI_QUOTES"
    client_error = r"ERROR \d+ \(\w+\) at line \d+: "

    def client_command(self, path: Path) -> tuple[list[str], dict[str, str]]:
        p = self.params
        mode = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES,ANSI_QUOTES')"
        return ([shutil.which("mariadb") and "mariadb" or "mysql", "--protocol=tcp", f"--host={p['host']}",
                 f"--port={p['port']}", f"--user={p['user']}", "--default-character-set=utf8mb4",
                 f"--database={self.views_schema}", f"--init-command={mode}", "--batch", "-vvv"],
                {"MYSQL_PWD": p["password"]} if p["password"] else {})

    @staticmethod
    def client_statuses(stdout: str) -> list[str]:
        # -vvv echoes each statement, then "Query OK, 0 rows affected" for each one the server ran
        return ["CREATE VIEW" if line.startswith("Query OK, 0 rows affected") else line
                for line in stdout.splitlines() if line.startswith("Query OK")]

    def close(self) -> None:
        try:
            for name in sorted(self._databases | {MY_DATABASE, MY_OTHER}):
                self.execute(f"DROP DATABASE IF EXISTS {self.ident(name)}")
        finally:
            self.con.close()


@pytest.fixture(scope="module")
def servers():
    opened: dict[str, Server] = {}
    try:
        opened["postgres"] = Postgres()
        opened["mysql"] = MariaDB()
        yield opened
    finally:
        for server in opened.values():
            server.close()


# ---------------------------------------------------------------------------- DuckDB, the reference

def duckdb_views(project: Project, plan: Plan, files: dict[str, str], names: list[str],
                 comments: dict | None = None) -> dict[str, list[tuple]]:
    """View name -> its rows; ``comments`` (if given) receives the comments the views and their columns carry."""
    con = duckdb.connect()
    try:
        schema = project.names["schema"]
        con.execute(f"CREATE SCHEMA {_q(schema)}")
        for table, (columns, key, rows) in project.tables().items():
            types = {"text": "VARCHAR", "int": "BIGINT"}
            target = f"{_q(schema)}.{_q(table)}"
            con.execute(f"CREATE TABLE {target} ({', '.join(f'{_q(c)} {types[t]}' for c, t in columns)}, PRIMARY KEY ({_q(key)}))")
            con.executemany(f"INSERT INTO {target} VALUES ({', '.join('?' for _ in columns)})", rows)
        for stem in _stems(plan):
            con.execute(files[f"sql/duckdb/{stem}.sql"])
        if comments is not None:
            comments.update({(v,): c for v, c in con.execute("SELECT view_name, comment FROM duckdb_views() "
                                                             "WHERE NOT internal AND comment IS NOT NULL").fetchall()})
            comments.update({(v, c): t for v, c, t in con.execute("SELECT table_name, column_name, comment FROM "
                                                                  "duckdb_columns() WHERE comment IS NOT NULL").fetchall()})
        return {name: con.execute(f"SELECT * FROM {_q(name)}").fetchall() for name in names}
    finally:
        con.close()


def _stems(plan: Plan) -> list[str]:
    return [s.name for s in plan.sources] + ["integrated"]


def _value(v):
    """One engine's value in a comparable shape (MySQL and PostgreSQL give numbers as Decimal, booleans as 1/0)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float, Decimal)):
        return Decimal(str(v)).normalize()
    return str(v)


def _rows(rows: list[tuple]) -> list[tuple]:
    return sorted((tuple(_value(v) for v in r) for r in rows), key=repr)


# ---------------------------------------------------------------------------- the test

def _expected_statements(plan: Plan, dialect) -> dict[str, int]:
    """File stem -> how many statements its file holds (a view may need a DROP before its CREATE; MySQL files
    begin with SET NAMES utf8mb4)."""
    comments = comment_statements(plan)

    def described(name: str) -> int:
        return sum(1 for c in comments.get(name, []) if c.args["kind"].lower() in dialect.comment_on)

    return {stem: len(dialect.preamble) + sum(len(dialect.statements(stmt.copy())) + described(n) for n, stmt in statements)
            for stem, statements in plan_statements(plan).items()}


def expected_comments(plan: Plan, dialect) -> dict[tuple, str]:
    """(view,) or (view, column) -> the comment dict writes on it, as the tree holds it (one line)."""
    out = {}
    for name, nodes in comment_statements(plan).items():
        for node in nodes:
            if node.args["kind"].lower() in dialect.comment_on:
                key = (name,) if node.args["kind"] == "VIEW" else (name, node.this.name)
                out[key] = node.expression.this
    return out


def _comments_keep_the_text(project: Project, plan: Plan, got: dict[tuple, str], how: str) -> None:
    """Every view carries its comment, each column its slot's description, byte for byte as generated; the
    hostile description is in the integrated view's comment (on one line: breaks are spaces)."""
    expected = expected_comments(plan, dialects.get("duckdb"))
    assert got == expected, f"{how}: comments differ: {sorted(set(got.items()) ^ set(expected.items()))[:4]}"
    [integrated] = plan.integrated
    description = " ".join(project.values["description"].split())
    assert description in got[(integrated.view_name,)], how
    assert got[(integrated.view_name, project.names["name_"])] == description, how


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_accepted_hostile_text_never_becomes_sql_on_postgres_and_mariadb(case, servers, tmp_path):
    project, plan = _validated(case, tmp_path)
    names = [name for stem in plan_statements(plan).values() for name, _stmt in stem]
    assert len(names) == len(set(names)) >= 6
    comments: dict[tuple, str] = {}
    reference = duckdb_views(project, plan, generate_sql(plan, dialects.get("duckdb")), names, comments)
    _reference_keeps_the_text(project, plan, reference)
    _comments_keep_the_text(project, plan, comments, "duckdb")
    for server in servers.values():
        if server.dialect.names_in_bmp and case.names and any(ord(c) > 0xFFFF for c in case.payload):
            _refused_when_generating(server.dialect_name, tmp_path)
            continue
        files = generate_sql(plan, server.dialect)
        _run_on(server, project, plan, names, reference, files, client=None)
        _run_on(server, project, plan, names, reference, files, client=tmp_path / "sql")


def _refused_when_generating(dialect: str, root: Path) -> None:
    """A name the engine cannot hold is refused with file:line when generating for it; nothing is written."""
    result = CliRunner().invoke(app, ["generate", "sql", "--dialect", dialect, "--project", str(root)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "outside the Basic Multilingual Plane" in result.output and "Traceback" not in result.output
    assert re.search(r"^error dictionary/hostile\.yaml:\d+: slot '", result.output, re.M), result.output
    assert re.search(r"^error mappings/hostile\.yaml:\d+: derivation '", result.output, re.M), result.output
    assert not (root / "generated" / "sql" / dialect).exists()


def _same_values_under(server: Server, files: dict[str, str], client: Path | None) -> bool:
    """Whether the views must run and give DuckDB's values: always, except that MySQL with NO_BACKSLASH_ESCAPES
    reads the backslash escapes of MySQL's default mode (written for a backslash, a line break, a tab) as text:
    values then differ and a pattern may not compile (a clean error; see the mysql dialect's notes)."""
    return client is None or server.dialect_name != "mysql" or not any("\\" in text for text in files.values())


def _run_on(server: Server, project: Project, plan: Plan, names: list[str], reference: dict[str, list[tuple]],
            files: dict[str, str], client: Path | None) -> None:
    """Load, plant canaries, run the files (one multi-statement request each, or through the command-line client
    in the folder ``client`` under the other quoting setting), and check nothing else happened."""
    source_schema = project.names["schema"]
    server.reset(source_schema)
    try:
        for table, (columns, key, rows) in project.tables().items():
            server.create_table(source_schema, table, columns, key, rows)
        server.plant_canaries(source_schema)
        canaries, before = server.canary_rows(source_schema), server.catalog()
        how = f"{server.dialect_name} ({server.client_setting}, through its client)" if client else server.dialect_name
        same = _same_values_under(server, files, client)
        _run_files(server, plan, files, client, how, may_fail=not same)

        assert server.canary_rows(source_schema) == canaries, f"{how}: a canary table changed"
        after = server.catalog()
        assert before - after == set(), f"{how}: dropped {sorted(before - after)}"
        views = {server.view_entry(name): name for name in names}
        assert set(after - before) <= set(views), f"{how}: unexpected objects {sorted(set(after - before) - set(views))}"
        assert not same or set(after - before) == set(views), f"{how}: views missing"
        for entry in sorted(after - before):
            got = server.read_view(views[entry])   # every view created reads back, whatever the setting
            assert not same or _rows(got) == _rows(reference[views[entry]]), f"{how}: view {views[entry]!r} differs from DuckDB"
        if server.dialect.comment_on:
            _comments_keep_the_text(project, plan, server.comments(), how)
    finally:
        server.cleanup(source_schema)


def _run_files(server: Server, plan: Plan, files: dict[str, str], client: Path | None, how: str, may_fail: bool) -> None:
    """Run each generated file; the server ran exactly its statements (fewer only after a clean server error)."""
    expected = _expected_statements(plan, server.dialect)
    for stem in _stems(plan):
        text, error = files[f"sql/{server.dialect_name}/{stem}.sql"], None
        if client is None:
            done = server.run_script(text)
        else:
            client.mkdir(exist_ok=True)
            path = client / f"{server.dialect_name}-{stem}.sql"
            path.write_text(text, encoding="utf-8")
            done, error = server.run_client(path)
        assert set(done) <= {"CREATE VIEW", "DROP VIEW", "COMMENT"}, f"{how} {stem}.sql: {done}"
        if error is None:
            assert len(done) == expected[stem], f"{how} {stem}.sql: ran {len(done)} statements, generated {expected[stem]}"
        else:
            assert may_fail, f"{how} {stem}.sql: {error}"
            assert len(done) < expected[stem], f"{how} {stem}.sql: ran {len(done)} statements before failing, " \
                                               f"generated {expected[stem]}"


def _reference_keeps_the_text(project: Project, plan: Plan, reference: dict[str, list[tuple]]) -> None:
    """The DuckDB views return the hostile text byte for byte (the servers are then compared with them)."""
    n, v, p = project.names, project.values, project.case.payload
    [integrated] = plan.integrated
    slots = [s.name for s in integrated.target.slots]
    canonical = [dict(zip(slots + ["_source_system", "_source_table", "_source_key"], r)) for r in reference[integrated.view_name]]
    by_key = {r["_source_key"]: r for r in canonical}
    assert set(by_key) == {"1" + p, p, "6" + p}, sorted(by_key)
    first = by_key["1" + p]
    assert first[n["mapped"]] == v["target1"] and first[n["strict"]] == v["strict_default"]
    assert first[n["literal"]] == "ok" + v["literal"] and first[n["constant"]] == v["constant"]
    assert first[n["joined"]] == "label" + p and first[n["twice"]] == 2 and first[n["pat"]] == "ok"
    assert first["id"] == f"{SOURCE}:{n['Kind']}:1{p}" and first["_source_table"] == n["people"]
    second = by_key[p]
    assert second[n["name_"]] == p and second[n["mapped"]] == v["target2"] and second[n["joined"]] == p
    assert by_key["6" + p][n["literal"]] == v["literal"] + v["literal"] and by_key["6" + p][n["mapped"]] == v["default"]  # unmapped: default fills NULL too
    rejects = {r[2]: r for r in reference["rejects"]}
    assert rejects["3" + p][5] == v["reason"] and rejects["3" + p][3] == n["Deriv"] and rejects["3" + p][4] == n["Kind"]
    assert rejects["4" + p][5] == "excluded by filter: " + project.filter
    assert rejects["7" + p][5].endswith(f"' does not match pattern {v['pattern']}"), rejects["7" + p][5]
    assert rejects["7" + p][5] == f"slot {n['pat']}: '{v['nope']}' does not match pattern {v['pattern']}"
    assert rejects["5" + p][5].startswith(f"slot {n['strict']}: code 'zz{p}' is not in value_mappings (line "), rejects["5" + p][5]
    assert set(rejects) == {"3" + p, "4" + p, "5" + p, "7" + p}, sorted(rejects)
    view = plan.views()[0]
    staged = {r[-2]: dict(zip([s.name for s in view.slots], r)) for r in reference[view.staged_name]}
    assert staged["5" + p][n["mapped"]] == v["default"] and staged["5" + p][n["strict"]] is None
