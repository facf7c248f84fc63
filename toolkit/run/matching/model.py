"""A Splink model generated from a class's match hints: normalisation, comparisons, blocking, training.

The input is any DuckDB relation with ``id``, ``_source_system``, ``_source_key`` and the class's compared
slots (the integrated view of the class, or a benchmark's records). Each slot is normalised by its kind in
SQL built as sqlglot ASTs (names are validated slot names), compared by the Splink comparison made for
that kind, and the model is trained without labels on blocks that keep households apart.
"""
from __future__ import annotations

import logging

from sqlglot import exp

from toolkit.load.match_hints import PERSON_KINDS, MatchHints

NAME_PAIR = "__forename_surname"   # given and family name joined: term frequencies of the whole name
PROVENANCE = ("_source_system", "_source_key")


def _f(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _text(column: exp.Expression) -> exp.Expression:
    """Lower case, no accents, punctuation as spaces, one space between words, '' as NULL."""
    value = _f("lower", _f("strip_accents", exp.cast(column, "VARCHAR")))
    value = _f("regexp_replace", value, exp.Literal.string(r"[\p{P}\p{S}]+"), exp.Literal.string(" "), exp.Literal.string("g"))
    value = _f("regexp_replace", value, exp.Literal.string(r"\s+"), exp.Literal.string(" "), exp.Literal.string("g"))
    return _f("nullif", _f("trim", value), exp.Literal.string(""))


def _compact(column: exp.Expression, keep: str) -> exp.Expression:
    """Only the characters matching ``keep`` (digits of a phone, letters and digits of a postcode), '' as NULL."""
    value = _f("regexp_replace", _f("upper", exp.cast(column, "VARCHAR")), exp.Literal.string(f"[^{keep}]"),
               exp.Literal.string(""), exp.Literal.string("g"))
    return _f("nullif", value, exp.Literal.string(""))


def normalised(slot: str, kind: str) -> exp.Expression:
    """The SQL expression a slot is compared through, by its kind."""
    column = exp.column(slot, quoted=True)
    if kind == "person_name":   # word order differs between systems ("DUPONT MARIE", "Marie Dupont")
        return _f("nullif", _f("array_to_string", _f("list_sort", _f("string_split", _text(column), exp.Literal.string(" "))),
                               exp.Literal.string(" ")), exp.Literal.string(""))
    if kind == "email":
        return _f("nullif", _f("lower", _f("trim", exp.cast(column, "VARCHAR"))), exp.Literal.string(""))
    if kind == "phone":   # the last nine digits: national and international forms of one number agree
        return _f("right", _compact(column, "0-9"), exp.Literal.number(9))
    if kind == "postcode":
        return _compact(column, "A-Z0-9")
    if kind == "identifier":
        return _compact(column, "A-Z0-9")
    if kind == "date":
        return exp.TryCast(this=column, to=exp.DataType.build("DATE"))
    return _text(column)


def prepare(hints: MatchHints, source: exp.Expression) -> exp.Select:
    """SELECT id, provenance, each compared slot normalised and the household slots as they are, FROM source."""
    columns = [exp.cast(exp.column("id", quoted=True), "VARCHAR").as_("id", quoted=True)]
    columns += [exp.column(c, quoted=True) for c in PROVENANCE]
    columns += [normalised(slot, kind).as_(slot, quoted=True) for slot, kind in hints.slots]
    columns += [_text(exp.column(s, quoted=True)).as_(f"__household_{i}", quoted=True) for i, s in enumerate(hints.household)]
    given, family = _name_pair(hints)
    if given and family:
        columns.append(exp.func("concat_ws", exp.Literal.string(" "), normalised(given, "given_name"),
                                normalised(family, "family_name")).as_(NAME_PAIR, quoted=True))
    return exp.select(*columns).from_(exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("src"))))


def _name_pair(hints: MatchHints) -> tuple[str, str]:
    given = next((s for s, k in hints.slots if k == "given_name"), "")
    family = next((s for s, k in hints.slots if k == "family_name"), "")
    return given, family


def comparisons(hints: MatchHints) -> list:
    """One Splink comparison per compared slot (given and family name together: swapped names are seen)."""
    import splink.comparison_library as cl

    given, family = _name_pair(hints)
    made = []
    for slot, kind in hints.slots:
        if kind in ("given_name", "family_name") and given and family:
            if kind == "given_name":
                made.append(cl.ForenameSurnameComparison(given, family, forename_surname_concat_col_name=NAME_PAIR))
            continue
        made.append(_comparison(cl, slot, kind))
    return made


