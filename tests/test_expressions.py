"""The closed expression language: what is accepted, what is refused and why."""
import pytest

from toolkit.expressions import ExpressionError, Scope, compile_expression
from toolkit.load.source_schema import Column, Table
from toolkit.core.types import Type

CUSTOMER = Table("Customer", {
    "CustomerId": Column("CustomerId", "INTEGER", Type.INTEGER, False),
    "FirstName": Column("FirstName", "NVARCHAR(40)", Type.STRING),
    "Since": Column("Since", "DATE", Type.DATE),
    "Balance": Column("Balance", "NUMERIC(10,2)", Type.DECIMAL),
    "Order": Column("Order", "TEXT", Type.STRING),
}, ("CustomerId",))
REP = Table("Employee", {"EmployeeId": Column("EmployeeId", "INTEGER", Type.INTEGER),
                         "FirstName": Column("FirstName", "TEXT", Type.STRING)})


def scope(**kw):
    return Scope("crm", "Customer", {"Customer": CUSTOMER, "rep": REP}, frozenset({"Customer", "Household"}), **kw)


@pytest.mark.parametrize("text, typ", [
    ("FirstName", Type.STRING),
    ("UPPER(TRIM(FirstName)) || ' ' || rep.FirstName", Type.STRING),
    ("CustomerId + 1", Type.INTEGER),
    ("Balance * 2", Type.DECIMAL),
    ("Balance / 3", Type.FLOAT),
    ("CASE WHEN Balance > 0 THEN 'gold' ELSE 'standard' END", Type.STRING),
    ("COALESCE(FirstName, 'unknown')", Type.STRING),
    ("CAST(FirstName AS DATE)", Type.DATE),
    ("YEAR(Since)", Type.INTEGER),
    ("STR_TO_DATE(FirstName, '%d/%m/%Y')", Type.DATE),
    ("FirstName IS NULL OR FirstName IN ('a', 'b')", Type.BOOLEAN),
    ("GLOBAL_ID('Household', CustomerId)", Type.STRING),
    ('"Order"', Type.STRING),
    ("REGEXP_REPLACE(FirstName, '[^0-9]', '')", Type.STRING),
])
def test_whitelisted_expressions_are_accepted_and_typed(text, typ):
    assert compile_expression(text, scope()).type is typ


def test_columns_are_bound_to_their_table_and_quoted():
    expr = compile_expression("upper(firstname) || rep.FirstName", scope())
    assert expr.ast.sql() == 'UPPER("Customer"."FirstName") || "rep"."FirstName"'
    assert [(c.table, c.column) for c in expr.columns] == [("Customer", "FirstName"), ("Employee", "FirstName")]


def test_global_id_expands_to_the_source_prefixed_identifier():
    expr = compile_expression("GLOBAL_ID('Customer', CustomerId)", scope())
    assert expr.ast.sql(dialect="duckdb") == "('crm:Customer:' || CAST(\"Customer\".\"CustomerId\" AS TEXT))"


def test_casts_in_mappings_never_fail_the_view():
    assert compile_expression("CAST(FirstName AS INT)", scope()).ast.sql(dialect="duckdb") == 'TRY_CAST("Customer"."FirstName" AS INT)'


@pytest.mark.parametrize("text, message", [
    ("FirstName; DROP TABLE Customer", "exactly one expression"),
    ("DROP TABLE Customer", "statements are not allowed"),
    ("(SELECT 1)", "subqueries are not allowed"),
    ("FirstName IN (SELECT FirstName FROM Customer)", "not a subquery"),
    ("FirstName -- sneaky", "comments are not allowed"),
    ("FirstName /* sneaky */", "comments are not allowed"),
    ("LOAD_FILE('/etc/passwd')", "unknown function"),
    ("CURRENT_DATE", "not in the whitelist"),
    ("SUM(CustomerId) OVER ()", "window functions"),
    ("Nope", "unknown column 'Nope'"),
    ("x.FirstName", "unknown table or alias 'x'"),
    ("UPPER(CustomerId)", "UPPER expects text"),
    ("FirstName = 1", "cannot compare"),
    ("SUM(CustomerId)", "only allowed in a derivation with group_by"),
    ("CAST(FirstName AS BLOB)", "CAST to"),
    ("GLOBAL_ID('Nobody', CustomerId)", "unknown class 'Nobody'"),
    ("FirstName ||", "not a valid SQL expression"),
    ("'unterminated", "not a valid SQL expression"),
    ("", "empty"),
    ("FirstName + 1", "needs numbers"),
    ("CASE WHEN 1 = 1 THEN 'a' ELSE 2 END", "different types"),
])
def test_expressions_outside_the_whitelist_are_refused(text, message):
    with pytest.raises(ExpressionError, match=None) as err:
        compile_expression(text, scope())
    assert message in str(err.value)


def test_aggregates_are_allowed_when_grouping():
    expr = compile_expression("COUNT(*) + SUM(CustomerId)", scope(allow_aggregates=True))
    assert expr.aggregate and expr.type is Type.INTEGER


def test_readme_documents_every_whitelisted_function():
    from pathlib import Path

    from toolkit.expressions.language import allowed_function_names

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Expression whitelist", 1)[1]
    missing = [name for name in allowed_function_names() if f"`{name}" not in section]
    assert missing == [], f"README's expression whitelist does not mention {missing}"
