"""The mapping-derived lineage equals the lineage sqlglot re-derives from the SQL we generate, in every dialect."""
from __future__ import annotations

import pytest

from lineage_support import graph, plan
from toolkit import dialects
from toolkit.emit.graph import LINEAGE
from toolkit.analyze.verify import rendered_views, verify


@pytest.mark.parametrize("dialect", dialects.names())
def test_every_view_column_reads_what_the_mappings_say(dialect):
    mismatches = verify(plan(), graph(), dialect)
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def test_every_generated_view_is_verified():
    names = set(rendered_views(plan(), "duckdb"))
    assert {v.staged_name for v in plan().views()} <= names
    assert {i.view_name for i in plan().integrated} <= names
    assert {n.split(":", 1)[1] for n, k in graph().nodes(data="kind") if k == "view"} == names


def test_a_wrong_lineage_graph_fails_naming_the_view_and_the_column():
    g = graph().copy()
    # forget that the phone contact point's number is read from Customer.Phone
    for kind in ("TRANSFORMATION", "CONDITIONAL"):   # PHONE_E164's shape tests read it, too
        g.remove_edge("column:chinook.Customer.Phone", "viewcol:chinook__contact_point_phone__staged.phone_number",
                      key=kind)
    # and claim the full name also reads the fax number
    g.add_edge("column:chinook.Customer.Fax", "viewcol:chinook__customer__staged.full_name", key="TRANSFORMATION",
               relation=LINEAGE, type="DIRECT", subtype="TRANSFORMATION", expression="", in_select=True,
               derivation="", file="", line=0, description="")
    text = "\n".join(str(m) for m in verify(plan(), g, "duckdb"))
    assert ("view chinook__contact_point_phone__staged, column phone_number: the SQL reads chinook.customer.phone "
            "but the mapping lineage does not") in text
    assert ("view chinook__customer__staged, column full_name: the mapping lineage has chinook.customer.fax "
            "but the SQL does not read it") in text
    # the error travels downstream to every view built on those columns
    assert "view contact_point, column phone_number" in text
