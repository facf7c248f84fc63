"""Splink on Spark: the session `dict match --target sc://…|spark://…` trains and scores on.

Splink's Spark backend compares strings with Scala functions (jaro_winkler, damerau_levenshtein, …) shipped
inside the splink wheel as a jar: a standalone session is given it here; a Spark Connect server must have
been started with it (``--jars``, the path ``similarity_jar`` prints), which is checked before any work.
Intermediate tables are persisted in the executors' memory, not written to a checkpoint folder (a Connect
client has none). Splink renders its SQL through a subclass of sqlglot's Spark generator, which the compiled
sqlglot (sqlglotc) cannot instantiate; the same rendering is done here with a transform instead.
"""
from __future__ import annotations

from toolkit.core.errors import DictError, Problem

CHECK = "SELECT jaro_winkler('martha', 'marhta'), damerau_levenshtein('ab', 'ba')"


def similarity_jar() -> str:
    """The jar of Splink's similarity functions for the installed Spark."""
    from splink.backends.spark import similarity_jar_location

    return similarity_jar_location()


def _double_literals(node):
    """A number cast to DOUBLE as a double literal (``0.25D``): Splink's own rendering; a long decimal literal
    would exceed Spark's 38 digits of DECIMAL precision before the cast."""
    from sqlglot import exp

    if isinstance(node, (exp.Cast, exp.TryCast)) and node.to.is_type(exp.DataType.Type.DOUBLE) \
            and isinstance(node.this, exp.Literal) and node.this.is_number and node.this.name != "Infinity":
        return exp.Var(this=f"{node.this.name}D")
    return node


def spark_api(spark):
    """Splink's SparkAPI over ``spark``; refuses clearly when the similarity functions cannot be registered."""
    import sqlglot
    from splink.backends.spark import SparkAPI

    class Api(SparkAPI):
        def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
            return sqlglot.parse_one(sql, read="spark").transform(_double_literals).sql(dialect="spark", pretty=True)

    api = Api(spark_session=spark, break_lineage_method="persist")
    try:
        spark.sql(CHECK).collect()
    except Exception:
        raise DictError(Problem("--target", 1, "the Spark server has no Splink similarity functions (jaro_winkler)",
                                f"start it with --jars {similarity_jar()}")) from None
    return api


def session(url: str):
    """A session on ``url`` (standalone: with the similarity jar on its class path)."""
    from toolkit.run.engines.spark_cluster import connect

    return connect(url, extra_jars=[similarity_jar()])
