"""SQL Server 2025 / Azure SQL, e.g. under Dynamics (not runnable here: parsed back and golden-tested).

Quirks, as data:
- no boolean values: a condition used as a value becomes CASE WHEN c THEN 1 WHEN NOT c THEN 0
  END (a BIT), TRUE/FALSE become 1/0, and a BIT used as a condition is compared with 1;
- LEN ignores trailing spaces, SUBSTRING needs a length, no SPLIT_PART: spelled in their entries in
  toolkit/expressions/functions.py; no INITCAP: emulated per character over GENERATE_SERIES;
- regular expressions need SQL Server 2025 (REGEXP_LIKE, REGEXP_REPLACE);
- `+` concatenation yields NULL with a NULL operand (CONCAT_NULL_YIELDS_NULL ON, the default);
- the default collations (SQL_Latin1_General_CP1_CI_AS, Latin1_General_CI_AS) ignore case, and every
  collation pads with spaces for `=` and `<`: text is compared as (x + NCHAR(0)) COLLATE
  Latin1_General_100_BIN2 (code points; the NUL ends the text so trailing spaces count and a text
  sorts before its extensions), grouped by that key too, and read character by character (LIKE,
  CHARINDEX, REGEXP) as NVARCHAR in that collation (LIKE keeps trailing spaces only on Unicode);
- LIKE reads `[` as a character class: a pattern's `[` is written `[[]`.
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.expressions.functions import tsql_length
from toolkit.dialects._portable import ExactText, Quirks, handles, initcap_per_character, passes, with_subclasses

_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Like, exp.ILike,
               exp.Between, exp.And, exp.Or, exp.Not, exp.RegexpLike)


def _wants_condition(node: exp.Expression) -> bool:
    """Whether ``node`` sits where T-SQL needs a condition (WHERE, ON, WHEN, AND/OR/NOT)."""
    parent, key = node.parent, node.arg_key
    while isinstance(parent, exp.Paren):
        parent, key = parent.parent, parent.arg_key
    if isinstance(parent, (exp.And, exp.Or, exp.Not, exp.Where, exp.Having, exp.CheckColumnConstraint)):
        return True
    if isinstance(parent, exp.If) and key == "this":
        return True
    return isinstance(parent, exp.Join) and key == "on"


@handles(*with_subclasses(exp.Boolean, *_PREDICATES, exp.Column, exp.Coalesce, exp.Case, exp.Cast))
def _booleans(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Boolean):
        if _wants_condition(node):
            return exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(1 if node.this else 0))
        return exp.Literal.number(1 if node.this else 0)
    if isinstance(node, _PREDICATES):
        if _wants_condition(node) or node.parent is None:
            return node
        return exp.Case(ifs=[exp.If(this=node, true=exp.Literal.number(1)),
                             exp.If(this=exp.Not(this=exp.Paren(this=node.copy())), true=exp.Literal.number(0))])
    if isinstance(node, (exp.Column, exp.Coalesce, exp.Case, exp.Cast)) and _wants_condition(node):
        return exp.EQ(this=node, expression=exp.Literal.number(1))
    return node


_BINARY = exp.Var(this="Latin1_General_100_BIN2")
_MAX_TEXT = exp.DataType.build("NVARCHAR(MAX)", dialect="tsql")


def _unicode(value: exp.Expression) -> exp.Expression:
    if isinstance(value, exp.Literal) and value.is_string:
        return exp.National(this=value.this)
    return value


def _key(value: exp.Expression) -> exp.Expression:
    """The text ended by NUL in a binary collation: compares by code points, trailing spaces included."""
    ended = exp.Paren(this=exp.Add(this=_unicode(value), expression=exp.Anonymous(this="NCHAR", expressions=[exp.Literal.number(0)])))
    return exp.Collate(this=ended, expression=_BINARY.copy())


def _text(key: exp.Expression) -> exp.Expression:
    """The text back from its key: without the final NUL (LEN ignores no trailing space before it)."""
    length = exp.Sub(this=exp.Anonymous(this="LEN", expressions=[key.copy()]), expression=exp.Literal.number(1))
    return exp.Left(this=key, expression=length)


def _exact(value: exp.Expression) -> exp.Expression:
    """The text as NVARCHAR in a binary collation (LIKE keeps trailing spaces on Unicode only)."""
    if isinstance(value, exp.Literal) and value.is_string:
        return _unicode(value)
    return exp.Collate(this=exp.Cast(this=value, to=_MAX_TEXT.copy()), expression=_BINARY.copy())


def _like_pattern(pattern: exp.Expression) -> exp.Expression:
    """``[`` as itself: SQL Server's LIKE reads it as the start of a character class."""
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return exp.Literal.string(pattern.this.replace("[", "[[]"))
    return exp.Replace(this=pattern, expression=exp.Literal.string("["), replacement=exp.Literal.string("[[]"))


TSQL = register(Dialect(
    name="tsql",
    sqlglot="tsql",
    rewrites=passes("tsql", Quirks(
        try_cast=True,
        initcap=initcap_per_character("GENERATE_SERIES(1, :len) AS g(n)", "tsql", length=tsql_length),
        syntax=(_booleans,),
        exact_text=ExactText(key=_key, text=_text, exact=_exact, like_pattern=_like_pattern),
    )),
    create_view="CREATE OR ALTER VIEW",
    key_text=exp.DataType.build("NVARCHAR(450)", dialect="tsql"),
    text=exp.DataType.build("NVARCHAR(MAX)", dialect="tsql"),
    name_limit=(128, "characters", "refuses"),
))
