"""The standardisation functions (PHONE_E164, NORMALIZE_EMAIL, NORMALIZE_NAME, NORMALIZE_SPACE,
NORMALIZE_POSTCODE) give the specified value, the same on every engine and in the record translators,
on real-looking and hostile text; PHONE_E164 agrees with libphonenumber on a generated corpus."""
from __future__ import annotations

import random
import re
import types

import pytest
from sqlglot import exp

from engine_support import open_engine, require_module
from toolkit import dialects
from toolkit.run.engines.compare import normalise
from toolkit.run.engines.data import SourceData, TableData
from toolkit.expressions import Scope, compile_expression
from toolkit.expressions.language import ExpressionError
from toolkit.expressions.python import Body, Compiler, Module, PType, PyExpr
from toolkit.core.regex_safety import check_pattern
from toolkit.expressions.standardise import _EMAIL, _PHONE_SEPARATORS, _SPACES, PHONE_PLANS, POSTCODES
from toolkit.emit._sqltypes import annotate
from toolkit.emit.python import runtime_source
from toolkit.plan import SourcePlan
from toolkit.load.source_schema import Column, SourceSchema, Table
from toolkit.core.types import Type

TABLE = Table("vals", {"id": Column("id", "INTEGER", Type.INTEGER, False), "s": Column("s", "TEXT", Type.STRING),
                       "c": Column("c", "TEXT", Type.STRING)}, ("id",))

# (value, country column)
ROWS = [
    (None, None), ("", "GB"), ("   ", "US"),
    ("020 7946 0958", "GB"), ("+44 20 7946 0958", "FR"), ("0044 (0)20 7946 0958", None), ("07700 900123", "UK"),
    ("(212) 555-0123", "USA"), ("1-212-555-0123", "Canada"), ("+1 (604) 555 0199", None), ("555-0123", "US"),
    ("01 42 68 53 00", "France"), ("+33 1 42 68 53 00", "GB"), ("06.12.34.56.78", "fr"), ("(02) 9374 4000", "Australia"),
    ("0412 345 678", "AU"), ("138 0013 8000", "中国"), ("+86 138 0013 8000", "CN"), ("+49 30 901820", "DE"),
    ("+1 212 555 0123 ext 4", "US"), ("0207946095８", "GB"), ("２０７９４６０９５８", "GB"), ("+44 20 7946 0958\n", "GB"),
    (" Marie.Dupont@Example.FR ", None), ("marie.dupont@", None), ("n/a", None), ("a@b.c", None), ("a..b@x.org", None),
    ("ÉLISE@exemple.fr", None), ("\u212aelvin@example.com", None), ("o'neil@x.co.uk", None), ("x@y.com\n", None),
    ("  jean   PIERRE  ", None), ("o'neil marie-claire", None), ("McDonald", None), ("王 伟", None), ("ÉLISE\u00a0DUPONT", None),
    ("sw1a1aa", "GB"), ("SW1A 1AA", "United Kingdom"), ("ec1a-1bb", "UK"), ("K1A0B1", "CA"), ("k1a 0b1", "Canada"),
    ("12345", "US"), ("12345-6789", "USA"), ("1234 ab", "NL"), ("75008", "FR"), ("10115", "Deutschland"), ("2000", "AU"),
    ("100000", "CN"), ("ABC", "GB"), ("1234", "US"),
    # hostile: quotes, backslashes, SQL, control characters, long text
    ("'; DROP TABLE vals; --", "GB'; --"), ("\\\\ \\' \\n", "\\"), ("%_[*", "%"), ("a\x01b\x7f", "GB"), ("+" + "4" * 500, "GB"),
]

