"""PostgreSQL: the operational store.

Quirks, as data: ROUND of a double precision rounds half to even (and ROUND(double, n) does not
exist), so doubles are rounded as NUMERIC; its INITCAP treats every non-alphanumeric character
as a word break, so INITCAP is emulated per character with the neutral delimiters. CASTs never
fail a view because the portable rewrites check the text's shape first.

A string literal holding a backslash is written as an escape string (E'a\\\\b'): a plain one
would mean something else, or end early, on a connection with standard_conforming_strings off
('\\'' is then a quote inside the literal), so mapping text could run as SQL there. An escape
string reads the same whatever that setting is. It is spelled here, not by sqlglot, which writes a
vertical tab as \\v (PostgreSQL reads that as 'v'): only \\, ' and the line breaks \\n, \\r are
escaped, every other character stands for itself.
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, handles, initcap_per_character, is_text, passes


# line breaks escaped too: pretty printing indents every line of verbatim text
_ESCAPES = str.maketrans({"\\": "\\\\", "'": "''", "\n": "\\n", "\r": "\\r"})


@handles(exp.Literal)
def escape_string_literals(node: exp.Expression) -> exp.Expression:
    """A text literal holding a backslash, as E'...' (rendered verbatim)."""
    if type(node) is exp.Literal and node.is_string and "\\" in node.this and node.arg_key != "format":
        return exp.Var(this="E'" + node.this.translate(_ESCAPES) + "'")
    return node


@handles(exp.Window)
def windows_order_text_by_code_points(node: exp.Expression) -> exp.Expression:
    """A window ordered by text (golden records' tie-breaks) orders it in the "C" collation: by code points,
    as every other engine does, whatever the database's collation (en_US would put 'a' before 'B')."""
    order = node.args.get("order")
    for ordered in order.expressions if order is not None else []:
        if is_text(ordered.this) and not isinstance(ordered.this, exp.Collate):
            ordered.set("this", exp.Collate(this=ordered.this, expression=exp.Identifier(this="C", quoted=True)))
    return node


POSTGRES = register(Dialect(
    name="postgres",
    sqlglot="postgres",
    rewrites=passes("postgres", Quirks(
        initcap=initcap_per_character("GENERATE_SERIES(1, :len) AS g(n)", "postgres"),
        syntax=(escape_string_literals, windows_order_text_by_code_points),
    )),
    executable_here=True,
    notes="Database encoding UTF8 with a UTF-8 LC_CTYPE (e.g. C.UTF-8) so UPPER/LOWER map every letter.",
    name_limit=(63, "bytes", "truncates"),
    comment_on=frozenset({"view", "column"}),
))
