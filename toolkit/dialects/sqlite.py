"""SQLite: the embedded file database many small legacy systems run on.

Quirks, as data:
- a view in the main database cannot read an attached database, so views are TEMPORARY and
  re-created with DROP + CREATE (there is no CREATE OR REPLACE VIEW);
- no DECIMAL type (NUMERIC is stored as REAL): DECIMAL(p, s) values are rounded to s places;
- LIKE ignores ASCII case: a literal pattern becomes the case-sensitive GLOB;
- no LEFT/RIGHT, YEAR/MONTH/DAY or LPAD: spelled with SUBSTR, STRFTIME and ZEROBLOB;
- no regular expressions, no INITCAP, and UPPER/LOWER map ASCII letters only: the connection
  must provide REGEXP, REGEXP_REPLACE, INITCAP, UPPER and LOWER (``toolkit.run.engines.sqlite``
  registers Python functions with the neutral semantics).
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, handles, passes

_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def _decimal(value: exp.Expression, to: exp.DataType) -> exp.Expression:
    scale = int(to.expressions[1].name) if len(to.expressions) > 1 else 0
    return exp.Round(this=exp.Cast(this=value, to=exp.DataType.build("DOUBLE")), decimals=exp.Literal.number(scale))


def _glob_pattern(like: str) -> str | None:
    """A LIKE pattern as a GLOB pattern, or None if it uses an escape character."""
    if "\\" in like:
        return None
    return "".join("*" if c == "%" else "?" if c == "_" else _GLOB_SPECIAL.get(c, c) for c in like)


@handles(exp.Like, exp.Left, exp.Right, exp.Year, exp.Month, exp.Day, exp.Pad)
def _syntax(node: exp.Expression) -> exp.Expression:
    kind = type(node)
    if kind is exp.Like and isinstance(node.expression, exp.Literal) and not node.args.get("escape"):
        glob = _glob_pattern(node.expression.this)
        if glob is not None:
            return exp.Glob(this=node.this, expression=exp.Literal.string(glob))
    if kind is exp.Left:
        return exp.Substring(this=node.this, start=exp.Literal.number(1), length=node.expression)
    if kind is exp.Right:
        n = node.expression
        return exp.Case(ifs=[exp.If(this=exp.LTE(this=n.copy(), expression=exp.Literal.number(0)), true=exp.Literal.string(""))],
                        default=exp.Substring(this=node.this, start=exp.Neg(this=exp.Paren(this=n))))
    if kind in (exp.Year, exp.Month, exp.Day):
        part = {exp.Year: "%Y", exp.Month: "%m", exp.Day: "%d"}[kind]
        return exp.Cast(this=exp.TimeToStr(this=node.this, format=exp.Literal.string(part)), to=exp.DataType.build("BIGINT"))
    if kind is exp.Pad and node.args.get("is_left"):
        text, width, fill = node.this, node.expression, node.args.get("fill_pattern") or exp.Literal.string(" ")
        padding = exp.Anonymous(this="REPLACE", expressions=[
            exp.Anonymous(this="HEX", expressions=[exp.Anonymous(this="ZEROBLOB", expressions=[width.copy()])]),
            exp.Literal.string("00"), fill])
        short = exp.LT(this=exp.Length(this=text.copy()), expression=width.copy())
        padded = exp.DPipe(this=exp.Substring(this=padding, start=exp.Literal.number(1),
                                              length=exp.Sub(this=width.copy(), expression=exp.Length(this=text.copy()))),
                           expression=text.copy(), safe=None)
        return exp.Case(ifs=[exp.If(this=short, true=padded)],
                        default=exp.Substring(this=text, start=exp.Literal.number(1), length=width))
    return node


SQLITE = register(Dialect(
    name="sqlite",
    sqlglot="sqlite",
    rewrites=passes(Quirks(exact_numeric=None, upper_sharp_s=False, decimal_cast=_decimal, syntax=(_syntax,))),
    create_view="DROP VIEW IF EXISTS + CREATE TEMPORARY VIEW",
    temporary_views=True,
    temporary_schema="temp",
    drop_before_create=True,
    executable_here=True,
    # a CHECK calling REGEXP would fail in any connection without the runtime functions
    constraints=frozenset({"primary_key", "not_null", "check"}),
    runtime_functions=("REGEXP", "REGEXP_REPLACE", "INITCAP", "UPPER", "LOWER"),
    notes="Attach each source database under its schema name; register the runtime functions on the connection.",
))
