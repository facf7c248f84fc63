"""Runtime of the generated record translators: SQL semantics, as the DuckDB views compute them,
in plain Python (standard library only).

`dict generate python` copies the definitions a translator module needs from this file into
the module, so the module imports nothing but the standard library. Each helper mirrors one
DuckDB behaviour exactly; tests/test_translators_semantics.py checks them against DuckDB.
Helpers receive non-NULL arguments unless their name says otherwise: NULL propagation is
compiled into the calling code.
"""
import datetime as _dt
import decimal as _decimal
import math as _math
import re as _re
import struct as _struct

_D = _decimal.Decimal
_date = _dt.date
_datetime = _dt.datetime
_HALF_UP = _decimal.ROUND_HALF_UP       # ROUND_HALF_UP is "half away from zero", like DuckDB
_FLOOR = _decimal.ROUND_FLOOR
_CEILING = _decimal.ROUND_CEILING
# exact decimal arithmetic up to DuckDB's 38 digits (Python's default context keeps 28)
_EXACT = _decimal.Context(prec=40, rounding=_decimal.ROUND_HALF_EVEN)
_QUANTUM = [_D(1).scaleb(-n) for n in range(39)]      # 1, 0.1, 0.01, ... : the step of each scale
_DecimalError = (_decimal.InvalidOperation, _decimal.DivisionByZero, ValueError, OverflowError)


class Reject:
    """A source record the mapping rejects: the same decision and reason text as the SQL view."""

    __slots__ = ("derivation", "source_key", "reason", "slot", "value", "rule")

    def __init__(self, derivation, source_key, reason, slot=None, value=None, rule=""):
        self.derivation = derivation   # derivation name, e.g. "Customer"
        self.source_key = source_key   # the record's source key as text, like the view's _source_key
        self.reason = reason           # exactly the view's _reject_reason
        self.slot = slot               # the canonical slot that failed, or None for a row rule
        self.value = value             # the offending value (before conversion), or None
        self.rule = rule               # which rule: filter, reject_when, value_mappings, cast, required, ...

    def as_dict(self):
        return {"_derivation": self.derivation, "_source_key": self.source_key, "_reject_reason": self.reason,
                "_slot": self.slot, "_value": self.value, "_rule": self.rule}

    def __eq__(self, other):
        return isinstance(other, Reject) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return f"Reject({self.derivation!r}, {self.source_key!r}, {self.reason!r})"


class NotTranslatable(Exception):
    """The derivation aggregates many source records (group_by): one record cannot give its result."""


class _Fail(Exception):
    """A value the SQL view cannot compute (a plain CAST that fails): the view errors on this record."""


class _RecordError(Exception):
    """A record the translator cannot take: malformed input, an ambiguous join, a value the view cannot store."""

    def __init__(self, rule, reason, slot=None, value=None):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
        self.slot = slot
        self.value = value


# ----------------------------------------------------------------------------- text

# DuckDB's TRIM removes Unicode space separators (category Zs), not tabs or newlines.
_ZS = " \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

# Characters whose DuckDB UPPER differs from Python's per-character str.upper (DuckDB maps one
# code point to one code point; Python may expand, e.g. 'ß' -> 'SS').
_UPPER_FROM = ("\u00df\u0149\u01f0\u0390\u03b0\u0587\u1e96\u1e97\u1e98\u1e99\u1e9a\u1f50\u1f52\u1f54\u1f56\u1f80"
    "\u1f81\u1f82\u1f83\u1f84\u1f85\u1f86\u1f87\u1f88\u1f89\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f90"
    "\u1f91\u1f92\u1f93\u1f94\u1f95\u1f96\u1f97\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d\u1f9e\u1f9f\u1fa0"
    "\u1fa1\u1fa2\u1fa3\u1fa4\u1fa5\u1fa6\u1fa7\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad\u1fae\u1faf\u1fb2"
    "\u1fb3\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2\u1fc3\u1fc4\u1fc6\u1fc7\u1fcc\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2"
    "\u1fe3\u1fe4\u1fe6\u1fe7\u1ff2\u1ff3\u1ff4\u1ff6\u1ff7\u1ffc\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05"
    "\ufb06\ufb13\ufb14\ufb15\ufb16\ufb17")
_UPPER_TO = ("\u1e9e\u0149\u01f0\u0390\u03b0\u0587\u1e96\u1e97\u1e98\u1e99\u1e9a\u1f50\u1f52\u1f54\u1f56\u1f88"
    "\u1f89\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f88\u1f89\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f98"
    "\u1f99\u1f9a\u1f9b\u1f9c\u1f9d\u1f9e\u1f9f\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d\u1f9e\u1f9f\u1fa8"
    "\u1fa9\u1faa\u1fab\u1fac\u1fad\u1fae\u1faf\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad\u1fae\u1faf\u1fb2"
    "\u1fbc\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2\u1fcc\u1fc4\u1fc6\u1fc7\u1fcc\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2"
    "\u1fe3\u1fe4\u1fe6\u1fe7\u1ff2\u1ffc\u1ff4\u1ff6\u1ff7\u1ffc\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05"
    "\ufb06\ufb13\ufb14\ufb15\ufb16\ufb17")