def _comparison(cl, slot: str, kind: str):
    tf = {"term_frequency_adjustments": True}
    if kind in ("given_name", "family_name", "person_name"):
        return cl.NameComparison(slot).configure(**tf)
    if kind == "organisation_name":
        return cl.JaroWinklerAtThresholds(slot, [0.95, 0.88])
    if kind == "email":
        return cl.EmailComparison(slot)
    if kind == "date":
        return cl.DateOfBirthComparison(slot, input_is_string=False)
    if kind in ("phone", "identifier"):
        return cl.DamerauLevenshteinAtThresholds(slot, [1, 2])
    if kind == "postcode":
        return cl.DamerauLevenshteinAtThresholds(slot, [1, 2]).configure(**tf)
    if kind == "address":
        return cl.JaroWinklerAtThresholds(slot, [0.95, 0.8]).configure(**tf)
    return cl.ExactMatch(slot).configure(**tf)


def settings(hints: MatchHints, explain: bool = False):
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        unique_id_column_name="id", link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in hints.blocking],
        comparisons=comparisons(hints),
        additional_columns_to_retain=list(PROVENANCE),
        retain_intermediate_calculation_columns=explain, retain_matching_columns=explain)


def deterministic_rules(hints: MatchHints, sparse: bool = False) -> list:
    """Pairs almost surely one party: an identifier or e-mail alike, or every name slot and one more slot alike.
    They estimate how likely two random records match (recall assumed 0.7), nothing else."""
    from splink import block_on

    kinds = dict(hints.slots)
    names = [s for s, k in hints.slots if k in ("given_name", "family_name", "person_name")]
    rules = [block_on(s) for s, k in hints.slots if k in ("identifier", "email")]
    others = [s for s, k in hints.slots if k in ("date", "postcode", "address", "phone") and s not in names]
    given, family = _name_pair(hints)
    name_sets = [[given, family]] if given and family else [[s] for s in names if kinds[s] == "person_name"] or [names]
    for name_set in name_sets:
        rules += [block_on(*name_set, other) for other in others] or ([block_on(*name_set)] if name_set else [])
    if sparse:   # the other slots are mostly empty (systems that never captured them): the name alone
        rules += [block_on(*name_set) for name_set in name_sets if name_set]
    return rules


def train(linker, hints: MatchHints, records: int, filled: dict[str, float]) -> list[str]:
    """Unsupervised training: prior from deterministic rules, u from random pairs, m by EM on household-safe blocks.
    Returns notes on what could not be estimated (tiny inputs leave some parameters at Splink's defaults)."""
    from splink import block_on
    from splink.internals.exceptions import SplinkException

    notes = []
    try:
        linker.training.estimate_probability_two_random_records_match(deterministic_rules(hints, _sparse(hints, filled)),
                                                                       recall=0.7)
    except (SplinkException, ValueError, ZeroDivisionError) as exc:
        notes.append(f"prior not estimated ({_first_line(exc)}); Splink's default kept")
    linker.training.estimate_u_using_random_sampling(max_pairs=min(2e6, max(1e5, records * records / 2)), seed=1)
    for rule in hints.training:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), estimate_without_term_frequencies=True)
        except (SplinkException, ValueError, ZeroDivisionError) as exc:
            notes.append(f"training block {'+'.join(rule)} skipped ({_first_line(exc)})")
    untrained = no_evidence_when_untrained(linker)
    if untrained:
        notes.append(f"{untrained} comparison level(s) never seen in training carry no weight")
    return notes


def no_evidence_when_untrained(linker) -> int:
    """A partial-agreement level no training block showed (e.g. same surname, other given name: blocks that
    keep households apart never show it) gets m = u, weight 0, instead of Splink's default m, which would
    count a household member's shared surname as evidence of the same person. Exact levels keep theirs."""
    count = 0
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null[1:]:
            if not level._has_estimated_m_values and level._u_is_trained and level.u_probability:
                level.m_probability = min(level.m_probability or 1.0, level.u_probability)
                count += 1
    return count


def _sparse(hints: MatchHints, filled: dict[str, float]) -> bool:
    """Whether every slot besides the names is filled in fewer than half the records."""
    others = [s for s, k in hints.slots if k not in ("given_name", "family_name", "person_name", "organisation_name")]
    return all(filled.get(s, 0.0) < 0.5 for s in others)


def household_safe(hints: MatchHints) -> bool:
    """Whether every training block holds a slot that tells members of one household apart."""
    kinds = dict(hints.slots)
    return all(any(kinds.get(s) in PERSON_KINDS for s in rule) for rule in hints.training)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


def quiet_splink() -> None:
    """Splink logs every step, and every level a small input never shows; dict prints its own summary and notes."""
    logging.getLogger("splink").setLevel(logging.ERROR)
