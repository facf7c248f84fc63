"""BigQuery (not runnable here: output is parsed back and golden-tested).

Quirks, as data: GREATEST/LEAST return NULL when any argument is NULL (arguments are
COALESCEd); NUMERIC has a fixed scale of 9, so DECIMAL(p, s) values are ROUNDed to s places;
INITCAP takes the neutral delimiters as its second argument (sqlglot passes them). A quoted name
holding '.' is a path (`a.b` is a.b): no table, column or alias can hold one, so a mapping reading such
a name is refused; a dotted database_schema names project.dataset.
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, passes


def _decimal(value: exp.Expression, to: exp.DataType) -> exp.Expression:
    scale = int(to.expressions[1].name) if len(to.expressions) > 1 else 0
    return exp.Round(this=exp.Cast(this=value, to=exp.DataType.build("DECIMAL")), decimals=exp.Literal.number(scale))


BIGQUERY = register(Dialect(
    name="bigquery",
    sqlglot="bigquery",
    rewrites=passes("bigquery", Quirks(greatest_ignores_nulls=False, decimal_cast=_decimal, try_cast=True)),
    constraints=frozenset({"not_null"}),   # BigQuery keys are NOT ENFORCED and it has no CHECK
    dots_are_paths=True,
    notes="Source schemas are datasets; run with a default dataset for the views.",
))