_UPPER_MAP = dict(zip(_UPPER_FROM, _UPPER_TO))
_UPPER_SPECIAL = _re.compile("[" + _UPPER_FROM + "]")


def _upper(s):
    if s.isascii() or _UPPER_SPECIAL.search(s) is None:
        return s.upper()
    return "".join([_UPPER_MAP.get(c) or c.upper() for c in s])


def _lower(s):
    # DuckDB lowers one code point at a time: 'İ' -> 'i', and no final-sigma rule.
    if s.isascii() or ("\u0130" not in s and "\u03a3" not in s):
        return s.lower()
    return "".join(["i" if c == "\u0130" else ("\u03c3" if c == "\u03a3" else c.lower()) for c in s])


# INITCAP as sqlglot renders it for DuckDB: every run of non-delimiters gets UPPER(first) || LOWER(rest).
_INITCAP_DELIMITERS = " \t\n\r\x0c\x0b!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_INITCAP_RUNS = _re.compile("[" + _re.escape(_INITCAP_DELIMITERS) + "]+|[^" + _re.escape(_INITCAP_DELIMITERS) + "]+")


def _initcap(s):
    return "".join([p if p[0] in _INITCAP_DELIMITERS else _upper(p[0]) + _lower(p[1:]) for p in _INITCAP_RUNS.findall(s)])


def _substring(s, start, length=None):
    # DuckDB SUBSTRING on code points: a negative start counts from the end, a negative length goes backwards.
    n = len(s)
    if length is None:
        length = 4294967295
    if length == 0:
        return ""
    if start > 0:
        begin = start - 1
    elif start < 0:
        begin = n + start
    else:
        begin = 0
        length -= 1
        if length <= 0:
            return ""
    if length > 0:
        end = begin + length
    else:
        end = begin
        begin = begin + length
    begin = min(max(begin, 0), n)
    end = min(max(end, 0), n)
    return s[begin:end] if begin < end else ""


def _right(s, n):
    return s[-n:] if n else ""


def _replace(s, old, new):
    return s.replace(old, new) if old else s


def _lpad(s, n, fill):
    if n <= 0:
        return ""
    if len(s) >= n:
        return s[:n]
    if not fill:
        raise _Fail("LPAD: insufficient padding (empty fill text)")
    need = n - len(s)
    return (fill * (need // len(fill) + 1))[:need] + s


def _split_part(s, delimiter, n):
    if n < 1:
        return None
    if not delimiter:
        return s if n == 1 else ""
    parts = s.split(delimiter, n)
    return parts[n - 1] if n <= len(parts) else ""


def _concat_text(v):
    return "" if v is None else (v if v.__class__ is str else _text(v))


def _re2_sub(rx, repl, s):
    # RE2's GlobalReplace: an empty match right after the previous match is skipped (Python would keep it).
    out = []
    p = 0
    n = len(s)
    last_end = -1
    count = 0
    while p <= n:
        m = rx.search(s, p)
        if m is None:
            break
        start, end = m.span()
        if p < start:
            out.append(s[p:start])
        if start == end and start == last_end:
            if p < n:
                out.append(s[p])
            p += 1
            continue
        out.append(m.expand(repl))
        p = end
        last_end = end
        count += 1
    if count == 0:
        return s
    if p < n:
        out.append(s[p:])
    return "".join(out)


_REGEX_CACHE = {}


def _regexp_replace_dynamic(s, pattern, replacement):
    key = (pattern, replacement)
    compiled = _REGEX_CACHE.get(key)
    if compiled is None:
        compiled = _REGEX_CACHE[key] = (_re.compile(_re2_pattern(pattern)), _re2_replacement(replacement))
    return _re2_sub(compiled[0], compiled[1], s)


def _regexp_matches_dynamic(s, pattern):
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        compiled = _REGEX_CACHE[pattern] = _re.compile(_re2_pattern(pattern))
    return compiled.search(s) is not None


_POSIX_CLASSES = {
    "alpha": "A-Za-z", "digit": "0-9", "alnum": "0-9A-Za-z", "upper": "A-Z", "lower": "a-z",
    "space": "\\t\\n\\v\\f\\r ", "blank": "\\t ", "punct": "!-/:-@\\[-`{-~", "xdigit": "0-9A-Fa-f",
    "word": "0-9A-Za-z_", "cntrl": "\\x00-\\x1f\\x7f", "print": " -~", "graph": "!-~", "ascii": "\\x00-\\x7f",
}
_PERL_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}


def _re2_pattern(pattern):
    """An RE2 pattern (DuckDB's regex engine) as a Python ``re`` pattern with the same meaning."""
    out = []
    i = 0
    n = len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e in "dws":
                out.append(_PERL_CLASSES[e] if in_class else "[" + _PERL_CLASSES[e] + "]")
            elif e in "DWS":
                if in_class:
                    raise ValueError(f"\\{e} inside a character class is not supported")
                out.append("[^" + _PERL_CLASSES[e.lower()] + "]")
            elif e == "z":
                out.append("\\Z")
            elif e in "pP":
                raise ValueError("Unicode classes (\\p{...}) are not supported by Python's re")
            elif e == "b" and not in_class:
                out.append("(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))")
            elif e == "B" and not in_class:
                out.append("(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))")
            else:
                out.append(c + e)
            i += 2
            continue
        if in_class:
            if c == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2:end] if end > 0 else ""
                if name not in _POSIX_CLASSES:
                    raise ValueError(f"unknown character class [:{name}:]")
                out.append(_POSIX_CLASSES[name])
                i = end + 2
                continue
            if c == "]":
                in_class = False
                out.append(c)
            elif c in "[&~|":
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if c == "$":
            out.append("\\Z")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _re2_replacement(replacement):
    """An RE2 rewrite string (\\0-\\9 groups, \\\\ backslash) as a Python ``re`` template."""
    out = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "\\" and i + 1 < len(replacement):
            e = replacement[i + 1]
            if e.isdigit():
                out.append(f"\\g<{e}>")
            elif e == "\\":
                out.append("\\\\")
            else:
                raise ValueError(f"invalid rewrite pattern: \\{e}")
            i += 2
            continue
        out.append("\\\\" if c == "\\" else c)
        i += 1
    return "".join(out)


