"""Spark target input checks that need no Spark: names from the command line, source locations, URLs."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from toolkit.cli import app
from toolkit.engines import spark_cluster
from toolkit.errors import DictError
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
