"""Standardisation functions: phone numbers to E.164, e-mail, names, white space and postcodes.

Each one is expanded, when an expression is bound, into the neutral language (REGEXP_LIKE,
REGEXP_REPLACE, TRIM, UPPER, INITCAP, CASE, ||) whose meaning every dialect and the Python of the
record translators already share: one definition here, the same value on every engine. A value of
a shape the function does not know becomes NULL everywhere, never a guess.

The countries supported, and how each writes its numbers and postcodes, are data (PHONE_PLANS,
POSTCODES, COUNTRY_NAMES). A country is given as a quoted ISO code or name ('GB', 'France'), or
as a column: its value is then compared with the names below (trimmed, upper-cased).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlglot import exp

# every text standardised is read with these as white space (ASCII, no-break space, ideographic space)
_SPACES = "[ \\t\\n\\r\\f\\x0B\u00a0\u3000]+"
# separators people type inside phone numbers
_PHONE_SEPARATORS = "[- \\t\\n\\r\\f\\x0B().\\/\u00a0]"
_EMAIL = "^[A-Za-z0-9_%+-]+([.][A-Za-z0-9_%+-]+)*@([A-Za-z0-9-]+[.])+[A-Za-z]{2,63}$"

COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"),
    "CA": ("CA", "CAN", "CANADA"),
    "GB": ("GB", "GBR", "UK", "UNITED KINGDOM", "ENGLAND", "SCOTLAND", "WALES", "NORTHERN IRELAND"),
    "FR": ("FR", "FRA", "FRANCE"),
    "DE": ("DE", "DEU", "GERMANY", "DEUTSCHLAND"),
    "AU": ("AU", "AUS", "AUSTRALIA"),
    "NL": ("NL", "NLD", "NETHERLANDS"),
    "CN": ("CN", "CHN", "CHINA", "中国"),
}


@dataclass(frozen=True)
class PhonePlan:
    """How one country writes its numbers: +<calling><number>, nationally <trunk><number>."""

    countries: tuple[str, ...]   # ISO codes sharing the plan
    calling: str                 # country calling code
    trunk: str                   # national trunk prefix ('' if none; '1?' optional)
    number: str                  # regex of the national significant number (fixed length)
    length: int                  # its length in digits


PHONE_PLANS: tuple[PhonePlan, ...] = (
    PhonePlan(("US", "CA"), "1", "1?", "[2-9][0-9]{2}[2-9][0-9]{6}", 10),
    PhonePlan(("GB",), "44", "0", "[1235789][0-9]{9}", 10),
    PhonePlan(("FR",), "33", "0", "[1-9][0-9]{8}", 9),
    PhonePlan(("AU",), "61", "0", "[2-478][0-9]{8}", 9),
    PhonePlan(("CN",), "86", "", "1[3-9][0-9]{9}", 11),   # mobile numbers only
)


@dataclass(frozen=True)
class PostcodeShape:
    """A postcode shape of one country, over its letters and digits upper-cased (separators dropped);
    ``gap`` characters from the end the separator ``sep`` is put back."""

    country: str
    shape: str
    gap: int = 0
    sep: str = ""


POSTCODES: tuple[PostcodeShape, ...] = (
    PostcodeShape("GB", "^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$", 3, " "),
    PostcodeShape("US", "^[0-9]{5}$"),
    PostcodeShape("US", "^[0-9]{9}$", 4, "-"),
    PostcodeShape("CA", "^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$", 3, " "),
    PostcodeShape("FR", "^[0-9]{5}$"),
    PostcodeShape("DE", "^[0-9]{5}$"),
    PostcodeShape("AU", "^[0-9]{4}$"),
    PostcodeShape("NL", "^[1-9][0-9]{3}[A-Z]{2}$", 2, " "),
    PostcodeShape("CN", "^[0-9]{6}$"),
)

PHONE_COUNTRIES = tuple(c for plan in PHONE_PLANS for c in plan.countries)
POSTCODE_COUNTRIES = tuple(dict.fromkeys(p.country for p in POSTCODES))


class StandardiseError(ValueError):
    """A standardisation function called with arguments it cannot take."""


# ----------------------------------------------------------------------------- small builders

def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _regexp_like(value: exp.Expression, pattern: str) -> exp.Expression:
    return exp.RegexpLike(this=value.copy(), expression=_str(pattern))


def _regexp_replace(value: exp.Expression, pattern: str, replacement: str) -> exp.Expression:
    return exp.RegexpReplace(this=value.copy(), expression=_str(pattern), replacement=_str(replacement))


def _pipe(*parts: exp.Expression) -> exp.Expression:
    tree = parts[0]
    for part in parts[1:]:
        tree = exp.DPipe(this=tree, expression=part, safe=None)
    return exp.Paren(this=tree)


def _case(branches: list[tuple[exp.Expression, exp.Expression]]) -> exp.Expression:
    if not branches:
        return exp.Cast(this=exp.null(), to=exp.DataType.build("TEXT"))
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in branches])


def _squished(value: exp.Expression) -> exp.Expression:
    """White space runs as one space, none at either end."""
    return exp.Trim(this=_regexp_replace(value, _SPACES, " "))


def _country_test(country: exp.Expression | str, codes: tuple[str, ...]) -> exp.Expression | bool:
    """Whether ``country`` (a code fixed when the mapping is read, or a column) is one of ``codes``:
    True or False when it is a code (no test in SQL)."""
    if isinstance(country, str):
        return country in codes
    names = [_str(n) for code in codes for n in COUNTRY_NAMES[code]]
    return exp.In(this=exp.Upper(this=exp.Trim(this=country.copy())), expressions=names)


def _and(test: exp.Expression | bool, cond: exp.Expression) -> exp.Expression:
    return cond if test is True else exp.and_(test, cond, copy=False)


# ----------------------------------------------------------------------------- the functions

def normalize_space(value: exp.Expression) -> exp.Expression:
    return exp.Nullif(this=_squished(value), expression=_str(""))


def normalize_name(value: exp.Expression) -> exp.Expression:
    """Spaces squeezed; a name typed all in upper or all in lower case re-capitalised, any other kept
    as typed (McDonald, van der Berg)."""
    s = normalize_space(value)
    one_case = exp.or_(exp.EQ(this=s.copy(), expression=exp.Upper(this=s.copy())),
                       exp.EQ(this=s.copy(), expression=exp.Lower(this=s.copy())), copy=False)
    return exp.Case(ifs=[exp.If(this=one_case, true=exp.Initcap(this=s.copy()))], default=s)


def normalize_email(value: exp.Expression) -> exp.Expression:
    """Trimmed and lower-cased when it has the shape local@domain.tld in ASCII, else NULL."""
    s = _squished(value)
    return _case([(_regexp_like(s, _EMAIL), exp.Lower(this=s.copy()))])


def phone_e164(value: exp.Expression, country: exp.Expression | str) -> exp.Expression:
    """+<calling code><number> from an international number of a supported plan (+44..., 0044...) or
    a national number of ``country``; NULL for any other shape, extensions and letters included."""
    s = _regexp_replace(value, _PHONE_SEPARATORS, "")
    branches = []
    for plan in PHONE_PLANS:
        trunk = "0?" if plan.trunk == "0" else ""
        branches.append((_regexp_like(s, f"^([+]|00){plan.calling}{trunk}{plan.number}$"), plan))
    for plan in PHONE_PLANS:
        test = _country_test(country, plan.countries)
        if test is False:
            continue
        branches.append((_and(test, _regexp_like(s, f"^{plan.trunk}{plan.number}$")), plan))
    return _case([(cond, _pipe(_str("+" + plan.calling), exp.Right(this=s.copy(), expression=exp.Literal.number(plan.length))))
                  for cond, plan in branches])


def normalize_postcode(value: exp.Expression, country: exp.Expression | str) -> exp.Expression:
    """The postcode in its country's written form (SW1A 1AA, 12345-6789, K1A 0B1, 1234 AB), else NULL."""
    compact = _regexp_replace(value, "[^A-Za-z0-9]", "")
    upper = exp.Upper(this=compact)
    branches = []
    for shape in POSTCODES:
        test = _country_test(country, (shape.country,))
        if test is False:
            continue
        if shape.gap:
            head = exp.Left(this=upper.copy(), expression=exp.Sub(this=exp.Length(this=upper.copy()),
                                                                  expression=exp.Literal.number(shape.gap)))
            written = _pipe(head, _str(shape.sep), exp.Right(this=upper.copy(), expression=exp.Literal.number(shape.gap)))
        else:
            written = upper.copy()
        branches.append((_and(test, _regexp_like(upper, shape.shape)), written))
    return _case(branches)