def _like_pattern(pattern, case_insensitive=False):
    """SQL LIKE (no escape character; % any text, _ one character) as a compiled regex for fullmatch.

    Linear, not polynomial, on a backtracking engine: each text between two '%' is placed at its
    first occurrence and kept there (an atomic group), which is where a LIKE match can always put it.
    """
    if case_insensitive:
        pattern = _lower(pattern)
    pieces = ["".join("." if c == "_" else _re.escape(c) for c in piece) for piece in pattern.split("%")]
    if len(pieces) == 1:
        return _re.compile(pieces[0], _re.DOTALL)
    middle = "".join(f"(?>.*?{piece})" for piece in pieces[1:-1] if piece)
    return _re.compile(f"{pieces[0]}{middle}.*{pieces[-1]}", _re.DOTALL)


_LIKE_CACHE = {}


def _like(s, pattern):
    rx = _LIKE_CACHE.get(pattern)
    if rx is None:
        rx = _LIKE_CACHE[pattern] = _like_pattern(pattern)
    return rx.fullmatch(s) is not None


def _ilike(s, pattern):
    rx = _LIKE_CACHE.get((pattern,))
    if rx is None:
        rx = _LIKE_CACHE[(pattern,)] = _like_pattern(pattern, True)
    return rx.fullmatch(_lower(s)) is not None


def _greatest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _least(*values):
    present = [v for v in values if v is not None]
    return min(present) if present else None


# ----------------------------------------------------------------------------- numbers

def _dec18(d):
    # a DECIMAL result DuckDB keeps in 18 digits: more fails the view
    if abs(d.scaleb(-d.as_tuple().exponent, _EXACT)) >= 1000000000000000000:
        raise _Fail(f"decimal overflow: {_text(d)} needs more than 18 digits")
    return d


def _int64(x):
    # BIGINT arithmetic: DuckDB fails the view on an overflow
    if -9223372036854775808 <= x <= 9223372036854775807:
        return x
    raise _Fail(f"integer overflow: {x}")


def _div(a, b):
    # DuckDB '/' is double division; x/0 is +-inf (0/0 is nan) rather than an error.
    a = float(a)
    b = float(b)
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return _math.nan
        return _math.copysign(_math.inf, a) * _math.copysign(1.0, b)


def _mod(a, b):
    # Remainder with the sign of the dividend (C semantics); NULL when dividing integers or decimals by zero.
    if a.__class__ is float or b.__class__ is float:
        try:
            return _math.fmod(float(a), float(b))
        except ValueError:
            return _math.nan
    if not b:
        return None
    if a.__class__ is int and b.__class__ is int:
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    try:
        return _D(a) % _D(b)
    except _DecimalError:
        return None


def _round_half_away(x):
    # C's std::round on a double: halves away from zero, keeping the sign of zero.
    t = _math.copysign(float(_math.trunc(x)), x)
    if abs(x - t) >= 0.5:
        t += _math.copysign(1.0, x)
    return t


def _round(x, digits=0):
    if x.__class__ is float:
        if x != x or x in (_math.inf, -_math.inf):
            return x
        if digits == 0:
            return _round_half_away(x)
        if digits > 0:
            modifier = 10.0 ** digits if digits < 309 else _math.inf
            scaled = x * modifier
            if scaled in (_math.inf, -_math.inf) or scaled != scaled:
                return x
            result = _round_half_away(scaled) / modifier
            return result if result == result and result not in (_math.inf, -_math.inf) else 0.0
        modifier = 10.0 ** -digits if -digits < 309 else _math.inf
        return _round_half_away(x / modifier) * modifier
    if x.__class__ is int:
        if digits >= 0:
            return x
        unit = 10 ** -digits
        q, r = divmod(abs(x), unit)
        if r * 2 >= unit:
            q += 1
        return q * unit if x >= 0 else -q * unit
    exponent = x.as_tuple().exponent
    scale = -exponent if exponent < 0 else 0
    if digits >= scale:
        return x
    if digits >= 0:
        return x.quantize(_QUANTUM[digits], rounding=_HALF_UP, context=_EXACT)
    return x.scaleb(digits, _EXACT).quantize(_D(1), rounding=_HALF_UP, context=_EXACT).scaleb(-digits, _EXACT).quantize(_D(1), context=_EXACT)


