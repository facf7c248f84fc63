"""What mapping expressions mean, on every engine: the neutral semantics of each construct.

Each probe is an expression over a column of a small table of awkward values, with the
canonical results the spec gives for some inputs (see toolkit/dialects/_portable.py). On every
engine the probes must give exactly those results, and the same as DuckDB for every input.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlglot import exp

from engine_support import open_engine
from toolkit.run.engines.compare import normalise
from toolkit.run.engines.data import SourceData, TableData
from toolkit.expressions import Scope, compile_expression
from toolkit.emit._sqltypes import annotate
from toolkit.plan import SourcePlan
from toolkit.load.source_schema import Column, SourceSchema, Table
from toolkit.core.types import Type

D = Decimal


def _table(name: str, columns: dict[str, tuple[str, Type]]) -> Table:
    return Table(name, {"id": Column("id", "INTEGER", Type.INTEGER, False),
                        **{c: Column(c, native, t) for c, (native, t) in columns.items()}}, ("id",))


TEXTS = _table("texts", {"s": ("TEXT", Type.STRING)})
NUMBERS = _table("numbers", {"i": ("BIGINT", Type.INTEGER), "d": ("DECIMAL(10,2)", Type.DECIMAL),
                             "f": ("DOUBLE", Type.FLOAT)})
MOMENTS = _table("moments", {"b": ("BOOLEAN", Type.BOOLEAN), "dt": ("DATE", Type.DATE),
                             "ts": ("TIMESTAMP", Type.DATETIME)})

TEXT_VALUES = [None, "", " ", " 42 ", "+7", "42.5", "0x10", "1_000", "1e3", ".5", "12.345", "-12.345",
               "123456789.1", "abc", "ABC", "abc ", "yes", " F ", "on", "2020-02-29", "2021-02-29", "2020-1-5",
               "2020-01-05 10:30", "2020-01-05T10:30", "2020-01-05 24:00:00", "2020/01/05", "05/01/2020",
               "31/02/2020", "5/1/2020", " 05/01/2020 ", "o'neil marie-claire ÉLISE", "hello\tworld",
               "straße", "héllo", "ab  ", "5a5", "NaN", "inf", "42", "abcdef", "AB",
               # digits that are not ASCII, and shapes around DuckDB's untrimmed first branch (a GLOB, then the regex)
               "２０２０-01-05", "٢٠٢٠-٠١-٠٥", "2020-01-05 ", " 2020-01-05", "2020-13-45", "2020-01-05x", "１２"]
NUMBER_VALUES = [(None, None, None), (0, D("0"), 0.0), (5, D("2.25"), 2.5), (-7, D("-2.25"), -2.5),
                 (3, D("2.50"), 599.925), (12, D("0.35"), 2.1), (-3, D("1234.56"), 1e20)]
MOMENT_VALUES = [(None, None, None), (True, date(2020, 1, 5), datetime(2020, 1, 5, 10, 30)),
                 (False, date(2020, 2, 29), datetime(2020, 2, 29, 23, 59, 59)),
                 (True, date(1999, 12, 31), datetime(1999, 12, 31, 0, 0, 0, 500000))]

# (table, input column, expression, {input value: expected result}); unlisted inputs must still agree across engines
PROBES = [
    (TEXTS, "s", "s || 'x'", {None: None, "": "x", " ": " x"}),
    (TEXTS, "s", "CONCAT(s, 'x')", {None: "x", "": "x"}),
    (TEXTS, "s", "CAST(s AS INTEGER)", {" 42 ": 42, "+7": 7, "42.5": None, "0x10": None, "1_000": None, "": None,
                                   "abc": None, "1e3": None, "１２": None, "42": 42}),
    (TEXTS, "s", "CAST(s AS DECIMAL(10,2))", {"12.345": D("12.35"), "-12.345": D("-12.35"), "1e3": None, ".5": D("0.50"),
                                         "123456789.1": None, " 42 ": D("42.00"), "abc": None}),
    (TEXTS, "s", "CAST(s AS DOUBLE)", {"1e3": 1000.0, ".5": 0.5, "NaN": None, "inf": None, "42.5": 42.5, "": None}),
    (TEXTS, "s", "CAST(s AS BOOLEAN)", {"yes": True, " F ": False, "on": None, "abc": None, "": None}),
    (TEXTS, "s", "CAST(s AS DATE)", {"2020-02-29": date(2020, 2, 29), "2021-02-29": None, "2020-1-5": None,
                                "2020-01-05 10:30": date(2020, 1, 5), "2020/01/05": None, "": None,
                                "２０２０-01-05": None, "٢٠٢٠-٠١-٠٥": None, "2020-01-05 ": date(2020, 1, 5),
                                " 2020-01-05": date(2020, 1, 5), "2020-13-45": None, "2020-01-05x": None}),
    (TEXTS, "s", "CAST(s AS TIMESTAMP)", {"2020-01-05T10:30": datetime(2020, 1, 5, 10, 30),
                                     "2020-02-29": datetime(2020, 2, 29), "2020-01-05 24:00:00": None}),
    (TEXTS, "s", "TRY_CAST(s AS INTEGER)", {" 42 ": 42, "abc": None}),
    (TEXTS, "s", "STR_TO_DATE(s, '%d/%m/%Y')", {"05/01/2020": date(2020, 1, 5), " 05/01/2020 ": date(2020, 1, 5),
                                           "31/02/2020": None, "5/1/2020": None, "2020-02-29": None}),
    (TEXTS, "s", "INITCAP(s)", {"o'neil marie-claire ÉLISE": "O'Neil Marie-Claire Élise", "hello\tworld": "Hello\tWorld",
                           "": "", None: None, "straße": "Straße", "ABC": "Abc"}),
    (TEXTS, "s", "UPPER(s)", {"straße": "STRAẞE", "héllo": "HÉLLO"}),
    (TEXTS, "s", "LOWER(s)", {"ABC": "abc", "o'neil marie-claire ÉLISE": "o'neil marie-claire élise"}),
    (TEXTS, "s", "s = 'abc'", {"abc": True, "abc ": False, "ABC": False, None: None}),
    (TEXTS, "s", "s LIKE 'ab%'", {"abc": True, "ABC": False, "AB": False}),
    (TEXTS, "s", "s ILIKE 'ab%'", {"abc": True, "ABC": True}),
    (TEXTS, "s", "REGEXP_REPLACE(s, '[0-9]', '')", {"5a5": "a", "+7": "+"}),
    (TEXTS, "s", "LENGTH(s)", {"héllo": 5, "ab  ": 4, "": 0, None: None}),
    (TEXTS, "s", "TRIM(s)", {" 42 ": "42", "hello\tworld": "hello\tworld", " ": ""}),
    (TEXTS, "s", "NULLIF(TRIM(s), '')", {" ": None, "": None, "abc": "abc"}),
    (TEXTS, "s", "LPAD(s, 5, '0')", {"42": "00042", "abcdef": "abcde", "": "00000"}),
    (TEXTS, "s", "LEFT(s, 2)", {"abcdef": "ab", "": ""}),
    (TEXTS, "s", "RIGHT(s, 2)", {"abcdef": "ef", "42": "42"}),
    (TEXTS, "s", "SUBSTRING(s, 2, 3)", {"abcdef": "bcd", "héllo": "éll"}),
    (TEXTS, "s", "SUBSTRING(s, 3)", {"abcdef": "cdef"}),
    (TEXTS, "s", "REPLACE(s, 'b', 'B')", {"abcdef": "aBcdef"}),
    (TEXTS, "s", "COALESCE(s, 'none')", {None: "none", "": ""}),
    (TEXTS, "s", "s IN ('abc', 'ABC')", {"abc": True, "abc ": False}),
    (TEXTS, "s", "CASE WHEN s LIKE '%5%' THEN 'five' ELSE 'other' END", {"5a5": "five", None: "other"}),
    (TEXTS, "s", "GLOBAL_ID('Probe', s)", {"abc": "probe:Probe:abc", None: None}),
    (NUMBERS, "i", "i / 2", {5: 2.5, -7: -3.5, 0: 0.0}),
    (NUMBERS, "i", "i / 0", {5: None, 0: None}),
    (NUMBERS, "i", "i % 3", {-7: -1, 5: 2}),
    (NUMBERS, "i", "i % 0", {5: None}),
    (NUMBERS, "d", "d / 2", {D("2.25"): 1.125}),
    (NUMBERS, "f", "ROUND(f, 2)", {599.925: 599.93, 2.1: 2.1}),
    (NUMBERS, "f", "ROUND(f)", {2.5: 3.0, -2.5: -3.0}),
    (NUMBERS, "d", "ROUND(d, 1)", {D("2.25"): D("2.3"), D("-2.25"): D("-2.3")}),
    (NUMBERS, "f", "CAST(f AS INTEGER)", {2.5: 3, -2.5: -3, 1e20: None}),
    (NUMBERS, "d", "CAST(d AS INTEGER)", {D("2.50"): 3, D("-2.25"): -2}),
    (NUMBERS, "f", "CAST(f AS DECIMAL(10,2))", {599.925: D("599.93"), 1e20: None}),
    (NUMBERS, "i", "CAST(i AS BOOLEAN)", {0: False, 5: True, None: None}),
    (NUMBERS, "i", "CAST(i AS TEXT)", {-7: "-7"}),
    (NUMBERS, "d", "CAST(d AS DOUBLE)", {D("2.25"): 2.25}),
    (NUMBERS, "f", "FLOOR(f)", {-2.5: -3, 2.1: 2}),
    (NUMBERS, "f", "CEIL(f)", {2.1: 3, -2.5: -2}),
    (NUMBERS, "i", "ABS(i)", {-7: 7}),
    (NUMBERS, "i", "GREATEST(i, NULL, 1)", {-7: 1, 5: 5, None: 1}),
    (NUMBERS, "i", "LEAST(i, NULL)", {5: 5, None: None}),
    (NUMBERS, "i", "i BETWEEN 1 AND 5", {5: True, -7: False}),
    (NUMBERS, "d", "d * i", {D("2.25"): D("11.25")}),
    (MOMENTS, "b", "CAST(b AS TEXT)", {True: "true", False: "false", None: None}),
    (MOMENTS, "b", "CAST(b AS INTEGER)", {True: 1, False: 0}),
    (MOMENTS, "dt", "CAST(dt AS TEXT)", {date(2020, 1, 5): "2020-01-05"}),
    (MOMENTS, "ts", "CAST(ts AS TEXT)", {datetime(2020, 1, 5, 10, 30): "2020-01-05 10:30:00",
                                   datetime(1999, 12, 31, 0, 0, 0, 500000): "1999-12-31 00:00:00.5"}),
    (MOMENTS, "ts", "CAST(ts AS DATE)", {datetime(2020, 2, 29, 23, 59, 59): date(2020, 2, 29)}),
    (MOMENTS, "dt", "YEAR(dt)", {date(2020, 1, 5): 2020}),
    (MOMENTS, "ts", "MONTH(ts)", {datetime(2020, 2, 29, 23, 59, 59): 2}),
    (MOMENTS, "dt", "DAY(dt)", {date(1999, 12, 31): 31}),
    (MOMENTS, "b", "IF(b, 'yes', 'no')", {True: "yes", False: "no", None: "no"}),
    (MOMENTS, "b", "NOT b", {True: False, None: None}),
]

def _schema() -> SourceSchema:
    return SourceSchema("probe", {t.name: t for t in (TEXTS, NUMBERS, MOMENTS)})


def _data() -> SourceData:
    schema = _schema()
    source = SourcePlan("probe", "probe", "", "", "probe", "", schema, ())
    tables = [TableData(TEXTS, tuple(TEXTS.columns.values()), [(i, v) for i, v in enumerate(TEXT_VALUES)]),
              TableData(NUMBERS, tuple(NUMBERS.columns.values()), [(i, *v) for i, v in enumerate(NUMBER_VALUES)]),
              TableData(MOMENTS, tuple(MOMENTS.columns.values()), [(i, *v) for i, v in enumerate(MOMENT_VALUES)])]
    return SourceData(source, tuple(tables))


def _query(table: Table, probes) -> tuple[exp.Select, list[Type]]:
    """SELECT id, probe1, probe2, ... FROM probe.<table>, typed like the generator types its views."""
    scope = Scope("probe", table.name, {table.name: table}, frozenset({"Probe"}))
    columns, types = [exp.column("id", table=table.name, quoted=True)], []
    for i, (_t, _c, text, _e) in enumerate(probes):
        compiled = compile_expression(text, scope)
        columns.append(exp.alias_(compiled.ast, f"p{i}", quoted=True))
        types.append(compiled.type)
    select = exp.select(*columns).from_(exp.Table(this=exp.to_identifier(table.name, quoted=True),
                                                  db=exp.to_identifier("probe", quoted=True),
                                                  alias=exp.TableAlias(this=exp.to_identifier(table.name, quoted=True))))
    return annotate(select, {table.name: table}, "probe"), types


def _inputs(table: Table) -> dict[int, tuple]:
    values = {"texts": [(v,) for v in TEXT_VALUES], "numbers": NUMBER_VALUES, "moments": MOMENT_VALUES}[table.name]
    return dict(enumerate(values))


_RUNS: dict[str, dict[str, list]] = {}


def run_probes(engine_name: str) -> dict[str, dict[int, list]]:
    """Table name -> row id -> the probes' normalised results, on one engine."""
    if engine_name not in _RUNS:
        with open_engine(engine_name) as engine:
            engine.load_source(_data())
            out = {}
            for table in (TEXTS, NUMBERS, MOMENTS):
                probes = [p for p in PROBES if p[0] is table]
                select, types = _query(table, probes)
                rows = engine.select(engine.locate(select))
                out[table.name] = {r[0]: [normalise(v, t) for v, t in zip(r[1:], types)] for r in rows}
            _RUNS[engine_name] = out
    return _RUNS[engine_name]


