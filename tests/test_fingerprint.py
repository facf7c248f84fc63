"""A statement's fingerprint (the statement cache's key) says what its SQL depends on, and reading it changes
nothing in the tree."""
from __future__ import annotations

import copy

import pytest
import sqlglot

from toolkit.core.fingerprint import fingerprint


@pytest.mark.unit
def test_the_fingerprint_follows_shape_values_types_and_comments():
    base = sqlglot.parse_one("SELECT TRIM(a) AS x FROM t WHERE b = 'y'")
    same = sqlglot.parse_one("SELECT TRIM(a) AS x FROM t WHERE b = 'y'")
    assert fingerprint(base) == fingerprint(same)
    assert fingerprint(base) != fingerprint(sqlglot.parse_one("SELECT TRIM(a) AS x FROM t WHERE b = 'z'"))
    assert fingerprint(base) != fingerprint(sqlglot.parse_one("SELECT UPPER(a) AS x FROM t WHERE b = 'y'"))
    typed = copy.deepcopy(same)
    typed.find(sqlglot.exp.Column).meta["type"] = "DATE"
    assert fingerprint(typed) != fingerprint(base)
    commented = sqlglot.parse_one("SELECT TRIM(a) AS x /* note */ FROM t WHERE b = 'y'")
    assert fingerprint(commented) != fingerprint(base)


@pytest.mark.unit
def test_fingerprinting_gives_no_node_a_metadata_dict():
    """sqlglot's ``node.meta`` gives a node without metadata a new dict; every such dict is then deep-copied
    value by value with each tree copy (twice the cost of copying the trees of nine dialects)."""
    tree = sqlglot.parse_one("SELECT CASE WHEN a > 1 THEN 'x' ELSE NULL END AS y FROM t JOIN u ON t.k = u.k")
    for node in tree.walk():
        node._meta = None
    fingerprint(tree)
    assert all(node._meta is None for node in tree.walk())