def _floor(x):
    if x.__class__ is float:
        return _math.copysign(float(_math.floor(x)), x) if x == x and x not in (_math.inf, -_math.inf) else x
    if x.__class__ is int:
        return float(x)
    return x.to_integral_value(rounding=_FLOOR, context=_EXACT)


def _ceil(x):
    if x.__class__ is float:
        return _math.copysign(float(_math.ceil(x)), x) if x == x and x not in (_math.inf, -_math.inf) else x
    if x.__class__ is int:
        return float(x)
    return x.to_integral_value(rounding=_CEILING, context=_EXACT)


def _float(x):
    # DuckDB converts a decimal to a double as unscaled / 10^scale.
    if x.__class__ is _D:
        sign, digits, exponent = x.as_tuple()
        unscaled = int("".join(map(str, digits)) or "0")
        value = float(unscaled) / 10.0 ** -exponent if exponent < 0 else float(x)
        return -value if sign else value
    return float(x)


def _float32(x):
    return _struct.unpack("f", _struct.pack("f", x))[0] if abs(x) < 3.4028235677973366e38 or x != x else _math.copysign(_math.inf, x)


# ----------------------------------------------------------------------------- casts

_SPACES = " \t\n\v\f\r"


def _text(v):
    """CAST(v AS TEXT) as DuckDB writes each type."""
    cls = v.__class__
    if cls is str:
        return v
    if cls is bool:
        return "true" if v else "false"
    if cls is int:
        return str(v)
    if cls is _D:
        if not v:
            v = abs(v)
        return format(v, "f")
    if cls is float:
        return repr(v)
    if cls is _datetime:
        return _timestamp_text(v)
    if cls is _date:
        return v.isoformat()
    return str(v)


def _timestamp_text(v):
    text = v.strftime("%Y-%m-%d %H:%M:%S") if v.year >= 1000 else f"{v.year:04d}" + v.strftime("-%m-%d %H:%M:%S")
    if v.microsecond:
        text += ("." + f"{v.microsecond:06d}").rstrip("0")
    return text


_PLAIN_INT = _re.compile(r"[+-]?[0-9]+")
_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)


def _ctrunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _parse_int(s):
    """TRY_CAST(text AS BIGINT) as DuckDB parses it (a port of its integer cast loop: spaces, sign,
    0x/0b, single underscores between digits, decimals and exponents rounded on the first dropped digit)."""
    stripped = s.strip(_SPACES)
    if _PLAIN_INT.fullmatch(stripped):
        value = int(stripped)
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    i = 0
    n = len(s)
    while i < n and s[i] in _SPACES:
        i += 1
    buf = s[i:]
    if not buf:
        return None
    if buf[0] != "-" and len(buf) > 1 and buf[0] == "0" and buf[1] in "xXbB":
        return _radix_loop(buf[1:], 16 if buf[1] in "xX" else 2)
    for op in (_IntegerOp(), _IntegerDecimalOp()):
        if _cast_loop(buf, buf[0] == "-", op, op.allow_exponent):
            return op.result
    return None


def _radix_loop(buf, base):
    digits = "0123456789abcdef"[:base]
    result = 0
    pos = 1
    n = len(buf)
    while pos < n:
        c = buf[pos].lower()
        if c not in digits:
            return None
        digit = digits.index(c)
        pos += 1
        if pos != n and buf[pos] == "_":
            pos += 1
            if pos == n or buf[pos].lower() not in digits:
                return None
        if result > (_INT64_MAX - digit) // base:
            return None
        result = result * base + digit
    return result if pos > 1 else None


def _cast_loop(buf, negative, op, allow_exponent):
    # DuckDB's IntegerCastLoop, shared by its integer and decimal string casts.
    start = 1 if negative or buf[:1] == "+" else 0
    pos = start
    n = len(buf)
    while pos < n:
        c = buf[pos]
        if not ("0" <= c <= "9"):
            if c == ".":
                number_before_period = pos > start
                pos += 1
                start_digit = pos
                while pos < n:
                    c = buf[pos]
                    if not ("0" <= c <= "9"):
                        break
                    if not op.decimal(negative, ord(c) - 48):
                        return False
                    pos += 1
                    if pos != n and buf[pos] == "_":
                        pos += 1
                        if pos == n or not ("0" <= buf[pos] <= "9"):
                            return False
                if not (number_before_period or pos > start_digit):
                    return False
                if pos >= n:
                    break
                c = buf[pos]
            if c in _SPACES:
                pos += 1
                while pos < n:
                    if buf[pos] not in _SPACES:
                        return False
                    pos += 1
                break
            if allow_exponent and c in "eE":
                if pos == start:
                    return False
                pos += 1
                if pos >= n:
                    return False
                exponent = _IntegerOp(16)
                if not _cast_loop(buf[pos:], buf[pos] == "-", exponent, False):
                    return False
                return op.exponent(negative, exponent.result)
            return False
        pos += 1
        if not op.digit(negative, ord(c) - 48):
            return False
        if pos != n and buf[pos] == "_":
            pos += 1
            if pos == n or not ("0" <= buf[pos] <= "9"):
                return False
    if not op.finalize(negative):
        return False
    return pos > start


