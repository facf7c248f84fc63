"""MySQL 8 / MariaDB 10.6+: the database under many open-source CRMs.

Quirks, as data:
- text comparison, IN, CASE, GROUP BY, DISTINCT, MIN/MAX, LIKE, REGEXP and LOCATE follow the
  collation, and the default ones (utf8mb4_general_ci, utf8mb4_uca1400_ai_ci, utf8mb4_0900_ai_ci)
  ignore case, accents (ai) and trailing spaces (PAD SPACE, even utf8mb4_bin): text is compared as
  its utf8mb4 bytes, CAST(CAST(x AS CHAR CHARACTER SET utf8mb4) AS BINARY) (VARBINARY never pads; the
  same on MySQL 8 and MariaDB, whose no-pad binary collations differ in name), grouped by its bytes
  too, and read character by character in utf8mb4_bin; a text literal compared with bytes compares as
  bytes; every file starts with SET NAMES utf8mb4 so the stock client keeps 4-byte characters;
- LIKE takes a backslash as its escape character: a pattern's backslashes are doubled;
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

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import (ExactText, Quirks, in_exact_collation, initcap_per_character, passes, template, text_origin)
from toolkit.core.types import Type

_SERIES = "JSON_TABLE(CONCAT('[', REPEAT('0,', :len - 1), '0]'), '$[*]' COLUMNS (n FOR ORDINALITY)) AS g"
_BINARY = exp.DataType.build("BINARY", dialect="mysql")   # built once: a type given as text is parsed on every build


def _regexp_like(value: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    return exp.GT(this=exp.Anonymous(this="REGEXP_INSTR", expressions=[value, pattern]), expression=exp.Literal.number(0))


def _utf8(value: exp.Expression) -> exp.Expression:
    return template("CAST(:x AS CHAR CHARACTER SET utf8mb4)", "mysql", x=value)


def _bytes(value: exp.Expression) -> exp.Expression:
    """The text as its utf8mb4 bytes: compares byte for byte, trailing spaces included, whatever its collation.
    A literal or a cast is in the connection's character set (utf8mb4, or utf8mb3 whose bytes are the same)."""
    direct = isinstance(text_origin(value), (exp.Literal, exp.Cast)) or in_exact_collation(value)
    return exp.Cast(this=value if direct else _utf8(value), to=_BINARY.copy())


def _exact(value: exp.Expression) -> exp.Expression:
    """The text in utf8mb4_bin: LIKE, REGEXP and LOCATE read it case- and accent-sensitively."""
    if isinstance(value, exp.Literal):
        return value   # a literal takes the other operand's explicit collation
    return exp.Collate(this=_utf8(value), expression=exp.Var(this="utf8mb4_bin"))


def _like_pattern(pattern: exp.Expression) -> exp.Expression:
    """The pattern with its backslashes doubled: MySQL's LIKE reads a backslash as an escape, the neutral LIKE does not."""
    if isinstance(pattern, exp.Literal):
        return exp.Literal.string(pattern.this.replace("\\", "\\\\"))
    return exp.Replace(this=pattern, expression=exp.Literal.string("\\"), replacement=exp.Literal.string("\\\\"))


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
    rewrites=passes("mysql", Quirks(
        initcap=initcap_per_character(_SERIES, "mysql"),
        greatest_ignores_nulls=False,
        regexp_like=_regexp_like,
        timestamp_as_text=_timestamp_text,
        types={Type.DATETIME: exp.DataType.build("DATETIME(6)", dialect="mysql")},
        exact_text=ExactText(key=_bytes, text=_utf8, exact=_exact, bare_literals=True, like_pattern=_like_pattern),
    )),
    preamble=("SET NAMES utf8mb4",),
    executable_here=True,
    key_text=exp.DataType.build("VARCHAR(512)", dialect="mysql"),
    text=exp.DataType.build("LONGTEXT", dialect="mysql"),
    notes="Run the files as they are (they begin with SET NAMES utf8mb4); the source tables may use any collation "
          "(text is compared as its bytes), backslash escapes on (the default: no NO_BACKSLASH_ESCAPES in sql_mode; text holding a backslash, line "
          "break or tab is written with them).",
    name_limit=(64, "characters", "refuses"),
    names_in_bmp=True,
    no_comments="MySQL/MariaDB views cannot carry comments (COMMENT is for tables and their columns): "
                "the descriptions are in generated/docs",
))
