"""Engines for the cross-engine tests: open one, or skip (fail in CI) saying how to start its server."""
from __future__ import annotations

import os
import shutil

import pytest

from toolkit.run.engines import Engine

CI = os.environ.get("CI", "").lower() == "true"
ENGINES = ("duckdb", "sqlite", "postgres", "mysql", "spark")


def missing(message: str):
    """A server or runtime the test needs is not here: skip with how to get it, but never in CI."""
    if CI:
        pytest.fail(message + " (CI=true: every engine must run)")
    pytest.skip(message, allow_module_level=True)


def require_module(name: str):
    """An optional library a test needs: skipped where it is not installed, but never in CI (it must be there)."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"the Python package {name} is not installed ({exc}); pip install -e '.[test]' installs it")


def require(name: str) -> None:
    if name == "postgres":
        from toolkit.run.engines import postgres

        why = postgres.available()
        if why:
            missing(f"PostgreSQL is not reachable at {postgres.DEFAULT_URL} ({why}); start it with: "
                    f"{postgres.HOW_TO_START} (or set DICT_POSTGRES_URL)")
    elif name == "mysql":
        from toolkit.run.engines import mysql

        why = mysql.available()
        if why:
            missing(f"MariaDB/MySQL is not reachable at {mysql.DEFAULT_URL} ({why}); start it with: "
                    f"{mysql.HOW_TO_START} (or set DICT_MYSQL_URL)")
    elif name == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            missing("pyspark is not installed: pip install -e '.[test]'")
        if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
            missing("Spark needs Java 17: apt-get install -y openjdk-17-jre-headless")


_SPARK = []


def spark_session():
    """One local SparkSession for the whole test session (starting one takes seconds)."""
    if not _SPARK:
        from toolkit.run.engines.spark import session

        _SPARK.append(session())
    return _SPARK[0]


def open_engine(name: str) -> Engine:
    require(name)
    if name == "duckdb":
        from toolkit.run.engines.duckdb import DuckDBEngine

        return DuckDBEngine()
    if name == "sqlite":
        from toolkit.run.engines.sqlite import SQLiteEngine

        return SQLiteEngine()
    if name == "postgres":
        from toolkit.run.engines.postgres import PostgresEngine

        return PostgresEngine()
    if name == "mysql":
        from toolkit.run.engines.mysql import MySQLEngine

        return MySQLEngine()
    if name == "spark":
        from toolkit.run.engines.spark import SparkEngine

        return SparkEngine(spark_session())
    raise KeyError(name)
