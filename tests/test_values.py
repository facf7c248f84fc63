"""One value coercion, one DECIMAL default, one three-valued logic: the Python side reads values as the views do."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sqlglot import exp

from toolkit.run.engines.compare import normalise
from toolkit.run.engines.data import SourceData, TableData, _typed
from toolkit.run.engines.duckdb import DuckDBEngine
from toolkit.expressions import Scope, compile_expression
from toolkit.expressions.python import Body, Compiler, Module, PyExpr, ThreeValuedLogic
from toolkit.emit._sqltypes import annotate
from toolkit.emit.python import SLOT_PTYPES, column_ptype
from toolkit.plan import SourcePlan
from toolkit.load.source_schema import Column, SourceSchema, Table
from toolkit.core.types import CANONICAL_DECIMAL, SQL_TYPES, UNDECLARED_DECIMAL, Type, coerce, decimal_digits

pytestmark = pytest.mark.unit

WORDS = ["t", "T", " t ", "true", "TRUE", "yes", "Y", "1", "f", "F ", "false", "no", "n", "0", "on", "off", "",
         " ", "tru", "2", "ja"]


def _view_casts(words: list[str]) -> dict[str, bool | None]:
    """What a generated view's CAST(s AS BOOLEAN) gives for each text, run on DuckDB."""
    table = Table("words", {"id": Column("id", "INTEGER", Type.INTEGER, False), "s": Column("s", "TEXT", Type.STRING)}, ("id",))
    scope = Scope("probe", "words", {"words": table}, frozenset({"Probe"}))
    cast = compile_expression("CAST(s AS BOOLEAN)", scope).ast
    select = annotate(exp.select(exp.column("id", table="words", quoted=True), exp.alias_(cast, "b", quoted=True))
                      .from_(exp.Table(this=exp.to_identifier("words", quoted=True), db=exp.to_identifier("probe", quoted=True),
                                       alias=exp.TableAlias(this=exp.to_identifier("words", quoted=True)))),
                      {"words": table}, "probe")
    source = SourcePlan("probe", "probe", "", "", "probe", "", SourceSchema("probe", {"words": table}), ())
    with DuckDBEngine() as engine:
        engine.load_source(SourceData(source, (TableData(table, tuple(table.columns.values()), list(enumerate(words))),)))
        rows = dict(engine.select(engine.locate(select)))
    return {w: rows[i] for i, w in enumerate(words)}


def _coerced(word: str) -> bool | None:
    try:
        return coerce(word, Type.BOOLEAN)
    except ValueError:
        return None


def test_text_is_the_same_boolean_in_python_as_in_the_views():
    views = _view_casts(WORDS)
    assert {w: _coerced(w) for w in WORDS} == views
    assert views["t"] is True and views["f"] is False and views["on"] is None


def test_source_data_and_engine_comparison_read_t_as_true_like_the_views():
    column = Column("active", "VARCHAR", Type.BOOLEAN)
    assert _typed("t", column, "people") is True
    assert _typed(" No ", column, "people") is False
    assert normalise("t", Type.BOOLEAN) is True
    assert normalise("yes", Type.BOOLEAN) is True
    with pytest.raises(Exception, match="is not a boolean"):
        _typed("maybe", column, "people")


def test_decimals_coerce_to_the_scale_half_to_even():
    assert coerce(2.675, Type.DECIMAL, 2) == Decimal("2.68")   # the float's shortest repr, not its binary value
    assert coerce("0.00005", Type.DECIMAL) == Decimal("0.0000")
    assert coerce("0.00015", Type.DECIMAL) == Decimal("0.0002")
    assert normalise(Decimal("1.23456"), Type.DECIMAL) == Decimal("1.2346")


def test_a_decimal_column_without_digits_holds_duckdbs_default_everywhere():
    (declared,) = duckdb.connect().execute("SELECT typeof(CAST(1 AS DECIMAL))").fetchone()
    assert declared == "DECIMAL({},{})".format(*UNDECLARED_DECIMAL)
    for native, dialect in (("DECIMAL", "sqlite"), ("NUMERIC", "duckdb"), ("DECIMAL", "postgres"), ("decimal(38,40)", "")):
        column = Column("price", native, Type.DECIMAL)
        ptype = column_ptype(column, dialect)
        assert (ptype.precision, ptype.scale) == decimal_digits(native) == UNDECLARED_DECIMAL, (native, dialect)
    assert decimal_digits("NUMERIC(10,2)", "sqlite") == (10, 2)
    assert decimal_digits("DECIMAL(7)") == (7, 0)


def test_canonical_decimal_is_one_fact_in_views_translators_and_comparisons():
    assert SQL_TYPES[Type.DECIMAL].sql() == "DECIMAL({}, {})".format(*CANONICAL_DECIMAL)
    assert (SLOT_PTYPES[Type.DECIMAL].precision, SLOT_PTYPES[Type.DECIMAL].scale) == CANONICAL_DECIMAL
    assert normalise("1", Type.DECIMAL).as_tuple().exponent == -CANONICAL_DECIMAL[1]


# ----------------------------------------------------------------------------- three-valued logic

class _Plain(ThreeValuedLogic):
    """The connectives alone: every other condition is the boolean column ``c`` (True, False or None)."""

    def _leaf_truth(self, node):
        return f"({node.name} is True)"

    def _leaf_falsity(self, node):
        return f"({node.name} is False)"


CONDITIONS = ["a AND b", "a OR b", "NOT a", "NOT (a AND b)", "a AND NOT b OR b", "COALESCE(a, TRUE)",
              "COALESCE(a, FALSE)", "NOT COALESCE(a OR b, TRUE)", "a AND NULL", "a OR NULL", "TRUE AND a", "NOT (NULL OR a)"]


def _duckdb_truths(condition: str) -> list[tuple]:
    values = "(VALUES " + ", ".join(f"({a}, {b})" for a in ("TRUE", "FALSE", "NULL") for b in ("TRUE", "FALSE", "NULL")) + ")"
    return duckdb.connect().execute(f"SELECT a, b, ({condition}) IS TRUE, ({condition}) IS FALSE FROM {values} v(a, b)").fetchall()


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_one_three_valued_emitter_agrees_with_sql(condition):
    """The connectives ThreeValuedLogic writes (for translators, policies and the LinkML-Map export) are SQL's."""
    import sqlglot

    node = sqlglot.parse_one(condition)
    for emitter in (_Plain(), _compiler()):
        truth, falsity = emitter.truth(node.copy()), emitter.falsity(node.copy())
        for a, b, is_true, is_false in _duckdb_truths(condition):
            env = {"a": a, "b": b}
            assert (eval(truth, {}, env), eval(falsity, {}, env)) == (is_true, is_false), (type(emitter).__name__, condition, a, b)


def _compiler() -> Compiler:
    """The translators' compiler over two nullable boolean columns a and b."""
    bool_type = SLOT_PTYPES[Type.BOOLEAN]
    return Compiler(Module(), Body(), lambda table, name: PyExpr(name, bool_type, False, True))
