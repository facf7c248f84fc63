"""Golden-record views: ``golden_<class>``, one row per entity of ``<class>__clusters`` (which `dict match`
writes: source record -> entity id), each slot's value from the record its survivorship rule picks among
the entity's rows of the integrated view, with where it came from (``<slot>__source``, ``<slot>__source_table``,
``<slot>__source_key``).

The view, as neutral sqlglot ASTs (rendered per dialect like every view):

    members: integrated row + its entity (join on _source_system, _source_key), per most_frequent unit the
             number of the entity's rows holding the same value(s)
    ranked:  per unit ROW_NUMBER() OVER (PARTITION BY entity ORDER BY <value present>, <rule>, <ranking>,
             _source_table, _source_key)
    golden:  per entity, each slot (and its provenance) from the row ranked first for its unit

Every ordering ends in the source ranking (a CASE over the mapped sources, no text comparison), then the
source table and record key compared by code points on every engine (text is typed so the dialect
rewrites compare it exactly), so all engines pick the same record.
"""
from __future__ import annotations

from sqlglot import exp

from toolkit.dialects._portable import typed
from toolkit.plan import GoldenPlan, Plan
from toolkit.core.types import Type
from toolkit.emit.sql import _col, _id, _str

ENTITY = "entity_id"
RECORDS = "source_records"
PROVENANCE = (("source", "_source_system"), ("source_table", "_source_table"), ("source_key", "_source_key"))


def _table(name: str, schema: str | None) -> exp.Table:
    return exp.Table(this=_id(name), db=_id(schema) if schema else None)


def _text(node: exp.Expression) -> exp.Expression:
    return typed(node, Type.STRING)


def _present(slots: list[exp.Expression]) -> exp.Expression:
    """0 when any of the unit's slots holds a value, else 1: a null never wins over a value."""
    filled = exp.or_(*[exp.Not(this=exp.Is(this=s, expression=exp.null())) for s in slots])
    return exp.Case(ifs=[exp.If(this=filled, true=exp.Literal.number(0))], default=exp.Literal.number(1))


def _rank_of(ranking: tuple[str, ...]) -> exp.Expression:
    """The source's place in the ranking (a CASE of literals: compares no text)."""
    system = _text(_col("_source_system", "m"))
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=system.copy(), expression=_text(_str(s))), true=exp.Literal.number(i))
                         for i, s in enumerate(ranking)], default=exp.Literal.number(len(ranking)))


def _filled(node: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=exp.Is(this=node, expression=exp.null()), true=exp.Literal.number(0))],
                    default=exp.Literal.number(1))


def unit_order(golden: GoldenPlan, index: int) -> list[exp.Ordered]:
    """The ORDER BY that puts the record unit ``index`` keeps first."""
    unit = golden.survive.units[index]
    rule = unit.rule
    cls = golden.target
    slots = [_col(s, "m") for s in unit.slots]
    order = [exp.Ordered(this=_present(slots))]
    if rule.kind == "most_recent":
        stamp = _col(rule.timestamp, "m")
        order += [exp.Ordered(this=_filled(stamp.copy()), desc=True), exp.Ordered(this=stamp, desc=True)]
    elif rule.kind == "most_complete":
        order.append(exp.Ordered(this=_sum([_filled(s.copy()) for s in slots]), desc=True))
        texts = [s for s, name in zip(slots, unit.slots) if cls.slot(name).type is Type.STRING]
        if texts:
            lengths = [exp.Coalesce(this=exp.Length(this=t.copy()), expressions=[exp.Literal.number(0)]) for t in texts]
            order.append(exp.Ordered(this=_sum(lengths), desc=True))
    elif rule.kind == "most_frequent":
        order.append(exp.Ordered(this=_col(f"__count_{index}", "m"), desc=True))
    ranking = golden.survive.ranking(golden.sources, rule if rule.kind == "source_priority" else None)
    order.append(exp.Ordered(this=_rank_of(ranking)))
    order += [exp.Ordered(this=_text(_col("_source_table", "m"))), exp.Ordered(this=_text(_col("_source_key", "m")))]
    return order


def _sum(parts: list[exp.Expression]) -> exp.Expression:
    total = parts[0]
    for p in parts[1:]:
        total = exp.Add(this=total, expression=p)
    return exp.Paren(this=total) if len(parts) > 1 else total


def _slots(golden: GoldenPlan) -> list[str]:
    return [s for u in golden.survive.units for s in u.slots]


