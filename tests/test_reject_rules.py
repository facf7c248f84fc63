"""Every way a row becomes a reject, on a small project built in the test: nothing silently dropped."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from toolkit.run.engines.duckdb import connect
from toolkit.run.engines.reconcile import run_report
from toolkit.plan import load_plan

DICTIONARY = """
id: https://example.org/t
name: t
imports: [linkml:types]
default_range: string
classes:
  Person:
    description: A person.
    slots: [id, name, born, score, tier]
  Group:
    description: A group of people.
    slots: [id, size]
slots:
  id: {identifier: true, description: id}
  name: {required: true, description: name}
  born: {range: date, description: birth date}
  score: {range: integer, minimum_value: 0, maximum_value: 100, description: a score}
  tier: {range: Tier, description: tier}
  size: {range: integer, required: true, description: members}
enums:
  Tier:
    permissible_values: {gold: {}, silver: {}}
"""

SOURCE = """
source: src
tables:
  people:
    primary_key: [pid]
    columns:
      pid: {type: INTEGER}
      name: {type: VARCHAR}
      born: {type: VARCHAR}
      score: {type: VARCHAR}
      tier: {type: VARCHAR}
      team: {type: INTEGER}
  teams:
    primary_key: [tid]
    columns:
      tid: {type: INTEGER}
"""

MAPPING = """
source: src
class_derivations:
  Person:
    populated_from: people
    slot_derivations:
      name: {expr: TRIM(name)}
      born: {expr: "CAST(born AS DATE)"}
      score: {expr: "COALESCE(CAST(score AS INTEGER), 0) + 0"}
      tier:
        populated_from: tier
        value_mappings: {G: gold, S: silver}
  Group:
    populated_from: teams
    joins:
      member: {table: people, "on": member.team = teams.tid, cardinality: to_many}
    reject_when:
      - {when: teams.tid = 2, reason: team 2 is retired}
    group_by: [teams.tid]
    slot_derivations:
      size: {expr: COUNT(member.pid)}
"""

DATA = """
CREATE SCHEMA src;
CREATE TABLE src.people (pid INTEGER, name VARCHAR, born VARCHAR, score VARCHAR, tier VARCHAR, team INTEGER);
INSERT INTO src.people VALUES
  (1, 'Ann', '1990-01-31', '10', 'G', 1),
  (2, 'Bob', 'not a date', '20', 'S', 1),
  (3, '  ', '1991-02-01', '30', 'G', 2),
  (4, 'Cy', '1992-03-01', 'lots', 'G', 2),
  (5, 'Di', '1993-04-01', '101', 'G', 2),
  (6, 'Ed', '1994-05-01', '40', 'X', 1);
CREATE TABLE src.teams (tid INTEGER);
INSERT INTO src.teams VALUES (1), (2);
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "dictionary").mkdir()
    (root / "mappings").mkdir()
    (root / "dictionary" / "t.yaml").write_text(textwrap.dedent(DICTIONARY), encoding="utf-8")
    (root / "mappings" / "src.source.yaml").write_text(textwrap.dedent(SOURCE), encoding="utf-8")
    (root / "mappings" / "src.yaml").write_text(textwrap.dedent(MAPPING), encoding="utf-8")
    con = connect()
    con.execute(DATA)
    result = run_report(load_plan(root), {"src": None}, con=con)
    return con, result


def reasons(con, view):
    return dict(con.execute(f'SELECT _source_key, _reject_reason FROM "{view}" ORDER BY 1').fetchall())


def test_each_rule_rejects_its_row_with_a_reason_naming_slot_and_value(run):
    con, _ = run
    assert reasons(con, "src__person__rejects") == {
        "2": "slot born: value 'not a date' cannot be converted to DATE",
        "3": "slot name is required but empty",
        "4": "slot score: value 'lots' cannot be converted to INT",
        "5": "slot score: 101 is above the maximum 100",
        "6": "slot tier: code 'X' is not in value_mappings (line 10)",
    }


def test_blank_text_in_a_required_slot_is_empty(run):
    con, _ = run
    assert con.execute('SELECT COUNT(*) FROM "src__person" WHERE name = \'\'').fetchone()[0] == 0


def test_a_failed_cast_nested_inside_an_expression_is_still_a_reject(run):
    con, _ = run
    keys = {r[0] for r in con.execute('SELECT _source_key FROM "src__person__rejects"').fetchall()}
    assert "4" in keys  # CAST(score AS INTEGER) inside COALESCE(...) + 0


def test_source_rows_equal_canonical_plus_rejects(run):
    _, result = run
    person = next(r for r in result.reconciliations if r.view.name == "Person")
    assert person.source_rows == 6 and person.canonical + person.rejected == 6 and person.balanced


def test_grouped_rejects_count_each_source_row_once_despite_a_to_many_join(run):
    con, result = run
    assert reasons(con, "src__group__rejects") == {"2": "team 2 is retired"}
    group = next(r for r in result.reconciliations if r.view.name == "Group")
    assert group.source_rows == 2 and group.staged == 2 and group.canonical == 1 and group.rejected == 1
    assert con.execute('SELECT size FROM "src__group"').fetchall() == [(3,)]