# (expression, {(value, country): expected})
PROBES = [
    ("PHONE_E164(s, 'GB')", {("020 7946 0958", "GB"): "+442079460958", ("07700 900123", "UK"): "+447700900123",
                             ("+33 1 42 68 53 00", "GB"): "+33142685300", ("0044 (0)20 7946 0958", None): "+442079460958",
                             ("(212) 555-0123", "USA"): None, ("+49 30 901820", "DE"): None, ("", "GB"): None,
                             ("+1 212 555 0123 ext 4", "US"): None, ("0207946095８", "GB"): None,
                             ("+44 20 7946 0958\n", "GB"): "+442079460958", (None, None): None}),
    ("PHONE_E164(s, 'US')", {("(212) 555-0123", "USA"): "+12125550123", ("1-212-555-0123", "Canada"): "+12125550123",
                             ("555-0123", "US"): None, ("020 7946 0958", "GB"): None}),
    ("PHONE_E164(s, c)", {("020 7946 0958", "GB"): "+442079460958", ("(212) 555-0123", "USA"): "+12125550123",
                          ("01 42 68 53 00", "France"): "+33142685300", ("06.12.34.56.78", "fr"): "+33612345678",
                          ("(02) 9374 4000", "Australia"): "+61293744000", ("0412 345 678", "AU"): "+61412345678",
                          ("138 0013 8000", "中国"): "+8613800138000", ("+86 138 0013 8000", "CN"): "+8613800138000",
                          ("+1 (604) 555 0199", None): "+16045550199", ("'; DROP TABLE vals; --", "GB'; --"): None}),
    ("NORMALIZE_EMAIL(s)", {(" Marie.Dupont@Example.FR ", None): "marie.dupont@example.fr", ("marie.dupont@", None): None,
                            ("n/a", None): None, ("a@b.c", None): None, ("a..b@x.org", None): None,
                            ("ÉLISE@exemple.fr", None): None, ("\u212aelvin@example.com", None): None,
                            ("x@y.com\n", None): "x@y.com", (None, None): None}),
    ("NORMALIZE_SPACE(s)", {("  jean   PIERRE  ", None): "jean PIERRE", ("   ", "US"): None, ("", "GB"): None,
                            ("ÉLISE\u00a0DUPONT", None): "ÉLISE DUPONT"}),
    ("NORMALIZE_NAME(s)", {("  jean   PIERRE  ", None): "jean PIERRE", ("o'neil marie-claire", None): "O'Neil Marie-Claire",
                           ("McDonald", None): "McDonald", ("王 伟", None): "王 伟", ("ÉLISE\u00a0DUPONT", None): "Élise Dupont",
                           ("   ", "US"): None}),
    ("NORMALIZE_POSTCODE(s, 'GB')", {("sw1a1aa", "GB"): "SW1A 1AA", ("ec1a-1bb", "UK"): "EC1A 1BB", ("12345", "US"): None,
                                     ("ABC", "GB"): None}),
    ("NORMALIZE_POSTCODE(s, c)", {("SW1A 1AA", "United Kingdom"): "SW1A 1AA", ("K1A0B1", "CA"): "K1A 0B1",
                                  ("k1a 0b1", "Canada"): "K1A 0B1", ("12345", "US"): "12345",
                                  ("12345-6789", "USA"): "12345-6789", ("1234 ab", "NL"): "1234 AB", ("75008", "FR"): "75008",
                                  ("10115", "Deutschland"): "10115", ("2000", "AU"): "2000", ("100000", "CN"): "100000",
                                  ("1234", "US"): None, ("%_[*", "%"): None}),
]


def _scope() -> Scope:
    return Scope("std", "vals", {"vals": TABLE})


def _select_one(text: str) -> exp.Select:
    select = exp.select(exp.column("id", table="vals", quoted=True), compile_expression(text, _scope()).ast).from_(
        exp.Table(this=exp.to_identifier("vals", quoted=True), db=exp.to_identifier("std", quoted=True),
                  alias=exp.TableAlias(this=exp.to_identifier("vals", quoted=True))))
    return annotate(select, {"vals": TABLE}, "std")


def _select() -> tuple[exp.Select, list[Type]]:
    columns = [exp.column("id", table="vals", quoted=True)]
    for i, (text, _) in enumerate(PROBES):
        columns.append(exp.alias_(compile_expression(text, _scope()).ast, f"p{i}", quoted=True))
    select = exp.select(*columns).from_(exp.Table(this=exp.to_identifier("vals", quoted=True),
                                                  db=exp.to_identifier("std", quoted=True),
                                                  alias=exp.TableAlias(this=exp.to_identifier("vals", quoted=True))))
    return annotate(select, {"vals": TABLE}, "std"), [Type.STRING] * len(PROBES)


def _rows(engine_rows) -> dict[int, list]:
    return {r[0]: [normalise(v, Type.STRING) for v in r[1:]] for r in engine_rows}


_RUNS: dict[str, dict[int, list]] = {}


def run(engine_name: str) -> dict[int, list]:
    if engine_name not in _RUNS:
        with open_engine(engine_name) as engine:
            source = SourcePlan("std", "std", "", "", "std", "", SourceSchema("std", {"vals": TABLE}), ())
            rows = [(i, s, c) for i, (s, c) in enumerate(ROWS)]
            engine.load_source(SourceData(source, (TableData(TABLE, tuple(TABLE.columns.values()), rows),)))
            select, _ = _select()
            _RUNS[engine_name] = _rows(engine.select(engine.locate(select)))
    return _RUNS[engine_name]


