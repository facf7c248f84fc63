"""Identifiers are always quoted: Chinese names, spaces, quotes and reserved words work end to end."""
from __future__ import annotations

import textwrap

from toolkit.run.engines.duckdb import connect
from toolkit.run.engines.reconcile import run_report
from toolkit.plan import load_plan

DICTIONARY = """
id: https://example.org/t
name: t
imports: [linkml:types]
default_range: string
classes:
  Customer:
    description: A customer.
    slots: [id, full_name, city]
slots:
  id: {identifier: true, description: id}
  full_name: {required: true, description: name}
  city: {description: city}
"""

SOURCE = """
source: 老系统
tables:
  客户 表:
    primary_key: [编号]
    columns:
      编号: {type: INTEGER}
      "名 字": {type: VARCHAR}
      select: {type: VARCHAR}
      'say "hi"': {type: VARCHAR}
"""

MAPPING = r'''
source: legacy
source_schema: legacy.source.yaml
database_schema: 老系统
class_derivations:
  Customer:
    populated_from: 客户 表
    slot_derivations:
      full_name: {expr: 'TRIM("名 字") || '' '' || "say ""hi"""'}
      city: {populated_from: select}
'''


def test_chinese_spaced_quoted_and_reserved_identifiers_run_in_duckdb(tmp_path):
    (tmp_path / "dictionary").mkdir()
    (tmp_path / "mappings").mkdir()
    (tmp_path / "dictionary" / "t.yaml").write_text(textwrap.dedent(DICTIONARY), encoding="utf-8")
    (tmp_path / "mappings" / "legacy.source.yaml").write_text(textwrap.dedent(SOURCE), encoding="utf-8")
    (tmp_path / "mappings" / "legacy.yaml").write_text(textwrap.dedent(MAPPING), encoding="utf-8")
    con = connect()
    con.execute('CREATE SCHEMA "老系统"')
    con.execute('CREATE TABLE "老系统"."客户 表" ("编号" INTEGER, "名 字" VARCHAR, "select" VARCHAR, "say ""hi""" VARCHAR)')
    con.execute('INSERT INTO "老系统"."客户 表" VALUES (1, \' 王伟 \', \'北京\', \'!\'), (2, NULL, \'Paris\', \'x\')')
    result = run_report(load_plan(tmp_path), {"legacy": None}, con=con)
    assert result.balanced
    assert con.execute('SELECT id, full_name, city FROM "customer"').fetchall() == [("legacy:Customer:1", "王伟 !", "北京")]
    assert con.execute('SELECT _reject_reason FROM "rejects"').fetchall() == [("slot full_name is required but empty",)]