@dataclass(frozen=True)
class Standardiser:
    name: str
    countries: tuple[str, ...]   # () when the function takes no country
    expand: Callable[..., exp.Expression]
    doc: str


STANDARDISERS: dict[str, Standardiser] = {s.name: s for s in (
    Standardiser("NORMALIZE_SPACE", (), normalize_space,
                 "NORMALIZE_SPACE(text): runs of white space as one space, trimmed; blank is NULL"),
    Standardiser("NORMALIZE_NAME", (), normalize_name,
                 "NORMALIZE_NAME(text): white space squeezed; all-upper or all-lower names re-capitalised (INITCAP), "
                 "mixed case kept"),
    Standardiser("NORMALIZE_EMAIL", (), normalize_email,
                 "NORMALIZE_EMAIL(text): trimmed and lower-cased when shaped local@domain.tld (ASCII), else NULL"),
    Standardiser("PHONE_E164", PHONE_COUNTRIES, phone_e164,
                 "PHONE_E164(text, country): the number as +<code><number>, from +/00 international numbers of "
                 f"{', '.join(PHONE_COUNTRIES)} or a national number of the country; else NULL"),
    Standardiser("NORMALIZE_POSTCODE", POSTCODE_COUNTRIES, normalize_postcode,
                 f"NORMALIZE_POSTCODE(text, country): the postcode written as its country writes it "
                 f"({', '.join(POSTCODE_COUNTRIES)}); else NULL"),
)}


def country_code(standardiser: Standardiser, literal: str) -> str:
    """The ISO code a quoted country names, or StandardiseError saying which are supported."""
    wanted = literal.strip().upper()
    for code in standardiser.countries:
        if wanted in COUNTRY_NAMES[code]:
            return code
    raise StandardiseError(f"{standardiser.name} does not know country '{literal}'; supported: "
                           f"{', '.join(standardiser.countries)} (ISO code or English name)")


def arity(standardiser: Standardiser) -> int:
    return 2 if standardiser.countries else 1