class _IntegerOp:
    allow_exponent = False

    def __init__(self, bits=64):
        self.result = 0
        self.low = -(1 << (bits - 1))
        self.high = (1 << (bits - 1)) - 1

    def digit(self, negative, d):
        if negative:
            if self.result < _ctrunc_div(self.low + d, 10):
                return False
            self.result = self.result * 10 - d
        else:
            if self.result > (self.high - d) // 10:
                return False
            self.result = self.result * 10 + d
        return True

    def decimal(self, negative, d):
        return False

    def finalize(self, negative):
        return True


class _IntegerDecimalOp(_IntegerOp):
    allow_exponent = True

    def __init__(self):
        super().__init__(64)
        self.fraction = 0
        self.fraction_digits = 0

    def decimal(self, negative, d):
        if not self.fraction > (_INT64_MAX - d) // 10:
            self.fraction_digits += 1
            self.fraction = self.fraction * 10 + d
        return True

    def exponent(self, negative, exponent):
        e = exponent
        if e < 0:
            for _ in range(min(-e, 20)):
                self.fraction = self.result - _ctrunc_div(self.result, 10) * 10
                self.result = _ctrunc_div(self.result, 10)
            self.fraction = abs(self.fraction)
            self.fraction_digits = 1
            return self.finalize(negative)
        while self.result != 0 and e > 0:
            e -= 1
            self.result *= 10
            if not _INT64_MIN <= self.result <= _INT64_MAX:
                return False
        if self.fraction == 0:
            return self.finalize(negative)
        e = exponent - self.fraction_digits
        remainder = 0
        if e < 0:
            if -e <= 18:
                power = 10 ** -e
                remainder = self.fraction % power
                self.fraction //= power
            else:
                self.fraction = 0
        else:
            while e > 0:
                e -= 1
                self.fraction *= 10
                if self.fraction > _INT64_MAX:
                    return False
        self.fraction_digits = (self.fraction_digits - exponent) & 0xFFFF
        self.result = self.result - self.fraction if negative else self.result + self.fraction
        if not _INT64_MIN <= self.result <= _INT64_MAX:
            return False
        self.fraction = remainder
        return self.finalize(negative)

    def finalize(self, negative):
        while self.fraction > 10:
            self.fraction //= 10
            self.fraction_digits = (self.fraction_digits - 1) & 0xFFFF
        if self.fraction_digits == 1 and self.fraction >= 5:
            self.result = self.result - 1 if negative else self.result + 1
        return _INT64_MIN <= self.result <= _INT64_MAX


def _int(v, bits=64):
    """TRY_CAST(v AS BIGINT/INTEGER/SMALLINT): None when it cannot be converted."""
    cls = v.__class__
    if cls is int:
        result = v
    elif cls is bool:
        result = int(v)
    elif cls is str:
        result = _parse_int(v)
    elif cls is _D:
        result = int(v.to_integral_value(rounding=_HALF_UP, context=_EXACT)) if v.is_finite() else None
    elif cls is float:
        result = int(round(v)) if v == v and v not in (_math.inf, -_math.inf) else None
    else:
        return None
    if result is None:
        return None
    limit = 1 << (bits - 1)
    return result if -limit <= result < limit else None


_PLAIN_DECIMAL = _re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _parse_decimal(s, precision, scale):
    """TRY_CAST(text AS DECIMAL(precision, scale)) as DuckDB parses it (a port of its decimal string cast)."""
    stripped = s.strip(_SPACES)
    if _PLAIN_DECIMAL.fullmatch(stripped):
        return _fit_decimal(_D(stripped), precision, scale)
    i = 0
    n = len(s)
    while i < n and s[i] in _SPACES:
        i += 1
    buf = s[i:]
    if not buf:
        return None
    if buf[0] != "-" and len(buf) > 1 and buf[0] == "0" and buf[1] in "xXbB":
        return None
    op = _DecimalOp(precision, scale)
    if not _cast_loop(buf, buf[0] == "-", op, True):
        return None
    return _D(op.result).scaleb(-scale, _EXACT)


