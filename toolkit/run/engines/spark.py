"""Spark in local mode: source tables and views live in the session.

A SparkSession is expensive (seconds to start): pass one in and share it; ``session()`` makes
a small local one. Each source table becomes a session view ``_source_<schema>__<table>`` (Spark's
catalog only allows letters, digits and _ in names: "Order Details" cannot be a table) and the
generated views read it there: only the table names in the SQL change, nothing else.
"""
from __future__ import annotations

import re
import tempfile

from sqlglot import exp

from toolkit.run.engines import Engine
from toolkit.run.engines.data import TableData, decimal_digits
from toolkit.core.types import Type


def session(cores: int = 1):
    """A local SparkSession set up for the generated SQL (UTC, few shuffle partitions, no UI)."""
    from pyspark.sql import SparkSession

    warehouse = tempfile.mkdtemp(prefix="dict-spark-warehouse-")
    spark = (SparkSession.builder.master(f"local[{cores}]").appName("dict")
            .config("spark.sql.warehouse.dir", warehouse)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(max(1, cores)))
            .config("spark.default.parallelism", str(max(1, cores)))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.legacy.storeAnalyzedPlanForView", "true")   # views keep plans, not SQL text
            # tiny data, huge expressions: interpreting beats compiling generated Java for every query
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
            .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC -Xss64m")
            .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine(Engine):
    name = "spark"
    dialect_name = "spark"

    def __init__(self, spark):
        self.spark = spark
        self._views: list[str] = []

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)
        view = re.match(r"CREATE (?:OR REPLACE )?TEMPORARY VIEW `([^`]+)`", sql)
        if view:
            self._views.append(view.group(1))

    def query(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    temporary_views = True

    def create_schema(self, schema: str) -> None:
        pass  # tables are session views named _source_<schema>__<table>

    def physical_table(self, schema: str, table: str) -> exp.Table:
        """Session view ``_source_<schema>__<table>`` (letters, digits and _ only) standing for ``schema.table``."""
        return exp.Table(this=exp.to_identifier(re.sub(r"[^A-Za-z0-9_]", "_", f"_source_{schema}__{table}"), quoted=True))

    def _spark_type(self, column):
        from pyspark.sql import types as T

        t = column.type
        if t is Type.DECIMAL:
            return T.DecimalType(*decimal_digits(column))
        return {Type.STRING: T.StringType(), Type.INTEGER: T.LongType(), Type.FLOAT: T.DoubleType(),
                Type.BOOLEAN: T.BooleanType(), Type.DATE: T.DateType(), Type.DATETIME: T.TimestampNTZType()}[t]

    def load_table(self, schema: str, data: TableData) -> None:
        from pyspark.sql import types as T

        struct = T.StructType([T.StructField(c.name, self._spark_type(c), True) for c in data.columns])
        frame = self.spark.createDataFrame(data.rows, struct)
        frame.createOrReplaceTempView(self.physical_table(schema, data.table.name).name)
        self._views.append(self.physical_table(schema, data.table.name).name)

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
