"""Snowflake (not runnable here: output is parsed back and golden-tested).

Quirks, as data: REGEXP_LIKE matches the whole text (implicitly anchored), so a pattern test
is REGEXP_INSTR(...) > 0; TIMESTAMP's meaning depends on a session parameter, so canonical
timestamps are TIMESTAMP_NTZ; GREATEST/LEAST become GREATEST_IGNORE_NULLS (sqlglot); INITCAP
takes the neutral delimiters as its second argument (sqlglot passes them).
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, passes
from toolkit.core.types import Type


def _regexp_like(value: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    return exp.GT(this=exp.Anonymous(this="REGEXP_INSTR", expressions=[value, pattern]), expression=exp.Literal.number(0))


SNOWFLAKE = register(Dialect(
    name="snowflake",
    sqlglot="snowflake",
    rewrites=passes("snowflake", Quirks(
        try_cast=True,
        regexp_like=_regexp_like,
        types={Type.DATETIME: exp.DataType.build("TIMESTAMP_NTZ", dialect="snowflake")},
    )),
    constraints=frozenset({"not_null"}),   # Snowflake enforces NOT NULL only (keys are informational, no CHECK)
    # COMMENT ON COLUMN is for tables: a view's columns take comments only inside CREATE VIEW
    comment_on=frozenset({"view"}),
))
