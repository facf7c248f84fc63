"""Trino / Presto: SQL over a data lake (not runnable here: output is parsed back and golden-tested).

Quirks, as data: GREATEST/LEAST return NULL when any argument is NULL (arguments are
COALESCEd); INITCAP does not exist, so words are matched with the neutral delimiters and
re-cased in REGEXP_REPLACE's lambda.
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, delimiter_class, passes, template

_WORD = f"([^{delimiter_class()}])([^{delimiter_class()}]*)"


def _initcap(value: exp.Expression) -> exp.Expression:
    return template("REGEXP_REPLACE(:x, :word, w -> UPPER(w[1]) || LOWER(w[2]))", "trino",
                    x=value, word=exp.Literal.string(_WORD))


TRINO = register(Dialect(
    name="trino",
    sqlglot="trino",
    rewrites=passes("trino", Quirks(initcap=_initcap, greatest_ignores_nulls=False, try_cast=True)),
    constraints=frozenset({"not_null"}),
))