def _python_results() -> dict[int, list]:
    """Each probe compiled by the record translators' compiler and run on every row."""
    select, _ = _select()
    tree = dialects.get("duckdb").rewrite(select)
    out: dict[int, list] = {i: [] for i in range(len(ROWS))}
    for projection in tree.expressions[1:]:
        module, body = Module(), Body()
        names = {n: PyExpr(f"c_{n}", PType(Type.STRING), False, True) for n in ("s", "c")}
        code = Compiler(module, body, lambda table, column: names[column]).value(projection.this)
        lines = [f"    {line}" for line in body.prelude] + [f"    return {code.code}"]
        constants = "\n".join(f"{n} = {c}" for n, c in module.constants.items())
        source = (runtime_source("\n".join(lines) + constants) + "\n" + constants + "\n\n"
                  + "def f(c_s, c_c):\n" + "\n".join(lines) + "\n")
        namespace = types.ModuleType("probe")
        exec(compile(source, "<probe>", "exec"), namespace.__dict__)
        for i, (s, c) in enumerate(ROWS):
            out[i].append(namespace.f(s, c))
    return out


def _wrong(results: dict[int, list]) -> list[str]:
    wrong = []
    for k, (text, expected) in enumerate(PROBES):
        for i, key in enumerate(ROWS):
            if key in expected and results[i][k] != expected[key]:
                wrong.append(f"{text} on {key!r}: expected {expected[key]!r}, got {results[i][k]!r}")
    return wrong


@pytest.mark.unit
def test_every_pattern_is_in_the_portable_linear_time_subset():
    for pattern in [_SPACES, _PHONE_SEPARATORS, _EMAIL, *(p.shape for p in POSTCODES),
                    *(f"^([+]|00){p.calling}0?{p.number}$" for p in PHONE_PLANS), *(f"^{p.trunk}{p.number}$" for p in PHONE_PLANS)]:
        check_pattern(pattern)


@pytest.mark.unit
def test_python_translators_give_the_specified_values():
    wrong = _wrong(_python_results())
    assert not wrong, "\n".join(wrong)


@pytest.mark.unit
@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_embedded_engines_give_the_specified_values(engine):
    wrong = _wrong(run(engine))
    assert not wrong, f"{engine}:\n" + "\n".join(wrong)


@pytest.mark.engine
@pytest.mark.parametrize("engine", ["postgres", "mysql", "spark"])
def test_servers_give_the_specified_values(engine):
    wrong = _wrong(run(engine))
    assert not wrong, f"{engine}:\n" + "\n".join(wrong)


@pytest.mark.engine
@pytest.mark.parametrize("engine", ["python", "sqlite", "postgres", "mysql", "spark"])
def test_every_engine_and_the_translators_agree_with_duckdb_on_every_row(engine):
    reference = run("duckdb")
    other = _python_results() if engine == "python" else run(engine)
    wrong = [f"{PROBES[k][0]} on {ROWS[i]!r}: duckdb {v!r}, {engine} {other[i][k]!r}"
             for i, values in reference.items() for k, v in enumerate(values) if other[i][k] != v]
    assert not wrong, "\n".join(wrong)


