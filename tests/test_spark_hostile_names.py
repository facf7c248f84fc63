"""Names and paths from a mapping reach Spark as quoted identifiers and string literals: Spark itself reads them back
as the one name or path they were (a local session; Spark's catalog takes only letters, digits and _ in table names,
so the hostile text is a column, a partition key and a folder)."""
from __future__ import annotations

import pytest
from sqlglot import exp

from engine_support import require, spark_session
from toolkit.emit.sql import _id
from toolkit.run.engines import spark_cluster

pytestmark = pytest.mark.engine
HOSTILE = "a`b'; DROP TABLE x;\n--\\ \""
FOLDER = HOSTILE.replace("\\", "")   # Hadoop reads a backslash in a path as a glob escape, whatever the SQL said


def test_spark_reads_a_hostile_column_partition_key_and_path_as_the_one_name_and_path_they_are(tmp_path):
    require("spark")
    spark = spark_session()
    engine = spark_cluster.SparkTarget("spark://127.0.0.1:1", "h22_hostile_views", spark=spark)
    engine.create_namespace("h22_hostile")
    first, second = str(tmp_path / f"v1 {FOLDER}"), str(tmp_path / f"v2 {FOLDER}")
    quoted = _id(HOSTILE).sql(dialect="spark")
    spark.createDataFrame([("x", "1")], f"{quoted} STRING, k STRING").write.parquet(first)
    spark.createDataFrame([("y", "2"), ("z", "3")], f"{quoted} STRING, k STRING").write.parquet(second)
    try:
        for path, rows in ((first, ["x"]), (second, ["y", "z"])):   # created, then pointed at the new path
            spark_cluster._swap(engine, "h22_hostile", "t", path)
            table = spark.table("h22_hostile.t")
            assert table.columns == [HOSTILE, "k"] and sorted(r[0] for r in table.collect()) == rows
        key = HOSTILE.replace("a", "k", 1)   # the partition key: a second hostile column
        folders = str(tmp_path / f"parts {FOLDER}")
        spark.createDataFrame([("y", "2"), ("z", "3")], f"{quoted} STRING, {_id(key).sql(dialect='spark')} STRING") \
            .write.partitionBy(key).parquet(folders)
        version = exp.Table(this=_id("p"), db=_id("h22_hostile"))
        engine.statement(spark_cluster.parquet_table(version, folders, [(HOSTILE, exp.DataType.build("STRING")),
                                                                        (key, exp.DataType.build("STRING"))], (key,)))
        engine.statement(spark_cluster.recover_partitions(version))
        assert sorted(tuple(r) for r in spark.table("h22_hostile.p").collect()) == [("y", "2"), ("z", "3")]
        assert sorted(n for n, _ in engine.objects("h22_hostile")) == ["p", "t"]
    finally:
        spark.sql("DROP DATABASE IF EXISTS h22_hostile CASCADE")