class _DecimalOp:
    def __init__(self, width, scale):
        self.result = 0
        self.width = width
        self.scale = scale
        self.digit_count = 0
        self.decimal_count = 0
        self.round_set = False
        self.should_round = False
        self.excessive_decimals = 0
        self.exponent_type = 0          # 0 none, 1 positive, -1 negative
        self.limit = 10 ** width
        self.store_max = _INT64_MAX if width <= 18 else (1 << 127) - 1
        self.max_width = 18 if width <= 18 else 38

    def digit(self, negative, d):
        if self.result == 0 and d == 0:
            return True
        if self.digit_count == self.width - self.scale:
            return False
        self.digit_count += 1
        if negative:
            if self.result < _ctrunc_div(-self.store_max - 1, 10):
                return False
            self.result = self.result * 10 - d
        else:
            if self.result > self.store_max // 10:
                return False
            self.result = self.result * 10 + d
        return True

    def decimal(self, negative, d):
        if self.decimal_count == self.scale and not self.round_set:
            self.round_set = True
            self.should_round = d >= 5
        if self.digit_count + self.decimal_count >= self.max_width:
            return True
        self.decimal_count += 1
        self.result = self.result * 10 - d if negative else self.result * 10 + d
        return True

    def _round_up(self, negative):
        self.result = self.result - 1 if negative else self.result + 1

    def exponent(self, negative, exponent):
        excess = self.decimal_count - self.scale if self.decimal_count > self.scale else 0
        if exponent > 0:
            self.exponent_type = 1
            if excess > exponent:
                self.excessive_decimals = excess - exponent
                exponent = 0
            else:
                exponent -= excess
        elif exponent < 0:
            self.exponent_type = -1
        if not self.finalize(negative):
            return False
        if exponent < 0:
            round_up = False
            for _ in range(-exponent):
                mod = self.result - _ctrunc_div(self.result, 10) * 10
                round_up = mod <= -5 if negative else mod >= 5
                self.result = _ctrunc_div(self.result, 10)
                if self.result == 0:
                    break
            if round_up:
                self._round_up(negative)
            return True
        for _ in range(exponent):
            if not self.digit(negative, 0):
                return False
        return True

    def finalize(self, negative):
        if self.exponent_type != 1 and self.decimal_count > self.scale:
            self.excessive_decimals = self.decimal_count - self.scale
        if self.excessive_decimals:
            round_up = False
            for _ in range(self.excessive_decimals):
                mod = self.result - _ctrunc_div(self.result, 10) * 10
                round_up = mod <= -5 if negative else mod >= 5
                self.result = _ctrunc_div(self.result, 10)
            if self.exponent_type == 1 and round_up:
                self._round_up(negative)
            self.decimal_count = self.scale
        if self.exponent_type == 0 and self.round_set and self.should_round:
            self._round_up(negative)
        for _ in range(self.decimal_count, self.scale):
            self.result *= 10
        return self.result > -self.limit if negative else self.result < self.limit


def _fit_decimal(d, precision, scale):
    try:
        result = d.quantize(_QUANTUM[scale], rounding=_HALF_UP, context=_EXACT)
    except _DecimalError:
        return None
    if not result:
        return abs(result)
    return result if result.adjusted() < precision - scale else None


def _dec(v, precision=18, scale=3):
    """TRY_CAST(v AS DECIMAL(precision, scale)): rounded half away from zero; None if it does not fit."""
    cls = v.__class__
    if cls is _D:
        return _fit_decimal(v, precision, scale) if v.is_finite() else None
    if cls is int or cls is bool:
        return _fit_decimal(_D(int(v)), precision, scale)
    if cls is str:
        return _parse_decimal(v, precision, scale)
    if cls is float:
        # DuckDB scales the double by 10^scale, rounds half away from zero, and checks the width
        scaled = v * 10.0 ** scale
        if not -1e308 < scaled < 1e308 or abs(scaled) >= 10.0 ** precision:
            return None   # also nan and infinity
        whole = int(scaled)
        if abs(scaled - whole) >= 0.5:
            whole += 1 if scaled > 0 else -1
        if abs(whole) >= 10 ** precision:
            return None
        return _D(whole).scaleb(-scale, _EXACT)
    return None


_FLOAT_SYNTAX = _re.compile(r"-?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?")
_FLOAT_WORDS = {"inf": _math.inf, "-inf": -_math.inf, "infinity": _math.inf, "-infinity": -_math.inf,
                "nan": _math.nan, "-nan": _math.nan}


def _parse_float(s):
    s = s.strip(_SPACES)
    if s[:1] == "+":
        s = s[1:]
    word = _FLOAT_WORDS.get(s.lower())
    if word is not None:
        return word
    if _FLOAT_SYNTAX.fullmatch(s) is None:
        return None
    return float(s.replace("_", ""))


def _to_float(v):
    """TRY_CAST(v AS DOUBLE)."""
    cls = v.__class__
    if cls is float:
        return v
    if cls is int or cls is bool:
        return float(v)
    if cls is _D:
        return _float(v)
    if cls is str:
        return _parse_float(v)
    return None


_TRUE_WORDS = frozenset(("true", "t", "1", "yes", "y"))
_FALSE_WORDS = frozenset(("false", "f", "0", "no", "n"))


def _to_bool(v):
    """TRY_CAST(v AS BOOLEAN)."""
    cls = v.__class__
    if cls is bool:
        return v
    if cls is str:
        low = v.lower()
        return True if low in _TRUE_WORDS else (False if low in _FALSE_WORDS else None)
    if cls is int or cls is float or cls is _D:
        return v != 0
    return None


