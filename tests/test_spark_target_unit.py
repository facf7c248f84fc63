"""Spark target input checks that need no Spark: names from the command line, source locations, URLs."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from toolkit.cli import app
from toolkit.run.engines import spark_cluster
from toolkit.core.errors import DictError
from toolkit.plan import load_plan

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", ["x`; DROP DATABASE y; --", "a.b", "", "9lives", "views name"])
def test_a_database_name_that_is_not_a_plain_identifier_is_refused_before_connecting(name):
    with pytest.raises(DictError, match="not a Spark database name"):
        spark_cluster.SparkTarget("sc://127.0.0.1:1", name)


def test_materialize_refuses_a_hostile_schema_name_with_one_line_and_no_traceback():
    result = CliRunner().invoke(app, ["materialize", "--target", "sc://127.0.0.1:1", "--views", "x`y",
                                      "--project", str(ROOT), "-d", "chinook=/nonexistent.sqlite"])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_a_source_folder_without_the_table_names_what_it_needs(tmp_path):
    with pytest.raises(DictError, match=r"has no Customer\.parquet or Customer\.csv"):
        spark_cluster._files(None, "Customer", tmp_path)


def test_an_unknown_url_scheme_for_a_spark_source_is_refused_without_showing_the_password():
    plan = load_plan(ROOT)
    data, where = spark_cluster.read_sources(plan, {"chinook": "oracle://scott:tiger@db/orcl"})
    with pytest.raises(DictError, match="cannot read oracle://db/orcl on Spark") as refused:
        spark_cluster._jdbc(None, data[0], "Customer", where["chinook"])
    assert "tiger" not in str(refused.value)


def test_only_sc_and_spark_urls_are_spark_targets():
    assert spark_cluster.is_spark("sc://h:15002") and spark_cluster.is_spark("spark://h:7077")
    assert not spark_cluster.is_spark("duckdb:x.duckdb") and not spark_cluster.is_spark(None)


def test_an_unmapped_source_is_refused(tmp_path: Path):
    with pytest.raises(DictError, match="no mapping for source 'nope'"):
        spark_cluster.read_sources(load_plan(ROOT), {"nope": tmp_path})


PARTITIONED = """name: shop
classes:
  Order:
    annotations:
      partition_by: {value}
    slots: [id, country, placed_on, total]
slots:
  id: {{identifier: true}}
  country: {{}}
  placed_on: {{range: date}}
  total: {{range: decimal}}
"""


def _dictionary(tmp_path: Path, value: str):
    from toolkit.load.dictionary import load_dictionary

    (tmp_path / "dictionary").mkdir(exist_ok=True)
    (tmp_path / "dictionary" / "shop.yaml").write_text(PARTITIONED.format(value=value), encoding="utf-8")
    return load_dictionary(tmp_path / "dictionary", tmp_path)


def test_partition_by_names_the_slots_the_canonical_parquet_table_is_split_by(tmp_path):
    assert _dictionary(tmp_path, "country, placed_on").classes["Order"].partition_by == ("country", "placed_on")


@pytest.mark.parametrize("value, words", [
    ("region", "partition_by names 'region', which the class does not list"),
    ("id", "partition_by slot 'id' is the identifier (a folder per row)"),
    ("total", "partition_by slot 'total' is a decimal slot"),
    ("country, country", "is not a list of distinct slots"),
    ("''", "is not a list of distinct slots"),
])
def test_a_partition_by_that_cannot_split_the_table_is_refused_with_file_and_line(tmp_path, value, words):
    with pytest.raises(DictError) as refused:
        _dictionary(tmp_path, value)
    text = str(refused.value)
    assert "dictionary/shop.yaml:5" in text and words in text and "name up to 3 of: country, placed_on" in text


def test_deploy_to_a_standalone_master_is_refused_its_catalog_ends_with_the_command():
    from toolkit.run.engines.server_views import open_server

    with pytest.raises(DictError, match="standalone master's catalog ends with the command"):
        open_server("spark://127.0.0.1:7077", "dict_views")


def test_match_refuses_a_target_that_is_not_spark():
    from toolkit.run.matching.run import _spark

    with pytest.raises(DictError, match="is not a Spark target"):
        _spark("duckdb:x.duckdb")


HOSTILE = ["a`b", "x'; DROP TABLE y; --", "two\nlines", 'dq"uote', "back\\slash", "`; DROP DATABASE d; `"]


def _statements():
    """Every statement dict sends Spark about a table, with ``name`` as its database, table, column, partition and path."""
    from sqlglot import exp

    from toolkit.emit.sql import _id

    def built(name: str) -> list[exp.Expression]:
        table = exp.Table(this=_id(name), db=_id(name))
        return [exp.Create(this=exp.Table(this=_id(name)), kind="DATABASE", exists=True), spark_cluster.use(name),
                spark_cluster.set_location(table, name), spark_cluster.refresh(table),
                exp.Drop(tables=[table.copy()], kind="TABLE"), spark_cluster.parquet_table(table, name),
                spark_cluster.parquet_table(table, name, [(name, exp.DataType.build("STRING"))], (name,))]
    return built


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_or_path_reaches_spark_only_as_one_quoted_identifier_or_one_string_literal(name):
    import sqlglot
    from sqlglot import exp

    for node in _statements()(name):
        sql = node.sql(dialect="spark")
        [parsed] = sqlglot.parse(sql, read="spark")   # one statement: nothing broke out of its quotes
        assert type(parsed) is type(node), sql
        names = [i for i in parsed.find_all(exp.Identifier)]
        strings = [s for s in parsed.find_all(exp.Literal) if s.is_string]
        assert names or strings
        assert all(i.this == name and i.quoted for i in names), sql
        assert all(s.this == name for s in strings), sql
        assert parsed.sql(dialect="spark") == sql


@pytest.mark.parametrize("name", HOSTILE)
def test_statements_sqlglot_has_no_node_for_still_quote_the_hostile_name_as_one_identifier(name):
    from sqlglot import exp
    from sqlglot.dialects.spark import Spark
    from sqlglot.tokens import TokenType

    from toolkit.emit.sql import _id

    table = exp.Table(this=_id(name), db=_id(name))
    for sql, words in ((spark_cluster.recover_partitions(table).sql(dialect="spark"),
                        ["ALTER", "TABLE", name, ".", name, "RECOVER", "PARTITIONS"]),
                       (spark_cluster.show("TABLES", name), ["SHOW", "TABLES", "IN", name])):
        command, rest = sql.split(" ", 1)   # sqlglot's tokenizer takes what follows SHOW as one string
        tokens = Spark().tokenize(rest)
        assert [command] + [t.text for t in tokens] == words, sql
        assert [t.token_type for t in tokens if t.text == name] == [TokenType.IDENTIFIER] * words.count(name)
