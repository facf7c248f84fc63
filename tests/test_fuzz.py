"""Fuzzing: random dictionaries and mappings with hostile identifiers and values.

Hypothesis draws a canonical class, a legacy table and a mapping between them whose names are
Chinese and other Unicode, contain spaces, quotes, backticks, brackets, SQL comment markers and
reserved words, are very long, or nearly collide; and rows of values that are NULL, empty, quoted,
Unicode or look like SQL. For each draw:

- the project is written as YAML and loaded like any other (so the YAML layer is fuzzed too);
- the generated SQL parses back in every registered dialect, with every identifier and string
  literal intact;
- it runs in DuckDB and in SQLite (when a sqlite dialect is registered) over the rows, and the
  canonical rows equal what a small Python model of the mapping language expects, and the rejects
  account for every other row.

Names that differ only in case are drawn too: they must be refused with a file:line message.
"""
from __future__ import annotations

import sqlite3
import string
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import sqlglot
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from toolkit import dialects
from toolkit.load.dictionary import snake_case
from toolkit.core.errors import DictError
from toolkit.emit.sql import generate_sql
from toolkit.plan import Plan, load_plan
from toolkit.load import dictionary as _dictionary

# how dict compares names ignoring case: toolkit.core.names.fold_case (code point by code point lower) where the
# dictionary module uses it, str.casefold before that
fold_case = getattr(_dictionary, "fold_case", str.casefold)

def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Names a legacy estate really has, and names an attacker would try.
HOSTILE = [
    "客户", "名 字", "顾客编号", "地址（家庭）", "select", "from", "order", "group", "table", "user", "null", "true",
    "case", "end", "default", "key", "Customer's", 'say "hi"', "a`b", "a]b[c", "x-y", "1st", "Ünïcødé", "данные",
    "ελληνικά", "🙂 smile", "日本語 テーブル", "a  b", "$x", "50%", "back\\slash", "semi;colon", "dash--dash", "/*c*/",
    "O'Brien \"Bob\"", "' OR '1'='1", "\"; DROP TABLE t; --", "x" * 63, "长" * 40, "y" * 130, "Ⅻ", "ǅ", "İstanbul",
    "ß", "tab here", "name.with.dots", "@at", "#hash", "?", ":param", "{braces}",
]
_ALPHABET = st.characters(blacklist_categories=("Cc", "Cs"))   # no control characters (refused), no lone surrogates


def _usable(name: str) -> bool:
    return bool(name.strip()) and not name.startswith("_")


NAMES = st.one_of(st.sampled_from(HOSTILE), st.text(_ALPHABET, min_size=1, max_size=20)).filter(_usable)
# classes, slots and derivations name views and columns: no '.' (refused, see test_hostile_corpus)
OWN_NAMES = NAMES.filter(lambda s: "." not in s)
SLOT_NAMES = OWN_NAMES.filter(lambda s: s.casefold() != "id" and s.lower() not in ("true", "false"))   # refused (SQLite)
TEXT_VALUES = st.one_of(st.none(), st.just(""), st.sampled_from(HOSTILE), st.text(_ALPHABET, max_size=12))
INT_VALUES = st.one_of(st.none(), st.integers(-10**9, 10**9))
LITERALS = st.one_of(st.sampled_from(["", " ", "'", "''", "--", "/*", ";", "客户", "it's", '"q"', "\\", "%_"]),
                     st.text(_ALPHABET, max_size=8))
SOURCES = st.sampled_from(["src", "legacy_1", "s", "select", "crm_2024"])