def _digits(s, pos, n, most=2):
    start = pos
    while pos < n and pos - start < most and "0" <= s[pos] <= "9":
        pos += 1
    return (int(s[start:pos]), pos) if pos > start else (None, pos)


def _parse_date_prefix(s):
    """DuckDB's date parser: (year, month, day, position after the date) or None."""
    n = len(s)
    pos = 0
    while pos < n and s[pos] in _SPACES:
        pos += 1
    if pos >= n:
        return None
    negative = s[pos] == "-"
    if negative:
        pos += 1
    start = pos
    while pos < n and "0" <= s[pos] <= "9":
        pos += 1
    if pos == start or pos - start > 9 or pos >= n:
        return None
    year = int(s[start:pos])
    if negative:
        year = -year
    sep = s[pos]
    pos += 1
    if sep not in " -/\\":
        return None
    month, pos = _digits(s, pos, n)
    if month is None or pos >= n or s[pos] != sep:
        return None
    day, pos = _digits(s, pos + 1, n)
    if day is None:
        return None
    if n - pos >= 5 and s[pos] in _SPACES and s[pos + 1] == "(" and s[pos + 2] in "bB" and s[pos + 3] in "cC" and s[pos + 4] == ")":
        if negative or year == 0:
            return None
        year = -year + 1
        pos += 5
    return year, month, day, pos


def _parse_date(s):
    """TRY_CAST(text AS DATE)."""
    parsed = _parse_date_prefix(s)
    if parsed is None:
        return None
    year, month, day, pos = parsed
    if pos < len(s) and "0" <= s[pos] <= "9":
        return None
    try:
        return _date(year, month, day)
    except ValueError:
        return None


def _parse_time(s, pos, n):
    hour, pos = _digits(s, pos, n)
    if hour is None or pos >= n or s[pos] != ":":
        return None
    minute, pos = _digits(s, pos + 1, n)
    if minute is None:
        return None
    second = 0
    micros = 0
    if pos < n and s[pos] == ":":
        second, pos = _digits(s, pos + 1, n)
        if second is None:
            return None
        if pos < n and s[pos] == ".":
            start = pos + 1
            pos = start
            while pos < n and "0" <= s[pos] <= "9":
                pos += 1
            if pos == start:
                return None
            micros = int(s[start:pos][:6].ljust(6, "0"))
    if hour > 24 or minute >= 60 or second >= 60 or (hour == 24 and (minute or second or micros)):
        return None
    return hour, minute, second, micros, pos


def _parse_timestamp(s):
    """TRY_CAST(text AS TIMESTAMP)."""
    parsed = _parse_date_prefix(s)
    if parsed is None:
        return None
    year, month, day, pos = parsed
    n = len(s)
    hour = minute = second = micros = 0
    if pos < n:
        if s[pos] in " T":
            pos += 1
        rest = s[pos:].strip(_SPACES)
        if rest and rest != "Z":
            time = _parse_time(s, pos, n)
            if time is None:
                return None
            hour, minute, second, micros, pos = time
            if pos < n and s[pos] == "Z":
                pos += 1
            if s[pos:].strip(_SPACES) not in ("", "UTC"):
                return None
    try:
        base = _datetime(year, month, day)
    except ValueError:
        return None
    return base + _dt.timedelta(hours=hour, minutes=minute, seconds=second, microseconds=micros)


def _to_date(v):
    """TRY_CAST(v AS DATE)."""
    cls = v.__class__
    if cls is _date:
        return v
    if cls is _datetime:
        return v.date()
    if cls is str:
        return _parse_date(v)
    return None


def _to_timestamp(v):
    """TRY_CAST(v AS TIMESTAMP)."""
    cls = v.__class__
    if cls is _datetime:
        return v
    if cls is _date:
        return _datetime(v.year, v.month, v.day)
    if cls is str:
        return _parse_timestamp(v)
    return None


def _as_timestamp(d):
    # a DATE compared with a TIMESTAMP is widened to midnight
    return _datetime(d.year, d.month, d.day) if d.__class__ is _date else d


def _cast_fail(value, target):
    """A plain CAST the SQL view cannot do: the view fails on this record."""
    raise _Fail(f"value '{_text(value)}' cannot be stored as {target}")


def _text32(v):
    # DuckDB writes a REAL with the fewest digits that read back as the same single-precision value
    if v != v or v in (_math.inf, -_math.inf):
        return repr(v)
    for digits in range(1, 10):
        text = f"{v:.{digits}g}"
        if _float32(float(text)) == v:
            return repr(float(text))
    return repr(v)


# ----------------------------------------------------------------------------- dates

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _strptime_date(s, fmt):
    """STR_TO_DATE(text, format) = CAST(TRY_STRPTIME(text, format) AS DATE) in DuckDB."""
    stamp = _strptime(s, fmt)
    return None if stamp is None else stamp.date()