@pytest.mark.unit
@pytest.mark.parametrize("text, message", [
    ("PHONE_E164(s, 'DE')", "does not know country 'DE'"),
    ("PHONE_E164(s)", "takes 2 argument(s)"),
    ("NORMALIZE_POSTCODE(s, 'Atlantis''; DROP TABLE x; --')", "does not know country"),
    ("NORMALIZE_EMAIL(id)", "expects text"),
    ("NORMALIZE_NAME(s, c)", "takes 1 argument(s)"),
    ("REGEXP_LIKE(s, c)", "must be a quoted literal"),
    ("REGEXP_LIKE(s, '(a|a)*b')", "pattern"),
    ("REGEXP_LIKE(s, 'a', 'i')", "no flags"),
    # each expansion repeats its argument: nested ones would multiply before the size check could run
    ("NORMALIZE_NAME(" * 8 + "s" + ")" * 8, "cannot take the result of another standardisation function"),
    ("PHONE_E164(s, NORMALIZE_SPACE(c))", "cannot take the result"),
    ("NORMALIZE_NAME(" + "LPAD(" * 6 + "s" + ", 5, 'x')" * 6 + ")", "grows to"),
])
def test_wrong_calls_are_refused_with_what_to_write(text, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_expression(text, _scope())


# ----------------------------------------------------------------------------- libphonenumber

def _corpus(seed: int = 16) -> list[tuple[str, str]]:
    """Numbers as people type them: valid numbers of each supported country in national, international
    and E.164 form, with typing slips (a digit dropped or added, a letter, an extension, a foreign code)."""
    phonenumbers = require_module("phonenumbers")
    rng = random.Random(seed)
    formats = [phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
               phonenumbers.PhoneNumberFormat.E164]
    out = []
    for plan in PHONE_PLANS:
        for region in plan.countries:
            kinds = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
            for _ in range(150):
                example = phonenumbers.example_number_for_type(region, rng.choice(kinds))
                digits = list(str(example.national_number))
                for _ in range(rng.randint(0, 4)):   # another number of the same range
                    digits[rng.randrange(len(digits) // 2, len(digits))] = str(rng.randrange(10))
                number = phonenumbers.parse("+" + str(example.country_code) + "".join(digits))
                text = phonenumbers.format_number(number, rng.choice(formats))
                slip = rng.random()
                if slip < 0.1:
                    text = text[:-1]
                elif slip < 0.2:
                    text += str(rng.randrange(10))
                elif slip < 0.25:
                    text = text.replace(text[-2], "O", 1)
                elif slip < 0.3:
                    text += " ext. 12"
                elif slip < 0.35:
                    text = "+49 30 " + text[-7:]
                elif slip < 0.45:
                    text = text.replace(" ", rng.choice(["-", ".", "", "  "]))
                out.append((text, region))
            shaped = 0
            while shaped < 30:   # any number of the shape PHONE_E164 reads, allocated or not
                digits = "".join(rng.choice("0123456789") for _ in range(plan.length))
                if re.fullmatch(plan.number, digits):
                    out.append(("+" + plan.calling + digits, region))
                    shaped += 1
    return out


def _libphonenumber(text: str, region: str) -> tuple[str | None, bool]:
    """libphonenumber's E.164 for a valid number (else None), and whether the number is in the subset
    PHONE_E164 supports (a plan's country code, no extension; in China mobile numbers only)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, False
    if not phonenumbers.is_valid_number(number):
        return None, phonenumbers.is_possible_number(number)
    mobile = phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                  phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    supported = (str(number.country_code) in {p.calling for p in PHONE_PLANS} and not number.extension
                 and (number.country_code != 86 or mobile))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), supported


def phone_agreement(results: list[str | None], corpus: list[tuple[str, str]]) -> dict[str, float]:
    """How PHONE_E164 compares with libphonenumber: on the valid numbers of the supported subset (the same
    E.164 expected), on valid numbers outside it (NULL expected) and on invalid ones (NULL expected)."""
    theirs = [_libphonenumber(t, r) for t, r in corpus]
    inside = [(a, b) for a, (b, ok) in zip(results, theirs) if b is not None and ok]
    outside = [a for a, (b, ok) in zip(results, theirs) if b is not None and not ok]
    invalid = [(a, possible) for a, (b, possible) in zip(results, theirs) if b is None]
    return {"numbers": len(corpus), "in_subset": len(inside),
            "in_subset_agreement": round(sum(a == b for a, b in inside) / max(1, len(inside)), 4),
            "outside_subset": len(outside), "outside_subset_null": round(sum(a is None for a in outside) / max(1, len(outside)), 4),
            "invalid": len(invalid), "invalid_null": round(sum(a is None for a, _ in invalid) / max(1, len(invalid)), 4),
            # PHONE_E164 checks the shape (length, leading digits), not which ranges are allocated
            "invalid_accepted_not_possible": sum(a is not None and not possible for a, possible in invalid),
            "overall_agreement": round(sum(a == b for a, (b, _) in zip(results, theirs)) / len(corpus), 4)}


@pytest.mark.unit
def test_phone_e164_agrees_with_libphonenumber_on_a_generated_corpus(capsys):
    import duckdb

    corpus = _corpus()
    con = duckdb.connect()
    con.execute('CREATE SCHEMA std')
    con.execute('CREATE TABLE std.vals (id INTEGER, s TEXT, c TEXT)')
    con.executemany("INSERT INTO std.vals VALUES (?, ?, ?)", [[i, t, r] for i, (t, r) in enumerate(corpus)])
    ours: dict[int, str | None] = {}
    for region in {r for _, r in corpus}:
        select = _select_one(f"PHONE_E164(s, '{region}')").where(exp.column("c", table="vals", quoted=True).eq(region))
        ours.update(con.execute(dialects.get("duckdb").render(select)).fetchall())
    ours = [ours[i] for i in range(len(corpus))]
    figures = phone_agreement(ours, corpus)
    with capsys.disabled():
        print(f"\nPHONE_E164 vs libphonenumber {figures}")
    assert figures["in_subset_agreement"] >= 0.99
    assert figures["outside_subset_null"] == 1.0
    assert figures["invalid_accepted_not_possible"] == 0
    assert figures["invalid_null"] >= 0.75