def q(name: str) -> str:
    """A double-quoted identifier, as mapping expressions and DuckDB/SQLite spell them."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------- the model

@dataclass
class SlotSpec:
    name: str
    column: str          # the column it reads ('' for a constant)
    kind: str            # copy | concat | coalesce | case_null | constant | times | compare | code_map
    literal: str = ""
    number: int = 0
    offset: int = 0
    codes: dict = field(default_factory=dict)
    unmapped: str = "null"
    default: str = ""
    enum: tuple[str, ...] = ()   # permissible values, when the slot's range is an enum

    def derivation(self) -> dict:
        c = q(self.column)
        if self.kind == "copy":
            return {"populated_from": self.column}
        if self.kind == "concat":
            return {"expr": f"{c} || {lit(self.literal)}"}
        if self.kind == "coalesce":
            return {"expr": f"COALESCE({c}, {lit(self.literal)})"}
        if self.kind == "case_null":
            return {"expr": f"CASE WHEN {c} IS NULL THEN {lit(self.literal)} ELSE {c} END"}
        if self.kind == "constant":
            return {"value": self.literal}
        if self.kind == "times":
            return {"expr": f"{c} * {self.number} + {self.offset}"}
        if self.kind == "compare":
            return {"expr": f"CASE WHEN {c} > {self.number} THEN 'big' ELSE 'small' END"}
        spec = {"populated_from": self.column, "value_mappings": dict(self.codes), "unmapped": self.unmapped}
        if self.unmapped == "default":
            spec["default"] = self.default
        return spec

    def value(self, v):
        """(canonical value, reject reason or None) for source value ``v``."""
        if self.kind == "copy":
            out = v
        elif self.kind == "concat":
            out = None if v is None else v + self.literal
        elif self.kind in ("coalesce", "case_null"):
            out = self.literal if v is None else v
        elif self.kind == "constant":
            out = self.literal
        elif self.kind == "times":
            out = None if v is None else v * self.number + self.offset
        elif self.kind == "compare":
            out = "big" if v is not None and v > self.number else "small"
        else:
            if v is None:   # NULL is no code: it stays NULL, except that 'default' fills it too (as the SQL does)
                out = self.default if self.unmapped == "default" else None
            elif v in self.codes:
                out = self.codes[v]
            elif self.unmapped == "reject":
                return None, "unmapped code"
            else:
                out = {"null": None, "keep": v, "default": self.default}[self.unmapped]
        if isinstance(out, str) and not out.strip(" "):
            out = None   # blank text is NULL in every text slot (README, "Blank text is NULL")
        if self.enum and out is not None and out not in self.enum:
            return None, "not a permissible value"
        return out, None

    @property
    def range(self) -> str:
        if self.enum:
            return "Codes"
        return "integer" if self.kind == "times" else "string"


@dataclass
class Scenario:
    source: str
    schema: str
    table: str
    key: str
    columns: dict[str, str]         # payload column -> 'text' | 'int'
    cls: str
    derivation: str
    slots: list[SlotSpec]
    filter_column: str | None
    rows: list[dict]

    def write(self, root: Path) -> None:
        (root / "dictionary").mkdir(parents=True)
        (root / "mappings").mkdir()
        enums = {}
        for s in self.slots:
            if s.enum:
                enums["Codes"] = {"description": "codes", "permissible_values": {v: {"description": "v"} for v in s.enum}}
        dictionary = {
            "id": "https://example.org/fuzz", "name": "fuzz", "imports": ["linkml:types"], "default_range": "string",
            "classes": {self.cls: {"description": "fuzzed", "slots": ["id"] + [s.name for s in self.slots]}},
            "slots": {"id": {"identifier": True, "description": "id"},
                      **{s.name: {"description": "fuzzed", "range": s.range} for s in self.slots}},
        }
        if enums:
            dictionary["enums"] = enums
        schema = {"source": self.source, "tables": {self.table: {
            "primary_key": [self.key],
            "columns": {self.key: {"type": "VARCHAR", "nullable": False},
                        **{c: {"type": "VARCHAR" if t == "text" else "BIGINT"} for c, t in self.columns.items()}}}}}
        derivation = {"target_class": self.cls, "populated_from": self.table,
                      "slot_derivations": {s.name: s.derivation() for s in self.slots}}
        if self.filter_column is not None:
            derivation["filter"] = f"{q(self.filter_column)} IS NOT NULL"
        mapping = {"source": self.source, "source_schema": "legacy.source.yaml", "database_schema": self.schema,
                   "class_derivations": {self.derivation: derivation}}
        dump = dict(allow_unicode=True, sort_keys=False)
        (root / "dictionary" / "fuzz.yaml").write_text(yaml.safe_dump(dictionary, **dump), encoding="utf-8")
        (root / "mappings" / "legacy.source.yaml").write_text(yaml.safe_dump(schema, **dump), encoding="utf-8")
        (root / "mappings" / "legacy.yaml").write_text(yaml.safe_dump(mapping, **dump), encoding="utf-8")

    def expected(self) -> tuple[list[tuple], int]:
        """(canonical rows as (id, slot values...), number of rejects)."""
        rows, rejects = [], 0
        for row in self.rows:
            if self.filter_column is not None and row[self.filter_column] is None:
                rejects += 1
                continue
            values, rejected = [f"{self.source}:{self.cls}:{row[self.key]}"], False
            for s in self.slots:
                v, reason = s.value(row.get(s.column))
                rejected = rejected or reason is not None
                values.append(v)
            if rejected:
                rejects += 1
            else:
                rows.append(tuple(values))
        return rows, rejects


@st.composite
def scenarios(draw) -> Scenario:
    n = draw(st.integers(1, 4))
    # one namespace per SQL scope, names unique ignoring case: by casefold, which merges every pair dict's
    # fold_case merges (and more: 'ß'/'ss', 'ς'/'σ'), so no two drawn names collide
    columns = draw(st.lists(NAMES, min_size=n + 1, max_size=n + 1, unique_by=str.casefold))
    key, payload = columns[0], columns[1:]
    types = {c: draw(st.sampled_from(["text", "text", "int"])) for c in payload}
    slot_names = draw(st.lists(SLOT_NAMES, min_size=n, max_size=n, unique_by=str.casefold))
    cls = draw(OWN_NAMES.filter(lambda s: "__" not in s and snake_case(s).casefold() != "rejects" and not s.startswith("#")))
    slots = []
    used_enum = False
    for name, column in zip(slot_names, payload):
        if types[column] == "int":
            kind = draw(st.sampled_from(["copy_int", "times", "compare"]))
            if kind == "copy_int":
                slots.append(SlotSpec(name, column, "times", number=1, offset=0))
            else:
                slots.append(SlotSpec(name, column, kind, number=draw(st.integers(-5, 5)), offset=draw(st.integers(-100, 100))))
            continue
        kind = draw(st.sampled_from(["copy", "concat", "coalesce", "case_null", "constant", "code_map", "code_map"]))
        spec = SlotSpec(name, column, kind, literal=draw(LITERALS))
        if kind == "constant" and not spec.literal.strip(" "):
            spec.kind = "coalesce"   # a blank constant is refused; blank text from COALESCE is NULL
        if kind == "code_map":
            codes = draw(st.dictionaries(TEXT_VALUES.filter(lambda v: v is not None), NAMES, min_size=1, max_size=4))
            spec.codes = codes
            spec.unmapped = draw(st.sampled_from(["null", "keep", "default", "reject"]))
            spec.default = draw(NAMES)
            if not used_enum and draw(st.booleans()):
                used_enum = True   # one enum, holding every target (and the default)
                spec.enum = tuple(dict.fromkeys(list(codes.values()) + [spec.default]))
        slots.append(spec)
    code_pool = [c for s in slots for c in s.codes]
    text_values = st.one_of(TEXT_VALUES, st.sampled_from(code_pool)) if code_pool else TEXT_VALUES
    keys = draw(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(_ALPHABET, max_size=10)), max_size=8, unique=True))
    rows = []
    for k in keys:
        row = {key: k}
        for c, t in types.items():
            row[c] = draw(text_values if t == "text" else INT_VALUES)
        rows.append(row)
    return Scenario(
        # SQL Server reads a table named #x as a temporary table: no legacy table is called that
        source=draw(SOURCES), schema=draw(NAMES), table=draw(NAMES.filter(lambda s: not s.startswith("#"))),
        key=key, columns=types, cls=cls,
        derivation=draw(OWN_NAMES.filter(lambda s: "__" not in s)), slots=slots,
        filter_column=draw(st.one_of(st.none(), st.sampled_from(payload))), rows=rows)


# ---------------------------------------------------------------------------- engines

def _load(con_execute, many, s: Scenario, schema_sql: str) -> None:
    cols = [s.key] + list(s.columns)
    types = ["VARCHAR"] + ["VARCHAR" if s.columns[c] == "text" else "BIGINT" for c in s.columns]
    table = f"{schema_sql}.{q(s.table)}"
    con_execute(f"CREATE TABLE {table} ({', '.join(f'{q(c)} {t}' for c, t in zip(cols, types))})")
    if s.rows:
        many(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in cols)})", [[r[c] for c in cols] for r in s.rows])


def _canonical_sql(plan: Plan) -> str:
    view = plan.views()[0]
    return f"SELECT {', '.join(q(sp.name) for sp in view.slots)} FROM {q(view.view_name)}"


def _rejects_sql(plan: Plan) -> str:
    return f"SELECT _reject_reason FROM {q(plan.views()[0].rejects_name)}"


def run_duckdb(plan: Plan, s: Scenario, files: dict[str, str], con=None) -> tuple[list[tuple], list[tuple]]:
    """Load the rows and run the generated files in one transaction, rolled back afterwards."""
    con = con or duckdb.connect()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA {q(s.schema)}")
        _load(con.execute, con.executemany, s, q(s.schema))
        con.execute(files[f"sql/duckdb/{s.source}.sql"])
        con.execute(files["sql/duckdb/integrated.sql"])
        return con.execute(_canonical_sql(plan)).fetchall(), con.execute(_rejects_sql(plan)).fetchall()
    finally:
        con.execute("ROLLBACK")


def _sqlite_connection() -> sqlite3.Connection:
    try:  # the engine layer registers the functions SQLite lacks (Unicode UPPER, REGEXP, ...)
        from toolkit.run.engines.sqlite import connect
    except ImportError:
        return sqlite3.connect(":memory:", isolation_level=None)
    return connect(":memory:")


def run_sqlite(plan: Plan, s: Scenario, files: dict[str, str]) -> tuple[list[tuple], list[tuple]]:
    con = _sqlite_connection()
    try:
        con.execute(f"ATTACH DATABASE ':memory:' AS {q(s.schema)}")
        _load(con.execute, con.executemany, s, q(s.schema))
        con.executescript(files[f"sql/sqlite/{s.source}.sql"])
        con.executescript(files["sql/sqlite/integrated.sql"])
        return con.execute(_canonical_sql(plan)).fetchall(), con.execute(_rejects_sql(plan)).fetchall()
    finally:
        con.close()


def _sorted(rows) -> list[tuple]:
    return sorted((tuple(r) for r in rows), key=repr)


def _names_and_strings(tree: exp.Expression) -> tuple[set[str], set[str]]:
    """Table and column references as dotted paths, aliases, and string literals.

    Paths are compared joined, because BigQuery splits a quoted database_schema that holds a dot into
    path parts (project.dataset); other dotted names it refuses, and the names dict creates itself
    (views, columns) hold no dots.
    """
    names = {".".join(p.name for p in node.parts) for node in tree.find_all(exp.Table, exp.Column)}
    names |= {a.alias for a in tree.find_all(exp.Alias, exp.TableAlias) if a.alias}
    strings = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    strings |= {esc.this for esc in tree.find_all(exp.ByteString)}   # PostgreSQL writes text with a backslash as E'...'
    return names, strings


def assert_refusal_is_due(plan: Plan, d, message: str) -> None:
    """A dialect refused the plan only for a name it cannot carry: an emoji (MySQL), a view name it would
    cut short or refuse, a '.' in a source table, column or join alias, a database_schema that is no
    [project.]dataset path (BigQuery reads a '.' as a path)."""
    from toolkit.plan.integrity import created_views

    if "outside the Basic Multilingual Plane" in message:
        assert d.names_in_bmp and any(ord(c) > 0xFFFF for c in message), message
    elif "reads '.' in a name as a path" in message:
        names = [r.table.name for v in plan.views() for r in v.tables()] + [j.ref.alias for v in plan.views() for j in v.joins]
        names += [c.column for v in plan.views() for sp in v.slots if sp.expr for c in sp.expr.columns]
        names += [c.column for v in plan.views() for r in v.rules for c in r.condition.columns]
        assert d.dots_are_paths and any("." in n and f"'{n}'" in message for n in names), message
    elif "reads '.' in it as a path" in message:   # BigQuery: database_schema is [project.]dataset
        paths = [v.base.database_schema.rsplit(":", 1)[-1].split(".") for v in plan.views()]
        assert d.dots_are_paths and any(len(p) > 2 or "" in p for p in paths), message
    else:
        assert d.name_limit, message
        size, unit, _ = d.name_limit
        longest = max(len(n.encode()) if unit == "bytes" else len(n) for n, *_ in created_views(plan.sources, plan.integrated))
        assert longest > size and "shorten the" in message, message


def _readable(text: str, dialect: str) -> str:
    """The file as sqlglot can read it: its PostgreSQL parser takes no E'' string in COMMENT ON (one line each;
    the comments' text is checked on the real server by test_hostile_sql_servers)."""
    if dialect != "postgres":
        return text
    return "\n".join(line for line in text.split("\n") if not (line.startswith("COMMENT ON ") and " IS E'" in line))


def check_parses_everywhere(plan: Plan) -> dict[str, dict[str, str]]:
    """Every registered dialect's SQL parses back with the same identifiers and string literals."""
    from toolkit.emit.sql import integrated_statements, source_statements

    statements = [stmt for v in plan.views() for _n, stmt in source_statements(v)] + \
        [stmt for _n, stmt in integrated_statements(plan)]
    out = {}
    for name in dialects.names():
        d = dialects.get(name)
        try:
            files = generate_sql(plan, d)
        except DictError as exc:   # only a name this engine cannot carry may stop it
            for problem in exc.problems:
                assert_refusal_is_due(plan, d, problem.message + " " + problem.hint)
            continue
        out[name] = files
        parsed = [t for text in files.values() for t in sqlglot.parse(_readable(text, name), read=d.sqlglot) if t is not None]
        want_idents, want_strings = set(), set()
        for stmt in statements:
            rewritten = d.rewrite(stmt.copy()) if hasattr(d, "rewrite") else stmt
            i, s = _names_and_strings(rewritten)
            want_idents |= i
            want_strings |= s
        got_idents, got_strings = set(), set()
        for tree in parsed:
            i, s = _names_and_strings(tree)
            got_idents |= i
            got_strings |= s
        assert want_idents <= got_idents, f"{name}: identifiers lost: {sorted(want_idents - got_idents)[:5]}"
        assert want_strings <= got_strings, f"{name}: string literals changed: {sorted(want_strings - got_strings)[:5]}"
    return out


# ---------------------------------------------------------------------------- properties

@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    yield con
    con.close()


@fuzz(200)
@given(s=scenarios())
def test_fuzzed_mapping_runs_to_the_expected_rows_in_duckdb_and_sqlite(s, duck, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    s.write(root)
    plan = load_plan(root)
    expected, rejects = s.expected()

    rows, reasons = run_duckdb(plan, s, generate_sql(plan, dialects.get("duckdb")), duck)
    assert _sorted(rows) == _sorted(expected)
    assert len(reasons) == rejects and all(r[0] for r in reasons)

    if "sqlite" in dialects.names():   # registered by the engines work; until then DuckDB only
        rows, reasons = run_sqlite(plan, s, generate_sql(plan, dialects.get("sqlite")))
        assert _sorted(rows) == _sorted(expected)
        assert len(reasons) == rejects and all(r[0] for r in reasons)


@fuzz(60)
@given(s=scenarios())
def test_fuzzed_mapping_sql_parses_back_in_every_dialect_with_names_and_literals_intact(s, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    s.write(root)
    check_parses_everywhere(load_plan(root))


CASED = st.text(st.sampled_from(string.ascii_letters + "ÄÖÜäöüÉéΣσДд"), min_size=1, max_size=12).filter(
    lambda s: s.lower() != s.upper() and not s.startswith("_"))


@fuzz(60)
@given(s=scenarios(), where=st.sampled_from(["column", "slot", "table", "derivation"]), name=CASED)
def test_names_that_differ_only_in_case_are_refused_with_file_and_line(s, where, name, tmp_path_factory):
    assume(where != "slot" or name.casefold() != "id")   # the model's own identifier slot
    assert_case_twins_refused(s, where, name, name.swapcase(), tmp_path_factory.mktemp("collide"))


@pytest.mark.unit
@pytest.mark.parametrize("where", ["column", "slot", "table", "derivation"])
@pytest.mark.parametrize("name, twin", [("Aσ", "aΣ"), ("ΟΔΟΣ", "οδοσ"), ("ß", "SS"), ("ﬁ", "FI"), ("AB", "ab"),
                                        ("TRUE", "true")])
def test_names_equal_once_case_folded_are_refused(where, name, twin, tmp_path):
    """Python's lower() gives 'aς' (final sigma) for 'aΣ' but 'aσ' for 'Aσ': two names equal ignoring case
    are refused however their last letter lowers, and names dict's fold keeps apart are both accepted.
    Seed 278532786 (6x examples): slots 'TRUE' and 'true' are each refused as a boolean literal, and the
    class listing them is not told to define them."""
    s = Scenario(source="src", schema="s", table="t", key="k", columns={"v": "text"}, cls="C", derivation="D",
                 slots=[SlotSpec("name", "v", "copy")], filter_column=None, rows=[])
    assert_case_twins_refused(s, where, name, twin, tmp_path)


def assert_case_twins_refused(s: Scenario, where: str, name: str, twin: str, root: Path) -> None:
    """Two names of one kind equal ignoring case (``where``: column, slot, table or derivation; for a
    derivation, its view name) are refused with file:line; two that differ ignoring case are both fine."""
    if where == "column":
        s.columns = {name: "text", twin: "text", **{c: t for c, t in s.columns.items() if c.casefold() != name.casefold()}}
    elif where == "slot":
        s.slots = [SlotSpec(name, "", "constant", literal="a"), SlotSpec(twin, "", "constant", literal="b")] + \
            [x for x in s.slots if x.name.casefold() != name.casefold()]
    s.write(root)
    if where == "table":
        path = root / "mappings" / "legacy.source.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["tables"][name] = {"columns": {"a": {"type": "INTEGER"}}}
        doc["tables"][twin] = {"columns": {"a": {"type": "INTEGER"}}}
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    elif where == "derivation":
        path = root / "mappings" / "legacy.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        (only,) = doc["class_derivations"].values()
        # the twin gives ids of its own: two derivations with one id expression are refused (see test_identity_integrity)
        other = dict(only, slot_derivations={**only.get("slot_derivations", {}), "id": {"value": "twin"}})
        doc["class_derivations"] = {name: only, twin: other}
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    if where == "slot" and name.lower() in ("true", "false"):   # refused on its own, each name on its line
        with pytest.raises(DictError) as refused:
            load_plan(root)
        assert all("boolean literal" in p.message and p.line >= 1 for p in refused.value.problems), refused.value.problems
        return
    # e.g. 'Aa' and 'aA' name views src__aa and src__a_a: two distinct derivations, both fine
    compared = (snake_case(name), snake_case(twin)) if where == "derivation" else (name, twin)
    if fold_case(compared[0]) != fold_case(compared[1]):
        plan = load_plan(root)
        assert len(plan.views()) == 2 if where == "derivation" else plan.views()
        return
    with pytest.raises(DictError) as refused:
        load_plan(root)
    problem = refused.value.problems[0]
    assert problem.file.endswith(".yaml") and problem.line >= 1
    assert any(words in problem.message for words in ("differs only in case", "same view name", "is also the name")), problem


@pytest.mark.xfail(reason="DuckDB's TRIM strips Unicode space separators (U+00A0, U+3000, ...), SQLite's only ' ': "
                          "the sqlite dialect does not yet give TRIM the neutral meaning",
                   raises=AssertionError, strict=False)
def test_trim_of_unicode_spaces_agrees_between_duckdb_and_sqlite(tmp_path):
    if "sqlite" not in dialects.names():
        pytest.skip("no sqlite dialect registered")
    s = Scenario(source="src", schema="s", table="t", key="k", columns={"v": "text"}, cls="C", derivation="D",
                 slots=[SlotSpec("name", "v", "copy")], filter_column=None,
                 rows=[{"k": "1", "v": "\u3000全角\u3000"}, {"k": "2", "v": "\u00a0nbsp\u00a0"}])
    s.write(tmp_path)
    path = tmp_path / "mappings" / "legacy.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("populated_from: v", "expr: TRIM(v)"), encoding="utf-8")
    plan = load_plan(tmp_path)
    files = {d: generate_sql(plan, dialects.get(d)) for d in ("duckdb", "sqlite")}
    assert _sorted(run_duckdb(plan, s, files["duckdb"])[0]) == _sorted(run_sqlite(plan, s, files["sqlite"])[0])


# ---------------------------------------------------------------------------- failures the fuzzer found

@pytest.mark.unit
def test_a_dotted_legacy_column_is_refused_for_bigquery_only(tmp_path):
    """Seed 159935315741715996065931411449397134169: BigQuery read the quoted column `name.with.dots` of
    table `.` as a path; no BigQuery table or column can hold a '.', so generating for it is refused."""
    s = Scenario(source="src", schema="客户", table=".", key="客户", columns={"名 字": "text", "name.with.dots": "int"},
                 cls="客户", derivation="客户", filter_column="name.with.dots", rows=[],
                 slots=[SlotSpec("名 字", "名 字", "copy"), SlotSpec("0", "name.with.dots", "times", number=1)])
    s.write(tmp_path)
    plan = load_plan(tmp_path)
    assert set(check_parses_everywhere(plan)) == set(dialects.names()) - {"bigquery"}
    with pytest.raises(DictError) as refused:
        generate_sql(plan, dialects.get("bigquery"))
    messages = [f"{p.file}:{p.line}: {p.message}" for p in refused.value.problems]
    assert any(m.startswith("mappings/legacy.yaml:") and "source table '.'" in m for m in messages), messages
    assert any("reads column 'name.with.dots'" in m and "as a path" in m for m in messages), messages


@pytest.mark.unit
def test_a_dotted_database_schema_is_a_project_and_dataset_on_bigquery(tmp_path):
    s = Scenario(source="src", schema="example.com:my-project.sales", table="t", key="k", columns={"v": "text"}, cls="C",
                 derivation="D", slots=[SlotSpec("name", "v", "copy")], filter_column=None, rows=[])
    s.write(tmp_path)
    text = generate_sql(load_plan(tmp_path), dialects.get("bigquery"))["sql/bigquery/src.sql"]
    (table,) = {t for tree in sqlglot.parse(text, read="bigquery") if tree for t in tree.find_all(exp.Table) if t.name == "t"}
    assert (table.catalog, table.db, table.name) == ("example.com:my-project", "sales", "t")


@pytest.mark.unit
@pytest.mark.parametrize("schema", ["name.with.dots", ".", "sales.", "a..b"])
def test_a_database_schema_that_is_no_dataset_path_is_refused_for_bigquery(schema, tmp_path):
    s = Scenario(source="src", schema=schema, table="t", key="k", columns={"v": "text"}, cls="C",
                 derivation="D", slots=[SlotSpec("name", "v", "copy")], filter_column=None, rows=[])
    s.write(tmp_path)
    plan = load_plan(tmp_path)
    assert set(check_parses_everywhere(plan)) == set(dialects.names()) - {"bigquery"}
    with pytest.raises(DictError) as refused:
        generate_sql(plan, dialects.get("bigquery"))
    (problem,) = refused.value.problems
    assert problem.file == "mappings/legacy.yaml" and problem.line >= 1
    assert f"database_schema '{schema}'" in problem.message and "[project.]dataset" in problem.message