def _expectations(engine_name: str) -> list[str]:
    results = run_probes(engine_name)
    wrong = []
    for table in (TEXTS, NUMBERS, MOMENTS):
        probes = [p for p in PROBES if p[0] is table]
        inputs = _inputs(table)
        for k, (_t, name, text, expected) in enumerate(probes):
            column = list(table.columns)[1:].index(name)
            for row_id, values in inputs.items():
                key = values[column]
                if key in expected:
                    got = results[table.name][row_id][k]
                    want = expected[key]
                    if got != want or type(got) is not type(want) and want is not None:
                        wrong.append(f"{text} with {key!r}: expected {want!r}, got {got!r}")
    return wrong


@pytest.mark.parametrize("engine", ["duckdb", "sqlite", "postgres", "mysql", "spark"])
def test_every_probe_gives_the_specified_value(engine):
    wrong = _expectations(engine)
    assert not wrong, f"{engine}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mysql", "spark"])
def test_every_probe_agrees_with_duckdb_on_every_input(engine):
    reference, other = run_probes("duckdb"), run_probes(engine)
    wrong = []
    for table in (TEXTS, NUMBERS, MOMENTS):
        probes = [p for p in PROBES if p[0] is table]
        for row_id, values in reference[table.name].items():
            for k, value in enumerate(values):
                if other[table.name][row_id][k] != value:
                    wrong.append(f"{probes[k][2]} on {_inputs(table)[row_id]!r}: duckdb {value!r}, "
                                 f"{engine} {other[table.name][row_id][k]!r}")
    assert not wrong, "\n".join(wrong)