def golden_select(golden: GoldenPlan, schema: str | None = None) -> exp.Select:
    """The golden view's query; ``schema`` qualifies the integrated view and the cluster table (default: beside)."""
    cls = golden.target
    units = golden.survive.units
    slots = _slots(golden)
    provenance = [c for _, c in PROVENANCE]
    on = exp.and_(*[exp.EQ(this=_text(_col(c, "c")), expression=_text(_col(c, "v"))) for c in ("_source_system", "_source_key")])
    members = exp.select(_col(ENTITY, "c").as_(ENTITY, quoted=True), *[_col(s, "v").as_(s, quoted=True) for s in slots],
                         *[_col(c, "v").as_(c, quoted=True) for c in provenance])
    for i, unit in enumerate(units):
        if unit.rule.kind == "most_frequent":
            window = exp.Window(this=exp.Count(this=exp.Star()),
                                partition_by=[_col(ENTITY, "c"), *[_text(_col(s, "v")) if cls.slot(s).type is Type.STRING
                                                                   else _col(s, "v") for s in unit.slots]])
            members = members.select(window.as_(f"__count_{i}", quoted=True), copy=False)
    members = members.from_(_table(golden.integrated.view_name, schema).as_("v", quoted=True), copy=False).join(
        _table(golden.clusters_name, schema).as_("c", quoted=True), on=on, join_type="INNER", copy=False)
    counts = [f"__count_{i}" for i, u in enumerate(units) if u.rule.kind == "most_frequent"]
    ranked = exp.select(*[_col(c, "m") for c in [ENTITY, *slots, *provenance, *counts]])
    for i in range(len(units)):
        window = exp.Window(this=exp.RowNumber(), partition_by=[_col(ENTITY, "m")],
                            order=exp.Order(expressions=unit_order(golden, i)))
        ranked = ranked.select(window.as_(f"__rank_{i}", quoted=True), copy=False)
    ranked = ranked.from_(exp.Subquery(this=members, alias=exp.TableAlias(this=_id("m"))), copy=False)
    columns = [_col(ENTITY, "r").as_(ENTITY, quoted=True), exp.Count(this=exp.Star()).as_(RECORDS, quoted=True)]
    for i, unit in enumerate(units):
        first = exp.EQ(this=_col(f"__rank_{i}", "r"), expression=exp.Literal.number(1))
        for slot in unit.slots:
            columns.append(_pick(first, _col(slot, "r"), cls.slot(slot).type).as_(slot, quoted=True))
            for suffix, column in PROVENANCE:
                columns.append(_pick(first, _col(column, "r"), Type.STRING).as_(f"{slot}__{suffix}", quoted=True))
    return (exp.select(*columns).from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=_id("r"))), copy=False)
            .group_by(_col(ENTITY, "r"), copy=False))


def _pick(first: exp.Expression, value: exp.Expression, t: Type) -> exp.Expression:
    """The value of the entity's row ranked first: MAX over one non-null value (a boolean as 1/0 and back)."""
    if t is Type.BOOLEAN:
        number = exp.Case(ifs=[exp.If(this=value, true=exp.Literal.number(1)),
                               exp.If(this=exp.Not(this=value.copy()), true=exp.Literal.number(0))])
        best = exp.Max(this=exp.Case(ifs=[exp.If(this=first, true=number)]))
        return exp.Case(ifs=[exp.If(this=exp.EQ(this=best, expression=exp.Literal.number(1)), true=exp.true()),
                             exp.If(this=exp.EQ(this=best.copy(), expression=exp.Literal.number(0)), true=exp.false())])
    return exp.Max(this=exp.Case(ifs=[exp.If(this=first, true=value)]))


def golden_statements(plan: Plan, schema: str | None = None) -> list[tuple[str, exp.Create]]:
    return [(g.view_name, exp.Create(this=exp.Table(this=_id(g.view_name)), kind="VIEW", replace=True,
                                     expression=golden_select(g, schema))) for g in plan.golden]


def rules_of(golden: GoldenPlan) -> list[tuple[str, str, str]]:
    """(slot, rule text, slots it survives with) per slot, in the class's order, for docs and lineage."""
    out = []
    for slot in golden.target.slots:
        unit = golden.survive.unit_of(slot.name)
        if unit is not None:
            out.append((slot.name, unit.rule.text, "+".join(unit.slots) if unit.together else ""))
    return out
