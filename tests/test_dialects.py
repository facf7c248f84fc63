"""Nine SQL dialects: golden files regenerate byte for byte, parse back, and carry each engine's quirks."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from toolkit import dialects
from toolkit.emit.generate import generate
from toolkit.emit.sql import plan_statements

ROOT = Path(__file__).resolve().parents[1]
# every registered dialect: adding one is one file in toolkit/dialects/, and every test here covers it
NINE = dialects.names()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("all") / "generated"
    generate(ROOT, ["sql"], out, dialect="all")
    return out


def test_every_dialect_file_is_registered():
    folder = Path(dialects.__file__).parent
    files = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    assert dialects.names() == files
    assert {"bigquery", "duckdb", "mysql", "postgres", "snowflake", "spark", "sqlite", "trino", "tsql"} <= set(files)


def test_generate_sql_all_reproduces_every_golden_file_byte_for_byte(fresh):
    for name in NINE:
        new, golden = _tree(fresh / "sql" / name), _tree(ROOT / "generated" / "sql" / name)
        assert new, f"nothing generated for {name}"
        assert set(new) == set(golden), f"generated/sql/{name}: files differ; run `dict generate sql --dialect all`"
        stale = [rel for rel in new if new[rel] != golden[rel]]
        assert not stale, f"generated/sql/{name}/{stale[0]} is out of date: run `dict generate sql --dialect all`"


@pytest.mark.parametrize("name", NINE)
def test_every_generated_statement_parses_back_in_its_dialect(name, fresh):
    for rel, data in _tree(fresh / "sql" / name).items():
        statements = [s for s in sqlglot.parse(data.decode("utf-8"), read=dialects.get(name).sqlglot) if s is not None]
        assert statements, rel
        preamble = len(dialects.get(name).preamble)
        assert all(isinstance(s, exp.Set) for s in statements[:preamble]), rel
        assert all(isinstance(s, (exp.Create, exp.Drop, exp.Comment)) for s in statements[preamble:]), rel   # COMMENT ON: descriptions


def _sql(name: str, stem: str) -> str:
    return (ROOT / "generated" / "sql" / name / f"{stem}.sql").read_text(encoding="utf-8")


def test_sqlite_views_over_attached_sources_are_temporary_and_dropped_first():
    text = _sql("sqlite", "chinook")
    assert 'DROP VIEW IF EXISTS "temp"."chinook__customer__staged";' in text
    assert 'CREATE TEMPORARY VIEW "chinook__customer__staged" AS' in text
    assert "CREATE OR REPLACE" not in text


def test_mysql_has_no_regexp_like_and_no_case_insensitive_surprises():
    text = _sql("mysql", "crm")
    assert "REGEXP_LIKE" not in text and "REGEXP_INSTR(" in text
    assert "JSON_TABLE(" in text   # INITCAP per character
    assert "DATETIME(6)" in _sql("mysql", "callcentre")


def test_spark_timestamps_have_no_time_zone_and_initcap_uses_the_neutral_word_breaks():
    assert "TIMESTAMP_NTZ" in _sql("spark", "callcentre")
    assert "REGEXP_EXTRACT_ALL(" in _sql("spark", "crm") and "INITCAP(" not in _sql("spark", "crm")


def test_postgres_regexp_replace_is_global_and_initcap_is_per_character():
    text = _sql("postgres", "crm")
    assert ", 'g')" in text and "GENERATE_SERIES(" in text and "INITCAP(" not in text


def test_snowflake_pattern_checks_are_not_anchored_to_the_whole_text():
    assert "REGEXP_LIKE" not in _sql("snowflake", "crm") and "REGEXP_INSTR(" in _sql("snowflake", "crm")


def test_tsql_has_no_boolean_values():
    text = _sql("tsql", "chinook")
    assert "CREATE OR ALTER VIEW" in text
    assert "TRUE" not in text.replace("'TRUE'", "") and "FALSE" not in text.replace("'FALSE'", "")
    assert "(1 = 0)" not in text   # COALESCE(cond, FALSE) became a CASE, not a predicate used as a value


@pytest.mark.parametrize("name", NINE)
def test_division_is_true_division_that_gives_null_for_zero(name):
    node = sqlglot.parse_one("a / b")
    node.find(exp.Div)
    text = dialects.get(name).render(node)
    assert "NULLIF(" in text and ("DOUBLE" in text or "FLOAT" in text or "REAL" in text), text


@pytest.mark.parametrize("name, top", [("tsql", "SELECT TOP 5"), ("duckdb", "LIMIT 5"), ("postgres", "LIMIT 5"),
                                       ("mysql", "LIMIT 5"), ("spark", "LIMIT 5"), ("sqlite", "LIMIT 5"),
                                       ("trino", "LIMIT 5"), ("bigquery", "LIMIT 5"), ("snowflake", "LIMIT 5")])
def test_a_preview_of_rows_is_limited_the_way_each_engine_spells_it(name, top):
    query = exp.select(exp.column("id", quoted=True)).from_(exp.Table(this=exp.to_identifier("customer", quoted=True))).limit(5)
    assert top in dialects.get(name).render(query).replace("\n", " ").replace("  ", " ")


def test_every_dialect_renders_every_statement_of_the_plan(plan):
    built = plan_statements(plan)
    for name in NINE:
        d = dialects.get(name)
        for stem, statements in built.items():
            for view, stmt in statements:
                assert view in d.render(stmt.copy()), (name, stem, view)


def test_a_view_name_an_engine_would_cut_short_or_refuse_is_an_error_naming_the_derivation(tmp_path):
    """PostgreSQL keeps the first 63 bytes of a name (CREATE OR REPLACE would then replace the staged view
    with the canonical one), MySQL refuses more than 64 characters; DuckDB carries the name as it is."""
    import subprocess
    import sys

    from projects import copy_project, snapshot

    project = copy_project(tmp_path / "p")
    mapping = project / "mappings" / "chinook.yaml"
    text = mapping.read_text(encoding="utf-8")
    line = text.splitlines().index("  ContactPointPhone:") + 1
    mapping.write_text(text.replace("  ContactPointPhone:", "  ContactPointPhoneWithAVeryLongNameThatGoesOnAndOnAndOn:"),
                       encoding="utf-8")

    def generate_sql(dialect: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "sql", "--dialect", dialect,
                               "--project", str(project)], capture_output=True, text=True, cwd=ROOT)

    assert generate_sql("duckdb").returncode == 0
    before = snapshot(project / "generated")
    for dialect, words in (("postgres", "keeps only its first 63 bytes, so it would replace view"),
                           ("mysql", "mysql refuses names longer than 64 characters")):
        run = generate_sql(dialect)
        out = run.stdout + run.stderr
        assert run.returncode == 1, out
        assert f"mappings/chinook.yaml:{line}" in out and words in out and "Traceback" not in out, out
        assert "shorten the derivation name" in out
        assert snapshot(project / "generated") == before


def test_rendering_over_forked_workers_gives_the_golden_files_byte_for_byte(tmp_path):
    """A large estate renders in one forked worker per core; DICT_JOBS forces that path on this small project
    (in a child process: forking is refused while another thread runs, as in a test session with Spark)."""
    import os
    import subprocess
    import sys

    probe = "import toolkit.emit.sql as s; print(s.workers(10))"
    env = {**os.environ, "DICT_JOBS": "3"}
    assert subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=ROOT).stdout.strip() == "3"
    out = tmp_path / "generated"
    run = subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "sql", "--dialect", "all", "--out", str(out),
                          "--project", str(ROOT)], env=env, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in NINE:
        assert _tree(out / "sql" / name) == _tree(ROOT / "generated" / "sql" / name), name


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.unit
@pytest.mark.parametrize("name", ["mysql", "tsql"])
def test_mysql_and_tsql_views_group_and_join_text_by_exact_keys_and_never_select_distinct(name):
    """Their default collations ignore case (and trailing spaces): joins, GROUP BY and DISTINCT use exact keys."""
    key = {"mysql": lambda c: f"CAST(CAST({c} AS CHAR CHARACTER SET utf8mb4) AS BINARY)",
           "tsql": lambda c: f"( {c} + NCHAR(0) ) COLLATE Latin1_General_100_BIN2"}[name]
    q = {"mysql": lambda t, c: f"`{t}`.`{c}`", "tsql": lambda t, c: f"[{t}].[{c}]"}[name]
    text = _flat(_sql(name, "billing"))
    assert f"ON {key(q('h', 'acct_ref'))} = {key(q('billing_accounts', 'acct_ref'))}" in text
    assert (f"GROUP BY {q('d', '_source_key')}, {q('d', '_reject_reason')}, {key(q('d', '_source_key'))}, "
            f"{key(q('d', '_reject_reason'))}") in text
    for stem in ("billing", "callcentre", "chinook", "crm", "northwind"):
        assert "SELECT DISTINCT" not in _sql(name, stem)


@pytest.mark.unit
def test_tsql_compares_text_by_code_points_with_trailing_spaces_and_likes_unicode_in_a_binary_collation():
    text = _flat(_sql("tsql", "callcentre"))
    assert ("( [d].[customer_tier] + NCHAR(0) ) COLLATE Latin1_General_100_BIN2 IN ( ( N'standard' + NCHAR(0) ) "
            "COLLATE Latin1_General_100_BIN2,") in text
    assert "AS NVARCHAR(MAX)) COLLATE Latin1_General_100_BIN2 LIKE N'TEST CALL%'" in text
    assert "REGEXP_LIKE( CAST([d].[preferred_language] AS NVARCHAR(MAX)) COLLATE Latin1_General_100_BIN2, '^[a-z]{2}$' )" in text


_NEUTRAL = ("SELECT MIN(TRIM(a)) AS m, NULLIF(TRIM(b), '') AS n, CASE TRIM(c) WHEN 'x' THEN 1 END AS k FROM t "
            r"WHERE TRIM(c) LIKE 'a[b\%' AND LOWER(a) ILIKE 'Q%' AND TRIM(b) IN ('p', 'q') AND TRIM(a) < 'b'")


@pytest.mark.unit
@pytest.mark.parametrize("name, expected", [
    ("tsql", ["LEFT( MIN(( TRIM([a]) + NCHAR(0) ) COLLATE Latin1_General_100_BIN2), LEN(MIN(( TRIM([a]) + NCHAR(0) ) "
              "COLLATE Latin1_General_100_BIN2)) - 1 ) AS [m]",
              "CASE WHEN ( TRIM([b]) + NCHAR(0) ) COLLATE Latin1_General_100_BIN2 = ( N'' + NCHAR(0) ) COLLATE "
              "Latin1_General_100_BIN2 THEN NULL ELSE TRIM([b]) END AS [n]",
              "CASE ( TRIM([c]) + NCHAR(0) ) COLLATE Latin1_General_100_BIN2 WHEN ( N'x' + NCHAR(0) )",
              r"COLLATE Latin1_General_100_BIN2 LIKE N'a[[]b\%'",
              "LOWER(CAST(LOWER([a]) AS NVARCHAR(MAX)) COLLATE Latin1_General_100_BIN2) LIKE LOWER(N'Q%')",
              "( TRIM([a]) + NCHAR(0) ) COLLATE Latin1_General_100_BIN2 < ( N'b' + NCHAR(0) )"]),
    ("mysql", ["CAST(MIN(CAST(CAST(TRIM(`a`) AS CHAR CHARACTER SET utf8mb4) AS BINARY)) AS CHAR CHARACTER SET utf8mb4) AS `m`",
               "CASE WHEN CAST(CAST(TRIM(`b`) AS CHAR CHARACTER SET utf8mb4) AS BINARY) = '' THEN NULL ELSE TRIM(`b`) END AS `n`",
               "CASE CAST(CAST(TRIM(`c`) AS CHAR CHARACTER SET utf8mb4) AS BINARY) WHEN 'x' THEN 1 END",
               r"CAST(TRIM(`c`) AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin LIKE 'a[b\\\\%'",
               "CAST(CAST(TRIM(`b`) AS CHAR CHARACTER SET utf8mb4) AS BINARY) IN ('p', 'q')",
               "CAST(CAST(TRIM(`a`) AS CHAR CHARACTER SET utf8mb4) AS BINARY) < 'b'"]),
])
def test_every_text_comparison_is_rewritten_exact(name, expected):
    dialect = dialects.get(name)
    text = _flat(dialect.to_sql(dialect.rewrite(sqlglot.parse_one(_NEUTRAL, read="duckdb"))))
    for part in expected:
        assert part in text


@pytest.mark.unit
def test_mysql_files_start_with_set_names_utf8mb4_and_other_dialects_carry_no_preamble():
    for name in NINE:
        first = next(line for line in _sql(name, "chinook").splitlines() if line and not line.startswith("--"))
        assert (first == "SET NAMES utf8mb4;") == (name == "mysql"), name
    assert "\nSET NAMES utf8mb4;\n" in (ROOT / "generated" / "ddl" / "mysql" / "canonical.sql").read_text(encoding="utf-8")
