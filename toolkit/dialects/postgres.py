"""PostgreSQL: the operational store.

Quirks, as data: ROUND of a double precision rounds half to even (and ROUND(double, n) does not
exist), so doubles are rounded as NUMERIC; its INITCAP treats every non-alphanumeric character
as a word break, so INITCAP is emulated per character with the neutral delimiters. CASTs never
fail a view because the portable rewrites check the text's shape first.
"""

from . import Dialect, register
from ._portable import Quirks, initcap_per_character, passes

POSTGRES = register(Dialect(
    name="postgres",
    sqlglot="postgres",
    rewrites=passes(Quirks(
        initcap=initcap_per_character("GENERATE_SERIES(1, :len) AS g(n)", "postgres"),
    )),
    executable_here=True,
    notes="Database encoding UTF8 with a UTF-8 LC_CTYPE (e.g. C.UTF-8) so UPPER/LOWER map every letter.",
    name_limit=(63, "bytes", "truncates"),
))
