"""The canonical value types every source type and dictionary range reduces to."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import ParseError


class Type(str, Enum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    NULL = "null"  # the type of a bare NULL literal: fits every slot

    @property
    def numeric(self) -> bool:
        return self in (Type.INTEGER, Type.DECIMAL, Type.FLOAT)

    @property
    def temporal(self) -> bool:
        return self in (Type.DATE, Type.DATETIME)


# LinkML built-in ranges of the dictionary.
LINKML_RANGES = {
    "string": Type.STRING, "str": Type.STRING, "uri": Type.STRING, "uriorcurie": Type.STRING,
    "curie": Type.STRING, "ncname": Type.STRING, "objectidentifier": Type.STRING,
    "nodeidentifier": Type.STRING,
    "integer": Type.INTEGER, "int": Type.INTEGER,
    "decimal": Type.DECIMAL,
    "float": Type.FLOAT, "double": Type.FLOAT,
    "boolean": Type.BOOLEAN, "bool": Type.BOOLEAN,
    "date": Type.DATE,
    "datetime": Type.DATETIME, "time": Type.STRING,
}

_D = exp.DataType.Type
# Source column types, by sqlglot's DataType.Type.
_NATIVE = {
    Type.INTEGER: {_D.TINYINT, _D.SMALLINT, _D.INT, _D.BIGINT, _D.MEDIUMINT, _D.UTINYINT, _D.USMALLINT,
                   _D.UINT, _D.UBIGINT, _D.UMEDIUMINT, _D.INT128, _D.SERIAL, _D.BIGSERIAL,
                   _D.SMALLSERIAL, _D.BIT},
    Type.DECIMAL: {_D.DECIMAL, _D.MONEY, _D.SMALLMONEY, _D.BIGDECIMAL, _D.UDECIMAL},
    Type.FLOAT: {_D.FLOAT, _D.DOUBLE},
    Type.BOOLEAN: {_D.BOOLEAN},
    Type.DATE: {_D.DATE, _D.DATE32},
    Type.DATETIME: {_D.DATETIME, _D.DATETIME64, _D.TIMESTAMP, _D.TIMESTAMPTZ, _D.TIMESTAMPNTZ, _D.TIMESTAMPLTZ,
                    _D.TIMESTAMP_S, _D.TIMESTAMP_MS, _D.TIMESTAMP_NS, _D.SMALLDATETIME, _D.DATETIME2},
}
_BY_NATIVE = {native: canonical for canonical, natives in _NATIVE.items() for native in natives}


def from_native(data_type: exp.DataType) -> Type:
    """Canonical type of a source column declared as ``data_type`` (unknown types read as text)."""
    return _BY_NATIVE.get(data_type.this, Type.STRING)


@lru_cache(maxsize=None)   # a source schema names a few types hundreds of times; each is a parse
def from_native_text(text: str) -> Type:
    """Canonical type of a type name as written in DDL or reported by a database (e.g. 'NVARCHAR(40)')."""
    from sqlglot.errors import ParseError

    upper = text.upper().strip()
    if not upper:
        return Type.STRING  # SQLite columns may be declared with no type
    if upper in ("NUMERIC",) or upper.startswith("NUMERIC("):
        return Type.DECIMAL
    try:
        return from_native(exp.DataType.build(upper, dialect="duckdb"))
    except (ParseError, ValueError):
        return Type.STRING


# Decimal digits (precision, scale). A canonical DECIMAL value has CANONICAL_DECIMAL in every view, translator
# and comparison; a source column declared DECIMAL or NUMERIC without digits holds DuckDB's default.
CANONICAL_DECIMAL = (18, 4)
UNDECLARED_DECIMAL = (18, 3)


@lru_cache(maxsize=None)
def decimal_digits(native_type: str, dialect: str = "") -> tuple[int, int]:
    """(precision, scale) a source column declared ``native_type`` (in ``dialect``, default DuckDB's) holds:
    its own digits when it declares them, else UNDECLARED_DECIMAL."""
    try:
        dt = exp.DataType.build((native_type or "DECIMAL").upper(), dialect=dialect or "duckdb")
    except (ParseError, ValueError):
        return UNDECLARED_DECIMAL
    params = [int(p.name) for p in dt.expressions if p.name.isdigit()]
    if len(params) == 2 and params[0] >= params[1]:
        return params[0], params[1]
    if len(params) == 1:
        return params[0], 0
    return UNDECLARED_DECIMAL


# Text a view's CAST to BOOLEAN reads (trimmed, any case); any other text is no boolean.
TRUE_TEXTS = ("true", "t", "yes", "y", "1")
FALSE_TEXTS = ("false", "f", "no", "n", "0")


def coerce(value, t: Type, scale: int = CANONICAL_DECIMAL[1]):
    """``value`` as a driver returns it, as the Python value of canonical type ``t`` (decimals to ``scale``
    places, half to even); ValueError when it is no such value. None stays None."""
    if value is None:
        return None
    try:
        if t is Type.STRING:
            return value if isinstance(value, str) else (value.decode("utf-8") if isinstance(value, bytes) else str(value))
        if t is Type.INTEGER:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if t is Type.DECIMAL:
            return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
        if t is Type.FLOAT:
            return float(value)
        if t is Type.BOOLEAN:
            if isinstance(value, str):
                word = value.strip().lower()
                if word not in TRUE_TEXTS + FALSE_TEXTS:
                    raise ValueError(value)
                return word in TRUE_TEXTS
            return bool(value)
        if t is Type.DATE:
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        if t is Type.DATETIME:
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime(value.year, value.month, value.day)
            return datetime.fromisoformat(str(value).strip().replace("T", " "))
    except (InvalidOperation, UnicodeDecodeError) as exc:
        raise ValueError(value) from exc
    return value


# The SQL type a canonical value is stored as in every view.
SQL_TYPES = {
    Type.STRING: exp.DataType.build("VARCHAR"),
    Type.INTEGER: exp.DataType.build("BIGINT"),
    Type.DECIMAL: exp.DataType.build("DECIMAL({}, {})".format(*CANONICAL_DECIMAL)),
    Type.FLOAT: exp.DataType.build("DOUBLE"),
    Type.BOOLEAN: exp.DataType.build("BOOLEAN"),
    Type.DATE: exp.DataType.build("DATE"),
    Type.DATETIME: exp.DataType.build("TIMESTAMP"),
}


def assignable(value: Type, slot: Type) -> bool:
    """Whether a value of type ``value`` may fill a slot of type ``slot`` without an explicit CAST.

    Widening is implicit (integer into decimal, date into datetime, anything into text);
    narrowing or parsing (text into a number or a date) must be written as a CAST so a
    reviewer sees where a value can fail to convert.
    """
    if value in (slot, Type.NULL):
        return True
    if slot is Type.STRING:
        return True
    if slot in (Type.DECIMAL, Type.FLOAT):
        return value.numeric
    if slot is Type.DATETIME:
        return value is Type.DATE
    return False
