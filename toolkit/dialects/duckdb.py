"""DuckDB: the embedded default engine, and the reference the other engines are compared with.

Its ROUND, GREATEST/LEAST, INITCAP emulation (by sqlglot) and regexes already follow the
neutral semantics; casts, division and STR_TO_DATE go through the portable rewrites.
"""
from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, passes

DUCKDB = register(Dialect(name="duckdb", sqlglot="duckdb", rewrites=passes("duckdb", Quirks(upper_sharp_s=False, try_cast=True, untrimmed_first=True)), executable_here=True,
                            comment_on=frozenset({"view", "column"})))
