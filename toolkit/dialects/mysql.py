"""MySQL 8 / MariaDB 10.6+: the database under many open-source CRMs.

Quirks, as data:
- text comparison, GROUP BY, MIN/MAX and LIKE follow the collation: the views assume the
  source tables and the connection use a binary no-pad collation (``utf8mb4_nopad_bin`` on
  MariaDB, ``utf8mb4_0900_bin`` on MySQL 8) so 'a' <> 'A' and 'a' <> 'a ' as everywhere else;
- ROUND and CAST of a DOUBLE round half to even: doubles go through DECIMAL(65, 30);
- GREATEST/LEAST return NULL if any argument is NULL: each argument is COALESCEd;
- no INITCAP: emulated per character over JSON_TABLE; no REGEXP_LIKE on MariaDB: REGEXP_INSTR;
- CAST(datetime AS CHAR) prints six fractional digits: timestamps are formatted explicitly;
- timestamps are DATETIME(6) (DATETIME alone drops fractions of a second);
- string literals use MySQL's backslash escapes (the default sql_mode): quotes are doubled, so
  with NO_BACKSLASH_ESCAPES no literal can end early, but a backslash in it reads as two;
- a name cannot hold a character outside the Basic Multilingual Plane (an emoji): such a
  view, slot or alias is refused when generating for mysql.
"""
from sqlglot import exp

from . import Dialect, register
from ._portable import Quirks, initcap_per_character, passes
from ..types import Type

_SERIES = "JSON_TABLE(CONCAT('[', REPEAT('0,', :len - 1), '0]'), '$[*]' COLUMNS (n FOR ORDINALITY)) AS g"


def _regexp_like(value: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    return exp.GT(this=exp.Anonymous(this="REGEXP_INSTR", expressions=[value, pattern]), expression=exp.Literal.number(0))


def _timestamp_text(value: exp.Expression) -> exp.Expression:
    """'YYYY-MM-DD HH:MM:SS', with the fraction of a second (trailing zeros dropped) only when there is one."""
    whole = exp.TimeToStr(this=value.copy(), format=exp.Literal.string("%Y-%m-%d %H:%M:%S"))
    fraction = exp.Trim(this=exp.TimeToStr(this=value.copy(), format=exp.Literal.string("%Y-%m-%d %H:%M:%S.%f")),
                        expression=exp.Literal.string("0"), position="TRAILING")
    micro = exp.Anonymous(this="MICROSECOND", expressions=[value.copy()])
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=micro, expression=exp.Literal.number(0)), true=whole)], default=fraction)


MYSQL = register(Dialect(
    name="mysql",
    sqlglot="mysql",
    rewrites=passes(Quirks(
        initcap=initcap_per_character(_SERIES, "mysql"),
        greatest_ignores_nulls=False,
        regexp_like=_regexp_like,
        timestamp_as_text=_timestamp_text,
        types={Type.DATETIME: exp.DataType.build("DATETIME(6)", dialect="mysql")},
    )),
    executable_here=True,
    key_text=exp.DataType.build("VARCHAR(512)", dialect="mysql"),
    text=exp.DataType.build("LONGTEXT", dialect="mysql"),
    notes="Create the views with a utf8mb4 binary no-pad collation (SET NAMES utf8mb4 COLLATE utf8mb4_nopad_bin), "
          "backslash escapes on (the default: no NO_BACKSLASH_ESCAPES in sql_mode; text holding a backslash, line "
          "break or tab is written with them).",
    name_limit=(64, "characters", "refuses"),
    names_in_bmp=True,
))
