"""Spark SQL (3.4+, ANSI mode on or off): for estates that outgrow one machine.

Quirks, as data: TIMESTAMP means "with local time zone" in Spark, so canonical timestamps are
TIMESTAMP_NTZ; INITCAP only breaks words at spaces, so it is rebuilt from REGEXP_EXTRACT_ALL
and TRANSFORM with the neutral delimiters. ANSI mode makes a bad CAST an error: the portable
rewrites check the text's shape first and TRY_CAST (never an error, ANSI or not) turns a date not
on the calendar or a number out of range into NULL, so no view fails on a bad value.
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, delimiter_class, passes, template
from toolkit.core.types import Type

_WORDS = f"([{delimiter_class()}]+|[^{delimiter_class()}]+)"
_WORD_START = f"^[^{delimiter_class()}]"


def _initcap(value: exp.Expression) -> exp.Expression:
    return template("ARRAY_JOIN(TRANSFORM(REGEXP_EXTRACT_ALL(:x, :words, 1), s -> CASE WHEN s RLIKE :word_start "
                    "THEN UPPER(LEFT(s, 1)) || LOWER(SUBSTRING(s, 2)) ELSE s END), '')",
                    "spark", x=value, words=exp.Literal.string(_WORDS), word_start=exp.Literal.string(_WORD_START))


SPARK = register(Dialect(
    name="spark",
    sqlglot="spark",
    rewrites=passes("spark", Quirks(
        try_cast=True,
        initcap=_initcap,
        types={Type.DATETIME: exp.DataType.build("TIMESTAMP_NTZ", dialect="spark")},
    )),
    executable_here=True,
    constraints=frozenset({"not_null"}),   # plain Spark tables enforce no keys and no CHECKs
    notes="Load source tables into databases named after each source's database_schema.",
))