def _strptime(s, fmt):
    n = len(s)
    pos = 0
    year, month, day, hour, minute, second, micros = 1900, 1, 1, 0, 0, 0, 0
    pm = None
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 >= len(fmt):
            if c in _SPACES:
                while pos < n and s[pos] in _SPACES:
                    pos += 1
                i += 1
                continue
            if pos >= n or s[pos] != c:
                return None
            pos += 1
            i += 1
            continue
        spec = fmt[i + 1]
        i += 2
        if spec == "-" and i < len(fmt):
            spec = fmt[i]
            i += 1
        if spec == "%":
            if pos >= n or s[pos] != "%":
                return None
            pos += 1
            continue
        while pos < n and s[pos] in _SPACES:
            pos += 1
        if spec in "bBh":
            low = s[pos:].lower()
            for k, name in enumerate(_MONTHS):
                if low.startswith(name) and spec in "B":
                    month, pos = k + 1, pos + len(name)
                    break
                if low.startswith(name[:3]) and spec in "bh":
                    month, pos = k + 1, pos + 3
                    break
            else:
                return None
            continue
        if spec in "aA":
            low = s[pos:].lower()
            for name in _WEEKDAYS:
                if spec == "A" and low.startswith(name):
                    pos += len(name)
                    break
                if spec == "a" and low.startswith(name[:3]):
                    pos += 3
                    break
            else:
                return None
            continue
        if spec == "p":
            low = s[pos:pos + 2].lower()
            if low not in ("am", "pm"):
                return None
            pm = low == "pm"
            pos += 2
            continue
        widths = {"Y": 4, "y": 2, "m": 2, "d": 2, "e": 2, "H": 2, "I": 2, "M": 2, "S": 2, "f": 6, "j": 3}
        if spec not in widths:
            return None
        negative = spec == "Y" and pos < n and s[pos] == "-"
        if negative:
            pos += 1
        value, pos = _digits(s, pos, n, widths[spec])
        if value is None:
            return None
        if spec == "Y":
            year = -value if negative else value
        elif spec == "y":
            year = 2000 + value if value < 69 else 1900 + value
        elif spec == "m":
            month = value
        elif spec in "de":
            day = value
        elif spec in "HI":
            hour = value
        elif spec == "M":
            minute = value
        elif spec == "S":
            second = value
        elif spec == "f":
            micros = value
        elif spec == "j":
            month, day = 1, value
    while pos < n and s[pos] in _SPACES:
        pos += 1
    if pos != n:
        return None
    if pm is not None:
        if hour < 1 or hour > 12:
            return None
        hour = hour % 12 + (12 if pm else 0)
    try:
        return _datetime(year, month, day, hour, minute, second, micros)
    except ValueError:
        return None


# ----------------------------------------------------------------------------- input records

_INPUT_CASTS = {
    "text": lambda v: _text(v) if v.__class__ in (str, bool, int, float, _D, _date, _datetime) else None,
    "integer": lambda v: _int(v, 64),
    "float": _to_float,
    "boolean": _to_bool,
    "date": _to_date,
    "datetime": _to_timestamp,
}


def _in(value, kind, column):
    """A record's value read into its column's type, as inserting it into the source table would."""
    try:
        result = _INPUT_CASTS[kind](value)
    except (TypeError, ValueError, AttributeError, OverflowError):
        result = None
    if result is None:
        raise _RecordError("input", f"column {column}: {value!r} is not a valid {kind} value", None, value)
    return result


def _in_dec(value, precision, scale, column):
    if value.__class__ is _D:
        try:
            result = value.quantize(_QUANTUM[scale], rounding=_HALF_UP, context=_EXACT)
            if result.adjusted() < precision - scale or not result:
                return result if result else abs(result)
        except _DecimalError:
            pass
    try:
        result = _dec(value, precision, scale) if value.__class__ in (str, bool, int, float, _D) else None
    except (TypeError, ValueError, AttributeError, OverflowError):
        result = None
    if result is None:
        raise _RecordError("input", f"column {column}: {value!r} is not a valid decimal({precision},{scale}) value", None, value)
    return result


def _raw_key(record, columns):
    # the source key of a record that could not be read, as far as it can be told
    values = [record.get(c) if isinstance(record, dict) else None for c in columns]
    return "|".join(_text(v) for v in values) if all(v is not None for v in values) else None


def _joined_rows(value, alias):
    if value is None:
        return ()
    if value.__class__ is dict:
        return (value,)
    if isinstance(value, (list, tuple)):
        return value
    raise _RecordError("input", f"join {alias}: expected a row (object) or a list of rows, got {type(value).__name__}", None, value)


def _match_one(value, on, alias, table, *outer):
    """The one joined row whose join condition holds (LEFT JOIN: None when no row matches)."""
    if value is None:
        return None
    if value.__class__ is dict:
        return value if on(value, *outer) else None
    found = [row for row in _joined_rows(value, alias) if on(row, *outer)]
    if len(found) > 1:
        raise _RecordError("join", f"join {alias}: {len(found)} rows of {table} match, but the join is declared to_one", None, len(found))
    return found[0] if found else None


def _match_all(value, on, alias, *outer):
    """Every joined row whose join condition holds, or (None,) when none does (LEFT JOIN)."""
    found = [row for row in _joined_rows(value, alias) if on(row, *outer)]
    return found or (None,)
