"""SPLIT_PART, added as one entry of the function table, gives the same parts on every engine and in the
record translators: DuckDB, SQLite, PostgreSQL, MariaDB and Spark run the view SQL their dialect renders,
the Python is compiled from the DuckDB view's tree, and all must give the specified value for every row."""
from __future__ import annotations

import types

import pytest
from sqlglot import exp

from engine_support import ENGINES, open_engine
from toolkit import dialects
from toolkit.core.types import Type
from toolkit.emit._sqltypes import annotate
from toolkit.emit.python import runtime_source
from toolkit.expressions import Scope, compile_expression
from toolkit.expressions.python import Body, Compiler, Module, PType, PyExpr
from toolkit.load.source_schema import Column, SourceSchema, Table
from toolkit.plan import SourcePlan
from toolkit.run.engines.compare import normalise
from toolkit.run.engines.data import SourceData, TableData

pytestmark = pytest.mark.engine

TABLE = Table("parts", {"id": Column("id", "INTEGER", Type.INTEGER, False), "s": Column("s", "TEXT", Type.STRING),
                        "d": Column("d", "TEXT", Type.STRING), "n": Column("n", "BIGINT", Type.INTEGER)}, ("id",))

# (text, delimiter, n) -> SPLIT_PART(text, delimiter, n)
CASES = [
    (("a,b,c", ",", 1), "a"), (("a,b,c", ",", 2), "b"), (("a,b,c", ",", 3), "c"),
    (("a,b,c", ",", 4), ""), (("a,b,c", ",", 2_000_000_000), ""),     # beyond the last part
    (("", ",", 1), ""), (("", ",", 2), ""),                             # empty text: one empty part
    (("abc", ",", 1), "abc"), (("abc", ",", 2), ""),                    # delimiter absent
    ((",a,", ",", 1), ""), ((",a,", ",", 2), "a"), ((",a,", ",", 3), ""), ((",a,", ",", 4), ""),   # at the ends
    (("a,,b", ",", 2), ""), (("a,,b", ",", 3), "b"),
    (("x--y--z", "--", 2), "y"), (("x--y--z", "--", 3), "z"),           # a delimiter of several characters
    (("aaa", "aa", 1), ""), (("aaa", "aa", 2), "a"), (("xaaay", "aa", 2), "ay"), (("aaaa", "aa", 3), ""),  # overlaps
    (("中国·王伟·é", "·", 2), "王伟"), (("中国·王伟·é", "·", 3), "é"), (("naïve→café→x", "→", 2), "café"),   # Unicode
    (("a😀b😀c", "😀", 3), "c"),
    (("aXb", "x", 2), ""), (("aéb", "e", 2), ""), (("a b", "b ", 2), ""),  # exact: case, accents, trailing spaces
    (("a.b", ".", 2), "b"), (("a%b_c", "%", 2), "b_c"), (("a|b", "|", 2), "b"),   # no pattern characters
    (("a, b", " ", 2), "b"), (("a\tb", "\t", 2), "b"),
    (("abc", "", 1), "abc"), (("abc", "", 2), ""),                      # empty delimiter: the text is one part
    (("a,b", ",", 0), None), (("a,b", ",", -1), None),                  # n < 1
    ((None, ",", 1), None), (("a,b", None, 1), None), (("a,b", ",", None), None),
]
EXPRESSIONS = ["SPLIT_PART(s, d, n)", "SPLIT_PART(s, ',', 2)", "SPLIT_PART(UPPER(s), '·', n)"]


def _expected(text: str, row: tuple) -> object:
    (s, d, n), part = row
    if text == "SPLIT_PART(s, d, n)":
        return part
    if text == "SPLIT_PART(s, ',', 2)":
        return None if s is None else (s.split(",") + [""])[1]
    if s is None or n is None or n < 1:
        return None
    parts = s.upper().split("·")
    return parts[n - 1] if n <= len(parts) else ""


def _select() -> exp.Select:
    scope = Scope("probe", "parts", {"parts": TABLE}, frozenset({"Probe"}))
    columns = [exp.column("id", table="parts", quoted=True)]
    for i, text in enumerate(EXPRESSIONS):
        columns.append(exp.alias_(compile_expression(text, scope).ast, f"p{i}", quoted=True))
    select = exp.select(*columns).from_(exp.Table(this=exp.to_identifier("parts", quoted=True),
                                                  db=exp.to_identifier("probe", quoted=True),
                                                  alias=exp.TableAlias(this=exp.to_identifier("parts", quoted=True))))
    return annotate(select, {"parts": TABLE}, "probe")


def _on_engine(name: str) -> dict[int, list]:
    source = SourcePlan("probe", "probe", "", "", "probe", "", SourceSchema("probe", {"parts": TABLE}), ())
    data = SourceData(source, (TableData(TABLE, tuple(TABLE.columns.values()),
                                         [(i, *args) for i, (args, _) in enumerate(CASES)]),))
    with open_engine(name) as engine:
        engine.load_source(data)
        rows = engine.select(engine.locate(_select()))
    return {r[0]: [normalise(v, Type.STRING) for v in r[1:]] for r in rows}


def _in_python() -> dict[int, list]:
    """The translators' Python, compiled from the tree the DuckDB view renders (as the Python generator does)."""
    tree = dialects.get("duckdb").rewrite(_select())
    module, body = Module(), Body()
    names = {"s": PyExpr("c_s", PType(Type.STRING), False, True), "d": PyExpr("c_d", PType(Type.STRING), False, True),
             "n": PyExpr("c_n", PType(Type.INTEGER), False, True)}
    codes = [Compiler(module, body, lambda table, column: names[column]).value(e.this).code for e in tree.expressions[1:]]
    lines = [f"    {line}" for line in body.prelude] + [f"    return [{', '.join(codes)}]"]
    constants = "\n".join(f"{n} = {c}" for n, c in module.constants.items())
    source = (runtime_source("\n".join(lines) + constants) + "\n" + constants + "\n\n"
              + "def f(c_s, c_d, c_n):\n" + "\n".join(lines) + "\n")
    namespace = types.ModuleType("split_part").__dict__
    exec(compile(source, "<split_part>", "exec"), namespace)
    return {i: namespace["f"](*args) for i, (args, _) in enumerate(CASES)}


@pytest.mark.parametrize("where", [*ENGINES, "python"])
def test_split_part_gives_the_specified_part_on_every_engine_and_in_python(where):
    results = _in_python() if where == "python" else _on_engine(where)
    wrong = [f"{text} on {CASES[i][0]!r}: expected {_expected(text, CASES[i])!r}, got {results[i][k]!r}"
             for i in range(len(CASES)) for k, text in enumerate(EXPRESSIONS)
             if results[i][k] != _expected(text, CASES[i])]
    assert not wrong, f"{where}:\n" + "\n".join(wrong)
